#!/bin/bash
# An input that grows while it is replayed: the file as it was when opened is replayed, and the summary and the statistics say that it grew and by how much.
# shellcheck source=tests/replay/lib.sh
source "$(dirname "$0")/lib.sh"
need "$TCPDUMP"
replay_init

"$MKIMIX" -o in.pcap --packets 20000 --flows 200 --span 1.5 --seed 15 2>/dev/null
"$MKIMIX" -o more.pcap --packets 5000 --flows 50 --seed 16 2>/dev/null
size=$(stat -c %s in.pcap)
"$TCPDUMP" -r in.pcap -w ref.pcap 2>/dev/null
cp in.pcap a.pcap
"$DBCAP" -r a.pcap -w out.pcap --speed 1 --stats s.json >dbcap.out 2>dbcap.err &
pid=$!
PIDS=("$pid")
for ((i = 0; i < 500; i++)); do [[ -s out.pcap ]] && break; sleep 0.01; done
sleep 0.3
# More records, appended the way a capture tool writing it would (no header).
tail -c +25 more.pcap >>a.pcap
grown=$(stat -c %s a.pcap)
RC=0
wait "$pid" || RC=$?
PIDS=()
no_sanitizer_report dbcap.err
((RC == 0)) || fail "exit status $RC, want 0: $(cat dbcap.err)"
kill -0 "$pid" 2>/dev/null && fail "dbcap still running"
[[ $(jget s.json run.input.grew) == true ]] || fail "run.input.grew is not true"
[[ $(jget s.json run.input.shrank) == false ]] || fail "run.input.shrank is not false"
[[ $(jget s.json run.input.file_bytes) == "$size" ]] || fail "file_bytes $(jget s.json run.input.file_bytes), want $size"
[[ $(jget s.json run.input.file_bytes_now) == "$grown" ]] ||
	fail "file_bytes_now $(jget s.json run.input.file_bytes_now), want $grown"
[[ $(jget s.json run.input.truncated) == false ]] || fail "run.input.truncated is not false"
grep -q "a.pcap: input grew from $size to $grown bytes while it was replayed" dbcap.err ||
	fail "no warning that a.pcap grew: $(cat dbcap.err)"
grep -q "packets read.*, input grew from $size to $grown bytes (not replayed)" dbcap.err ||
	fail "the summary does not say that the input grew: $(cat dbcap.err)"
reconciles s.json || fail "the statistics do not reconcile"
valid s.json
# What was there at the open, no more, no less.
cmp -s out.pcap ref.pcap || fail "out.pcap is not the replay of the file as it was opened"
say "ok: $size bytes replayed; the file grew to $grown, which the warning, the summary and the statistics say"
