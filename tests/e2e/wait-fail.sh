#!/bin/bash
# io_uring_wait_cqe() itself failing mid-run: the writes in flight are still collected, the run fails with "io_uring_wait_cqe", and the file and the statistics agree.
# usage: wait-fail.sh DBCAP VERIFY SHIM MKIMIX synthetic|replay
#   synthetic: O_DIRECT (staging slots in flight); replay: buffered (the
#   buffer's own chunks in flight, which must not go back to the writers early).
#   SHIM: tests/persist/wait-fail.c, preloaded.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 SHIM=$3 MKIMIX=$4 MODE=$5
need "$PYTHON" "$CAPINFOS" tcpdump
absolute_paths SHIM MKIMIX
e2e_init

case $MODE in
synthetic)
	out=out.pcapng
	cmd=("$DBCAP" -w "$out" -c 400000 --seed 7 --block-min 10 --block-max 1000 --direct=on --sync)
	after=5
	;;
replay)
	"$MKIMIX" -o in.pcap --packets 200000 --flows 500 --seed 3 2>/dev/null
	tcpdump -r in.pcap -w ref.pcap 2>/dev/null
	out=out.pcap
	cmd=("$DBCAP" -r in.pcap -w "$out" --buffered)
	# Page-cache writes complete fast: the reader seldom waits.
	after=1
	;;
*) fail "unknown mode $MODE" ;;
esac

# The sanitizer's runtime must come first in the library list, unless told otherwise.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
# A chunk handed back too early shows only when a writer refills it before the
# kernel wrote it out: a replay is tried several times.
reps=1
[[ $MODE == replay ]] && reps=5
for ((rep = 1; rep <= reps; rep++)); do
	rm -f "$out" s.json
	RC=0
	LD_PRELOAD=$SHIM DBCAP_WAIT_FAIL_AFTER=$after timeout -k 5 60 \
		"${cmd[@]}" --io-engine io_uring --io-depth 2 --stats s.json -q >dbcap.out 2>dbcap.err || RC=$?
	cat dbcap.err
	no_sanitizer_report dbcap.err
	grep -q 'wait-fail: io_uring_wait_cqe() fails from now on' dbcap.err ||
		fail "the shim never failed a wait (the run did not wait $after times?)"
	((RC == 1)) || fail "exit status $RC, want 1"
	grep "$out" dbcap.err | grep -q 'io_uring_wait_cqe: Input/output error' ||
		fail "no message naming $out and 'io_uring_wait_cqe: Input/output error'"

	expect final "$(jget s.json final)" true
	expect run.io_engine "$(jget s.json run.io_engine)" io_uring
	[[ $(jget s.json run.io_error) == *io_uring_wait_cqe* ]] || fail "run.io_error: $(jget s.json run.io_error)"
	# The writes that were in flight completed and were collected: the file is
	# read back and counted, and everything adds up.
	expect reconciliation.file_verified "$(jget s.json reconciliation.file_verified)" true
	expect reconciliation.consistent "$(jget s.json reconciliation.consistent)" true
	size=$(stat -c %s "$out")
	expect "file size vs totals.file_bytes" "$size" "$(jget s.json totals.file_bytes)"
	persisted=$(jget s.json totals.persisted_blocks)
	n=$("$CAPINFOS" -M -c "$out" | sed -n 's/^Number of packets: *//p')
	expect "capinfos vs totals.persisted_blocks" "$n" "$persisted"
	if [[ $MODE == replay ]]; then
		cmp -s -n "$size" "$out" ref.pcap || fail "$out is not a prefix of the whole replay"
	else
		"$VERIFY" "$out" s.json >verify.out 2>&1 || fail "dbcap-verify: $(cat verify.out)"
	fi
	say "run $rep: $persisted records ($size bytes) in the file and in the statistics"
done
say "ok"
