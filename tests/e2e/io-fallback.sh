#!/bin/bash
# With io_uring blocked by seccomp, dbcap falls back to pwrite with one warning and the same verified result.
# usage: io-fallback.sh DBCAP VERIFY NO_URING
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 NO_URING=$3
COUNT=20000
need "$PYTHON"
e2e_init

# The same run twice: as the machine allows, then with io_uring refused.
args=(--writers 2 -c "$COUNT" -q)
run_ok ref "$DBCAP" -w ref.pcapng --stats ref.json "${args[@]}"
verify ref.pcapng ref.json

run blocked "$NO_URING" "$DBCAP" -w out.pcapng --stats s.json "${args[@]}"
((RC == 77)) && skip "no-uring cannot install its seccomp filter: $(cat blocked.err)"
if ((RC != 0)); then
	cat blocked.err >&2
	fail "exit status $RC with io_uring blocked, want 0"
fi
verify out.pcapng s.json

expect run.io_engine "$(jget s.json run.io_engine)" pwrite
reason=$(jget s.json run.io_fallback_reason)
[[ $reason != null && -n $reason ]] || fail "run.io_fallback_reason is $reason, want a reason"
expect run.config.io_engine "$(jget s.json run.config.io_engine)" io_uring
expect run.registered_buffers "$(jget s.json run.registered_buffers)" false
check_io_fields s.json

# Exactly one line about io_uring, and it is a warning.
n=$(grep -c 'io_uring' blocked.err || true)
if ((n != 1)) || ! grep 'io_uring' blocked.err | grep -q 'warning'; then
	cat blocked.err >&2
	fail "want exactly one warning line mentioning io_uring on stderr, got $n lines (above)"
fi

# The same blocks reached the file: one writer order differs, the totals do not.
for k in totals.generated_blocks totals.persisted_blocks totals.persisted_bytes \
	totals.dropped_blocks totals.file_bytes reconciliation.consistent; do
	expect "$k, pwrite fallback vs. reference" "$(jget s.json "$k")" "$(jget ref.json "$k")"
done
expect "block_sizes.counts, pwrite fallback vs. reference" \
	"$(jget s.json block_sizes.counts)" "$(jget ref.json block_sizes.counts)"
say "ok: fallback reason: $reason; reference engine: $(jget ref.json run.io_engine)"
