#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools/bench/run.sh: the whole benchmark in one command (docs/BENCHMARKS.md).
#
#   tools/bench/run.sh [--build DIR] [--out DIR] [--scratch DIR] [--quick]
#                      [--disk-only] [--no-docs] [--no-build]
#
#   --build DIR    meson build directory; configured (--buildtype=release) and
#                  built if it does not exist yet (default: build-bench)
#   --out DIR      JSON results (default: BUILD/bench-results)
#   --scratch DIR  where fio, dbcap and the disk sinks write their files: put
#                  it on the disk you want measured (default: OUT/scratch)
#   --quick        about a minute: fewer repeats, shorter runs, 1..2 writers
#   --disk-only    only fio against dbcap, and the memory checks
#   --no-docs      do not rewrite docs/BENCHMARKS.md and docs/plots/
#   --no-build     use BUILD as it is (meson benchmark() runs it so)
#
# Needs python3 and gnuplot (Debian: gnuplot-nox) for the report, fio for the
# disk ceiling, libck-dev for the ck-ring contender (all optional: what is
# missing is skipped and the report says so).  Takes about 9 minutes.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-bench"
out=
scratch=
quick=
disk_only=
docs=1
build_it=1

while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--scratch) scratch=$2; shift 2 ;;
	--quick) quick=--quick; shift ;;
	--disk-only) disk_only=--disk-only; shift ;;
	--no-docs) docs=; shift ;;
	--no-build) build_it=; shift ;;
	-h|--help) sed -n '4,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done
out=${out:-$build/bench-results}
scratch=${scratch:-$out/scratch}

if [ -n "$build_it" ]; then
	if [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" "$root" --buildtype=release
	fi
	meson compile -C "$build"
fi
if [ ! -x "$build/tools/bench/dbcap-bench" ]; then
	echo "run.sh: $build/tools/bench/dbcap-bench missing: is subdir('tools/bench') in meson.build?" >&2
	exit 1
fi

mkdir -p "$out" "$scratch"
python3 "$root/tools/bench/runner.py" --build "$build" --out "$out" --scratch "$scratch" \
	$quick $disk_only

if [ -n "$docs" ] && [ -z "$disk_only" ]; then
	cmd="tools/bench/run.sh${quick:+ --quick}"
	python3 "$root/tools/bench/report.py" --results "$out/results.json" --docs "$root/docs" \
		--command "$cmd"
fi
echo "run.sh: results in $out/results.json"
