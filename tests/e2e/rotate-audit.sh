#!/bin/bash
# dbcap-verify --audit finds a file removed out of order, an altered file and a replaced one (DIR and STATS).
# usage: rotate-audit.sh DBCAP VERIFY
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
need "$PYTHON"
e2e_init

mkdir rot
run_ok dbcap "$DBCAP" -w rot/cap.pcapng -c 5000 -C 1M --digest --stats s.json -q
"$VERIFY" --audit rot >a.out 2>&1 || fail "untouched: $(cat a.out)"
"$VERIFY" --audit s.json >a.out 2>&1 || fail "untouched: $(cat a.out)"
cp -a rot clean
must_fail() { # WHAT ARGS...
	local what=$1
	shift
	if "$VERIFY" --audit "$@" >a.out 2>&1; then fail "$what not detected by --audit $*"; fi
	grep -q "$what" a.out || fail "--audit $*: no word of '$what': $(cat a.out)"
}
# Altered: one byte of the third file.
printf 'X' | dd of=rot/cap-000003.pcapng bs=1 seek=100 conv=notrunc status=none
must_fail altered rot
must_fail altered s.json
rm -rf rot && cp -a clean rot
# Removed out of order: the second file and its sidecar.
rm rot/cap-000002.pcapng rot/cap-000002.pcapng.sha256
must_fail "out of order" rot
must_fail "No such file" s.json
rm -rf rot && cp -a clean rot
# Replaced: the third file and its sidecar swapped for the fourth's, renamed.
cp clean/cap-000004.pcapng rot/cap-000003.pcapng
sed 's/cap-000004/cap-000003/; s/^# dbcap file 4 /# dbcap file 3 /' clean/cap-000004.pcapng.sha256 \
	>rot/cap-000003.pcapng.sha256
must_fail replaced rot
say "ok: --audit detects altered, removed and replaced files"
