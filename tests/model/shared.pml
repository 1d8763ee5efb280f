/*
 * SPDX-License-Identifier: MIT
 *
 * shared.pml - SPIN model of the lock-free "shared" layout of dbuf:
 * W writers fill one active buffer out of K through a single atomic head
 * word (generation, offset); one reader consumes sealed, fully committed
 * buffers in generation order and recycles them.
 *
 * tests/model/run-model.sh runs every check below in a temporary directory:
 *   safety (assertions + invalid end states):
 *     spin -a shared.pml && gcc -O2 -DSAFETY -DCOLLAPSE -o pan pan.c && ./pan -m100000
 *   non-progress cycles (the model has no cycle at all, see README.md):
 *     spin -a shared.pml && gcc -O2 -DNP -DCOLLAPSE -o pan pan.c && ./pan -l -m100000
 *   deliberately broken variants, each of which MUST fail:
 *     spin -DBROKEN_NOGEN -a shared.pml         head does not carry the generation
 *     spin -DBROKEN_NOCOMMITWAIT -a shared.pml  reader does not wait for commits
 *     spin -DBROKEN_NOFREECHECK -a shared.pml   activation ignores free_for
 *
 * Sizes are -D options of spin: W, K, CAP, NB (blocks per writer),
 * LEN_CHOICE (0: fixed block lengths, see init; 1: every block takes any
 * length 1..MAXLEN, chosen nondeterministically), COPY_STEPS (0: a writer
 * copies its block in one step; 1: one step per byte), GM (generations are
 * kept modulo GM).
 *
 * One Promela statement is one C11 atomic operation of the protocol (a load,
 * a store, a fetch_add, a CAS), except where README.md says why two were
 * merged.  Statements interleave under sequential consistency.
 * Names starting with g_ are ghost bookkeeping: the C code has no such
 * thing; only the assertions read them.
 */

#ifndef W
#define W 3            /* writers (1..3 with the fixed lengths of init) */
#endif
#ifndef K
#define K 2            /* buffers */
#endif
#ifndef CAP
#define CAP 4          /* bytes per buffer */
#endif
#ifndef NB
#define NB 2           /* blocks per writer */
#endif
#ifndef LEN_CHOICE
#define LEN_CHOICE 0
#endif
#ifndef MAXLEN
#define MAXLEN 3       /* largest block when LEN_CHOICE is 1 (1..4, <= CAP) */
#endif
#ifndef COPY_STEPS
#define COPY_STEPS 0
#endif
#ifndef MAXFLUSH
#define MAXFLUSH 255   /* flushes the reader may do before close */
#endif
#ifndef POLICY
#define POLICY 2       /* on full: 0 drop, 1 wait, 2 either (chosen at each
                          full event), 3 writer 0 drops, the others wait */
#endif
/* Generations are kept modulo GM.  GM must be larger than the number of
 * generations a run can go through (asserted at every activation), so that
 * no comparison of generations ever sees a wrapped value: README.md,
 * "Generations". */
#ifndef GM
#define GM 64
#endif
#define NEXTGEN(g) (((g) + 1) % GM)

#define NBLK (W * NB)  /* block ids are 1..NBLK; 0 means "no block" */
#define SEALED 128     /* seal[b] is 0 or SEALED | sealed length */
#define NONE 255

/* results of activate_after() */
#define ADVANCED 1
#define FULL 2

/* ghost block states */
#define PENDING 0
#define CLAIMED 1      /* claimed inside a buffer, not committed yet */
#define COMMITTED 2
#define DROPPED 3      /* refused: buffers full, drop policy */

/* ----------------------------------------------------------- shared state */
byte head_gen = 0;     /* the head word (gen, off): one atomic, every */
byte head_off = 0;     /* statement reads or writes both at once      */
byte committed[K];     /* bytes committed in buffer b */
byte seal[K];          /* 0, or SEALED | length */
byte free_for[K];      /* the generation buffer b may next be activated as */
byte cell[K * CAP];    /* buffer bytes: id of the block written there (0: none);
                          cleared when the buffer is released, see README.md */
