#!/bin/bash
# --stats - into a pipe whose reader went away: a message and exit 1, not death by SIGPIPE (141); the capture is whole.
# usage: sigpipe.sh DBCAP VERIFY
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
need "$PYTHON" "$CAPINFOS"
e2e_init

# The pipe's read end is closed before dbcap starts: its first write meets no reader.
"$PYTHON" - "$DBCAP" <<'PY' >rc.txt 2>dbcap.err
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run([sys.argv[1], "-w", "out.pcapng", "-c", "20000", "--stats", "-"],
                   stdout=w, timeout=120)
print(p.returncode)
PY
rc=$(cat rc.txt)
no_sanitizer_report dbcap.err
cat dbcap.err
((rc != 141 && rc >= 0)) || fail "dbcap died of SIGPIPE (returncode $rc)"
expect "exit status" "$rc" 1
grep -q 'cannot write statistics: Broken pipe' dbcap.err || fail "no message naming the broken pipe"
grep -q '^dbcap: 20000 blocks' dbcap.err || fail "no summary line on stderr"
expect "records in the capture" "$(capinfos_count out.pcapng)" 20000
say "ok: exit $rc, the capture whole"
