#!/bin/bash
# --min-free on a small tmpfs: the oldest files of the run are removed, ENOSPC never happens, and the
# accounting is exact (persisted = the records of every file, removed ones included).
# With FULL, -C larger than the file system: no complete file to remove; drop counts what it cannot write
# and goes on, wait stops cleanly (exit 1); neither runs into ENOSPC.
# usage: rotate-min-free.sh DBCAP VERIFY POLICY(wait|drop) [FULL]
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 POLICY=$3 FULL=${4:-}
need "$PYTHON"
e2e_init

(($(id -u) == 0)) || skip "mounting a filesystem needs root"
mkdir mnt
if ! mount -t tmpfs -o size=64m,mode=0755 "e2e-min-free-$$" mnt 2>mount.err; then
	grep -Eqi 'permission denied|not permitted|superuser|only root' mount.err &&
		skip "mount -t tmpfs: $(cat mount.err)"
	fail "mount -t tmpfs: $(cat mount.err)"
fi
MOUNTS+=("$WORK/mnt")
# A file of another program must never be touched.
echo keep >mnt/other.txt
if [[ $FULL ]]; then
	run dbcap "$DBCAP" -w mnt/cap.pcapng --duration 3 -C 1G --min-free 16M --on-full "$POLICY" \
		--buffer-size 1M --stats s.json -q
	grep -qi "no space" dbcap.err && fail "ENOSPC: $(cat dbcap.err)"
	expect "run.io_error" "$(jget s.json run.io_error)" null
	expect min_free_stop "$(jget s.json run.rotation.min_free_stop)" "$([[ $POLICY == wait ]] && echo true || echo false)"
	lost=$(jget s.json totals.dropped.min_free)
	((lost > 0)) || fail "dropped.min_free $lost"
	expect reconciliation.consistent "$(jget s.json reconciliation.consistent)" true
	expect files_persisted_blocks "$(jget s.json reconciliation.files_persisted_blocks)" \
		"$(jget s.json totals.persisted_blocks)"
	capinfos_count mnt/cap-000001.pcapng >/dev/null
	if [[ $POLICY == wait ]]; then
		((RC == 1)) || fail "exit status $RC, want 1: $(cat dbcap.err)"
		expect stop_reason "$(jget s.json run.stop_reason)" min_free
		grep -q "min-free" dbcap.err || fail "no message: $(cat dbcap.err)"
	else
		((RC == 0)) || fail "exit status $RC, want 0: $(cat dbcap.err)"
		expect stop_reason "$(jget s.json run.stop_reason)" duration
	fi
	"$PYTHON" "$E2E_SRC/e2e.py" validate "$SCHEMA" s.json || fail "not valid against $SCHEMA"
	say "ok: --min-free with nothing to remove, --on-full $POLICY: $lost blocks dropped and counted, no ENOSPC"
	exit 0
fi
# 64 MB: room for a few 4 MB files above the 16 MB kept free and the slack for writes in flight;
# about 125 MB written (a count, not a time: sanitizer builds write as much).
run dbcap "$DBCAP" -w mnt/cap.pcapng -c 50000 --block-max 5000 -C 4M --min-free 16M --on-full "$POLICY" \
	--buffer-size 1M --stats s.json -q
grep -qi "no space" dbcap.err && fail "ENOSPC: $(cat dbcap.err)"
expect "run.io_error" "$(jget s.json run.io_error)" null
[[ -e mnt/other.txt ]] || fail "another program's file was removed"
removed=$(jget s.json run.rotation.removed_by_min_free)
((removed >= 3)) || fail "removed_by_min_free $removed, want several"
expect reconciliation.consistent "$(jget s.json reconciliation.consistent)" true
expect files_persisted_blocks "$(jget s.json reconciliation.files_persisted_blocks)" \
	"$(jget s.json totals.persisted_blocks)"
# The files left are the newest ones, complete.
shopt -s nullglob
files=(mnt/cap-*.pcapng)
first=$(jget s.json "run.rotation.files.0.seq")
for f in "${files[@]}"; do capinfos_count "$f" >/dev/null; done
"$PYTHON" "$E2E_SRC/e2e.py" validate "$SCHEMA" s.json || fail "not valid against $SCHEMA"
((RC == 0)) || fail "exit status $RC: $(cat dbcap.err)"
say "ok: --min-free removed $removed files (the list starts at $first), ${#files[@]} left, no ENOSPC"
