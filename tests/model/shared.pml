/*
 * SPDX-License-Identifier: MIT
 *
 * shared.pml - SPIN model of the lock-free "shared" layout of dbuf:
 * W writers fill one active buffer out of K through a single atomic head
 * word (generation, offset); one reader consumes sealed, fully committed
 * buffers in generation order and recycles them.
 *
 * tests/model/run-model.sh runs the checks in a temporary directory:
 *   safety (assertions + invalid end states), for example:
 *     spin -a shared.pml && gcc -O2 -DSAFETY -DCOLLAPSE -o pan pan.c && ./pan -m200000
 *   non-progress cycles (the model has no cycle at all, see README.md):
 *     spin -a shared.pml && gcc -O2 -DNP -DCOLLAPSE -o pan pan.c && ./pan -l -m200000
 *   deliberately broken variants, each of which MUST fail:
 *     spin -DBROKEN_NOGEN -a shared.pml         head does not carry the generation
 *     spin -DBROKEN_NOCOMMITWAIT -a shared.pml  reader does not wait for commits
 *     spin -DBROKEN_NOFREECHECK -a shared.pml   activation ignores free_for
 *
 * The workload is set with -D options of spin, see the defaults below:
 * W, K, CAP, NB0/NB1/NB2 (blocks of writer 0/1/2), LEN_CHOICE, MAXLEN,
 * COPY_STEPS, MAXFLUSH, POLICY, GM.
 *
 * Granularity: every shared access of the protocol (one C11 atomic load,
 * store, fetch_add or CAS, or the plain copy of a block) is one transition
 * of its own; the local computation that follows it (a comparison, a
 * branch) is folded into that transition with atomic/d_step, since no other
 * thread can observe it.  Transitions interleave under sequential
 * consistency.  README.md lists the two places where two stores were folded
 * together and why that loses no behaviour.
 * Names starting with g_ are ghost bookkeeping: the C code has no such
 * thing; only the assertions read them.
 */

/* ------------------------------------------------------------- workload */
#ifndef W
#define W 3            /* writers, 1..3 */
#endif
#ifndef K
#define K 2            /* buffers */
#endif
#ifndef CAP
#define CAP 4          /* bytes per buffer */
#endif
#ifndef NB0            /* blocks written by writer 0, 1, 2 */
#define NB0 1
#endif
#ifndef NB1
#define NB1 1
#endif
#ifndef NB2
#define NB2 1
#endif
#ifndef LEN_CHOICE     /* 0: block id j has length LENOF(j) (2, 3, 1, 2, ...); */
#define LEN_CHOICE 0   /* 1: every block takes any length 1..MAXLEN          */
#endif
#ifndef MAXLEN
#define MAXLEN 3       /* 1..4, <= CAP */
#endif
#ifndef COPY_STEPS     /* 0: copy and commit are one transition (the bytes   */
#define COPY_STEPS 1   /*    are private until the commit); 1: copy, commit;  */
#endif                 /* 2: one transition per byte copied, then commit      */
#ifndef MAXFLUSH
#define MAXFLUSH 255   /* flushes before close; 255: no bound */
#endif
#ifndef POLICY         /* on full: 0 drop, 1 wait, 2 either (the writer may   */
#define POLICY 2       /* switch policy between writes: chosen at each full    */
#endif                 /* event), 3 writer 0 drops and the others wait          */
/* Generations are kept modulo GM.  GM must be larger than the number of
 * generations a run goes through (asserted at every activation), so that no
 * comparison of generations sees a wrapped value: README.md, "Generations". */
#ifndef GM
#define GM 64
#endif

#define NEXTGEN(g) (((g) + 1) % GM)
#define LENOF(id) (((id) % 3) + 1)   /* fixed lengths: 2, 3, 1, 2, 3, 1 */
#define NBOF(w) ((w) == 0 -> NB0 : ((w) == 1 -> NB1 : NB2))
#define BASE(w) ((w) == 0 -> 0 : ((w) == 1 -> NB0 : NB0 + NB1))
#if W == 1
#define NBLK (NB0)     /* block ids are 1..NBLK; 0 means "no block" */
#elif W == 2
#define NBLK (NB0 + NB1)
#else
#define NBLK (NB0 + NB1 + NB2)
#endif
#define SEALED 128     /* seal[b] is 0 or SEALED | sealed length */
#define NONE 255

#define MAY_DROP(w) (POLICY == 0 || POLICY == 2 || (POLICY == 3 && (w) == 0))
#define MAY_WAIT(w) (POLICY == 1 || POLICY == 2 || (POLICY == 3 && (w) != 0))

