#!/bin/bash
# Past RLIMIT_FSIZE (ulimit -f) every engine fails the run with "File too large": no SIGXFSZ death, final statistics, the file cut to its last record.
# usage: fsize.sh DBCAP VERIFY uring|pwrite direct|buffered
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 ENGINE=$3 MODE=$4
need "$PYTHON"
e2e_init

# 20 MiB (ulimit -f counts 1 KiB blocks); about 60 MB of blocks go past it.
run dbcap bash -c 'ulimit -f 20480 && exec "$@"' fsize "$DBCAP" -w out.pcapng -c 20000 \
	--stats s.json -q --io-engine "$ENGINE" "--$MODE"
cat dbcap.err
expect "exit status" "$RC" 1
grep 'out.pcapng' dbcap.err | grep -q 'File too large' || fail "no message naming 'File too large'"
expect final "$(jget s.json final)" true
expect run.stop_reason "$(jget s.json run.stop_reason)" error
[[ $(jget s.json run.io_error) == *"File too large"* ]] || fail "run.io_error does not say File too large"
lost=$(jget s.json totals.dropped.io_error)
((lost > 0)) || fail "totals.dropped.io_error is $lost, want > 0"
expect reconciliation.consistent "$(jget s.json reconciliation.consistent)" true
size=$(stat -c %s out.pcapng)
((size <= 20 * 1024 * 1024)) || fail "out.pcapng is $size bytes, past the limit"
verify out.pcapng s.json
say "ok: $ENGINE $MODE: exit 1, $(jget s.json totals.persisted_blocks) records kept, $lost lost"
