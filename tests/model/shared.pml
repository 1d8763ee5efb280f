/*
 * SPDX-License-Identifier: MIT
 *
 * shared.pml - SPIN model of the lock-free "shared" layout of dbuf:
 * W writers fill one active buffer out of K through a single atomic head
 * word (generation, offset); one reader consumes sealed, fully committed
 * buffers in generation order and recycles them.
 *
 * Check it (tests/model/run-model.sh does all of this in a temp dir):
 *     spin -a shared.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m100000
 * Non-progress cycles (no cycle at all may exist, see README.md):
 *     spin -a shared.pml && gcc -O2 -DNP -o pan pan.c && ./pan -l -m100000
 * Deliberately broken variants (each MUST fail):
 *     spin -DBROKEN_NOGEN -a shared.pml        head does not carry the generation
 *     spin -DBROKEN_NOCOMMITWAIT -a shared.pml  reader does not wait for commits
 *     spin -DBROKEN_NOFREECHECK -a shared.pml   activation does not check free_for
 *
 * Sizes can be changed with -D on the spin command line: W, K, CAP, NB,
 * LEN_CHOICE (0: the fixed lengths below, 1: each block takes any length
 * 1..MAXLEN, chosen nondeterministically), COPY_STEPS (1: one step per byte
 * copied, 0: the whole copy is one step).
 *
 * Every shared variable below is read or written by one Promela statement
 * per C11 atomic operation of the protocol; statements are interleaved with
 * sequential consistency (see README.md for what that leaves out).
 * Variables whose names start with g_ are ghost bookkeeping: the C code has
 * no such thing; they are only read by assertions.
 */

#ifndef W
#define W 3            /* writers */
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
#define MAXLEN 3       /* largest block when LEN_CHOICE is 1 (<= CAP) */
#endif
#ifndef COPY_STEPS
#define COPY_STEPS 1
#endif

/* Generations are kept modulo GM.  GM must stay larger than the number of
 * generations one run can go through (asserted below), so no comparison of
 * generations ever wraps: see README.md, "generation modulo". */
#ifndef GM
#define GM 64
#endif
#define NEXTGEN(g) (((g) + 1) % GM)

#define NBLK (W * NB)  /* block ids are 1..NBLK; 0 means "no block" */
#define SEALED 128     /* seal[b] = SEALED | length, or 0 */
#define NONE 255

/* results of activate_after() */
#define ADVANCED 1
#define FULL 2

/* ghost block states */
#define PENDING 0
#define CLAIMED 1      /* claimed inside a buffer, copy not committed yet */
#define COMMITTED 2
#define DROPPED 3

/* ------------------------------------------------------------ shared state */
byte head_gen = 0;     /* the head word: (gen, off), always updated together */
byte head_off = 0;
byte committed[K];     /* bytes committed in buffer b */
byte seal[K];          /* 0 or SEALED | sealed length */
byte free_for[K];      /* generation buffer b may next be activated as */
byte cell[K * CAP];    /* buffer bytes: id of the block that wrote it */

/* ------------------------------------------------------------------ ghosts */
byte g_cellgen[K * CAP];   /* generation the byte was written in */
byte g_bufgen[K];          /* generation buffer b currently holds (NONE: never) */
byte g_state[NBLK + 1];    /* PENDING, CLAIMED, COMMITTED, DROPPED */
byte g_gen[NBLK + 1];      /* generation the block was placed in */
byte g_off[NBLK + 1];      /* its offset in that buffer */
byte g_len[NBLK + 1];      /* its length */
byte g_consumed[NBLK + 1]; /* times the reader handed it out */
byte g_inside[W];          /* writer w is between claim and commit in buffer
                              g_inside[w]-1 (0: not inside any buffer) */
byte g_drops[W];           /* blocks writer w counted as dropped (full) */
byte g_ndone = 0;          /* writers that returned from their last write */
byte rgen = 0;             /* NOT ghost: the reader's private rgen, global
                              only so that assertions can read it */
bool g_reader_done = false;
byte g_k = 0;              /* scratch, only used inside d_step, left 0 */

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
 * activate_after(g): make generation g+1 the active one, unless another
 * thread already moved head past g (ADVANCED) or buffer (g+1)%K has not been
 * released for generation g+1 yet (FULL).
 * hg/ho/nb are caller locals (scratch); res receives the result.
 */
