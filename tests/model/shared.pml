/*
 * SPDX-License-Identifier: MIT
 *
 * shared.pml - SPIN model of the lock-free "shared" layout of dbuf
 * (src/buffer/shared.c, docs/DESIGN.md section 3): W writers fill one active
 * buffer out of K through a single atomic head word (generation, offset);
 * one reader consumes sealed, fully committed buffers in generation order,
 * holds up to K of them, and recycles them.  README.md in this directory
 * states the properties, the abstractions and the limits.
 *
 * tests/model/run-model.sh runs every check in a temporary directory, e.g.
 *   safety (assertions and invalid end states):
 *     spin -a shared.pml && gcc -O2 -DSAFETY -DCOLLAPSE -o pan pan.c && ./pan -m200000 -w26
 *   no cycle at all (non-progress cycle search without progress labels):
 *     spin -DNB0=1 -a shared.pml && gcc -O2 -DNP -DCOLLAPSE -o pan pan.c && ./pan -l -m200000
 *   deliberately broken variants, each of which MUST fail:
 *     spin -DBROKEN_NOGEN -a shared.pml         head does not carry the generation
 *     spin -DBROKEN_NOCOMMITWAIT -a shared.pml  reader does not wait for the commits
 *     spin -DBROKEN_NOFREECHECK -a shared.pml   activation ignores free_for
 *     spin -DBROKEN_NOSTUCK -a shared.pml       a writer that dropped a block after
 *                                               a past-end claim claims again at once
 *   reachability probes, each of which MUST fail: spin -DPROBE=1 .. 10
 *
 * The workload is set with -D options of spin (defaults below): W, K, CAP,
 * NB0/NB1/NB2 (blocks of writer 0/1/2), LEN_CHOICE, MAXLEN, COPY_STEPS,
 * MAXFLUSH, POLICY, GM.
 *
 * Granularity: each shared access of the C code (one C11 atomic load,
 * store, fetch_add or CAS, or the plain copy of a block) is one transition;
 * the local work that follows it (a comparison, a branch) is folded into it
 * with atomic/d_step, as no other thread can see it.  Transitions
 * interleave under sequential consistency.  Three places fold more, and
 * README.md ("Abstractions") says why no behaviour is lost: next()'s loads,
 * release()'s two resets, and the wait policy's poll loop.
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
#define NB0 2
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
#define MAXFLUSH 1     /* flushes before close (after: no bound); 255: no bound */
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

/*
 * Reachability probes (README.md, "Probes").  With -DPROBE=n, probe n
 * asserts that its situation never happens, and the check must FAIL: that
 * shows the situation is reachable, so the assertions above are not
 * vacuously true.  With PROBE 0 (the default) every probe is inert.
 *   1 the reader finds the next buffer sealed but not fully committed,
 *     while a writer is between claim and commit in it (stalled reader)
 *   2 the active generation is sealed while a writer is still between
 *     claim and commit in an older generation (a stale writer)
 *   3 an activation finds every buffer busy while a writer is still inside
 *     the buffer that would be recycled next
 *   4 a claim lands past the end of the buffer (a past-end fetch_add)
 *   5 an activation CAS fails (head changed between load and CAS)
 *   6 a block is dropped (drop policy)
 *   7 a writer that waited for a free buffer then commits its block
 *   8 the reader consumes an empty chunk (a flush that lost the race)
 *   9 a writer that dropped a block after a past-end claim starts its next
 *     block with loads, not with a claim (w->stuck)
 *  10 the reader takes a chunk while it still holds the previous one
 */
#ifndef PROBE
#define PROBE 0
#endif
#define REACH(n, cond) assert(PROBE != (n) || !(cond))

/*
 * GUARD: the assertions that watch the protocol from inside (property 3 and
 * the ghost bookkeeping of activations).  -DONLY_END_TO_END turns them off,
 * leaving the reader's checks (properties 1 and 2), the end of the run and
 * deadlocks: run-model.sh shows that every broken variant still fails then.
 */
#ifdef ONLY_END_TO_END
#define GUARD(x) skip
#else
#define GUARD(x) assert(x)
#endif

/* property 5: bound of the offset in the head word (README.md): below
 * offset CAP, then one sealing claim, at most one more claim per writer and
 * the reader's flush (CAP + 1); MAXL: the longest block */
