#!/bin/bash
# Buffers larger than the memory cgroup's room are refused at start with both numbers, instead of an OOM kill while they are filled.
# usage: memory-cgroup.sh DBCAP VERIFY
# Makes a child memory cgroup of 512 MiB (root, cgroup v1 or v2); exit 77 only where that is not permitted.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
need "$PYTHON"
e2e_init
(($(id -u) == 0)) || skip "making a memory cgroup needs root"

# The process's memory cgroup, as dbcap finds it (src/app/memcheck.c).
v1=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
if [[ -n $v1 ]]; then
	parent=/sys/fs/cgroup/memory${v1%/}
	limit_file=memory.limit_in_bytes
else
	parent=/sys/fs/cgroup$(awk -F: '$1 == 0 { print $3 }' /proc/self/cgroup)
	parent=${parent%/}
	limit_file=memory.max
	grep -qw memory "$parent/cgroup.subtree_control" 2>/dev/null ||
		skip "no memory controller for child cgroups of $parent"
fi
CG=$parent/dbcap-e2e-$$
mkdir "$CG" 2>mkdir.err || skip "mkdir $CG: $(cat mkdir.err)"
cleanup_cg() { rmdir "$CG" 2>/dev/null || true; }
trap 'rc=$?; cleanup_cg; (exit $rc); work_cleanup' EXIT
echo $((512 << 20)) >"$CG/$limit_file" || fail "cannot set $CG/$limit_file"

# in_cg TAG ARGS...: dbcap alone in the cgroup.
in_cg() {
	local tag=$1
	shift
	run "$tag" bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' in_cg "$CG" "$DBCAP" "$@"
}

# Four 256 MiB buffers: 1 GiB in a 512 MiB cgroup.
in_cg big -w big.pcapng --layout shared --buffers 4 --buffer-size 256M -c 1000 --stats big.json -q
cat big.err
expect "exit status" "$RC" 1
for w in 1073741824 536870912 "$CG" 'memory cgroup'; do
	grep -qF -- "$w" big.err || fail "the message does not name '$w'"
done
[[ ! -e big.pcapng && ! -e big.json ]] || fail "a refused run left a file behind"

# What fits is not refused: two 64 MiB buffers in the same cgroup.
in_cg small -w small.pcapng --layout shared --buffers 2 --buffer-size 64M -c 1000 --stats small.json -q
expect "exit status of a run that fits" "$RC" 0
verify small.pcapng small.json
say "ok: refused with both numbers; a run that fits ran"
