#!/bin/bash
# Writer threads that cannot be created (RLIMIT_NPROC): a message, exit 1, final statistics, a verified file; no crash.
# usage: threads.sh DBCAP VERIFY
# Runs dbcap as nobody under ulimit -u 8 (root is not held to RLIMIT_NPROC); exit 77 without root.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
need "$PYTHON" setpriv
e2e_init
(($(id -u) == 0)) || skip "running as another user needs root"
chmod 0777 "$WORK"

run dbcap setpriv --reuid=65534 --regid=65534 --clear-groups \
	bash -c 'ulimit -u 8 && exec "$@"' threads "$DBCAP" -w out.pcapng --writers 16 --duration 1 \
	--stats s.json -q
cat dbcap.err
expect "exit status" "$RC" 1
grep -q 'cannot start threads' dbcap.err || fail "no message saying the threads could not start"
expect final "$(jget s.json final)" true
expect reconciliation.consistent "$(jget s.json reconciliation.consistent)" true
verify out.pcapng s.json
say "ok: exit 1, the writers that started were stopped and joined"
