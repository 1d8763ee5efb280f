# SPDX-License-Identifier: MIT
# What the shell tests share: sourced by tests/e2e/lib.sh and
# tests/replay/lib.sh, never run.
#
# work_init makes the test's private directory and changes into it.  At
# exit, however the test ends, work_cleanup kills what the test left running
# (PIDS), unmounts what it mounted (MOUNTS, last first) and removes the
# directory.

set -euo pipefail
umask 022

WORK=
WORK_KEEP=
PIDS=()
MOUNTS=()

say() { printf '%s\n' "$*"; }
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}
skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

# need PROGRAM...: each must be installed, else the test fails naming it.
need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 ||
			fail "$p is not installed (needed by this test; see tools/bootstrap.sh)"
	done
}

# absolute_paths VAR...: each variable that holds a relative program path
# gets an absolute one, so that it stays valid after work_init's cd.
absolute_paths() {
	local v
	for v in "$@"; do
		if [[ -n ${!v:-} && ${!v} != /* ]]; then
			printf -v "$v" '%s' "$PWD/${!v}"
		fi
	done
}

work_cleanup() {
	local rc=$? pid i m
	set +e
	trap - ERR
	for pid in "${PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	cd /
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		m=${MOUNTS[i]}
		mountpoint -q "$m" && { umount "$m" || umount -l "$m"; }
	done
	if [[ -n $WORK && -d $WORK ]]; then
		if [[ -n $WORK_KEEP ]]; then
			say "kept $WORK"
		else
			rm -rf --one-file-system "$WORK"
		fi
	fi
	exit "$rc"
}

# work_init BASE NAME KEEP: the private directory BASE/NAME.XXXXXX, the exit
# trap, and a cd into it.  A non-empty KEEP keeps the directory at exit.
work_init() {
	WORK=$(mktemp -d "$1/$2.XXXXXX")
	WORK_KEEP=$3
	trap work_cleanup EXIT
	# Killed by meson's timeout or ^C: still unmount and clean up.
	trap 'exit 143' TERM
	trap 'exit 130' INT
	trap 'exit 129' HUP
	# set -e ends a test silently: say where.
	set -E
	trap 'printf "FAIL: %s: line %s: \"%s\" exited %s\n" "${0##*/}" "$LINENO" "$BASH_COMMAND" "$?" >&2' ERR
	cd "$WORK"
}

# write_pcap FILE SECONDS...: a small valid pcap (microseconds, Ethernet)
# with one 60-byte frame of zeros at each of the given times.
write_pcap() {
	local file=$1
	shift
	"${PYTHON:-/usr/bin/python3}" - "$@" >"$file" <<'PY'
import struct, sys
out = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
for sec in sys.argv[1:]:
    out += struct.pack("<IIII", int(sec), 0, 60, 60) + bytes(60)
sys.stdout.buffer.write(out)
PY
}
