#!/bin/bash
# Replay writers make no system call per packet: the file is read through a mapping, records are built in the buffer.
# usage: no-syscalls.sh
#   SANITIZE (environment): meson's b_sanitize; a sanitizer's runtime adds
#   calls of its own at thread start and exit.
# shellcheck source=tests/replay/lib.sh
source "$(dirname "$0")/lib.sh"
need "$STRACE" "$PYTHON"
replay_init

# Thread start and exit (rseq, set_robust_list, rt_sigprocmask, gettid for
# the statistics, madvise and exit), the last writer's wake-up of main
# (getpid, tgkill): a dozen calls.  Everything else is a bug: a read(), an
# lseek() or an mmap() per packet would show here in the thousands.
LIMIT=20 PER_NAME=4 SLACK=2
if [[ ${SANITIZE:-none} != none ]]; then
	# ASan and TSan set up and tear down a thread with calls of their own.
	LIMIT=100 PER_NAME=30 SLACK=15
fi
# LeakSanitizer stops the world with ptrace, which fails under strace.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

"$MKIMIX" -o small.pcap --packets 100000 --flows 1000 --seed 6 2>/dev/null
"$MKIMIX" -o large.pcap --packets 200000 --flows 1000 --seed 6 2>/dev/null
declare -A total
for f in small large; do
	mkdir "tr-$f"
	# 8 x 16 MiB per writer hold the whole run: nobody waits (or yields).
	run "dbcap-$f" 0 "$STRACE" -f -ff -qq -o "tr-$f/t" "$DBCAP" -q -r "$f.pcap" -w "$f.out" \
		--writers 2 --buffers 8 --buffer-size 16M --stats "$f.json" udp or tcp
	reconciles "$f.json"
	for w in 0 1; do
		tid=$(jget "$f.json" "writers.$w.tid")
		t="tr-$f/t.$tid"
		[[ -f $t ]] || fail "no trace for writer $w (tid $tid)"
		sed -nE 's/^([a-z_0-9]+)\(.*/\1/p' "$t" | sort | uniq -c >"calls-$f-$w"
		n=0
		while read -r k name; do
			[[ $name == sched_yield || $name == clock_nanosleep || $name == nanosleep ]] && continue # waiting: the documented exceptions
			((k <= PER_NAME)) || { cat "calls-$f-$w" >&2; fail "writer $w: $k calls of $name: a per-packet system call"; }
			n=$((n + k))
		done <"calls-$f-$w"
		((n < LIMIT)) || { cat "$t" >&2; fail "writer $w: $n system calls, want < $LIMIT"; }
		total[$f]=$((${total[$f]:-0} + n))
		say "$f, writer $w ($(jget "$f.json" "writers.$w.read_packets") packets): $(tr -s ' \n' ' ' <"calls-$f-$w")"
	done
done
# Summed over the writers: whichever finishes last wakes main (getpid, tgkill
# and a signal mask around them), and that may be either.
((total[large] <= total[small] + SLACK)) ||
	fail "the writers made ${total[small]} calls for 100000 packets but ${total[large]} for 200000"
say "ok: replay writers make no system call per packet"
