#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench-replay.sh: dbcap --pcap against tcpdump -r -w and cp, side by side.
#
#   tools/bench-replay.sh [BUILD_DIR] [REPETITIONS]
#
# A benchmark, not a test (docs/BENCHMARKS.md, "Replay", holds the results).
# Makes an IMIX capture of BENCH_SIZE (default 600M) with tools/mkimix if
# BENCH_DIR (default /var/tmp/dbcap-bench) has none, then runs each command
# once per round, in a shuffled order, for REPETITIONS rounds (default 5),
# and prints the median, minimum and maximum wall-clock time of each, and the
# median over the rounds of the speed ratios taken within one round (the
# machine's speed drifts from minute to minute; a ratio of two runs made
# moments apart drifts much less):
#
#   dbcap          dbcap -r big.pcap -w out.pcap          (1 writer, defaults)
#   dbcap-sync     the same with --sync
#   dbcap-2w       the same with --writers 2
#   tcpdump        tcpdump -r big.pcap -w out.pcap
#   cp             cp big.pcap out.pcap
#   tcpdump+sync   tcpdump, then sync(1) of its output: the data on disk
#   cp+sync        cp, then sync(1) of its output
#
# Two like-for-like pairs.  By default a replay ends as tcpdump -w and cp
# do, with the data written into the page cache, to reach the disk later
# (write-back): dbcap against tcpdump and cp.  With --sync it ends with its
# data on the disk (O_DIRECT where it can, then fdatasync), like the +sync
# lines: dbcap-sync against tcpdump+sync and cp+sync.
#
# With BENCH_BASELINE=PATH (another build's dbcap, e.g. of the commit before
# a change) two more commands join the rounds, base and base-sync (PATH with
# the defaults and with --sync), and the ratios base / dbcap and base-sync /
# dbcap-sync say whether the change moved the speed: before and after, side by
# side in the same rounds.  Its output must be byte-identical too.
#
# With BENCH_FLOOR=1 two more commands join the rounds, tools/copy-floor,
# the least a program can do to copy the file through user memory:
#   floor-read     read() and write() of 1 MiB - 4 KiB pieces
#   floor-mmap     mmap, memcpy into a buffer, write() of 1 MiB + 24 B pieces
# and their speed is set against cp's like dbcap's (BENCHMARKS.md, "Replay").
#
# Conditions, the same for every command and run: the input is in the page
# cache (read once before each run, caches are never dropped); the previous
# output is deleted, then sync, then a pause of BENCH_PAUSE seconds (default
# 3) so that the file system's discards and write-back of the deleted file do
# not land in the next measurement.  The first run's dbcap output is compared
# with tcpdump's (cmp): they must be byte-identical.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
reps=${2:-5}
dir=${BENCH_DIR:-/var/tmp/dbcap-bench}
size=${BENCH_SIZE:-600M}
pause=${BENCH_PAUSE:-3}
dbcap=$build/src/app/dbcap
mkimix=$build/tools/mkimix
floor=$build/tools/copy-floor
tools=("$dbcap" "$mkimix")
base=${BENCH_BASELINE:-}
[[ ${BENCH_FLOOR:-0} == 1 ]] && tools+=("$floor")
[[ -n $base ]] && tools+=("$base")
for p in "${tools[@]}"; do
	[[ -x $p ]] || { echo "bench-replay: $p is missing: build first (ninja -C $build)" >&2; exit 2; }
done
command -v tcpdump >/dev/null || { echo "bench-replay: tcpdump is not installed" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench-replay: /usr/bin/time is not installed (Debian: time)" >&2; exit 2; }

mkdir -p "$dir"
in=$dir/big.pcap
out=$dir/out.pcap
if [[ ! -f $in ]]; then
	echo "== making $in ($size of IMIX)"
	"$mkimix" -o "$in" --bytes "$size" --flows 10000 --seed 1
fi

echo "== machine"
date -u +"date: %Y-%m-%dT%H:%M:%SZ"
uname -r | sed 's/^/kernel: /'
lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Socket|L2|L3|Hypervisor)' | sed 's/  */ /g'
free -g | awk '/^Mem:/ { print "memory: " $2 " GiB" }'
df -hT "$dir" | awk 'NR == 2 { print "filesystem: " $2 " on " $1 ", mounted " $7 }'
dev=$(basename "$(df "$dir" | awk 'NR == 2 { print $1 }')")
[[ -r /sys/block/$dev/queue/scheduler ]] && echo "disk: $dev, scheduler $(cat /sys/block/$dev/queue/scheduler)"
grep " $(df "$dir" | awk 'NR == 2 { print $6 }') " /proc/mounts | awk '{ print "mount options: " $4 }'
"$dbcap" --version
tcpdump --version 2>&1 | head -2 | tr '\n' ' '
echo
cp --version | head -1
ls -l "$in" | awk '{ print "input: " $5 " bytes" }'
echo "packets: $(capinfos -c -M "$in" 2>/dev/null | awk '/Number of packets/ { print $NF }')"
echo "repetitions: $reps, pause: $pause s, input in the page cache"

