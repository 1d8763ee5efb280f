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
rss0=0 fd0=0 rss_max=0 fd_max=0 rss_min=0 fd_min=0
for ((t = 1; t <= SECONDS_WANTED - 1; t++)); do
	sleep 1
	kill -0 "$pid" 2>/dev/null || fail "dbcap ended after $t s: $(cat dbcap.err)"
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
	fds=$(find "/proc/$pid/fd" -mindepth 1 2>/dev/null | wc -l)
	echo "$t $rss $fds" >>samples.txt
	if ((t == 5)); then rss0=$rss fd0=$fds rss_max=$rss rss_min=$rss fd_max=$fds fd_min=$fds; fi
	if ((t > 5)); then
		((rss > rss_max)) && rss_max=$rss
		((rss < rss_min)) && rss_min=$rss
		((fds > fd_max)) && fd_max=$fds
		((fds < fd_min)) && fd_min=$fds
	fi
done
wait_rc "$pid"
((RC == 0)) || fail "exit status $RC: $(cat dbcap.err)"
# Flat: no more than 1 MiB of resident memory and one descriptor (a file being renamed, a sidecar
# being replaced) of difference over the whole run after the 5th second.
((rss_max - rss_min <= 1024)) || fail "RSS grew from ${rss0} kB to ${rss_max} kB (samples.txt: $(tr '\n' ';' <samples.txt))"
((fd_max - fd_min <= 1)) || fail "open descriptors from $fd_min to $fd_max (samples.txt: $(tr '\n' ';' <samples.txt))"
expect reconciliation.consistent "$(jget s.json reconciliation.consistent)" true
rotations=$(jget s.json run.rotation.rotations)
((rotations >= SECONDS_WANTED - 3)) || fail "$rotations rotations in $SECONDS_WANTED s"
(cd rot && sha256sum -c --strict --quiet ./*.sha256) || fail "sha256sum -c failed"
"$VERIFY" --audit rot >audit.out 2>&1 || fail "--audit: $(cat audit.out)"
say "ok: $SECONDS_WANTED s, $rotations rotations; RSS ${rss_min}..${rss_max} kB, fds ${fd_min}..${fd_max} from the 5th second"
