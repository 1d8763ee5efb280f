#!/bin/bash
# More buffer regions than DBUF_MAX_BUFFERS (33 writers x 2 per-writer buffers = 66) are all registered with io_uring.
# usage: many-regions.sh DBCAP VERIFY
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
COUNT=20000
need "$PYTHON"
e2e_init

# 66 regions of 64 KiB: 4 MiB pinned, within the usual 8 MiB RLIMIT_MEMLOCK.
run_ok dbcap "$DBCAP" -w out.pcapng --writers 33 --layout per-writer --buffers 2 \
	--buffer-size 64k --buffered -c "$COUNT" --stats s.json -q
verify out.pcapng s.json
engine=$(jget s.json run.io_engine)
[[ $engine == io_uring ]] || skip "io_uring unavailable here (engine $engine): nothing is registered"
reg=$(jget s.json run.registered_buffers)
if [[ $reg != true ]]; then
	# Registration may be refused (pinned memory limit); it must say so, never silently.
	grep -q 'not registered' dbcap.err || {
		cat dbcap.err >&2
		fail "run.registered_buffers is $reg with 66 regions and no warning on stderr"
	}
	skip "registration refused here: $(grep 'not registered' dbcap.err)"
fi
expect run.registered_buffers "$reg" true
say "ok: 66 regions registered"