byte rgen = 0;         /* the reader's private next generation; global only
                          so that assertions can read it */

/* ----------------------------------------------------------------- ghosts */
byte g_bufgen[K];          /* generation buffer b holds now (NONE: never used) */
byte g_state[NBLK + 1];    /* PENDING, CLAIMED, COMMITTED, DROPPED */
byte g_gen[NBLK + 1];      /* generation the block was placed in */
byte g_off[NBLK + 1];      /* its offset there */
byte g_len[NBLK + 1];      /* its length */
bool g_consumed[NBLK + 1]; /* the reader handed it out */
byte g_inside[W];          /* writer w is between claim and commit in buffer
                              g_inside[w] - 1 (0: in none) */
byte g_drops[W];           /* blocks writer w counted as dropped */
byte g_ndone = 0;          /* writers that returned from their last write */
byte g_k = 0;              /* scratch of d_steps, always left 0 */

/* property 3: no writer is between claim and commit in buffer bb */
inline assert_nobody_inside(bb)
{
	g_k = 0;
	do
	:: g_k < W -> assert(g_inside[g_k] != bb + 1); g_k++
	:: else -> break
	od;
	g_k = 0
}

/*
 * activate_after(g): make generation g+1 the active one, unless head has
 * already moved past g (ADVANCED) or buffer (g+1)%K is not yet released for
 * generation g+1 (FULL).  g must be a local; hg, ho, nb are the caller's
 * scratch locals; res receives the result.
 */
inline activate_after(g, res, hg, ho, nb)
{
	do
	:: d_step { hg = head_gen; ho = head_off; nb = NEXTGEN(g) % K };  /* load head */
	   if
	   :: hg != g -> res = ADVANCED; break
	   :: else ->
#ifndef BROKEN_NOFREECHECK
		if
		:: free_for[nb] != NEXTGEN(g) -> res = FULL; break   /* load free_for */
		:: else -> skip
		fi;
#endif
		d_step {                            /* CAS(head, h, (g+1, 0)) */
			if
			:: head_gen == hg && head_off == ho ->
				head_gen = NEXTGEN(g); head_off = 0;
				/* property 3: no writer is inside the buffer
				 * being recycled */
				assert_nobody_inside(nb);
				/* property 1: its previous generation was
				 * consumed (or it was never used) */
				assert(g_bufgen[nb] == NONE || rgen > g_bufgen[nb]);
				g_bufgen[nb] = head_gen;
				/* generations never wrap (GM) */
				assert(head_gen + 1 < GM);
				res = ADVANCED
			:: else -> res = 0              /* CAS failed: retry */
			fi
		};
		if
		:: res == ADVANCED -> break
		:: else -> skip
		fi
	   fi
	od
}