#if LEN_CHOICE
#define MAXL MAXLEN
#else
#define MAXL 3
#endif
#define MAXOFF (2 * CAP + 1 + W * MAXL)

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
byte rgen = 0;         /* the reader's private next generation, and the */
byte held = 0;         /* number of chunks it holds (not released yet):  */
                       /* global only so that the assertions can read them */

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
byte g_wgen[W];            /* generation writer w claimed in (while inside) */
byte g_nofit[W];           /* 1 + generation of writer w's last claim that
                              did not fit, until it loads a later generation
                              or claims a block that fits (else 0) */
bool g_waited[W];          /* probe 7 only: writer w waited for this block */
byte g_k = 0;              /* scratch of d_steps, always left 0 */
bool g_f = false;          /* scratch of d_steps, always left false */

/* g_f = some writer is inside buffer bb (and, if stale, in a generation
 * other than the active one) */
inline someone_inside(bb, stale)
{
	g_k = 0;
	do
	:: g_k < W ->
		g_f = g_f || (g_inside[g_k] == bb + 1 && (!stale || g_wgen[g_k] != head_gen));
		g_k++
	:: else -> break
	od;
	g_k = 0
}

/* probes 1-3: "some writer is inside buffer bb"; nothing unless -DPROBE=n */
#define INSIDE_PROBE(n, bb, stale) someone_inside(bb, stale); REACH(n, g_f); g_f = false
#if PROBE == 1
#define PROBE1_INSIDE(bb) INSIDE_PROBE(1, bb, false)
#else
#define PROBE1_INSIDE(bb) skip
#endif
#if PROBE == 2
#define PROBE2_STALE(bb) INSIDE_PROBE(2, bb, true)
#else
#define PROBE2_STALE(bb) skip
#endif
#if PROBE == 3
#define PROBE3_INSIDE(bb) INSIDE_PROBE(3, bb, false)
#else
#define PROBE3_INSIDE(bb) skip
#endif

/* property 3: no writer is between claim and commit in buffer bb */
inline assert_nobody_inside(bb)
{
	g_k = 0;
	do
	:: g_k < W -> GUARD(g_inside[g_k] != bb + 1); g_k++
	:: else -> break
	od;
	g_k = 0
}

/*
 * ACTIVATE_AFTER(g, ADV, FUL): activate_after() of src/buffer/shared.c, a
 * cpp macro since it jumps: to label ADV when head is no longer at
 * generation g (another thread moved it, or our CAS did), to label FUL when
 * buffer (g+1)%K is not yet released for generation g+1.  g must be a local
 * that does not change meanwhile; hg, ho, nb are scratch locals of the
 * caller.  Transitions: load head; then per round: load free_for[(g+1)%K],
 * CAS(head, h, (g+1, 0)) (a failed CAS returns the current head in h).
 */
#ifdef BROKEN_NOFREECHECK
#define CHECK_FREE(g, FUL)  /* BROKEN: free_for is not read */
#else
#define CHECK_FREE(g, FUL) \
	   atomic { \
		if \
		:: free_for[nb] != NEXTGEN(g) -> \
			PROBE3_INSIDE(nb); \
			goto FUL \
		:: else -> skip \
		fi \
	   };
#endif
#define ACTIVATE_AFTER(g, ADV, FUL) \
	atomic { \
		hg = head_gen; ho = head_off; nb = NEXTGEN(g) % K; \
		if \
		:: hg != g -> goto ADV \
		:: else -> skip \
		fi \
	}; \
	do \
	:: CHECK_FREE(g, FUL) \
	   atomic { \
		if \
		:: head_gen == hg && head_off == ho -> \
			head_gen = NEXTGEN(g); head_off = 0; \
			activated(nb); \
			goto ADV \
		:: else -> \
			REACH(5, true); \
			hg = head_gen; ho = head_off; \
			if \
			:: hg != g -> goto ADV \
			:: else -> skip \
			fi \
		fi \
	   } \
	od

/* ghost part of a successful activation CAS: buffer nb now holds head_gen */
inline activated(nb)
{
	/* property 3: no writer is inside the buffer being recycled */
	assert_nobody_inside(nb);
	/* property 1: its previous generation was consumed and released (or
	 * it was never used) */
	GUARD(g_bufgen[nb] == NONE || g_bufgen[nb] + held < rgen);
	g_bufgen[nb] = head_gen;
	assert(head_gen + 1 < GM);   /* generations never wrap */
}

/* The copy (plain stores) of block id into buffer b at o, as one step. */
inline copy_block()
{
	GUARD(g_bufgen[b] == cg);                   /* property 3 */
	do
	:: c < ln -> cell[b * CAP + o + c] = id; c++
	:: else -> break
	od
}