declare -A times cpu
names=(dbcap dbcap-sync dbcap-2w tcpdump cp tcpdump+sync cp+sync)
[[ ${BENCH_FLOOR:-0} == 1 ]] && names+=(floor-read floor-mmap)
[[ -n $base ]] && names+=(base base-sync)
run() { # run NAME: one measurement (wall clock, and user + system CPU time)
	local name=$1 cmd
	rm -f "$out"
	sync
	sleep "$pause"
	cat "$in" >/dev/null
	case $name in
	dbcap) cmd="'$dbcap' -q -r '$in' -w '$out'" ;;
	dbcap-sync) cmd="'$dbcap' -q -r '$in' -w '$out' --sync" ;;
	dbcap-2w) cmd="'$dbcap' -q -r '$in' -w '$out' --writers 2 2>/dev/null" ;;
	tcpdump) cmd="tcpdump -r '$in' -w '$out' 2>/dev/null" ;;
	cp) cmd="cp '$in' '$out'" ;;
	tcpdump+sync) cmd="tcpdump -r '$in' -w '$out' 2>/dev/null && sync '$out'" ;;
	cp+sync) cmd="cp '$in' '$out' && sync '$out'" ;;
	base) cmd="'$base' -q -r '$in' -w '$out'" ;;
	base-sync) cmd="'$base' -q -r '$in' -w '$out' --sync" ;;
	floor-read) cmd="'$floor' read '$in' '$out' -4096" ;;
	floor-mmap) cmd="'$floor' mmap '$in' '$out' 24" ;;
	esac
	/usr/bin/time -f "%e %U %S" -o "$dir/time.txt" sh -c "$cmd"
	read -r e u s <"$dir/time.txt"
	times[$name]+="$(awk -v e="$e" 'BEGIN { printf "%d", e * 1000 }') "
	cpu[$name]+="$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%d", (u + s) * 1000 }') "
}

# The outputs must agree before anything is timed.
"$dbcap" -q -r "$in" -w "$dir/check-dbcap.pcap" --force
tcpdump -r "$in" -w "$dir/check-tcpdump.pcap" 2>/dev/null
if cmp "$dir/check-dbcap.pcap" "$dir/check-tcpdump.pcap"; then
	echo "outputs: dbcap's and tcpdump's are byte-identical"
else
	echo "bench-replay: dbcap's output differs from tcpdump's" >&2
	exit 1
fi
if [[ -n $base ]]; then
	"$base" -q -r "$in" -w "$dir/check-base.pcap" --force
	cmp "$dir/check-base.pcap" "$dir/check-tcpdump.pcap" ||
		{ echo "bench-replay: the baseline's output differs from tcpdump's" >&2; exit 1; }
	echo "baseline: $base ($("$base" --version)), byte-identical too"
	rm -f "$dir/check-base.pcap"
fi
rm -f "$dir/check-dbcap.pcap" "$dir/check-tcpdump.pcap"

for ((r = 1; r <= reps; r++)); do
	mapfile -t order < <(printf '%s\n' "${names[@]}" | shuf)
	for n in "${order[@]}"; do
		run "$n"
	done
	echo "round $r/$reps done (${order[*]})"
done
rm -f "$out"

summary() { # summary TITLE ARRAY
	local -n a=$2
	echo "== $1, ms (median, min, max over $reps runs; all runs)"
	for n in "${names[@]}"; do
		read -r -a t <<<"${a[$n]}"
		mapfile -t s < <(printf '%s\n' "${t[@]}" | sort -n)
		printf '%-14s median %6d  min %6d  max %6d   (%s)\n' "$n" "${s[$((${#s[@]} / 2))]}" \
			"${s[0]}" "${s[-1]}" "${a[$n]% }"
	done
}
summary "wall clock" times
summary "CPU time, user + system, all threads (the kernel's write-back threads not included)" cpu

# ratio A B: the median over the rounds of time(A) / time(B) (> 1: B is faster).
ratio() {
	local -a a b q
	read -r -a a <<<"${times[$1]}"
	read -r -a b <<<"${times[$2]}"
	for ((i = 0; i < ${#a[@]}; i++)); do
		q+=("$(awk -v x="${a[i]}" -v y="${b[i]}" 'BEGIN { printf "%.2f", x / y }')")
	done
	mapfile -t q < <(printf '%s\n' "${q[@]}" | sort -n)
	printf '%-34s %5s   (rounds: %s)\n' "$1 / $2" "${q[$((${#q[@]} / 2))]}" "${q[*]}"
}
echo "== speed of dbcap relative to the others (median of the per-round ratios)"
ratio tcpdump dbcap
ratio cp dbcap
ratio tcpdump+sync dbcap-sync
ratio cp+sync dbcap-sync
ratio dbcap dbcap-2w
if [[ -n $base ]]; then
	ratio base dbcap
	ratio base-sync dbcap-sync
fi
if [[ ${BENCH_FLOOR:-0} == 1 ]]; then
	ratio cp floor-read
	ratio cp floor-mmap
fi