inline activate_after(g, res, hg, ho, nb)
{
	do
	:: d_step { hg = head_gen; ho = head_off }      /* load head */
	   if
	   :: hg != g -> res = ADVANCED; break
	   :: else ->
		nb = NEXTGEN(g) % K;
#ifndef BROKEN_NOFREECHECK
		if
		:: free_for[nb] != NEXTGEN(g) -> res = FULL; break   /* load free_for */
		:: else -> skip
		fi;
#endif
		d_step {                                 /* CAS(head, h, (g+1, 0)) */
			if
			:: head_gen == hg && head_off == ho ->
				head_gen = NEXTGEN(g); head_off = 0;
				/* property 3: nobody is still inside the buffer
				 * being recycled */
				assert_nobody_inside(nb);
				/* property 1: it was consumed (or never used) */
				assert(g_bufgen[nb] == NONE || rgen > g_bufgen[nb]);
				g_bufgen[nb] = head_gen;
				/* no wrap of the generation counter (GM) */
				assert(head_gen + 1 < GM);
				res = ADVANCED
			:: else -> res = 0                       /* CAS failed: retry */
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
	byte fg;               /* generation of the head last loaded / found full */
	byte cg;               /* ghost: generation the fetch_add landed in */

	do
	:: i == NB -> break
	:: i < NB ->
		id = w * NB + i + 1;
#if LEN_CHOICE
		if
		:: MAXLEN >= 1 -> ln = 1
		:: MAXLEN >= 2 -> ln = 2
		:: MAXLEN >= 3 -> ln = 3
		:: MAXLEN >= 4 -> ln = 4
		fi;
#else
		ln = g_len[id];
#endif
		g_len[id] = ln;
claim:	skip;
		/* 1. claim: fetch_add(head.off, ln) on the whole head word */
#ifdef BROKEN_NOGEN
		g = head_gen;            /* BROKEN: generation read separately ... */
		d_step {                 /* ... from the offset fetch_add */
			cg = head_gen; o = head_off; head_off = head_off + ln;
#else
		d_step {
			g = head_gen; cg = head_gen; o = head_off; head_off = head_off + ln;
#endif
			assert(head_off < 200);
			if
			:: o + ln <= CAP ->
				g_state[id] = CLAIMED; g_gen[id] = g; g_off[id] = o;
				g_inside[w] = g % K + 1
			:: else -> skip
			fi
		};
		if
		:: o + ln <= CAP ->
			/* 2. copy then commit */
			b = g % K;
			c = 0;
#if COPY_STEPS
			do
			:: c < ln ->
				d_step {
					/* property 3: the buffer still holds the
					 * generation the claim landed in */
					assert(g_bufgen[b] == cg);
					cell[b * CAP + o + c] = id;
					g_cellgen[b * CAP + o + c] = g;
					c++
				}
			:: else -> break
			od;
#else
			d_step {
				assert(g_bufgen[b] == cg);
				do
				:: c < ln ->
					cell[b * CAP + o + c] = id;
					g_cellgen[b * CAP + o + c] = g;
					c++
				:: else -> break
				od
			};
#endif
			atomic {                              /* fetch_add(committed) */
				assert(g_bufgen[b] == cg);
				committed[b] = committed[b] + ln;
				assert(committed[b] <= CAP);
				g_state[id] = COMMITTED;
				g_inside[w] = 0
			};
			i++
		:: o <= CAP && o + ln > CAP ->
			/* 3. crossed the end: the unique sealer of generation g */
			assert(seal[g % K] == 0);
			seal[g % K] = SEALED | o;
			activate_after(g, res, hg, ho, nb);
			if
			:: res == ADVANCED -> goto claim
			:: else -> fg = g; goto on_full
			fi
		:: o > CAP ->
			goto pastend
		fi;
		goto next_block;

pastend:	skip;
		/* 4. past the end: only load head until it is usable; at most
		 * one past-end fetch_add per generation */
		d_step { fg = head_gen; ho = head_off };
		if
		:: ho <= CAP -> goto claim
		:: else ->
			activate_after(fg, res, hg, ho, nb);
			if
			:: res == ADVANCED -> goto pastend
			:: else -> goto on_full    /* fg: the generation found full */
			fi
		fi;

on_full:
		/* every buffer busy: the policy decides (either may be in force,
		 * the writer may switch policy between blocks) */
		if
		:: d_step { g_drops[w]++; g_state[id] = DROPPED }; i++   /* drop */
		:: /* wait: the busy poll loop, reduced to waiting until one of
		    * the loads it repeats can see something new */
		   (head_gen != fg || free_for[NEXTGEN(fg) % K] == NEXTGEN(fg));
		   goto pastend
		fi;
next_block:
		/* forget the scratch of this block (fewer distinct states) */
		atomic { id = 0; ln = 0; g = 0; o = 0; b = 0; c = 0; res = 0;
			 hg = 0; ho = 0; nb = 0; fg = 0; cg = 0 }
	od;
	g_ndone++
}

proctype Reader()
{
	byte b, ln, i, id, res, hg, ho, nb, h2g, h2o;

	do
	:: /* next(): the buffer of rgen is sealed and fully committed */
#ifdef BROKEN_NOCOMMITWAIT
	   (seal[rgen % K] != 0) ->
#else
	   (seal[rgen % K] != 0 && committed[rgen % K] == (seal[rgen % K] & ~SEALED)) ->
#endif
		d_step {
			b = rgen % K;
			ln = seal[b] & ~SEALED;
			assert(g_bufgen[b] == rgen);
			/* property 2: every byte of the chunk was committed in
			 * this generation; property 1: no block twice */
			i = 0;
			do
			:: i < ln ->
				id = cell[b * CAP + i];
				assert(id != 0);
				assert(g_cellgen[b * CAP + i] == rgen);
				assert(g_state[id] == COMMITTED);
				assert(g_gen[id] == rgen);
				assert(g_off[id] <= i && i < g_off[id] + g_len[id]);
				if
				:: g_off[id] == i ->
					assert(g_consumed[id] == 0);
					assert(i + g_len[id] <= ln);
					g_consumed[id] = 1
				:: else -> skip
				fi;
				i++
			:: else -> break
			od;
			/* property 1: every block placed in this generation
			 * is in the chunk */
			i = 1;
			do
			:: i <= NBLK ->
				assert(!((g_state[i] == CLAIMED || g_state[i] == COMMITTED)
					 && g_gen[i] == rgen) || g_consumed[i] == 1);
				i++
			:: else -> break
			od;
			rgen++;
			i = 0; id = 0
		};
		/* release(rgen - 1) */
		d_step {
			/* property 3: no writer is still inside it */
			assert_nobody_inside(b);
			committed[b] = 0
		};
		seal[b] = 0;
		free_for[b] = (rgen - 1 + K) % GM;
		d_step { h2g = head_gen; h2o = head_off };   /* load head */
		if
		:: h2o > CAP -> activate_after(h2g, res, hg, ho, nb)
		:: else -> skip
		fi;
		b = 0; ln = 0; res = 0; hg = 0; ho = 0; nb = 0; h2g = 0; h2o = 0
	:: /* flush(): there is something in the active buffer */
	   (0 < head_off && head_off <= CAP) ->
		d_step { h2g = head_gen; h2o = head_off; head_off = head_off + CAP + 1 };
		if
		:: h2o <= CAP ->
			/* the reader is the sealer (h2o may be 0: an empty chunk) */
			assert(seal[h2g % K] == 0);
			seal[h2g % K] = SEALED | h2o;
			activate_after(h2g, res, hg, ho, nb)
		:: else -> skip
		fi;
		h2g = 0; h2o = 0; res = 0; hg = 0; ho = 0; nb = 0
	:: /* closed and drained */
	   (g_ndone == W && head_gen == rgen && head_off == 0) -> break
	od;

	/* the end: property 1 in full */
	atomic {
		i = 1; ln = 0;
		do
		:: i <= NBLK ->
			assert((g_state[i] == COMMITTED && g_consumed[i] == 1) ||
			       (g_state[i] == DROPPED && g_consumed[i] == 0));
			if
			:: g_state[i] == DROPPED -> ln++
			:: else -> skip
			fi;
			i++
		:: else -> break
		od;
		g_k = 0;
		do
		:: g_k < W -> ln = ln - g_drops[g_k]; g_k++
		:: else -> break
		od;
		g_k = 0;
		assert(ln == 0);   /* dropped blocks == drops the writers counted */
		g_reader_done = true
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
		/* fixed block lengths (LEN_CHOICE 0): mixed sizes so that
		 * blocks fit, fill a buffer exactly and cross its end */
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
