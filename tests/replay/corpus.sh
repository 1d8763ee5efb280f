#!/bin/bash
# Every file of the tcpdump test corpus replays with 1 writer into exactly the records libpcap reads from it.
# usage: corpus.sh [tcpdump]
#   tcpdump: also byte-compare each output with what tcpdump -r FILE -w REF
#   writes (with --nano for nanosecond pcap and for pcapng files, whose
#   replay keeps nanoseconds).
# Files run in parallel, one per core: the loop runs in three builds in CI.
# shellcheck source=tests/replay/lib.sh
source "$(dirname "$0")/lib.sh"
WITH_TCPDUMP=${1:-}
need "$PYTHON"
[[ -z $WITH_TCPDUMP ]] || need "$TCPDUMP"
replay_init

# One file: replay, compare, check the statistics; prints FAIL lines.
one() {
	local f=$1 b rc=0
	b=$(basename "$f")
	# 512 KiB buffers: records of the usual 262144-byte snapshot length fit;
	# a smaller buffer makes each of the many short runs cheaper.
	"$DBCAP" -q -r "$f" -w "$b.out" --buffer-size 512k --stats "$b.json" 2>"$b.err" || rc=$?
	if ((rc != 0)); then
		echo "FAIL: $b: dbcap exit status $rc: $(tr '\n' ' ' <"$b.err")"
		return
	fi
	if grep -qE '==ERROR|runtime error:|ThreadSanitizer' "$b.err"; then
		echo "FAIL: $b: sanitizer report: $(head -5 "$b.err" | tr '\n' ' ')"
		return
	fi
	if ! "$COMPARE" "$f" "$b.out" 2>"$b.cmp"; then
		echo "FAIL: $b: $(tr '\n' ' ' <"$b.cmp")"
		return
	fi
	if ! grep -qE '"consistent":[[:space:]]*true' "$b.json"; then
		echo "FAIL: $b: the statistics do not reconcile"
		return
	fi
	if [[ -n $WITH_TCPDUMP ]]; then
		local nano=--nano
		case $(od -An -tx4 -N4 "$f") in *a1b2c3d4* | *d4c3b2a1*) nano= ;; esac
		"$TCPDUMP" $nano -r "$f" -w "$b.ref" 2>/dev/null || true # exits 1 at a damaged record
		cmp -s "$b.out" "$b.ref" || echo "FAIL: $b: not byte-identical to tcpdump -r -w"
	fi
	rm -f "$b.out" "$b.ref" "$b.json" "$b.err" "$b.cmp"
}
export -f one
export DBCAP COMPARE TCPDUMP WITH_TCPDUMP

files=("$CORPUS"/tcpdump-tests/*.pcap "$CORPUS"/tcpdump-tests/*.pcapng)
((${#files[@]} >= 400)) || fail "only ${#files[@]} capture files in $CORPUS/tcpdump-tests"
printf '%s\0' "${files[@]}" | xargs -0 -n 8 -P "$(nproc)" bash -c 'for f; do one "$f"; done' _ \
	>results
if [[ -s results ]]; then
	head -40 results >&2
	fail "$(wc -l <results) of ${#files[@]} files failed"
fi
say "ok: ${#files[@]} files replayed, records identical${WITH_TCPDUMP:+, outputs byte-identical to those of tcpdump}"
