# SPDX-License-Identifier: MIT
# Shared helpers of the e2e tests: sourced by each test script, never run.
#
# Each test calls e2e_init, which makes a private directory under
# $DBCAP_E2E_TMPDIR (default /var/tmp: a disk filesystem where O_DIRECT
# works), changes into it and removes it at exit, after killing what the test
# left running (PIDS) and unmounting what it mounted (MOUNTS): see
# tests/common/lib.sh, which holds what the replay tests share too.
#
# Tools come from the environment that tests/e2e/meson.build sets:
# PYTHON (with jsonschema), TSHARK, CAPINFOS, STRACE, SCHEMA.

E2E_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/common/lib.sh
source "$E2E_SRC/../common/lib.sh"

PYTHON=${PYTHON:-/usr/bin/python3}
TSHARK=${TSHARK:-tshark}
CAPINFOS=${CAPINFOS:-capinfos}
STRACE=${STRACE:-strace}
SCHEMA=${SCHEMA:-$E2E_SRC/../../config/stats.schema.json}
# Seconds one dbcap run may take before the test calls it hung.
RUN_TIMEOUT=${DBCAP_E2E_RUN_TIMEOUT:-120}

# e2e_init: the private directory, cleaned up at exit (tests/common/lib.sh).
e2e_init() {
	absolute_paths DBCAP VERIFY NO_URING
	work_init "${DBCAP_E2E_TMPDIR:-/var/tmp}" dbcap-e2e "${DBCAP_E2E_KEEP:-}"
	say "working in $WORK ($(stat -f -c %T .))"
}

# Fails if a sanitizer reported something in FILE.
no_sanitizer_report() {
	if grep -Eq 'ERROR: (Address|Leak|Memory)Sanitizer|WARNING: ThreadSanitizer|runtime error:|ThreadSanitizer: ' "$1"; then
		sed -n '1,60p' "$1" >&2
		fail "sanitizer report in $1 (above)"
	fi
}

# run TAG CMD...: runs CMD with a timeout, stdout in TAG.out, stderr in
# TAG.err, the exit status in RC.  Fails on a timeout, a signal or a
# sanitizer report; the caller checks RC.
run() {
	local tag=$1
	shift
	RC=0
	timeout -k 5 "$RUN_TIMEOUT" "$@" >"$tag.out" 2>"$tag.err" || RC=$?
	if ((RC == 124 || RC == 137)); then
		sed -n '1,40p' "$tag.err" >&2
		fail "hung: killed after ${RUN_TIMEOUT} s: $*"
	fi
	no_sanitizer_report "$tag.err"
	if ((RC > 128)); then
		sed -n '1,40p' "$tag.err" >&2
		fail "killed by signal $((RC - 128)) (exit $RC): $*"
	fi
	ls core core.* >/dev/null 2>&1 && fail "a core file was left: $*"
	return 0
}

# run_ok TAG CMD...: run, and the exit status must be 0.
run_ok() {
	run "$@"
	if ((RC != 0)); then
		sed -n '1,40p' "$1.err" >&2
		fail "exit status $RC, want 0: ${*:2}"
	fi
}

# jget FILE PATH: one value of a JSON document (strings raw, null as null).
jget() {
	"$PYTHON" "$E2E_SRC/e2e.py" get "$1" "$2" || fail "$1: cannot read $2"
}

# expect WHAT GOT WANT
expect() {
	[[ $2 == "$3" ]] || fail "$1: got '$2', want '$3'"
}

# verify CAPTURE STATS: dbcap-verify must pass.
verify() {
	if ! "$VERIFY" "$1" "$2" >verify.out 2>verify.err; then
		cat verify.out verify.err >&2
		fail "dbcap-verify $1 $2 failed"
	fi
	cat verify.out
}

# The one line tshark prints on stderr for every run as root; not about the file.
ROOT_NOTICE='^Running as user "root" and group "root"\. This could be dangerous\.$'

# Fails unless FILE (a tool's stderr) is empty but for the root notice.
quiet_stderr() {
	local what=$1 file=$2
	if grep -Ev "$ROOT_NOTICE" "$file" | grep -q .; then
		cat "$file" >&2
		fail "$what printed on stderr (above)"
	fi
}

# tshark_count FILE: records tshark reads; fails on any complaint.
tshark_count() {
	local n
	"$TSHARK" -r "$1" >tshark.out 2>tshark.err || {
		cat tshark.err >&2
		fail "tshark -r $1 failed"
	}
	quiet_stderr "tshark -r $1" tshark.err
	n=$(wc -l <tshark.out)
	echo "$n"
}

# capinfos_count FILE: "Number of packets" from capinfos -c -M; fails on any complaint.
capinfos_count() {
	"$CAPINFOS" -c -M "$1" >capinfos.out 2>capinfos.err || {
		cat capinfos.out capinfos.err >&2
		fail "capinfos -c -M $1 failed"
	}
	quiet_stderr "capinfos -c -M $1" capinfos.err
	awk -F: '/^Number of packets/ { gsub(/[ \t]/, "", $2); print $2 }' capinfos.out
}

# check_io_fields STATS: the engine's fields agree with each other.
check_io_fields() {
	local s=$1 direct align engine reg
	direct=$(jget "$s" run.direct_io)
	align=$(jget "$s" run.dio_align_bytes)
	engine=$(jget "$s" run.io_engine)
	reg=$(jget "$s" run.registered_buffers)
	if [[ $direct == false ]]; then
		expect "run.dio_align_bytes when not direct" "$align" 0
	else
		# A power of two, 512 bytes to 1 MiB: what statx or the fallback gives.
		((align >= 512 && align <= 1048576 && (align & (align - 1)) == 0)) ||
			fail "run.dio_align_bytes is $align with direct_io true: not a plausible alignment"
	fi
	if [[ $engine == pwrite ]]; then
		expect "run.registered_buffers with pwrite" "$reg" false
	fi
}

# wait_for_file FILE SECONDS: until FILE exists and is not empty.
wait_for_file() {
	local i
	for ((i = 0; i < $2 * 100; i++)); do
		[[ -s $1 ]] && return 0
		sleep 0.01
	done
	fail "$1 did not appear within $2 s"
}

# The exit status of a background job in RC, even under set -e; without
# bash's "Killed" notice (the caller judges the status).
wait_rc() {
	RC=0
	{ wait "$1"; } 2>/dev/null || RC=$?
}

# mode_of FILE: permission bits in octal.
mode_of() { stat -c %a "$1"; }