proctype Writer(byte w)
{
	byte i = 0;            /* blocks done */
	byte id, ln, g, o, b, c, res, hg, ho, nb;
	byte fg;               /* generation last found past the end / full */
	byte cg;               /* ghost: generation the claim's fetch_add hit */

next_block:
	atomic {
		/* forget the scratch of the previous block: fewer states */
		ln = 0; g = 0; o = 0; b = 0; c = 0; res = 0;
		hg = 0; ho = 0; nb = 0; fg = 0; cg = 0;
		if
		:: i == NB -> id = 0; goto finished
		:: else -> id = w * NB + i + 1
		fi;
#if LEN_CHOICE
		if
		:: MAXLEN >= 1 -> ln = 1
		:: MAXLEN >= 2 -> ln = 2
		:: MAXLEN >= 3 -> ln = 3
		:: MAXLEN >= 4 -> ln = 4
		fi;
		g_len[id] = ln
#else
		ln = g_len[id]
#endif
	};

claim:	skip;
	/* 1. claim: fetch_add on the offset of the whole head word */
#ifdef BROKEN_NOGEN
	g = head_gen;            /* BROKEN: the generation is read on its own, */
	d_step {                 /* apart from the offset fetch_add            */
		cg = head_gen;
#else
	d_step {
		g = head_gen; cg = head_gen;
#endif
		o = head_off; head_off = head_off + ln;
		assert(head_off < 200);
		b = g % K; c = 0;
		if
		:: o + ln <= CAP ->
			g_state[id] = CLAIMED; g_gen[id] = g; g_off[id] = o;
			g_inside[w] = b + 1
		:: else -> skip
		fi
	};
	if
	:: o + ln <= CAP ->
		/* 2. inside: copy the block, then commit it */
#if COPY_STEPS == 2
		do                                    /* copy, one byte a step */
		:: c < ln ->
			d_step {
				/* property 3: the buffer still holds the
				 * generation the claim landed in */
				assert(g_bufgen[b] == cg);
				cell[b * CAP + o + c] = id;
				c++
			}
		:: else -> break
		od;
#elif COPY_STEPS == 1
		d_step {                              /* copy, one step */
			assert(g_bufgen[b] == cg);        /* property 3 */
			do
			:: c < ln -> cell[b * CAP + o + c] = id; c++
			:: else -> break
			od
		};
#endif
		d_step {
#if COPY_STEPS == 0
			/* copy (plain stores) and commit in one step: nobody
			 * may read the bytes before the commit anyway */
			do
			:: c < ln -> cell[b * CAP + o + c] = id; c++
			:: else -> break
			od;
#endif
			/* fetch_add(committed[b]) */
			assert(g_bufgen[b] == cg);        /* property 3 */
			committed[b] = committed[b] + ln;
			assert(committed[b] <= CAP);
			g_state[id] = COMMITTED;
			g_inside[w] = 0;
			i++
		};
		goto next_block
	:: o <= CAP && o + ln > CAP ->
		/* 3. crossed the end: the unique sealer of generation g */
		d_step {
			assert(seal[b] == 0);
			seal[b] = SEALED | o
		};
		activate_after(g, res, hg, ho, nb);
		if
		:: res == ADVANCED -> goto claim
		:: else -> fg = g; goto on_full
		fi
	:: o > CAP ->
		goto past_end
	fi;

past_end:	skip;
	/* 4. past the end: load head until it is usable again; so at most one
	 * past-end fetch_add per generation */
	d_step { fg = head_gen; ho = head_off };
	if
	:: ho <= CAP -> goto claim
	:: else ->
		activate_after(fg, res, hg, ho, nb);
		if
		:: res == ADVANCED -> goto past_end
		:: else -> goto on_full          /* fg: the generation found full */
		fi
	fi;

on_full:
	/* every buffer busy: the policy decides.  Either may be in force for
	 * any block (dbuf_writer_set_policy() between writes). */
	if
	:: (POLICY == 0 || POLICY == 2 || (POLICY == 3 && w == 0)) ->
	   d_step { g_drops[w]++; g_state[id] = DROPPED; i++ };   /* drop */
	   goto next_block
	:: (POLICY == 1 || POLICY == 2 || (POLICY == 3 && w != 0)) ->
	   /* wait: the poll loop, reduced to blocking until one of the loads
	    * it repeats can read something new (README.md, "Waiting") */
	   (head_gen != fg || free_for[NEXTGEN(fg) % K] == NEXTGEN(fg));
	   goto past_end
	fi;

finished:
	g_ndone++
}

proctype Reader()
{
	byte b, ln, i, id, res, hg, ho, nb, h2g, h2o;
	byte nflush = 0;       /* flushes while writers run (bounded: MAXFLUSH) */

	do
	:: /* next(): the buffer of rgen is sealed and fully committed */
	   d_step {
#ifdef BROKEN_NOCOMMITWAIT
		seal[rgen % K] != 0;
#else
		seal[rgen % K] != 0 && committed[rgen % K] == (seal[rgen % K] & ~SEALED);
#endif
		b = rgen % K;
		ln = seal[b] & ~SEALED;
		assert(g_bufgen[b] == rgen);
		/* property 2: every byte of the chunk holds a committed block
		 * of this generation; property 1: no block twice */
		i = 0;
		do
		:: i < ln ->
			id = cell[b * CAP + i];
			assert(id != 0);
			assert(g_state[id] == COMMITTED);
			assert(g_gen[id] == rgen);
			assert(g_off[id] <= i && i < g_off[id] + g_len[id]);
			if
			:: g_off[id] == i ->
				assert(!g_consumed[id]);
				assert(i + g_len[id] <= ln);
				g_consumed[id] = true
			:: else -> skip
			fi;
			i++
		:: else -> break
		od;
		/* property 1: every block placed in this generation is in the
		 * chunk (none lost in the buffer) */
		i = 1;
		do
		:: i <= NBLK ->
			if
			:: (g_state[i] == CLAIMED || g_state[i] == COMMITTED) && g_gen[i] == rgen ->
				assert(g_consumed[i]);
				g_gen[i] = 0; g_off[i] = 0   /* dead from now on */
			:: else -> skip
			fi;
			i++
		:: else -> break
		od;
		rgen++;
		/* release(rgen - 1), first half: no other thread reads these
		 * two words of a consumed buffer, so both stores are one step */
		assert_nobody_inside(b);                 /* property 3 */
		committed[b] = 0;
		seal[b] = 0;
		i = 0;
		do
		:: i < CAP -> cell[b * CAP + i] = 0; i++
		:: else -> break
		od;
		i = 0; id = 0; ln = 0
	   };
	   /* release, second half: hand the buffer back to the writers */
	   free_for[b] = (rgen - 1 + K) % GM;
	   d_step { h2g = head_gen; h2o = head_off };   /* load head */
	   if
	   :: h2o > CAP -> activate_after(h2g, res, hg, ho, nb)
	   :: else -> skip
	   fi;
	   atomic { b = 0; res = 0; hg = 0; ho = 0; nb = 0; h2g = 0; h2o = 0 }
	:: /* flush(): the load of head found bytes in the active buffer */
	   (0 < head_off && head_off <= CAP && (g_ndone == W || nflush < MAXFLUSH)) ->
	   nflush++;
	   d_step { h2g = head_gen; h2o = head_off; head_off = head_off + CAP + 1 };
	   if
	   :: h2o <= CAP ->
		/* the reader is the sealer (h2o may be 0: an empty chunk) */
		d_step {
			assert(seal[h2g % K] == 0);
			seal[h2g % K] = SEALED | h2o
		};
		activate_after(h2g, res, hg, ho, nb)
	   :: else -> skip
	   fi;
	   atomic { res = 0; hg = 0; ho = 0; nb = 0; h2g = 0; h2o = 0 }
	:: /* closed (every writer returned) and drained */
	   (g_ndone == W && head_gen == rgen && head_off == 0) -> break
	od;

	/* the end: property 1 over the whole run */
	atomic {
		ln = 0;
		i = 1;
		do
		:: i <= NBLK ->
			assert((g_state[i] == COMMITTED && g_consumed[i]) ||
			       (g_state[i] == DROPPED && !g_consumed[i]));
			if
			:: g_state[i] == DROPPED -> ln++
			:: else -> skip
			fi;
			i++
		:: else -> break
		od;
		i = 0;
		do
		:: i < W -> ln = ln - g_drops[i]; i++
		:: else -> break
		od;
		assert(ln == 0);   /* dropped blocks == drops the writers counted */
		i = 0;
		do
		:: i < K -> assert(committed[i] == 0 && seal[i] == 0); i++
		:: else -> break
		od
	}
}

init
{
	atomic {
		byte j = 0;
		do
		:: j < K -> free_for[j] = j; g_bufgen[j] = NONE; j++
		:: else -> break
		od;
		g_bufgen[0] = 0;
		/* fixed lengths: writer 0: 2, 3; writer 1: 1, 2; writer 2: 3, 1
		 * (with NB 2): blocks that fit, fill a buffer exactly, cross
		 * its end; 12 bytes for 2 buffers of 4 */
		j = 1;
		do
		:: j <= NBLK -> g_len[j] = (j % 3) + 1; j++
		:: else -> break
		od;
		j = 0;
		do
		:: j < W -> run Writer(j); j++
		:: else -> break
		od;
		run Reader()
	}
}
