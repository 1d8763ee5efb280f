#!/bin/bash
# A synthetic run with N writers in layout L verifies, and tshark and capinfos count its records.
# usage: synthetic.sh DBCAP VERIFY WRITERS LAYOUT
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 N=$3 LAYOUT=$4
COUNT=20000
need "$TSHARK" "$CAPINFOS" "$PYTHON"
e2e_init

run_ok dbcap "$DBCAP" -w out.pcapng --writers "$N" --layout "$LAYOUT" -c "$COUNT" --stats s.json
# Only dbcap's own lines: the summary and perhaps the oversubscription warning.
if grep -v '^dbcap: ' dbcap.err | grep -q .; then
	cat dbcap.err >&2
	fail "unexpected lines on stderr (above)"
fi
verify out.pcapng s.json

expect final "$(jget s.json final)" true
expect run.stop_reason "$(jget s.json run.stop_reason)" count
expect run.error "$(jget s.json run.error)" null
expect run.config.writers "$(jget s.json run.config.writers)" "$N"
expect run.config.layout "$(jget s.json run.config.layout)" "$LAYOUT"
expect totals.generated_blocks "$(jget s.json totals.generated_blocks)" "$COUNT"
# --on-full wait is the default: nothing may be dropped.
expect totals.dropped_blocks "$(jget s.json totals.dropped_blocks)" 0
expect totals.pending_blocks "$(jget s.json totals.pending_blocks)" 0
expect reconciliation.consistent "$(jget s.json reconciliation.consistent)" true
check_io_fields s.json

persisted=$(jget s.json totals.persisted_blocks)
expect totals.persisted_blocks "$persisted" "$COUNT"
n_capinfos=$(capinfos_count out.pcapng)
n_tshark=$(tshark_count out.pcapng)
expect "capinfos -c -M packets" "$n_capinfos" "$persisted"
expect "tshark -r lines" "$n_tshark" "$persisted"

expect "capture file size" "$(stat -c %s out.pcapng)" "$(jget s.json totals.file_bytes)"
expect "capture file mode (umask 022)" "$(mode_of out.pcapng)" 640
say "ok: $N writers, $LAYOUT: $persisted records; capinfos $n_capinfos, tshark $n_tshark"
