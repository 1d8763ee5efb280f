#!/bin/bash
# An input cut (truncate -s) while it is replayed ends the replay as at a short file: exit 3, "input shrank", the records before the cut, statistics that match the file.
# usage: shrink.sh [LAYOUT WRITERS [FORMAT]]
#   per-writer 1 (default): the output must be a byte prefix of the whole
#   replay's; shared 2: each writer copies a packet aside before it reserves.
#   FORMAT pcap (default, read in place) or pcapng (read through libpcap).
# shellcheck source=tests/replay/lib.sh
source "$(dirname "$0")/lib.sh"
LAYOUT=${1:-per-writer} WRITERS=${2:-1} FORMAT=${3:-pcap}
need "$TCPDUMP" "$CAPINFOS"
replay_init

# 40,000 packets over 2 s (about 15 MB), replayed at --speed 1: at 0.6 s the
# writers are about a third of the way in.
"$MKIMIX" -o in.pcap --packets 40000 --flows 500 --span 2 --seed 14 2>/dev/null
if [[ $FORMAT == pcapng ]]; then
	need editcap
	editcap -F pcapng in.pcap in.pcapng
	# The whole replay of it, for comparison.
	"$DBCAP" -q -r in.pcapng -w ref.pcap
	input=in.pcapng
else
	"$TCPDUMP" -r in.pcap -w ref.pcap 2>/dev/null
	input=in.pcap
fi
size=$(stat -c %s "$input")
page=$(getconf PAGESIZE)

# last_end_before FILE N: where the last record of a (host-order) pcap file
# that ends at or before byte N ends.
last_end_before() {
	"$PYTHON" - "$1" "$2" <<'PY'
import struct, sys
data, n = open(sys.argv[1], "rb").read(), int(sys.argv[2])
off = 24
while off + 16 <= len(data):
    end = off + 16 + struct.unpack_from("=I", data, off + 8)[0]
    if end > n:
        break
    off = end
print(off)
PY
}

# Behind the writers (they fault on their next page), and ahead of them (they
# read on to the new end, where the page holding it reads as zeros past it);
# on a page boundary and off one.
for cut in $((page * 300)) 3000001 $((size * 3 / 4 / page * page)) $((size * 3 / 4 + 13)); do
	rm -f out.pcap s.json a.pcap
	cp "$input" a.pcap
	"$DBCAP" -r a.pcap -w out.pcap --speed 1 --layout "$LAYOUT" --writers "$WRITERS" \
		--stats s.json >"dbcap-$cut.out" 2>"dbcap-$cut.err" &
	pid=$!
	PIDS=("$pid")
	for ((i = 0; i < 500; i++)); do [[ -s out.pcap ]] && break; sleep 0.01; done
	sleep 0.6
	truncate -s "$cut" a.pcap
	RC=0
	wait "$pid" || RC=$?
	PIDS=()
	no_sanitizer_report "dbcap-$cut.err"
	((RC == 3)) || fail "cut at $cut: exit status $RC, want 3: $(cat "dbcap-$cut.err")"
	grep -q "a.pcap: input shrank from $size to $cut bytes" "dbcap-$cut.err" ||
		fail "cut at $cut: no \"input shrank\" naming the file: $(cat "dbcap-$cut.err")"
	[[ $(jget s.json run.input.shrank) == true ]] || fail "cut at $cut: run.input.shrank is not true"
	[[ $(jget s.json run.input.truncated) == true ]] || fail "cut at $cut: run.input.truncated is not true"
	[[ $(jget s.json run.input.file_bytes_now) == "$cut" ]] || fail "cut at $cut: file_bytes_now $(jget s.json run.input.file_bytes_now)"
	reconciles s.json || fail "cut at $cut: the statistics do not reconcile"
	valid s.json
	# The file holds what the statistics say, and tools read it whole.
	persisted=$(jget s.json totals.persisted_blocks)
	fbytes=$(jget s.json totals.file_bytes)
	[[ $(stat -c %s out.pcap) == "$fbytes" ]] || fail "cut at $cut: file $(stat -c %s out.pcap) bytes, statistics $fbytes"
	n=$("$CAPINFOS" -M -c out.pcap | sed -n 's/^Number of packets: *//p')
	[[ $n == "$persisted" ]] || fail "cut at $cut: capinfos counts $n packets, statistics $persisted"
	"$TCPDUMP" -n -r out.pcap >/dev/null 2>"tcpdump-$cut.err" || fail "cut at $cut: tcpdump: $(cat "tcpdump-$cut.err")"
	! grep -q truncated "tcpdump-$cut.err" || fail "cut at $cut: $(cat "tcpdump-$cut.err")"
	((persisted > 0)) || fail "cut at $cut: nothing replayed (dbcap started late?)"
	if ((WRITERS == 1)); then
		# Records from before the cut only, never zeros read past it: a byte prefix.
		cmp -s -n "$fbytes" out.pcap ref.pcap || fail "cut at $cut: out.pcap is not a prefix of the whole replay"
		# libpcap's path stops at the fault; records read in place read on to the cut.
		if ((cut > size / 2)) && [[ $FORMAT == pcap ]]; then
			# Ahead of the writer: it read on to the cut, as to the end of a
			# file cut short, and replayed every record wholly before it.
			want=$(last_end_before ref.pcap "$cut")
			((fbytes == want)) ||
				fail "cut at $cut: $fbytes bytes replayed, want $want (every record before the cut)"
		fi
	else
		# Every packet is one of the input's: none has a zero length (zeros read as a record).
		zeros=$("$TCPDUMP" -n -r out.pcap 2>/dev/null | grep -c 'length 0' || true)
		((zeros == 0)) || fail "cut at $cut: $zeros empty records (zeros past the cut)"
	fi
	say "cut at $cut: exit 3, $persisted packets ($fbytes bytes) replayed, statistics and file agree"
done
