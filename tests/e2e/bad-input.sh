#!/bin/bash
# Bad input is refused with a clear message and the right exit status, no crash, and no file left behind.
# usage: bad-input.sh DBCAP VERIFY CASE   (CASE: see the list below)
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 CASE=$3
need "$PYTHON"
e2e_init

# What each case gives dbcap, the exit status it wants and the words the message must hold.
want_rc=2
words=()
args=(-w out.pcapng -c 100)
stats=(--stats s.json)
# readonly_dir DIR: DIR, made read-only by a bind mount (as root a mode of
# 0555 stops nothing); skipped where mounting needs a privilege we lack.
readonly_dir() {
	mkdir "$1"
	(($(id -u) == 0)) || skip "a read-only bind mount needs root"
	if ! mount --bind "$1" "$1" 2>mount.err; then
		grep -Eqi 'permission denied|not permitted|superuser' mount.err &&
			skip "mount --bind: $(cat mount.err)"
		fail "mount --bind: $(cat mount.err)"
	fi
	MOUNTS+=("$WORK/$1")
	mount -o remount,bind,ro "$1" 2>mount.err || fail "mount -o remount,bind,ro: $(cat mount.err)"
	touch "$1/probe" 2>/dev/null && fail "$1/ is still writable"
	return 0
}
case $CASE in
bad-option) args+=(--bogus) words=('--bogus') ;;
bad-layout) args+=(--layout ring) words=('--layout' 'ring') ;;
writers-0) args+=(--writers 0) words=('--writers' '0') ;;
writers-300) args+=(--writers 300) words=('--writers' '300') ;;
cpus-4096) args+=(--cpus 4096) words=('--cpus' '4096') ;;
cpus-offline)
	# The first CPU number below 1024 that is not online.
	cpu=$("$PYTHON" -c '
import os
on = set()
for part in open("/sys/devices/system/cpu/online").read().strip().split(","):
    lo, _, hi = part.partition("-")
    on.update(range(int(lo), int(hi or lo) + 1))
print(min(set(range(1024)) - on))')
	args+=(--cpus "$cpu") words=('--cpus' "$cpu" 'not online')
	;;
buffer-too-small) args+=(--buffer-size 4k --block-max 10000) words=('--buffer-size' 'too small') ;;
no-output) args=(-c 100) words=('-w') ;;
missing-dir)
	want_rc=1
	args=(-w "$WORK/nonexistent/dir/out.pcapng" -c 100)
	words=("$WORK/nonexistent/dir/out.pcapng" 'No such file or directory')
	;;
readonly-dir)
	want_rc=1
	readonly_dir ro
	args=(-w ro/out.pcapng -c 100)
	words=('ro/out.pcapng' 'Read-only file system')
	;;
exists)
	want_rc=1
	printf 'not a capture\n' >out.pcapng
	words=('out.pcapng' '--force')
	;;
symlink)
	want_rc=1
	printf 'the target\n' >target
	ln -s target out.pcapng
	words=('out.pcapng' 'exists')
	;;
symlink-force)
	# --force replaces regular files only: never what a link points to.
	want_rc=1
	printf 'the target\n' >target
	ln -s target out.pcapng
	args+=(--force)
	words=('out.pcapng' 'symbolic link')
	;;
# A path named twice: refused before anything is created or replaced, however it is spelled.
stats-is-output) stats=(--stats out.pcapng) words=('--stats out.pcapng' 'same file' '-w out.pcapng') ;;
stats-is-output-dotslash) stats=(--stats ./out.pcapng) words=('--stats ./out.pcapng' '-w out.pcapng') ;;
stats-is-output-dotdot)
	mkdir sub
	stats=(--stats sub/../out.pcapng) words=('--stats sub/../out.pcapng' '-w out.pcapng')
	;;
stats-hardlink-output)
	printf 'an old capture\n' >out.pcapng
	ln out.pcapng hl
	args+=(--force) stats=(--stats hl) words=('--stats hl' '-w out.pcapng')
	;;
stats-symlink-output)
	printf 'an old capture\n' >out.pcapng
	ln -s out.pcapng sl
	args+=(--force) stats=(--stats sl) words=('--stats sl' '-w out.pcapng')
	;;
stats-is-input)
	write_pcap in.pcap 1
	args=(-r in.pcap -w o.pcap) stats=(--stats in.pcap) words=('--stats in.pcap' '-r in.pcap')
	;;
stats-is-input-force)
	write_pcap in.pcap 1
	args=(-r in.pcap -w o.pcap --force) stats=(--stats ./in.pcap) words=('--stats ./in.pcap' '-r in.pcap')
	;;
stats-is-config)
	printf '{ "writers": 1 }\n' >c.json
	args+=(--config c.json --force) stats=(--stats c.json) words=('--stats c.json' '--config c.json')
	;;
output-is-input)
	write_pcap in.pcap 1
	args=(-r in.pcap -w ./in.pcap --force) words=('-w ./in.pcap' '-r in.pcap')
	;;
output-is-config)
	printf '{ "writers": 1 }\n' >c.json
	args=(-w c.json -c 100 --config c.json --force) words=('-w c.json' '--config c.json')
	;;
# The statistics path itself: checked at start with the answers -w gets.
stats-exists) want_rc=1; printf '{}\n' >s.json; words=('--stats s.json' '--force') ;;
stats-symlink | stats-symlink-force)
	want_rc=1
	printf 'the target\n' >target
	ln -s target s.json
	[[ $CASE == *-force ]] && args+=(--force)
	words=('--stats s.json' 'symbolic link')
	;;