/*
 * A writer: dbuf_reserve() (claim, and wait_open() when the claim did not
 * fit), the copy, dbuf_commit(); NBOF(w) blocks, then it returns.
 */
proctype Writer(byte w)
{
	byte i = 0;            /* blocks done */
	byte id, ln, g, o, b, c, hg, ho, nb;
	byte wg;               /* wait_open(): the generation we wait to leave */
	bool stuck = false;    /* w->stuck: our last claim went past the end of */
	byte sg = 0;           /* w->stuck_gen, and we returned (dropped) since  */
	byte cg;               /* ghost: generation the claim's fetch_add hit */

next_block:
	atomic {
		/* forget the scratch of the previous block: fewer states */
		ln = 0; g = 0; o = 0; b = 0; c = 0; hg = 0; ho = 0; nb = 0;
		wg = 0; cg = 0;
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
		fi;
#else
		ln = LENOF(id);
#endif
		/* dbuf__sh_reserve(): load before claiming again when stuck */
		if
#ifdef BROKEN_NOSTUCK
		:: stuck -> REACH(9, true); stuck = false; sg = 0  /* BROKEN: claims at once */
#else
		:: stuck -> REACH(9, true); wg = sg; goto wait_open
#endif
		:: else -> skip
		fi
	};

claim:
#ifdef BROKEN_NOGEN
	/* BROKEN: the generation (active index) is loaded on its own, apart
	 * from the fetch_add on the offset */
	g = head_gen;
#endif
	atomic {                        /* h = fetch_add(head, ln) */
#ifndef BROKEN_NOGEN
		g = head_gen;
#endif
		cg = head_gen;
		o = head_off; head_off = head_off + ln;
		assert(head_off <= MAXOFF);         /* property 5 */
		b = g % K; c = 0; g_len[id] = ln;
		if
		:: o + ln <= CAP ->
			g_state[id] = CLAIMED; g_gen[id] = g; g_off[id] = o;
			g_inside[w] = b + 1; g_wgen[w] = cg; g_nofit[w] = 0
		:: else ->
			/* property 5: one claim that does not fit per writer
			 * and generation */
			GUARD(g_nofit[w] != cg + 1);
			g_nofit[w] = cg + 1;
			if
			:: o <= CAP -> goto crossed
			:: else -> REACH(4, true); wg = g; goto wait_open
			fi
		fi
	};

	/* it fits: copy into [o, o+ln) of buffer b, then commit */
#if COPY_STEPS == 2
	do
	:: d_step {                     /* copy one byte */
		c < ln;
		GUARD(g_bufgen[b] == cg);   /* property 3 */
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
		/* dbuf__sh_commit(): fetch_add(committed[b], ln) */
		GUARD(g_bufgen[b] == cg);   /* property 3 */
		committed[b] = committed[b] + ln;
		assert(committed[b] <= CAP);
		g_state[id] = COMMITTED;
		g_inside[w] = 0; g_wgen[w] = 0;
		REACH(7, g_waited[w]); g_waited[w] = false;
		i++;
		goto next_block
	};

crossed:
	/* our claim covers offset CAP: seal(g, o), the unique sealer of g */
	atomic {
		assert(seal[b] == 0);               /* property 6 */
		seal[b] = SEALED | o;
		wg = g;
		PROBE2_STALE(1 - b)
	};
	ACTIVATE_AFTER(g, wait_open, wait_open);    /* result ignored */

wait_open:
	/* wait_open(wg): only loads (and activates) until head leaves wg with
	 * room, so at most one past-end claim per writer and generation */
	atomic {                        /* h = load head */
		hg = head_gen; ho = head_off;
		if  /* ghost: head left the generation of our last no-fit claim */
		:: g_nofit[w] != 0 && g_nofit[w] != hg + 1 -> g_nofit[w] = 0
		:: else -> skip
		fi;
		if
		:: hg != wg && ho <= CAP ->
			stuck = false; sg = 0;
			g_nofit[w] = 0;   /* our next claim is in a later generation */
			goto claim
		:: else -> skip
		fi;
		wg = hg;
		/* "same gen, reopened? impossible: offsets grow" */
		assert(ho > CAP);                   /* property 5 */
		hg = 0; ho = 0
	};
	ACTIVATE_AFTER(wg, wait_open, on_full);

on_full:
	/* every buffer is busy (generation wg is active and full):
	 * dbuf__full() */
	if
	:: MAY_DROP(w) ->
		atomic {
			REACH(6, true);
			stuck = true; sg = wg;
			g_drops[w]++; g_state[id] = DROPPED; i++;
			g_waited[w] = false;
			goto next_block
		}
	:: MAY_WAIT(w) ->
		/* the wait policy's poll loop, reduced to blocking until one of
		 * the loads it repeats reads something new (README.md) */
		atomic {
			head_gen != wg || free_for[NEXTGEN(wg) % K] == NEXTGEN(wg);
			g_waited[w] = (PROBE == 7);
			goto wait_open
		}
	fi;

finished:
	atomic { g_ndone++; g_nofit[w] = 0 }
}

