#!/bin/bash
# Bad rotation options are refused with a message naming what is wrong, before anything is created.
# usage: rotate-bad-input.sh DBCAP VERIFY
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
e2e_init

refused() { # WANT_RC PATTERN ARGS...
	local want=$1 pattern=$2
	shift 2
	run bad "$DBCAP" "$@"
	((RC == want)) || fail "exit status $RC, want $want: $*: $(cat bad.err)"
	grep -q -- "$pattern" bad.err || fail "$*: no '$pattern' in: $(cat bad.err)"
	[[ -z $(ls -A out 2>/dev/null) ]] || fail "$*: left $(ls out)"
}
mkdir out
refused 2 "needs rotation" -w out/c.pcapng -c 10 -W 3
refused 2 "needs rotation" -w out/c.pcapng -c 10 -z true
refused 2 "needs rotation" -w out/c.pcapng -c 10 --min-free 1G
refused 2 "needs rotation" -w out/c.pcapng -c 10 --digest
refused 2 "cannot rotate" -w - -c 10 -C 1M
refused 2 "not a percentage" -w out/c.pcapng -c 10 -C 1M --min-free 120%
refused 2 "not a size" -w out/c.pcapng -c 10 -C 1M --min-free lots
refused 2 "not an integer" -w out/c.pcapng -c 10 -G 0.5
refused 1 "a '/' in a conversion" -w 'out/c-%D.pcapng' -c 10 -G 1
# A FIFO as -w streams (no files to rotate): refused without waiting for a reader.
mkfifo fifo.pcapng
run bad timeout 10 "$DBCAP" -w fifo.pcapng -c 10 -C 1M
((RC == 2)) || fail "-w FIFO -C 1M: exit status $RC, want 2: $(cat bad.err)"
grep -q "a FIFO cannot rotate" bad.err || fail "-w FIFO -C 1M: $(cat bad.err)"
[[ -p fifo.pcapng && -z $(ls fifo.pcapng-* 2>/dev/null) ]] || fail "-w FIFO -C 1M: left $(ls)"
touch out/c-000001.pcapng
run bad "$DBCAP" -w out/c.pcapng -c 10 -C 1M
((RC == 1)) || fail "a taken first name: exit status $RC"
grep -q "use --force" bad.err || fail "a taken first name: $(cat bad.err)"
[[ ! -e out/c-000001.pcapng.part ]] || fail "a .part file was left"
say "ok: bad rotation options refused"