/* ghost block states */
#define PENDING 0
#define CLAIMED 1      /* claimed inside a buffer, not committed yet */
#define COMMITTED 2
#define DROPPED 3      /* refused: buffers full, drop policy */

/* ----------------------------------------------------------- shared state */
byte head_gen = 0;     /* the head word (gen, off): one atomic; every */
byte head_off = 0;     /* transition reads or writes both at once     */
byte committed[K];     /* bytes committed in buffer b */
byte seal[K];          /* 0, or SEALED | length */
byte free_for[K];      /* the generation buffer b may next be activated as */
byte cell[K * CAP];    /* the bytes: id of the block written there (0: none);
                          cleared when the buffer is released (README.md) */
byte rgen = 0;         /* the reader's private next generation; global only
                          so that the assertions can read it */

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
 * ACTIVATE_AFTER(g, ADV, FUL): make generation g+1 the active one.  Goes to
 * label ADV when head is past g (another thread moved it, or this CAS did),
 * to label FUL when buffer (g+1)%K is not yet released for generation g+1.
 * g must be a local that does not change meanwhile; hg, ho, nb are scratch
 * locals of the caller.  (A cpp macro, not an inline: it jumps to labels.)
 * Three transitions: load head; load free_for[(g+1)%K]; CAS(head, h, (g+1, 0)).
 */
#ifdef BROKEN_NOFREECHECK
#define CHECK_FREE(g, FUL)  /* BROKEN: free_for is not read */
#else
#define CHECK_FREE(g, FUL) \
	   atomic { \
		if \
		:: free_for[nb] != NEXTGEN(g) -> goto FUL \
		:: else -> skip \
		fi \
	   };
#endif
#define ACTIVATE_AFTER(g, ADV, FUL) \
	do \
	:: atomic { \
		hg = head_gen; ho = head_off; nb = NEXTGEN(g) % K; \
		if \
		:: hg != g -> goto ADV \
		:: else -> skip \
		fi \
	   }; \
	   CHECK_FREE(g, FUL) \
	   atomic { \
		if \
		:: head_gen == hg && head_off == ho -> \
			head_gen = NEXTGEN(g); head_off = 0; \
			activated(nb); \
			goto ADV \
		:: else -> skip \
		fi \
	   } \
	od

/* ghost part of a successful activation CAS: buffer nb now holds head_gen */
inline activated(nb)
{
	/* property 3: no writer is inside the buffer being recycled */
	assert_nobody_inside(nb);
	/* property 1: its previous generation was consumed (or it was never
	 * used) */
	assert(g_bufgen[nb] == NONE || rgen > g_bufgen[nb]);
	g_bufgen[nb] = head_gen;
	assert(head_gen + 1 < GM);   /* generations never wrap */
}

/* The copy (plain stores) of block id into buffer b at o, as one step. */
inline copy_block()
{
	assert(g_bufgen[b] == cg);                  /* property 3 */
	do
	:: c < ln -> cell[b * CAP + o + c] = id; c++
	:: else -> break
	od
}

