#!/bin/bash
# A live writer makes no system call while frames wait in its ring, and an idle writer
# sleeps: a burst lands in the ring while dbcap is stopped (SIGSTOP); after SIGCONT the
# writer drains dozens of blocks under strace with no call but its idle poll(2), which
# returns "ready" at most a few times; idle for a second, it uses almost no CPU.
# usage: no-syscalls.sh [SANITIZE [any]]   (any: dbcap -i any, cooked, instead of -i $SIDE_B)
# shellcheck source=tests/live/lib.sh
source "$(dirname "$0")/lib.sh"
SANITIZE=${1:-none}
live_init
need "$STRACE"
net_init
IFACE=$SIDE_B
[[ ${2:-} == any ]] && IFACE=any
N=6000
"$PYTHON" "$LIVE_SRC/live.py" gen sent.pcap "$N"
# Thread start and exit (see tests/e2e/no-syscalls.sh); sanitizers add their own.
LIMIT=15
[[ $SANITIZE == none ]] || LIMIT=100
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

# 64 KiB blocks, 256 of them: the burst (about 5 MB) fills about 80 blocks, all waiting.
mkdir tr
ip netns exec "$NS_B" "$STRACE" -f -ff -qq -e signal=none -o tr/t "$DBCAP" -i "$IFACE" \
	-w got.pcap --ring-block-size 64k --ring-blocks 256 --stats s.json \
	--stats-interval 0.1 >d.out 2>d.err &
TRACER=$!
PIDS+=("$TRACER")
for ((i = 0; i < 400; i++)); do
	[[ -s s.json ]] && (($("$PYTHON" "$LIVE_SRC/live.py" get s.json writers.0.tid) > 0)) && break
	sleep 0.05
done
tid=$(jget s.json writers.0.tid)
pid=$(awk '/^Tgid:/ { print $2 }' "/proc/$tid/status")
((tid > 0 && pid > 0)) || fail "no writer thread"

kill -STOP "$pid"
send sent.pcap 6000
kill -CONT "$pid"
# Drained when every frame is in the statistics.
for ((i = 0; i < 400; i++)); do
	(($("$PYTHON" "$LIVE_SRC/live.py" get s.json totals.generated_blocks) == N)) && break
	sleep 0.05
done
# Idle: the writer's CPU time over one second (clock ticks, fields 14 and 15).
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/task/$tid/stat"; }
t0=$(ticks)
sleep 1
t1=$(ticks)
hz=$(getconf CLK_TCK)
kill -INT "$pid"
wait "$TRACER" || fail "dbcap exit status $?"
cat d.err

if [[ $IFACE == any ]]; then
	"$PYTHON" "$LIVE_SRC/live.py" cooked sent.pcap got.pcap "$(in_b cat "/sys/class/net/$SIDE_B/ifindex")"
else
	"$PYTHON" "$LIVE_SRC/live.py" compare sent.pcap got.pcap
fi
blocks=$(jget s.json writers.0.live.ring_blocks)
((blocks >= 60)) || fail "only $blocks ring blocks walked: the burst did not wait in the ring"
f=tr/t.$tid
[[ -f $f ]] || fail "no trace of the writer ($f)"
others=$(grep -Ev '^(poll|restart_syscall|\+\+\+|---)' "$f" | grep -c '(' || true)
ready=$(grep -Ec '^poll\(.*\) = [1-9]' "$f" || true)
polls=$(grep -c '^poll(' "$f" || true)
say "writer $tid: $blocks blocks, $N frames; $polls polls ($ready ready), $others other calls;" \
	"idle CPU $((t1 - t0)) ticks of $hz in 1 s"
((others < LIMIT)) || { cat "$f" | grep -v '^poll' >&2; fail "$others system calls besides poll"; }
# A poll that finds frames ready is a wake-up; a call per block would be ~$blocks of them.
((ready <= 3)) || fail "$ready polls found frames ready: the writer calls the kernel while frames wait"
# Idle: at most a tenth of a core.
(((t1 - t0) * 10 <= hz)) || fail "an idle writer used $((t1 - t0)) ticks of $hz in a second"
say "ok: no system call while frames wait; idle writer asleep"
