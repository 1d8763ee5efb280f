#!/bin/bash
# Under systemd (Type=notify, WatchdogSec): READY=1 once the capture runs, WATCHDOG=1 while it does, STOPPING=1 at the stop; on a socket the test listens on as systemd would.
# usage: notify.sh DBCAP VERIFY HAVE_SYSTEMD(true|false)
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 HAVE=$3
need "$PYTHON"
[[ $HAVE == true ]] || fail "dbcap was built without libsystemd (Debian package libsystemd-dev): no sd_notify"
e2e_init

# systemd's side: a datagram socket; every message it receives, one per line
# (newlines inside a message as |), with the time since the listener started.
"$PYTHON" - "$PWD/notify.sock" notify.log <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.2)
t0 = time.monotonic()
with open(sys.argv[2], 'w', buffering=1) as log:
    while not os.path.exists(sys.argv[1] + '.done'):
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            continue
        log.write('%.3f %s\n' % (time.monotonic() - t0, msg.replace('\n', '|')))
PY
listener=$!
PIDS+=("$listener")
wait_for_sock() { local i; for ((i = 0; i < 500; i++)); do [[ -S notify.sock ]] && return 0; sleep 0.01; done; fail "no socket"; }
wait_for_sock

# A watchdog of 0.4 s: WATCHDOG=1 every 0.2 s over a run of 2 s.
NOTIFY_SOCKET=$PWD/notify.sock WATCHDOG_USEC=400000 \
	run_ok dbcap "$DBCAP" -w out.pcapng --duration 2 --stats s.json --writer-work 2000 --block-max 2000 -q
touch notify.sock.done
wait "$listener"
cat notify.log

mapfile -t lines <notify.log
((${#lines[@]} >= 3)) || fail "only ${#lines[@]} messages"
[[ ${lines[0]} == *" READY=1|STATUS=capturing into out.pcapng" ]] || fail "first message is not READY=1 with its status: ${lines[0]}"
[[ ${lines[-1]} == *" STOPPING=1|"* ]] || fail "last message is not STOPPING=1: ${lines[-1]}"
dogs=$(grep -c ' WATCHDOG=1$' notify.log || true)
# 2 s at one per 0.2 s: about 10; a loaded machine may delay a few.
((dogs >= 6)) || fail "only $dogs WATCHDOG=1 in 2 s with WATCHDOG_USEC=400000"
# No gap reaches the watchdog's 0.4 s, when systemd would kill dbcap (the main loop ticks every 50 ms).
"$PYTHON" - notify.log <<'PY' || fail "WATCHDOG=1 came too late (above)"
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1]) if l.rstrip().endswith(' WATCHDOG=1')]
gaps = [b - a for a, b in zip(t, t[1:])]
print('watchdog gaps: max %.3f s' % max(gaps))
sys.exit(1 if max(gaps) >= 0.4 else 0)
PY

# A watchdog meant for another process (WATCHDOG_PID) is not fed; readiness still is.
: >notify.log
rm -f notify.sock notify.sock.done
"$PYTHON" - "$PWD/notify.sock" notify.log <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.2)
with open(sys.argv[2], 'w', buffering=1) as log:
    while not os.path.exists(sys.argv[1] + '.done'):
        try:
            log.write(s.recv(4096).decode().replace('\n', '|') + '\n')
        except socket.timeout:
            pass
PY
listener=$!
PIDS+=("$listener")
wait_for_sock
NOTIFY_SOCKET=$PWD/notify.sock WATCHDOG_USEC=200000 WATCHDOG_PID=1 \
	run_ok dbcap2 "$DBCAP" -w out2.pcapng --duration 0.5 --writer-work 2000 --block-max 2000 -q
touch notify.sock.done
wait "$listener"
grep -q '^READY=1' notify.log || fail "no READY=1 with WATCHDOG_PID of another process"
grep -q 'WATCHDOG=1' notify.log && fail "WATCHDOG=1 sent though WATCHDOG_PID names another process"

# Outside systemd (no NOTIFY_SOCKET) nothing changes: the run above without it is every other test.
verify out.pcapng s.json >/dev/null
say "ok: READY, $dogs watchdog messages, STOPPING"
