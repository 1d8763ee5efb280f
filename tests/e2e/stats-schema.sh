#!/bin/bash
# The final statistics document of a run validates against config/stats.schema.json.
# usage: stats-schema.sh DBCAP VERIFY
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
need "$PYTHON"
e2e_init

# Two documents: every writer committing everything, and one with drops.
run_ok a "$DBCAP" -w a.pcapng --writers 2 --layout shared -c 20000 --stats a.json -q
run_ok b "$DBCAP" -w b.pcapng --writers 2 --on-full drop --buffer-size 64k -c 20000 \
	--stats b.json -q
"$PYTHON" "$E2E_SRC/e2e.py" validate "$SCHEMA" a.json b.json || fail "not valid against $SCHEMA"
expect final "$(jget a.json final)" true
expect reconciliation.consistent "$(jget a.json reconciliation.consistent)" true
verify a.pcapng a.json
verify b.pcapng b.json
# Whoever may read the capture may read its statistics (stats-output.sh: other umasks).
expect "stats file mode" "$(mode_of a.json)" "$(mode_of a.pcapng)"
say "ok"