stats-fifo) want_rc=1; mkfifo s.json; words=('--stats s.json' 'not a regular file') ;;
stats-missing-dir)
	want_rc=1
	stats=(--stats nodir/s.json) words=('--stats nodir/s.json' 'No such file or directory')
	;;
stats-readonly-dir)
	want_rc=1
	readonly_dir ro
	stats=(--stats ro/s.json) words=('--stats ro/s.json' 'Read-only file system')
	;;
stats-stdout-interval) stats=(--stats - --stats-interval 1) words=('--stats -' '--stats-interval') ;;
# --prom: the same checks as --stats, and against the statistics' own file.
prom-is-output) stats=(--prom ./out.pcapng) words=('--prom ./out.pcapng' 'same file' '-w out.pcapng') ;;
prom-is-stats) stats=(--stats s.json --prom ./s.json) words=('--prom ./s.json' '--stats s.json') ;;
prom-is-config)
	printf '{ "writers": 1 }\n' >c.json
	args+=(--config c.json --force) stats=(--prom c.json) words=('--prom c.json' '--config c.json')
	;;
prom-is-input)
	write_pcap in.pcap 1
	args=(-r in.pcap -w o.pcap --force) stats=(--prom in.pcap) words=('--prom in.pcap' '-r in.pcap')
	;;
prom-exists) want_rc=1; printf 'x 1\n' >m.prom; stats=(--prom m.prom) words=('--prom m.prom' '--force') ;;
prom-symlink-force)
	want_rc=1
	printf 'the target\n' >target
	ln -s target m.prom
	args+=(--force) stats=(--prom m.prom) words=('--prom m.prom' 'symbolic link')
	;;
prom-missing-dir)
	want_rc=1
	stats=(--prom nodir/m.prom) words=('--prom nodir/m.prom' 'No such file or directory')
	;;
prom-readonly-dir)
	want_rc=1
	readonly_dir ro
	stats=(--prom ro/m.prom) words=('--prom ro/m.prom' 'Read-only file system')
	;;
stats-interval-alone) stats=(--stats-interval 1) words=('--stats-interval 1' '--stats FILE' '--prom FILE') ;;
input-stdin)
	# -r - reads standard input to its end (tests/replay/stream-in.sh): an empty one is no capture.
	want_rc=1
	args=(-r - -w o.pcap) words=('-:' 'truncated dump file')
	;;
stats-stdout-capture-stdout)
	# Both on standard output: the capture stream would carry the document.
	args=(-w - -c 100) stats=(--stats -) words=('--stats -' '-w -' 'standard output')
	;;
count-below-writers) args=(-w out.pcapng -c 3 --writers 4) words=('-c 3' '--writers 4') ;;
config-unknown-key) printf '{ "writers": 2, "writerz": 2 }\n' >c.json; words=('c.json' 'writerz') ;;
config-wrong-type) printf '{ "writers": "two" }\n' >c.json; words=('c.json' '"writers"') ;;
config-range) printf '{ "buffers": 1 }\n' >c.json; words=('c.json' '"buffers"' '1') ;;
config-invalid-json) printf '{ "writers": 2,\n  "layout": shared }\n' >c.json; words=('c.json' 'JSON') ;;
config-missing) words=('c.json' 'No such file or directory') ;;
config-filter-synthetic) printf '{ "filter": "tcp" }\n' >c.json; words=('c.json' '"filter"' '"pcap"' '"interface"') ;;
*) fail "unknown case $CASE" ;;
esac
[[ $CASE == config-* ]] && args+=(--config c.json)
args+=("${stats[@]}")

# What was there before: the run must add nothing and change nothing.
snapshot() { find . -mindepth 1 -path ./ro -prune -o -printf '%p %y %s %m %T@ %l\n' |
	{ grep -Ev '^\./dbcap\.(out|err) ' || true; } | sort; }
before=$(snapshot)
sums_before=$(find . -path ./ro -prune -o -type f ! -name 'dbcap.*' -print0 | sort -z | xargs -0r sha256sum)

if [[ $CASE == input-stdin ]]; then
	run dbcap "$DBCAP" "${args[@]}" </dev/null
else
	run dbcap "$DBCAP" "${args[@]}"
fi
cat dbcap.err
((RC == want_rc)) || fail "exit status $RC, want $want_rc: dbcap ${args[*]}"
[[ -s dbcap.err ]] || fail "no message on stderr"
msg=$(cat dbcap.err)
for w in "${words[@]}"; do
	[[ $msg == *"$w"* ]] || fail "the message does not name '$w': $msg"
done
head -1 dbcap.err | grep -q '^dbcap: ' || fail "the message does not start with 'dbcap: '"
grep -q 'dbcap: dbcap:' dbcap.err && fail "the message repeats its 'dbcap: ' prefix: $msg"

after=$(snapshot)
sums_after=$(find . -path ./ro -prune -o -type f ! -name 'dbcap.*' -print0 | sort -z | xargs -0r sha256sum)
if [[ $before != "$after" || $sums_before != "$sums_after" ]]; then
	diff <(echo "$before") <(echo "$after") >&2 || true
	fail "the directory changed (above): a file was left behind or touched"
fi
[[ ! -e ro/out.pcapng ]] || fail "ro/out.pcapng exists"
say "ok: $CASE: exit $RC"
