#!/bin/bash
# SIGINT during a --speed wait ends the replay without the packet waited for: it is neither written nor counted as read.
# shellcheck source=tests/replay/lib.sh
source "$(dirname "$0")/lib.sh"
replay_init

# Two Ethernet frames, the second 30 s after the first.
write_pcap two.pcap 1000 1030
"$DBCAP" -q -r two.pcap -w out.pcap --speed 1 --stats s.json >dbcap.out 2>dbcap.err &
pid=$!
PIDS+=("$pid")
for ((i = 0; i < 500; i++)); do [[ -s out.pcap ]] && break; sleep 0.01; done
sleep 1
kill -s INT "$pid" || fail "dbcap ended before SIGINT (the second packet is due in 30 s)"
RC=0
wait "$pid" || RC=$?
no_sanitizer_report dbcap.err
((RC == 0)) || fail "exit status $RC after SIGINT: $(cat dbcap.err)"
[[ $(jget s.json totals.read_packets) == 1 ]] || fail "read_packets $(jget s.json totals.read_packets), want 1"
[[ $(jget s.json totals.persisted_blocks) == 1 ]] || fail "persisted $(jget s.json totals.persisted_blocks), want 1"
[[ $(jget s.json run.stop_reason) == "signal SIGINT" ]] || fail "stop_reason $(jget s.json run.stop_reason)"
reconciles s.json || fail "the statistics do not reconcile"
n=$("$TCPDUMP" -n -r out.pcap 2>/dev/null | wc -l)
[[ $n == 1 ]] || fail "out.pcap holds $n packets, want 1 (the second was written early)"
say "ok: one packet written, one read; the one waited for was left unread"
