#!/bin/bash
# Periodic statistics: snapshots are valid, not final, and a reader never sees a partial file.
# usage: stats-periodic.sh DBCAP VERIFY
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
need "$PYTHON"
e2e_init

# The document in a directory of its own: whatever else appears there is a leftover.
mkdir st
"$DBCAP" -w out.pcapng --duration 1 --stats-interval 0.2 --stats st/s.json --block-max 2000 \
	--writer-work 1000 -q \
	>dbcap.out 2>dbcap.err &
pid=$!
PIDS+=("$pid")
# Reads the file as fast as it can while dbcap runs; every read must parse.
if ! "$PYTHON" "$E2E_SRC/e2e.py" poll st/s.json "$pid" snapshot.json >poll.out; then
	cat poll.out
	fail "a read of the statistics file during the run failed (above)"
fi
cat poll.out
wait_rc "$pid"
no_sanitizer_report dbcap.err
if ((RC != 0)); then
	cat dbcap.err >&2
	fail "exit status $RC, want 0"
fi
read -r _ reads _ _ _ nonfinal <poll.out
((reads >= 20)) || fail "only $reads reads during the run: the check saw too little"
((nonfinal >= 1)) || fail "no periodic (final: false) document seen in a 1 s run at 0.2 s intervals"

for snap in snapshot.json snapshot.json.last; do
	expect "$snap: final" "$(jget $snap final)" false
	expect "$snap: reconciliation.consistent" "$(jget $snap reconciliation.consistent)" null
	expect "$snap: run.stop_reason" "$(jget $snap run.stop_reason)" running
done
# Schema 5: every size's count only in the final document (no --stats-sizes).
"$PYTHON" -c '
import json, sys
for f in sys.argv[1:]:
    d = json.load(open(f))
    has = "counts" in d["block_sizes"]
    if has != d["final"]:
        sys.exit("%s: final %s but block_sizes.counts %s" % (f, d["final"], "present" if has else "absent"))
' snapshot.json snapshot.json.last st/s.json || fail "block_sizes.counts where it should not be (above)"
expect final "$(jget st/s.json final)" true
expect run.stop_reason "$(jget st/s.json run.stop_reason)" duration
"$PYTHON" "$E2E_SRC/e2e.py" validate "$SCHEMA" snapshot.json snapshot.json.last st/s.json ||
	fail "not valid against $SCHEMA"
verify out.pcapng st/s.json

left=$(ls -A st)
expect "files left beside the statistics" "$left" s.json
say "ok: $reads reads, $nonfinal of them periodic documents"
