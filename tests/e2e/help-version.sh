#!/bin/bash
# --help and --version exit 0 and print the usage and the version.
# usage: help-version.sh DBCAP VERIFY VERSION
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 VERSION=$3
e2e_init

for h in --help -h; do
	run_ok help "$DBCAP" "$h"
	[[ -s help.err ]] && fail "$h wrote to stderr: $(cat help.err)"
	head -1 help.out | grep -q '^Usage: dbcap ' || fail "$h: the first line is not 'Usage: dbcap ...'"
	# Every option a user needs is described.
	for opt in --write --force --count --duration --writers --cpus --layout --buffers \
		--buffer-size --on-full --io-engine --direct --buffered --stats --stats-interval \
		--config --version; do
		grep -q -- "$opt" help.out || fail "$h does not describe $opt"
	done
done
# --help wins over everything else, even a bad option after it.
run_ok help2 "$DBCAP" --help --writers 0
run_ok version "$DBCAP" --version
[[ -s version.err ]] && fail "--version wrote to stderr: $(cat version.err)"
expect "--version" "$(cat version.out)" "dbcap $VERSION"
left=$(find . -mindepth 1 ! -name 'help.*' ! -name 'help2.*' ! -name 'version.*')
expect "files --help and --version created" "$left" ""
say "ok: $(cat version.out)"
