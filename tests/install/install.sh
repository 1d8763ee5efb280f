#!/bin/bash
# meson install into a DESTDIR puts every file where it belongs; a small program builds against the installed dbuf.h and dbuf.pc and runs; systemd-analyze verify accepts the installed unit.
# usage: install.sh BUILD_DIR
# shellcheck source=tests/common/lib.sh
source "$(dirname "$0")/../common/lib.sh"
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "$0")" && pwd)
need meson pkg-config cc systemd-analyze
work_init "${DBCAP_E2E_TMPDIR:-/var/tmp}" dbcap-install "${DBCAP_E2E_KEEP:-}"

dest=$PWD/dest
meson install -C "$BUILD" --no-rebuild --destdir "$dest" >install.log 2>&1 ||
	{ cat install.log >&2; fail "meson install failed"; }

# Where meson put things: the build's own prefix and directories.
eval "$(meson introspect --buildoptions "$BUILD" | "${PYTHON:-/usr/bin/python3}" -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
for k in ("prefix", "bindir", "libdir", "includedir", "mandir", "sysconfdir", "datadir", "systemdunitdir"):
    print("%s=%s" % (k, o.get(k, "")))')"
full() { # full DIR: DIR under prefix unless absolute (as meson joins them)
	case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac
}
at() { echo "$dest$(full "$1")"; } # the same inside the DESTDIR
unitdir=${systemdunitdir:-lib/systemd/system}
for f in "$(at "$bindir")/dbcap" "$(at "$bindir")/dbcap-verify" \
	"$(at "$mandir")/man1/dbcap.1" \
	"$(at "$sysconfdir")/dbcap/dbcap.json" \
	"$(at "$datadir")/dbcap/stats.schema.json" "$(at "$datadir")/dbcap/METRICS.md" \
	"$(at "$datadir")/dbcap/prometheus/dbcap-rules.yml" \
	"$(at "$unitdir")/dbcap@.service" "$(at lib/sysusers.d)/dbcap.conf" \
	"$(at "$includedir")/dbuf.h" "$(at "$libdir")/pkgconfig/dbuf.pc"; do
	[[ -f $f ]] || fail "not installed: ${f#"$dest"}"
done
ls "$(at "$libdir")"/libdbuf.so.0* >/dev/null 2>&1 || fail "libdbuf.so.0 not installed in ${libdir}"
cmp "$(at "$sysconfdir")/dbcap/dbcap.json" "$SRC/../../config/dbcap.json" || fail "dbcap.json differs"
"$(at "$bindir")/dbcap" --version | grep -q '^dbcap ' || fail "the installed dbcap does not run"

# The installed unit runs the installed program with a file under sysconfdir.
unit=$(at "$unitdir")/dbcap@.service
grep -qx "ExecStart=$(full "$bindir")/dbcap --config $(full "$sysconfdir")/dbcap/%i.json" "$unit" ||
	fail "ExecStart does not name the installed dbcap and configuration: $(grep ExecStart "$unit")"
# systemd-analyze verify: the unit as installed, its ExecStart pointed at the
# DESTDIR's program (verify checks it is executable), its man page found.
mkdir units
sed "s|^ExecStart=/|ExecStart=$dest/|" "$unit" >units/dbcap@.service
MANPATH=$(at "$mandir") systemd-analyze verify "$PWD/units/dbcap@eth0.service" >verify.out 2>&1 ||
	{ cat verify.out >&2; fail "systemd-analyze verify failed"; }
if [[ -s verify.out ]]; then
	cat verify.out >&2
	fail "systemd-analyze verify had something to say (above)"
fi

# Another program against the installed header and pkg-config file only.
export PKG_CONFIG_PATH=$(at "$libdir")/pkgconfig
pc() { pkg-config --define-variable=prefix="$dest$prefix" "$@" dbuf; }
pc --exists || fail "pkg-config does not find dbuf"
[[ $(pc --cflags) == *"$dest"* ]] || fail "dbuf's cflags do not point into the DESTDIR: $(pc --cflags)"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -o consumer "$SRC/consumer.c" $(pc --cflags) $(pc --libs) -pthread ||
	fail "the consumer does not build against the installed dbuf"
LD_LIBRARY_PATH=$(at "$libdir") ./consumer || fail "the consumer failed"
LD_LIBRARY_PATH=$(at "$libdir") ldd ./consumer >ldd.out
grep "libdbuf.so.0 => $dest" ldd.out >/dev/null ||
	{ cat ldd.out >&2; fail "the consumer does not link the installed libdbuf (above)"; }
say "ok: installed under $dest$prefix; the consumer built and ran"
