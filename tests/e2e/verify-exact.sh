#!/bin/bash
# dbcap-verify reads the statistics' counters exactly: one past 2^53 (inexact as a double) is refused with a clear message, never compared.
# usage: verify-exact.sh DBCAP VERIFY
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
need "$PYTHON"
e2e_init

run_ok dbcap "$DBCAP" -w out.pcapng --writers 2 -c 2000 --stats s.json -q
verify out.pcapng s.json

# generated = persisted + dropped is false here (2^53 + 1 != 2^53 + 0), but
# as doubles both sides read 2^53: a double comparison would pass it.
"$PYTHON" - s.json big.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["reconciliation"]
r["generated_blocks"] = 2**53 + 1
r["persisted_blocks"] = 2**53
r["dropped_blocks"] = 0
json.dump(d, open(sys.argv[2], "w"))
PY
RC=0
"$VERIFY" out.pcapng big.json >big.out 2>big.err || RC=$?
cat big.err
expect "dbcap-verify exit status with a counter past 2^53" "$RC" 1
grep -q 'reconciliation.generated_blocks is 9007199254740992: not an integer in 0..2^53-1' big.err ||
	fail "no message refusing reconciliation.generated_blocks as inexact (above)"
say "ok: a counter past 2^53 is refused"