proctype Writer(byte w)
{
	byte i = 0;            /* blocks done */
	byte id, ln, g, o, b, c, hg, ho, nb;
	byte fg;               /* generation found past the end / full */
	byte cg;               /* ghost: generation the claim's fetch_add hit */

next_block:
	atomic {
		/* forget the scratch of the previous block: fewer states */
		ln = 0; g = 0; o = 0; b = 0; c = 0; hg = 0; ho = 0; nb = 0;
		fg = 0; cg = 0;
		if
		:: i == NBOF(w) -> id = 0; goto finished
		:: else -> id = BASE(w) + i + 1
		fi;
#if LEN_CHOICE
		if
		:: MAXLEN >= 1 -> ln = 1
		:: MAXLEN >= 2 -> ln = 2
		:: MAXLEN >= 3 -> ln = 3
		:: MAXLEN >= 4 -> ln = 4
		fi
#else
		ln = LENOF(id)
#endif
	};

claim:
#ifdef BROKEN_NOGEN
	/* BROKEN: the generation (active index) is loaded on its own, apart
	 * from the fetch_add on the offset */
	g = head_gen;
#endif
	atomic {                        /* 1. fetch_add(head.off, ln) */
#ifndef BROKEN_NOGEN
		g = head_gen;
#endif
		cg = head_gen;
		o = head_off; head_off = head_off + ln;
		assert(head_off < 200);
		b = g % K; c = 0; g_len[id] = ln;
		if
		:: o + ln <= CAP ->
			g_state[id] = CLAIMED; g_gen[id] = g; g_off[id] = o;
			g_inside[w] = b + 1
		:: o <= CAP && o + ln > CAP -> goto crossed
		:: o > CAP -> goto past_end
		fi
	};

	/* 2. inside [o, o+ln) of buffer b: copy the block, then commit */
#if COPY_STEPS == 2
	do
	:: d_step {                     /* copy one byte */
		c < ln;
		assert(g_bufgen[b] == cg);  /* property 3 */
		cell[b * CAP + o + c] = id;
		c++
	   }
	:: c == ln -> break
	od;
#elif COPY_STEPS == 1
	d_step { copy_block() };        /* copy */
#endif
	atomic {
#if COPY_STEPS == 0
		copy_block();
#endif
		/* fetch_add(committed[b], ln) */
		assert(g_bufgen[b] == cg);  /* property 3 */
		committed[b] = committed[b] + ln;
		assert(committed[b] <= CAP);
		g_state[id] = COMMITTED;
		g_inside[w] = 0;
		i++;
		goto next_block
	};

crossed:
	/* 3. crossed the end: the unique sealer of generation g */
	atomic {
		assert(seal[b] == 0);
		seal[b] = SEALED | o;
		fg = g
	};
	ACTIVATE_AFTER(g, claim, on_full);

past_end:
	/* 4. past the end: load head until it is usable again, so at most one
	 * past-end fetch_add per generation */
	atomic {
		fg = head_gen; ho = head_off;
		if
		:: ho <= CAP -> goto claim
		:: else -> skip
		fi
	};
	ACTIVATE_AFTER(fg, past_end, on_full);

on_full:
	/* every buffer is busy (generation fg is active and full) */
	if
	:: MAY_DROP(w) ->
		atomic { g_drops[w]++; g_state[id] = DROPPED; i++; goto next_block }
	:: MAY_WAIT(w) ->
		/* the wait policy's poll loop, reduced to blocking until one of
		 * the loads it repeats reads something new (README.md) */
		atomic {
			head_gen != fg || free_for[NEXTGEN(fg) % K] == NEXTGEN(fg);
			goto past_end
		}
	fi;

finished:
	g_ndone++
}

proctype Reader()
{
	byte b, ln, i, id, hg, ho, nb, h2g, h2o;
#if MAXFLUSH < 255
	byte nflush = 0;       /* flushes before close */
#endif

reader_loop:
	do
	:: /* next(): the buffer of rgen is sealed and fully committed.
	    * Then release(), first half (README.md: why one transition). */
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
		 * chunk: none is lost inside a buffer */
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
		rgen = NEXTGEN(rgen);
		/* release(rgen - 1): committed[b] = 0; seal[b] = 0 */
		assert_nobody_inside(b);            /* property 3 */
		committed[b] = 0;
		seal[b] = 0;
		i = 0;
		do
		:: i < CAP -> cell[b * CAP + i] = 0; i++
		:: else -> break
		od;
		i = 0; id = 0; ln = 0
	   };
	   /* release, second half: hand the buffer to the writers, then
	    * activate the next generation for writers that found it full */
	   free_for[b] = (rgen - 1 + K) % GM;
	   atomic {                                 /* load head */
		h2g = head_gen; h2o = head_off;
		if
		:: h2o <= CAP -> goto reader_idle
		:: else -> skip
		fi
	   };
	   ACTIVATE_AFTER(h2g, reader_idle, reader_idle)
	:: /* flush(): the load of head found bytes in the active buffer */
	   atomic {
#if MAXFLUSH < 255
		0 < head_off && head_off <= CAP && (g_ndone == W || nflush < MAXFLUSH);
		nflush++
#else
		0 < head_off && head_off <= CAP
#endif
	   };
	   atomic {                                 /* fetch_add(head.off, CAP+1) */
		h2g = head_gen; h2o = head_off; head_off = head_off + CAP + 1;
		assert(head_off < 200);
		if
		:: h2o > CAP -> goto reader_idle
		:: else -> skip
		fi
	   };
	   /* the reader is the sealer (h2o may be 0: an empty chunk) */
	   atomic {
		assert(seal[h2g % K] == 0);
		seal[h2g % K] = SEALED | h2o
	   };
	   ACTIVATE_AFTER(h2g, reader_idle, reader_idle)
	:: /* closed (every writer returned) and drained */
	   atomic {
		g_ndone == W && head_gen == rgen && head_off == 0;
		goto reader_end
	   }
	od;

reader_idle:
	atomic {
		/* forget the scratch of the last call: fewer states */
		b = 0; hg = 0; ho = 0; nb = 0; h2g = 0; h2o = 0;
		goto reader_loop
	};

reader_end:
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
		j = 0;
		do
		:: j < W -> run Writer(j); j++
		:: else -> break
		od;
		run Reader()
	}
}
