#!/bin/bash
# Writers that share a core nap after a few yields when they wait (dbuf yield_limit); writers on cores of their own never nap.
# usage: oversubscribed.sh DBCAP VERIFY
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
need "$PYTHON"
e2e_init

# Two writers on one core (the first this process may use), small buffers
# and a slow reader: they wait, a lot.
cpu=$("$PYTHON" -c 'import os; print(min(os.sched_getaffinity(0)))')
run_ok shared-core "$DBCAP" -w shared.pcapng --writers 2 --cpus "$cpu,$cpu" --buffer-size 64k \
	--reader-work 20000 -c 200000 --stats shared.json -q
verify shared.pcapng shared.json
expect run.cpus.oversubscribed "$(jget shared.json run.cpus.oversubscribed)" true
grep -q "oversubscribed\|share" shared-core.err || fail "no warning about writers sharing cores: $(cat shared-core.err)"
naps=0 yields=0
for w in 0 1; do
	naps=$((naps + $(jget shared.json "writers.$w.naps")))
	yields=$((yields + $(jget shared.json "writers.$w.yields")))
done
waits=$(($(jget shared.json writers.0.full_waits) + $(jget shared.json writers.1.full_waits)))
((waits > 0)) || fail "the writers never waited (full_waits 0): the test shows nothing"
((naps > 0)) || fail "oversubscribed writers waited $waits times ($yields yields) and never napped"
# At most 8 yields per wait before the naps (DBCAP_YIELD_LIMIT).
((yields <= 8 * waits)) || fail "$yields yields in $waits waits: more than 8 per wait"
say "ok: oversubscribed: $waits waits, $yields yields, $naps naps"

# One writer, and a core for the reader where the machine has two: no naps.
run_ok own-core "$DBCAP" -w own.pcapng --writers 1 --buffer-size 64k --reader-work 20000 \
	-c 200000 --stats own.json -q
verify own.pcapng own.json
if [[ $(jget own.json run.cpus.oversubscribed) == false ]]; then
	expect writers.0.naps "$(jget own.json writers.0.naps)" 0
	say "ok: own core: $(jget own.json writers.0.full_waits) waits, $(jget own.json writers.0.yields) yields, no nap"
else
	say "note: one core only: the writer shares it with the reader, naps allowed"
fi
