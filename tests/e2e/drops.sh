#!/bin/bash
# Under --on-full drop with tiny buffers blocks are dropped, counted, and the file's gaps match.
# usage: drops.sh DBCAP VERIFY
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
COUNT=20000
need "$TSHARK" "$CAPINFOS" "$PYTHON"
e2e_init

run_ok dbcap "$DBCAP" -w out.pcapng --writers 2 --on-full drop --buffer-size 64k -c "$COUNT" \
	--stats s.json -q
# dbcap-verify checks that each writer's missing sequence numbers equal its counted drops.
verify out.pcapng s.json

full=$(jget s.json totals.dropped.full)
((full > 0)) || fail "totals.dropped.full is $full: no drop happened with 64k buffers"
expect reconciliation.consistent "$(jget s.json reconciliation.consistent)" true
expect totals.generated_blocks "$(jget s.json totals.generated_blocks)" "$COUNT"
expect totals.pending_blocks "$(jget s.json totals.pending_blocks)" 0
persisted=$(jget s.json totals.persisted_blocks)
dropped=$(jget s.json totals.dropped_blocks)
expect "persisted + dropped" "$((persisted + dropped))" "$COUNT"
wsum=$(($(jget s.json writers.0.dropped.full) + $(jget s.json writers.1.dropped.full)))
expect "sum of writers' dropped.full" "$wsum" "$full"
n_capinfos=$(capinfos_count out.pcapng)
n_tshark=$(tshark_count out.pcapng)
expect "capinfos -c -M packets" "$n_capinfos" "$persisted"
expect "tshark -r lines" "$n_tshark" "$persisted"
say "ok: $persisted persisted, $full dropped (full) of $COUNT"
