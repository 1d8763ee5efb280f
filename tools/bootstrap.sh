#!/usr/bin/env bash
# One-command set-up for a fresh Debian 12 machine (run as root).
#
#   bash tools/bootstrap.sh demo   install, build, run a synthetic capture, print its summary
#   bash tools/bootstrap.sh test   install, build, run every suite: plain, ThreadSanitizer, ASan+UBSan
#
# .ci/run calls the second form.  Everything comes from Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
case "$mode" in demo|test) ;; *) echo "usage: $0 demo|test" >&2; exit 2 ;; esac

packages=(
	gcc clang meson ninja-build pkg-config            # toolchain
	liburing-dev libcjson-dev libpcap-dev             # libraries (pkg-config)
	libssl-dev                                        # libcrypto: SHA-256 of rotated files
	libck-dev                                         # the benchmark's ring peer (Concurrency Kit)
	tshark tcpdump                                    # capinfos/tshark check our files
	spin                                              # model check of the shared protocol
	strace python3 python3-jsonschema                 # syscall test, schema validation
	valgrind                                          # the unit tests under memcheck
	e2fsprogs util-linux mount                        # loop-mounted filesystems for ENOSPC
	prometheus prometheus-node-exporter curl          # --prom: promtool, a real textfile collector
	libsystemd-dev systemd                            # sd_notify; systemd-analyze verify of the unit
	xfsprogs                                          # xfs_io: shut an ext4 filesystem down (EIO)
	tcpreplay netsniff-ng iproute2 ethtool libcap2-bin # live capture tests: traffic, veth, capsh
)
install() {
	local missing=()
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "== installing: ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q
		apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
}

# setup DIR [meson options...]: configure once, reconfigure if options changed.
setup() {
	local dir=$1; shift
	if [ -d "$dir" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null
	else meson setup "$dir" "$@" >/dev/null; fi
	ninja -C "$dir"
}

install

if [ "$mode" = demo ]; then
	setup build -Dwerror=true
	out=$(mktemp -d /var/tmp/dbcap-demo.XXXXXX)
	echo "== dbcap: 4 writers, 2 s of synthetic traffic into $out/capture.pcapng"
	build/src/app/dbcap -w "$out/capture.pcapng" --writers 4 --duration 2 --stats "$out/stats.json"
	build/tools/dbcap-verify "$out/capture.pcapng" "$out/stats.json"
	capinfos -c -s -d "$out/capture.pcapng"
	echo "== statistics: $out/stats.json"
	exit 0
fi

# test: three builds, separate directories, every suite.
export MESON_TESTTHREADS=${MESON_TESTTHREADS:-2}
status=0
run() { # name dir [meson test args...]
	local name=$1 dir=$2; shift 2
	echo "== $name"
	if ! meson test -C "$dir" --print-errorlogs "$@"; then
		echo "== $name: FAILED"
		status=1
	fi
}

setup build -Dwerror=true
CC=clang setup build-clang -Dwerror=true          # warning-free with clang too; the fuzz target
setup build-tsan -Db_sanitize=thread -Db_lundef=false
setup build-asan -Db_sanitize=address,undefined -Db_lundef=false

run "plain (gcc)" build
# The dissector's libFuzzer target exists only in the clang build.
FUZZ_SECONDS=${FUZZ_SECONDS:-60} run "fuzz (clang)" build-clang --suite fuzz
# The unit tests under valgrind's memcheck (meson.build: add_test_setup).
run "valgrind (unit)" build --setup valgrind --suite unit
# The model check does not depend on the build flavour: once is enough; nor
# does the installation (whose consumer is built without the sanitizers).  The
# 60 s rotation soak (suite soak, tests/e2e/rotate-soak.sh) runs in the plain build only.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	run "ThreadSanitizer" build-tsan --no-suite model --no-suite install --no-suite soak --timeout-multiplier 4
ASAN_OPTIONS="detect_leaks=1 abort_on_error=1" UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1" \
	run "ASan+UBSan" build-asan --no-suite model --no-suite install --no-suite soak --timeout-multiplier 3
exit $status
