# SPDX-License-Identifier: MIT
# Shared helpers of the live-capture tests (dbcap -i): sourced, never run.
#
# net_init builds the test's own network: two network namespaces joined by a
# veth pair, 198.51.100.1/24 on $SIDE_A (in $NS_A, where traffic is sent)
# and 198.51.100.2/24 on $SIDE_B (in $NS_B, where dbcap captures).  IPv6 is
# off in both, so the kernel sends nothing of its own (no router or
# neighbour solicitations) and every frame on the link is the test's.  The
# names carry the shell's PID; the namespaces (and the veth with them) are
# deleted at exit however the test ends.
#
# Traffic: live.py writes a pcap of known frames (frames to a MAC address
# that is not $SIDE_B's, so the kernel in $NS_B answers none of them), and
# tcpreplay sends it from $NS_A at a bounded rate.

LIVE_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/common/lib.sh
source "$LIVE_SRC/../common/lib.sh"

PYTHON=${PYTHON:-/usr/bin/python3}
TCPREPLAY=${TCPREPLAY:-tcpreplay}
TCPDUMP=${TCPDUMP:-tcpdump}
TSHARK=${TSHARK:-tshark}
STRACE=${STRACE:-strace}
RUN_TIMEOUT=${DBCAP_E2E_RUN_TIMEOUT:-120}
NS_A= NS_B=

# The frames' source MAC address (live.py's): filters select the test's frames by it.
SRC_MAC=02:00:00:00:00:01

net_cleanup() {
	[[ -n $NS_A ]] && ip netns del "$NS_A" 2>/dev/null
	[[ -n $NS_B ]] && ip netns del "$NS_B" 2>/dev/null
	return 0
}

# At exit: the namespaces, then work_cleanup with the test's exit status.
live_cleanup() {
	local rc=$?
	net_cleanup
	(exit "$rc")
	work_cleanup
}

# live_init: the private directory (cleaned up at exit), root, the tools.
live_init() {
	absolute_paths DBCAP
	[[ $(id -u) == 0 ]] || skip "needs root (network namespaces, CAP_NET_RAW)"
	need "$TCPREPLAY" "$PYTHON" ip
	work_init "${DBCAP_E2E_TMPDIR:-/var/tmp}" dbcap-live "${DBCAP_E2E_KEEP:-}"
	# work_cleanup ends with exit: the namespaces go first.
	trap live_cleanup EXIT
}

# net_init: the two namespaces and the veth pair between them.
net_init() {
	NS_A=dbcap-a$$ NS_B=dbcap-b$$
	SIDE_A=dcA$$ SIDE_B=dcB$$
	ip netns add "$NS_A" || skip "cannot create network namespaces"
	ip netns add "$NS_B"
	for ns in "$NS_A" "$NS_B"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	done
	ip link add "$SIDE_A" netns "$NS_A" type veth peer name "$SIDE_B" netns "$NS_B"
	ip -n "$NS_A" addr add 198.51.100.1/24 dev "$SIDE_A"
	ip -n "$NS_B" addr add 198.51.100.2/24 dev "$SIDE_B"
	ip -n "$NS_A" link set "$SIDE_A" up
	ip -n "$NS_B" link set "$SIDE_B" up
}

# in_a CMD... / in_b CMD...: run in a namespace.
in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }

# start_dbcap TAG ARGS...: dbcap in $NS_B in the background (PID in DBCAP_PID),
# stderr in TAG.err; returns once it listens on every interface it was given.
start_dbcap() {
	local tag=$1 n i
	shift
	# ip netns exec execs dbcap: the PID is dbcap's (meson's timeout and the exit trap bound it).
	ip netns exec "$NS_B" "$DBCAP" "$@" >"$tag.out" 2>"$tag.err" &
	DBCAP_PID=$!
	DBCAP_TAG=$tag
	PIDS+=("$DBCAP_PID")
	n=$(printf '%s\n' "$@" | grep -c '^-i$' || true)
	for ((i = 0; i < 400; i++)); do
		(($(grep -c '^dbcap: listening on' "$tag.err" || true) >= n)) && return 0
		kill -0 "$DBCAP_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$tag.err" >&2
	fail "dbcap did not start listening"
}

# Fails if a sanitizer reported something in FILE.
no_sanitizer_report() {
	if grep -Eq 'ERROR: (Address|Leak|Memory)Sanitizer|WARNING: ThreadSanitizer|runtime error:|ThreadSanitizer: ' "$1"; then
		sed -n '1,60p' "$1" >&2
		fail "sanitizer report in $1 (above)"
	fi
}

# stop_dbcap: SIGINT, then its exit status in RC.
stop_dbcap() {
	kill -INT "$DBCAP_PID" 2>/dev/null || true
	wait_dbcap
}

# wait_dbcap: waits for it to end by itself; RC.
wait_dbcap() {
	RC=0
	wait "$DBCAP_PID" || RC=$?
	((RC <= 128)) || fail "dbcap killed by signal $((RC - 128))"
	no_sanitizer_report "$DBCAP_TAG.err"
}

# send FILE [PPS] [IFACE]: tcpreplay FILE from $NS_A (default 5000 packets/s).
send() {
	in_a "$TCPREPLAY" -q -i "${3:-$SIDE_A}" --pps="${2:-5000}" "$1" >send.log 2>&1 ||
		{ cat send.log >&2; fail "tcpreplay failed"; }
}

# jget FILE PATH: one value of a JSON document.
jget() {
	"$PYTHON" "$LIVE_SRC/live.py" get "$1" "$2" || fail "$1: cannot read $2"
}

expect() {
	[[ $2 == "$3" ]] || fail "$1: got '$2', want '$3'"
}

# consistent STATS: the reconciliation holds, and the document fits the schema.
consistent() {
	expect "$1: reconciliation.consistent" "$(jget "$1" reconciliation.consistent)" true
	if [[ -n ${SCHEMA:-} ]]; then
		"$PYTHON" "$LIVE_SRC/live.py" schema "$1" "$SCHEMA" || fail "$1 does not fit the schema"
	fi
}
