#!/bin/bash
# A full filesystem fails the run cleanly: a message, the stats, and the file cut to its last complete record.
# usage: enospc.sh DBCAP VERIFY tmpfs|ext4 wait|drop
# Mounts a small filesystem (root); exit 77 only when mounting is not permitted.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 FS=$3 POLICY=$4
COUNT=20000 # about 100 MB of blocks: overflows the 8 MB tmpfs and the 16 MB ext4 image
need "$CAPINFOS" "$PYTHON"
e2e_init
# A hang is the failure this test most likely meets: do not wait long for it.
RUN_TIMEOUT=${DBCAP_E2E_ENOSPC_TIMEOUT:-60}

(($(id -u) == 0)) || skip "mounting a filesystem needs root"
mkdir mnt
permission_denied() { grep -Eqi 'permission denied|operation not permitted|must be superuser|only root' "$1"; }
case $FS in
tmpfs)
	if ! mount -t tmpfs -o size=8m,mode=0755 e2e-enospc mnt 2>mount.err; then
		permission_denied mount.err && skip "mount -t tmpfs: $(cat mount.err)"
		fail "mount -t tmpfs: $(cat mount.err)"
	fi
	;;
ext4)
	need mkfs.ext4
	truncate -s 16M fs.img
	mkfs.ext4 -q -F fs.img || fail "mkfs.ext4 fs.img failed"
	if ! mount -o loop fs.img mnt 2>mount.err; then
		permission_denied mount.err && skip "mount -o loop: $(cat mount.err)"
		fail "mount -o loop: $(cat mount.err)"
	fi
	;;
*) fail "unknown filesystem $FS" ;;
esac
MOUNTS+=("$WORK/mnt")

case $POLICY in
wait) opt=(--on-full wait) ;;
# Buffers that hold every block, so that the filesystem, not the buffer, loses them.
drop) opt=(--on-full drop --buffers 8 --buffer-size 16M) ;;
*) fail "unknown policy $POLICY" ;;
esac

# The statistics go outside the full filesystem.
run dbcap "$DBCAP" -w mnt/out.pcapng -c "$COUNT" --stats s.json -q "${opt[@]}"
cat dbcap.err
((RC != 0)) || fail "exit status 0 although the filesystem was full"
grep 'mnt/out.pcapng' dbcap.err | grep -q 'No space left on device' ||
	fail "no message naming mnt/out.pcapng and 'No space left on device' on stderr"

[[ -s s.json ]] || fail "no statistics written"
expect final "$(jget s.json final)" true
expect run.stop_reason "$(jget s.json run.stop_reason)" error
err=$(jget s.json run.error)
[[ $err != null ]] || fail "run.error is null"
[[ $err == *"No space left on device"* ]] || fail "run.error '$err' does not name the cause"
ioerr=$(jget s.json run.io_error)
[[ $ioerr != null ]] || fail "run.io_error is null"
lost=$(jget s.json totals.dropped.io_error)
((lost > 0)) || fail "totals.dropped.io_error is $lost, want > 0"
expect reconciliation.consistent "$(jget s.json reconciliation.consistent)" true
expect totals.pending_blocks "$(jget s.json totals.pending_blocks)" 0

# Cut back to the last complete record: the verifier walks every block to the end.
verify mnt/out.pcapng s.json
n_capinfos=$(capinfos_count mnt/out.pcapng)
expect "capinfos -c -M packets" "$n_capinfos" "$(jget s.json totals.persisted_blocks)"
say "ok: $FS, --on-full $POLICY: exit $RC, $n_capinfos records kept, $lost lost to the I/O error"
