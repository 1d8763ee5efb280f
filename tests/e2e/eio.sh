#!/bin/bash
# A filesystem shut down mid-run (EIO): the statistics count only what the kernel acknowledged, say the file could not be verified, and are not "consistent"; the file after a remount holds no more than that.
# usage: eio.sh DBCAP VERIFY MKIMIX io_uring|pwrite direct|buffered synthetic|replay
# Mounts an ext4 image on a loop device and shuts it down with xfs_io (root);
# exit 77 only when mounting is not permitted.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 MKIMIX=$3 ENGINE=$4 IO=$5 MODE=$6
need "$PYTHON" "$CAPINFOS" xfs_io mkfs.ext4 losetup tcpdump
absolute_paths MKIMIX
e2e_init

(($(id -u) == 0)) || skip "mounting a filesystem needs root"
mkdir mnt
# Sparse: only what dbcap writes before the shutdown takes room.
truncate -s 4G fs.img
mkfs.ext4 -q -F fs.img || fail "mkfs.ext4 fs.img failed"
if ! mount -o loop fs.img mnt 2>mount.err; then
	grep -Eqi 'permission denied|operation not permitted|must be superuser|only root' mount.err &&
		skip "mount -o loop: $(cat mount.err)"
	fail "mount -o loop: $(cat mount.err)"
fi
MOUNTS+=("$WORK/mnt")

case $IO in
direct) io=(--direct=on --sync) ;;
buffered) io=(--buffered) ;;
*) fail "unknown mode $IO" ;;
esac
case $MODE in
synthetic)
	out=mnt/out.pcapng
	cmd=("$DBCAP" -w "$out" --duration 20 --seed 7 --block-min 10 --block-max 1000)
	;;
replay)
	# About 75 MB over 4 s, replayed at its own pace: still running at the shutdown.
	"$MKIMIX" -o in.pcap --packets 200000 --flows 500 --span 4 --seed 3 2>/dev/null
	tcpdump -r in.pcap -w ref.pcap 2>/dev/null
	out=mnt/out.pcap
	cmd=("$DBCAP" -r in.pcap -w "$out" --speed 1)
	;;
*) fail "unknown mode $MODE" ;;
esac

# The statistics go outside the filesystem that is shut down.
"${cmd[@]}" --io-engine "$ENGINE" "${io[@]}" --stats s.json -q >dbcap.out 2>dbcap.err &
pid=$!
PIDS=("$pid")
wait_for_file "$out" 60
# Long enough for writes to be in flight, short enough to keep the image small
# (a synthetic run writes as fast as the disk takes it).
sleep 0.5
# -f: the journal is flushed first, so that a remount finds the file.
xfs_io -x -c "shutdown -f" mnt || fail "xfs_io shutdown failed"
wait_rc "$pid"
PIDS=()
cat dbcap.err
no_sanitizer_report dbcap.err
((RC == 1)) || fail "exit status $RC, want 1"
grep "$out" dbcap.err | grep -q 'Input/output error' ||
	fail "no message naming $out and 'Input/output error' on stderr"

[[ -s s.json ]] || fail "no statistics written"
expect final "$(jget s.json final)" true
expect run.engine "$(jget s.json run.io_engine)" "$ENGINE"
[[ $(jget s.json run.io_error) != null ]] || fail "run.io_error is null"
# The file cannot be read back after a shutdown: not verified, not consistent.
expect reconciliation.file_verified "$(jget s.json reconciliation.file_verified)" false
expect reconciliation.consistent "$(jget s.json reconciliation.consistent)" false
"$PYTHON" - s.json <<'PY' || fail "the statistics' counts do not add up"
import json, sys
d = json.load(open(sys.argv[1]))
t, r = d["totals"], d["reconciliation"]
# Every block is persisted or dropped under a cause, however the file ended.
assert r["generated_blocks"] == r["persisted_blocks"] + r["dropped_blocks"], r
assert r["generated_bytes"] == r["persisted_bytes"] + r["dropped_bytes"], r
assert t["dropped"]["io_error"] > 0, t["dropped"]
if d["run"]["mode"] == "replay":
    assert r["read_packets"] == r["filtered_packets"] + r["generated_blocks"], r
# Counted as written: no more than the kernel acknowledged.
assert t["file_bytes"] <= d["reader"]["bytes_written"], (t["file_bytes"], d["reader"]["bytes_written"])
PY
counted=$(jget s.json totals.file_bytes)
acked=$(jget s.json reader.bytes_written)

# After a remount: what the journal committed, never more than acknowledged,
# and a prefix of the stream that tools read.
umount mnt || fail "umount failed"
# The shut-down filesystem lives on until its last user lets go (the loop
# device detaches then); mounting the image before that would find it again.
for ((i = 0; i < 200; i++)); do
	[[ -z $(losetup -j fs.img) ]] && break
	sleep 0.1
done
[[ -z $(losetup -j fs.img) ]] || fail "the loop device of fs.img stays attached: $(losetup -j fs.img)"
mount -o loop fs.img mnt || fail "remount failed"
[[ -f $out ]] || fail "$out is gone after the remount"
size=$(stat -c %s "$out")
((size <= acked)) || fail "$out holds $size bytes after the remount, more than the $acked acknowledged"
if [[ $MODE == replay ]]; then
	cmp -s -n "$size" "$out" ref.pcap || fail "$out is not a prefix of the whole replay"
else
	"$VERIFY" --crash 7 10 1000 "$out" >crash.out 2>crash.err ||
		fail "dbcap-verify --crash: $(cat crash.out crash.err)"
fi
say "ok: $counted bytes counted as written, $acked acknowledged, $size in the file after the remount"
