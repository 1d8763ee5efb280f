#!/bin/bash
# SPDX-License-Identifier: MIT
# Live capture, side by side (docs/BENCHMARKS.md, "Live capture"): dbcap with 1 and 2 writers,
# tcpdump -w with a large -B, dumpcap -w and netsniff-ng writing pcap, each capturing a veth
# pair's traffic in turn, for the same frames at a ladder of rates and at top speed.
#
#   sudo tools/bench-live.sh BUILD/src/app/dbcap [PACKETS] [RATES...]
#
# Traffic: trafgen (netsniff-ng) sends 64-byte UDP frames over 64 flows from one namespace,
# pinned to core 0 (GEN_CPU); tcpreplay sends an IMIX file (tools/mkimix, MKIMIX) the same way.
# "top" is trafgen without a rate (tcpreplay --topspeed).  For each tool and step: frames sent,
# frames in the file (capinfos), loss = sent - in file (kernel and tool together), frames that
# reached the interface (rx_packets), the tool's CPU seconds (utime + stime from /proc, from
# just before the traffic to the stop: start-up excluded, the idle second after included) per
# million frames, and whether capinfos reads the whole file.  One line per run, tab-separated.
set -euo pipefail
DBCAP=$(realpath "$1")
N=${2:-200000}
shift 2 || true
RATES=("${@:-50000 100000 200000 400000 top}")
read -r -a RATES <<<"${RATES[*]}"
GEN_CPU=${GEN_CPU:-0}
TOOL_CPU=${TOOL_CPU:-1}
MKIMIX=${MKIMIX:-$(dirname "$DBCAP")/../../tools/mkimix}
OUT=${BENCH_DIR:-/var/tmp}/bench-live.$$
NS_A=bench-a$$ NS_B=bench-b$$ A=bnA$$ B=bnB$$
mkdir -p "$OUT"
cleanup() {
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
	rm -rf "$OUT"
}
trap cleanup EXIT
ip netns add "$NS_A"
ip netns add "$NS_B"
for ns in "$NS_A" "$NS_B"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add "$A" netns "$NS_A" type veth peer name "$B" netns "$NS_B"
ip -n "$NS_A" link set "$A" up
ip -n "$NS_B" link set "$B" up

# 64-byte frames (60 without the FCS), UDP 198.51.100.1 -> .2, source ports over 64 flows.
cat >"$OUT/udp64.cfg" <<'CFG'
{
  0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  0x08, 0x00,
  0x45, 0x00, 0x00, 0x2e, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, csumip(14, 33),
  198, 51, 100, 1,  198, 51, 100, 2,
  0x4e, dinc(0, 63), 0x00, 0x09, 0x00, 0x1a, 0x00, 0x00,
  fill(0x00, 18)
}
CFG
"$MKIMIX" -o "$OUT/imix.pcap" --packets "$N" --flows 64 >/dev/null

rx() { ip netns exec "$NS_B" cat "/sys/class/net/$B/statistics/rx_packets"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# run TOOL TRAFFIC RATE: one capture; prints one line.
run() {
	local tool=$1 traffic=$2 rate=$3 f pid ext=pcap
	case $tool in dumpcap) ext=pcapng ;; esac
	f=$OUT/cap.$ext
	rm -f "$f" "$OUT/s.json"
	case $tool in
	dbcap-1) cmd=("$DBCAP" -i "$B" -w "$f" --writers 1 --ring-blocks 256 -q) ;;
	dbcap-2) cmd=("$DBCAP" -i "$B" -w "$f" --writers 2 --ring-blocks 128 -q) ;;
	tcpdump) cmd=(tcpdump -n -q -i "$B" -B 262144 -w "$f") ;;
	dumpcap) cmd=(dumpcap -q -i "$B" -B 256 -w "$f") ;;
	netsniff-ng) cmd=(netsniff-ng -s -i "$B" -o "$f" -S 256MiB) ;;
	esac
	# DEFAULTS=1: each tool with its own default buffer (dbcap: 64 MiB per writer; tcpdump,
	# dumpcap: 2 MiB; netsniff-ng: its default ring).
	if [[ ${DEFAULTS:-0} == 1 ]]; then
		case $tool in
		dbcap-1) cmd=("$DBCAP" -i "$B" -w "$f" --writers 1 -q) ;;
		dbcap-2) cmd=("$DBCAP" -i "$B" -w "$f" --writers 2 -q) ;;
		tcpdump) cmd=(tcpdump -n -q -i "$B" -w "$f") ;;
		dumpcap) cmd=(dumpcap -q -i "$B" -w "$f") ;;
		netsniff-ng) cmd=(netsniff-ng -s -i "$B" -o "$f") ;;
		esac
	fi
	# dbcap places its own threads; the others go to the core the generator leaves.
	if [[ $tool == dbcap-* ]]; then
		ip netns exec "$NS_B" "${cmd[@]}" >"$OUT/tool.out" 2>&1 &
	else
		ip netns exec "$NS_B" taskset -c "$TOOL_CPU" "${cmd[@]}" >"$OUT/tool.out" 2>&1 &
	fi
	pid=$!
	sleep 1.5
	local rx0 t0 t1 sent=$N
	rx0=$(rx)
	t0=$(cpu_ticks "$pid") # start-up (ring allocation, buffers) excluded
	local s0 s1
	s0=$(date +%s.%N)
	if [[ $traffic == 64 ]]; then
		local r=()
		[[ $rate == top ]] || r=(-b "${rate}pps")
		ip netns exec "$NS_A" taskset -c "$GEN_CPU" trafgen -q -P 1 -C -i "$OUT/udp64.cfg" \
			-o "$A" -n "$N" "${r[@]}" >/dev/null 2>&1
	else
		local r=(--topspeed)
		[[ $rate == top ]] || r=(--pps="$rate")
		ip netns exec "$NS_A" taskset -c "$GEN_CPU" tcpreplay -q -i "$A" "${r[@]}" \
			"$OUT/imix.pcap" >/dev/null 2>&1
	fi
	s1=$(date +%s.%N)
	sleep 1
	local got_rx=$(($(rx) - rx0))
	t1=$(cpu_ticks "$pid")
	kill -INT "$pid"
	wait "$pid" || true
	local recs valid=yes
	recs=$(capinfos -c -M "$f" 2>/dev/null | awk -F': *' '/Number of packets/ { print $2 }')
	capinfos "$f" >/dev/null 2>&1 || valid=no
	recs=${recs:-0}
	local hz
	hz=$(getconf CLK_TCK)
	printf '%s\t%s\t%s\t%.0f\t%d\t%d\t%d\t%.2f%%\t%.2f\t%s\n' "$tool" "$traffic" "$rate" \
		"$(echo "$sent / ($s1 - $s0)" | bc -l)" "$sent" "$got_rx" \
		"$recs" "$(echo "100 * ($sent - $recs) / $sent" | bc -l)" \
		"$(echo "($t1 - $t0) / $hz / ($sent / 1000000)" | bc -l)" "$valid"
}

printf 'tool\ttraffic\trate_pps\tsent_pps\tsent\treached_if\tin_file\tloss\tcpu_s_per_Mpkt\tvalid\n'
for traffic in ${TRAFFIC:-64 imix}; do
	for rate in "${RATES[@]}"; do
		for tool in dbcap-1 dbcap-2 tcpdump dumpcap netsniff-ng; do
			run "$tool" "$traffic" "$rate"
		done
	done
done
