#!/bin/bash
# Writer threads make no system call in steady state: their strace holds only thread start and exit.
# usage: no-syscalls.sh DBCAP VERIFY [SANITIZE]
#   SANITIZE: meson's b_sanitize ("none", "address,undefined", "thread"): a
#   sanitizer's runtime adds calls of its own at thread start and exit.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 SANITIZE=${3:-none}
need "$STRACE" "$PYTHON"
e2e_init

# Thread start and exit as glibc does them: rseq, set_robust_list,
# rt_sigprocmask (twice), gettid (the tid for the statistics), madvise (the
# stack freed) and exit: 7.  A futex may join them at exit.
# SLACK: how many more calls the run with twice the blocks may show.
LIMIT=15 PER_NAME=4 SLACK=2
if [[ $SANITIZE != none ]]; then
	# ASan and TSan set up and tear down a thread with mmap, munmap, madvise,
	# sigaltstack, sched_getaffinity, and TSan's internal locks add a few
	# futex calls that vary from run to run (seen: 20-25 calls in all).
	# Still nothing per block, which the doubling below checks.
	LIMIT=100 PER_NAME=30 SLACK=15
fi
# LeakSanitizer stops the world with ptrace, which fails under strace.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

# Blocks of at most 100 bytes in 8 x 16 MiB per writer: the buffer holds the
# whole run, so a writer never waits (and so never yields).
trace() { # trace COUNT: traces one run into tr-COUNT/, stats in s-COUNT.json
	local c=$1
	mkdir "tr-$c"
	run_ok "dbcap-$c" "$STRACE" -f -ff -qq -o "tr-$c/t" \
		"$DBCAP" -w "out-$c.pcapng" --writers 2 -c "$c" --on-full wait --buffers 8 \
		--buffer-size 16M --block-max 100 --stats "s-$c.json" -q
	verify "out-$c.pcapng" "s-$c.json"
}

declare -A total
report=()
for c in 200000 400000; do
	trace "$c"
	for w in 0 1; do
		tid=$(jget "s-$c.json" "writers.$w.tid")
		blocks=$(jget "s-$c.json" "writers.$w.committed_blocks")
		yields=$(jget "s-$c.json" "writers.$w.yields")
		f="tr-$c/t.$tid"
		((tid > 0)) || fail "writers.$w.tid is $tid"
		[[ -f $f ]] || fail "no trace $f for writer $w (tid $tid): $(ls "tr-$c")"
		((blocks >= c / 2)) || fail "writer $w committed $blocks blocks, want >= $((c / 2))"
		"$PYTHON" "$E2E_SRC/e2e.py" syscalls "$f" >"calls-$c-$w"
		n=0
		seen=
		while read -r name k; do
			seen+=" $name:$k"
			[[ $name == sched_yield || $name == clock_nanosleep || $name == nanosleep ]] && continue # waiting: the documented exceptions
			n=$((n + k))
			# Nothing at thread start or exit comes more than a few times.
			((k <= PER_NAME)) || {
				head -40 "$f" >&2
				fail "writer $w: $k calls of $name in $blocks blocks: a per-block system call"
			}
		done <"calls-$c-$w"
		total[$c.$w]=$n
		report+=("-c $c writer $w (tid $tid, $blocks blocks, $yields yields counted):$seen")
		((n < LIMIT)) || {
			cat "$f" >&2
			fail "writer $w: $n system calls besides sched_yield in $blocks blocks, want < $LIMIT"
		}
		ny=$(awk '$1 == "sched_yield" { print $2 }' "calls-$c-$w")
		[[ -z $ny ]] || say "note: writer $w made $ny sched_yield calls (-c $c; the documented exception)"
	done
done
printf '%s\n' "${report[@]}"
# Twice the blocks, not more calls: none of them is per block.
for w in 0 1; do
	((total[400000.$w] <= total[200000.$w] + SLACK)) ||
		fail "writer $w: ${total[200000.$w]} calls for 200000 blocks but ${total[400000.$w]} for 400000"
done
say "ok: writers' system calls (besides sched_yield): ${total[200000.0]}/${total[200000.1]} at -c 200000, ${total[400000.0]}/${total[400000.1]} at -c 400000"
