#!/bin/bash
# The durability policy: a replay ends like tcpdump -w (page cache, no fdatasync) unless --sync; a synthetic capture syncs unless --no-sync.
# usage: sync.sh
# shellcheck source=tests/replay/lib.sh
source "$(dirname "$0")/lib.sh"
need "$STRACE" "$PYTHON"
replay_init
# LeakSanitizer stops the world with ptrace, which fails under strace.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

"$MKIMIX" -o in.pcap --packets 20000 --flows 100 --seed 3 2>/dev/null

# check NAME WANT_SYNC WANT_DIRECT ARGS...: runs dbcap under strace; the
# process calls fdatasync on the output, and fsync on the output's directory
# (a new file's name), exactly when WANT_SYNC is 1; the statistics say so;
# O_DIRECT is used as WANT_DIRECT says (1, 0, or auto: either, since the file
# system may refuse O_DIRECT).  The statistics go to st/, whose own fsyncs
# (an atomic replace) are on st, not on the output's directory.
mkdir st
here=$(pwd -P)
check() {
	local name=$1 want_sync=$2 want_direct=$3
	shift 3
	run "$name" 0 "$STRACE" -f -qq -y -e trace=fdatasync,fsync -o "$name.trace" \
		"$DBCAP" -q -w "$name.cap" --stats "st/$name.json" "$@"
	valid "st/$name.json"
	local calls dirsyncs synced direct
	calls=$(grep -c "^[0-9]* *fdatasync([0-9]*<$here/$name.cap>)" "$name.trace" || true)
	dirsyncs=$(grep -c "^[0-9]* *fsync([0-9]*<$here>)" "$name.trace" || true)
	synced=$(jget "st/$name.json" run.sync_at_close)
	direct=$(jget "st/$name.json" run.direct_io)
	if ((want_sync)); then
		((calls == 1)) || fail "$name: $calls fdatasync calls on the output, want 1 ($*)"
		((dirsyncs == 1)) || fail "$name: $dirsyncs fsync calls on its directory, want 1 ($*)"
		[[ $synced == true ]] || fail "$name: run.sync_at_close is $synced, want true"
	else
		((calls == 0 && dirsyncs == 0)) ||
			fail "$name: $calls fdatasync and $dirsyncs directory fsync calls, want none ($*)"
		[[ $synced == false ]] || fail "$name: run.sync_at_close is $synced, want false"
	fi
	case $want_direct in
	0) [[ $direct == false ]] || fail "$name: run.direct_io is $direct, want false" ;;
	1) [[ $direct == true ]] || fail "$name: run.direct_io is $direct, want true" ;;
	auto) ;;
	esac
	say "ok: $name: $calls fdatasync, $dirsyncs directory fsync, O_DIRECT $direct ($*)"
}

# Where the file system takes O_DIRECT (a synthetic capture uses it then),
# a replay with --sync must use it too.
check synthetic-default 1 auto -c 2000
dio=auto
[[ $(jget st/synthetic-default.json run.direct_io) == true ]] && dio=1

# Replay: like tcpdump -r -w by default.
check replay-default 0 0 -r in.pcap
reconciles st/replay-default.json
"$COMPARE" in.pcap replay-default.cap >/dev/null || fail "replay-default: the records differ from the input's"
check replay-sync 1 "$dio" -r in.pcap --sync
check replay-sync-buffered 1 0 -r in.pcap --sync --buffered
check replay-no-sync 0 0 -r in.pcap --sync=off
# The statistics name the setting as given.
[[ $(jget st/replay-sync.json run.config.sync) == on ]] || fail "replay-sync: run.config.sync is not on"
[[ $(jget st/replay-default.json run.config.sync) == auto ]] || fail "replay-default: run.config.sync is not auto"
# Synthetic capture: durable by default (above), as the issue for synthetic mode asks.
check synthetic-no-sync 0 0 -c 2000 --no-sync
say "ok: the durability policy holds"