/*
 * The reader: dbuf_reader_next(), dbuf_reader_release() (of the oldest chunk
 * held: it may hold up to K), dbuf_reader_flush(), in any order, and at the
 * end the drain.
 */
proctype Reader()
{
	byte b, ln, i, id, hg, ho, nb, h2g, h2o, rg;
#if MAXFLUSH < 255
	byte nflush = 0;       /* flushes before close */
#endif

reader_loop:
	do
	:: /* next(): buffer rgen % K is ours again (free_for == rgen: we
	    * released generation rgen - K), sealed, and fully committed */
	   d_step {
		free_for[rgen % K] == rgen &&
#ifdef BROKEN_NOCOMMITWAIT
		seal[rgen % K] != 0;
#else
		seal[rgen % K] != 0 && committed[rgen % K] == (seal[rgen % K] & ~SEALED);
#endif
		b = rgen % K;
		ln = seal[b] & ~SEALED;
		GUARD(g_bufgen[b] == rgen);
		REACH(8, ln == 0);
		REACH(10, held > 0);
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
		held++;
		b = 0; i = 0; id = 0; ln = 0
	   }
	:: /* release() of the oldest chunk held, generation rg */
	   d_step {
		held > 0;
		rg = (rgen + GM - held) % GM;
		b = rg % K;
		/* committed[b] = 0; seal[b] = 0: one transition, as no other
		 * thread reads or writes either word now (README.md) */
		assert_nobody_inside(b);            /* property 3 */
		committed[b] = 0;
		seal[b] = 0;
		i = 0;
		do
		:: i < CAP -> cell[b * CAP + i] = 0; i++
		:: else -> break
		od;
		i = 0;
		held--
	   };
	   /* hand the buffer to the writers ... */
	   free_for[b] = (rg + K) % GM;
	   /* ... and open the next generation if writers are stuck behind it */
	   atomic {                                 /* h = load head */
		h2g = head_gen; h2o = head_off;
		if
		:: h2o <= CAP -> goto reader_idle
		:: else -> skip
		fi
	   };
	   ACTIVATE_AFTER(h2g, reader_idle, reader_idle)
	:: /* flush() (also what next() does after close): the load of head
	    * found bytes in the active buffer */
	   atomic {
#if MAXFLUSH < 255
		0 < head_off && head_off <= CAP && (g_ndone == W || nflush < MAXFLUSH);
		if
		:: nflush < MAXFLUSH -> nflush++
		:: else -> skip
		fi
#else
		0 < head_off && head_off <= CAP
#endif
	   };
	   atomic {                                 /* fetch_add(head, CAP+1) */
		h2g = head_gen; h2o = head_off; head_off = head_off + CAP + 1;
		assert(head_off <= MAXOFF);         /* property 5 */
		if
		:: h2o > CAP -> goto reader_idle
		:: else -> skip
		fi
	   };
	   /* the reader is the sealer (h2o may be 0: an empty chunk) */
	   atomic {
		assert(seal[h2g % K] == 0);         /* property 6 */
		seal[h2g % K] = SEALED | h2o;
		PROBE2_STALE(1 - h2g % K)
	   };
	   ACTIVATE_AFTER(h2g, reader_idle, reader_idle)
#if PROBE == 1
	:: d_step {
		seal[rgen % K] != 0 && committed[rgen % K] != (seal[rgen % K] & ~SEALED);
		PROBE1_INSIDE(rgen % K)
	   }
#endif
	:: /* closed (every writer returned), drained, all chunks released */
	   atomic {
		g_ndone == W && held == 0 && head_gen == rgen && head_off == 0;
		goto reader_end
	   }
	od;

reader_idle:
	atomic {
		/* forget the scratch of the last call: fewer states */
		b = 0; hg = 0; ho = 0; nb = 0; h2g = 0; h2o = 0; rg = 0;
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
