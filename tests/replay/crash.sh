#!/bin/bash
# SIGKILL during a replay leaves a byte prefix of the complete output: complete records, at most one torn at the end, no hole.
# usage: crash.sh auto|sync|paced [REPETITIONS]
#   auto: replay's defaults, the page cache and no fdatasync (like tcpdump);
#   sync: --sync, O_DIRECT where the filesystem allows, then fdatasync;
#   paced: --speed, so that idle flushes write unaligned tails too.
# shellcheck source=tests/replay/lib.sh
source "$(dirname "$0")/lib.sh"
MODE=$1 REPS=${2:-6}
need "$TCPDUMP"
replay_init

case $MODE in
auto) opt=() packets=400000 ;;
sync) opt=(--sync) packets=400000 ;;
# 20,000 packets over 2 s at --speed 2: a second of trickling writes.
paced) opt=(--speed 2 --flush-age 0.01) packets=20000 ;;
*) fail "unknown mode $MODE" ;;
esac
SEED=${DBCAP_REPLAY_SEED:-$(date +%s)}
RANDOM=$SEED
say "seed $SEED (DBCAP_REPLAY_SEED=$SEED repeats these moments)"
"$MKIMIX" -o in.pcap --packets "$packets" --flows 1000 --span 2 --seed 8 2>/dev/null
# The whole output, as an uninterrupted run (and tcpdump) writes it.
"$TCPDUMP" -r in.pcap -w ref.pcap 2>/dev/null
refsize=$(stat -c %s ref.pcap)

prefixes=0
for ((rep = 0; rep < REPS; rep++)); do
	rm -f out.pcap
	"$DBCAP" -q -r in.pcap -w out.pcap "${opt[@]}" >dbcap.out 2>dbcap.err &
	pid=$!
	PIDS=("$pid")
	i=0
	while [[ ! -e out.pcap ]] && ((i++ < 3000)); do sleep 0.01; done
	[[ -e out.pcap ]] || fail "dbcap created no output: $(cat dbcap.err)"
	ms=$((RANDOM % 400))
	sleep "0.$(printf %03d "$ms")"
	if ! kill -KILL "$pid" 2>/dev/null; then
		say "note: dbcap finished before the kill at $ms ms"
	fi
	wait "$pid" || true
	PIDS=()
	size=$(stat -c %s out.pcap)
	# cmp says "EOF on out.pcap" (or nothing) when out.pcap is a prefix of ref.pcap.
	c=$(cmp out.pcap ref.pcap 2>&1 || true)
	if [[ -n $c && $c != *"EOF on out.pcap"* ]]; then
		cp out.pcap "/var/tmp/dbcap-replay-crash-$SEED.pcap" 2>/dev/null || true
		fail "killed at $ms ms ($MODE): not a prefix of the whole output: $c ($size of $refsize bytes; kept as /var/tmp/dbcap-replay-crash-$SEED.pcap)"
	fi
	prefixes=$((prefixes + 1))
	say "killed at $ms ms: $size of $refsize bytes, a prefix"
done
say "ok: $prefixes kills ($MODE), each output a prefix of the whole"
