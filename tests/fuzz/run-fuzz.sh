#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Runs fuzz-dissect for a bounded time on a seed corpus made from the tcpdump
# test captures, in a temporary folder removed afterwards.
#
# Usage: run-fuzz.sh FUZZER CORPUS_HELPER PCAP_DIR ARTIFACT_DIR
#
# FUZZ_SECONDS (default 60) is libFuzzer's -max_total_time.  A crash, a leak,
# a timeout or an out-of-memory exits non-zero and leaves the input that
# caused it in ARTIFACT_DIR (crash-*, leak-*, timeout-*, oom-*), to be replayed
# with `FUZZER ARTIFACT`.
set -eu

if [ $# -ne 4 ]; then
	echo "usage: $0 FUZZER CORPUS_HELPER PCAP_DIR ARTIFACT_DIR" >&2
	exit 1
fi
fuzzer=$1 helper=$2 pcaps=$3 artifacts=$4
seconds=${FUZZ_SECONDS:-60}
case $seconds in
'' | *[!0-9]*)
	echo "$0: FUZZ_SECONDS must be a whole number of seconds, not '$seconds'" >&2
	exit 1
	;;
esac
if [ ! -d "$pcaps" ]; then
	echo "$0: $pcaps: no such folder (the capture corpus exists in CI)" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-dissect.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

"$helper" "$pcaps" "$work/corpus" 2000
mkdir -p "$artifacts"

# The outer timeout only catches a fuzzer that ignores -max_total_time.
rc=0
timeout -k 10 $((seconds + 300)) "$fuzzer" \
	-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
	-print_final_stats=1 -artifact_prefix="$artifacts/" \
	"$work/corpus" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "$0: $fuzzer exited $rc; inputs that failed are in $artifacts/" >&2
fi
exit "$rc"
