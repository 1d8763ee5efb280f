#!/bin/bash
# --force replaces an existing capture file with a new, verified one of mode 0640.
# usage: force.sh DBCAP VERIFY
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
need "$PYTHON"
e2e_init

printf 'an old capture\n' >out.pcapng
chmod 0600 out.pcapng
run_ok dbcap "$DBCAP" -w out.pcapng --force -c 1000 --stats s.json -q
verify out.pcapng s.json
expect run.config.force "$(jget s.json run.config.force)" true
expect "capture file mode (umask 022)" "$(mode_of out.pcapng)" 640
grep -q 'an old capture' out.pcapng && fail "the old content is still in out.pcapng"
say "ok"
