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
# process calls fdatasync on the output exactly when WANT_SYNC is 1, the
# statistics say so, and O_DIRECT is used as WANT_DIRECT says (O_DIRECT may
# be refused by the file system: "auto" accepts either).
check() {
	local name=$1 want_sync=$2 want_direct=$3
	shift 3
	run "$name" 0 "$STRACE" -f -qq -e trace=fdatasync,fsync -o "$name.trace" \
		"$DBCAP" -q -w "$name.cap" --stats "$name.json" "$@"
	valid "$name.json"
	local calls synced direct
	calls=$(grep -c '^[0-9]* *fdatasync(' "$name.trace" || true)
	synced=$(jget "$name.json" run.sync_at_close)
	direct=$(jget "$name.json" run.direct_io)
	if ((want_sync)); then
		((calls == 1)) || fail "$name: $calls fdatasync calls, want 1 ($*)"
		[[ $synced == true ]] || fail "$name: run.sync_at_close is $synced, want true"
	else
		((calls == 0)) || fail "$name: $calls fdatasync calls, want none ($*)"
		[[ $synced == false ]] || fail "$name: run.sync_at_close is $synced, want false"
	fi
	case $want_direct in
	0) [[ $direct == false ]] || fail "$name: run.direct_io is $direct, want false" ;;
	auto) ;;
	esac
	say "ok: $name: $calls fdatasync, O_DIRECT $direct ($*)"
}

# Replay: like tcpdump -r -w by default.
check replay-default 0 0 -r in.pcap
reconciles replay-default.json
"$COMPARE" in.pcap replay-default.cap >/dev/null || fail "replay-default: the records differ from the input's"
check replay-sync 1 auto -r in.pcap --sync
check replay-sync-buffered 1 0 -r in.pcap --sync --buffered
check replay-no-sync 0 0 -r in.pcap --sync=off
# The statistics name the setting as given.
[[ $(jget replay-sync.json run.config.sync) == on ]] || fail "replay-sync: run.config.sync is not on"
[[ $(jget replay-default.json run.config.sync) == auto ]] || fail "replay-default: run.config.sync is not auto"
# Synthetic capture: durable by default, as the issue for synthetic mode asks.
check synthetic-default 1 auto -c 2000
check synthetic-no-sync 0 0 -c 2000 --no-sync
say "ok: the durability policy holds"
