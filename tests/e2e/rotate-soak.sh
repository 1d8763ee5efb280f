#!/bin/bash
# Soak: a run rotating every second (-G 1 -W 3 --digest -z) for SOAK_SECONDS (default 60); from the 5th
# second on the process's resident memory and open file descriptors stay flat, and the run ends consistent.
# tools/soak.sh runs the same for hours.
# usage: rotate-soak.sh DBCAP VERIFY [SECONDS]
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 SECONDS_WANTED=${3:-${SOAK_SECONDS:-60}}
need "$PYTHON"
e2e_init

mkdir rot
# A moderate rate (writer work between blocks) so that the disk keeps up for hours.
"$DBCAP" -w rot/cap.pcapng --duration "$SECONDS_WANTED" -G 1 -W 3 --digest -z true \
	--writer-work 2000 --stats s.json --stats-interval 1 -q >dbcap.out 2>dbcap.err &
pid=$!
PIDS+=("$pid")
# Sampled until 3 s before the end: the sampling itself takes time.
# Each sample halfway between two wall-clock seconds: -G 1 rotates on the
# second, and for a few milliseconds then no file is open (the old one closed,
# its io_uring ring and registered buffers released, the next not yet open), a
# dip of 4 MB and 4 descriptors that a sample in step with the clock would see
# as a change.
half_second() {
	local ns
	ns=$(date +%N)
	sleep "0.$(printf '%09d' $(((1500000000 - 10#$ns) % 1000000000)))"
}
for ((t = 1; t <= SECONDS_WANTED - 3; t++)); do
	half_second
	kill -0 "$pid" 2>/dev/null || fail "dbcap ended after $t s: $(cat dbcap.err)"
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
	fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
	[[ -n $rss ]] && ((fds > 0)) && echo "$t $rss $fds" >>samples.txt
done
wait_rc "$pid"
((RC == 0)) || fail "exit status $RC: $(cat dbcap.err)"
# Flat from the 5th second: the median of the next ten samples against the median of the last ten
# (medians: a sample taken while a file is renamed, or while the statistics are rendered, is no trend).
# A leak of one page per rotation would add 200 kB over 60 s; an io_uring ring or a staging buffer per
# rotation far more.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
n=$(wc -l <samples.txt)
((n >= 20)) || fail "$n samples"
early_rss=$(awk '$1 >= 5' samples.txt | head -10 | awk '{print $2}' | median)
late_rss=$(tail -10 samples.txt | awk '{print $2}' | median)
early_fd=$(awk '$1 >= 5' samples.txt | head -10 | awk '{print $3}' | median)
late_fd=$(tail -10 samples.txt | awk '{print $3}' | median)
((late_rss - early_rss <= 192)) ||
	fail "RSS grew from $early_rss kB to $late_rss kB (samples: $(tr '\n' ';' <samples.txt))"
((late_fd == early_fd)) || fail "open descriptors from $early_fd to $late_fd (samples: $(tr '\n' ';' <samples.txt))"
expect reconciliation.consistent "$(jget s.json reconciliation.consistent)" true
rotations=$(jget s.json run.rotation.rotations)
((rotations >= SECONDS_WANTED - 3)) || fail "$rotations rotations in $SECONDS_WANTED s"
(cd rot && sha256sum -c --strict --quiet ./*.sha256) || fail "sha256sum -c failed"
"$VERIFY" --audit rot >audit.out 2>&1 || fail "--audit: $(cat audit.out)"
say "ok: $SECONDS_WANTED s, $rotations rotations; RSS $early_rss -> $late_rss kB, fds $early_fd -> $late_fd (medians)"
