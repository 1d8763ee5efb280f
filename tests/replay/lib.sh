# SPDX-License-Identifier: MIT
# Shared helpers of the replay tests: sourced by each test script, never run.
#
# replay_init makes a private directory under $DBCAP_REPLAY_TMPDIR (default
# /var/tmp, a disk filesystem where O_DIRECT works), changes into it and
# removes it at exit (DBCAP_REPLAY_KEEP=1 keeps it), after killing what the
# test left running (PIDS): see tests/common/lib.sh.  Programs and tools come
# from the environment that tests/replay/meson.build sets: DBCAP, COMPARE,
# MKIMIX, PYTHON, TCPDUMP, STRACE, SCHEMA, VALIDATE, CORPUS.

REPLAY_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/common/lib.sh
source "$REPLAY_SRC/../common/lib.sh"

PYTHON=${PYTHON:-/usr/bin/python3}
TCPDUMP=${TCPDUMP:-tcpdump}
STRACE=${STRACE:-strace}
SCHEMA=${SCHEMA:-$REPLAY_SRC/../../config/stats.schema.json}
VALIDATE=${VALIDATE:-$REPLAY_SRC/../stats/validate.py}
CORPUS=${CORPUS:-$REPLAY_SRC/../../../shared/pcaps}
CAPINFOS=${CAPINFOS:-capinfos}
# LeakSanitizer stops the world with ptrace, which fails under strace; the
# leak check runs in the other tests.

# replay_init: the programs and the corpus checked, then the private directory.
replay_init() {
	absolute_paths DBCAP COMPARE MKIMIX
	[[ -x ${DBCAP:-} ]] || fail "DBCAP (the dbcap program) is not set"
	[[ -d $CORPUS/tcpdump-tests ]] || fail "no capture corpus in $CORPUS (see ../shared/pcaps/README.md)"
	work_init "${DBCAP_REPLAY_TMPDIR:-/var/tmp}" dbcap-replay "${DBCAP_REPLAY_KEEP:-}"
}

# run NAME EXPECTED_RC CMD...: runs CMD with its output in NAME.out/NAME.err;
# fails unless it exits EXPECTED_RC.  Sets RC.
run() {
	local name=$1 want=$2
	shift 2
	RC=0
	timeout -k 5 "${DBCAP_REPLAY_RUN_TIMEOUT:-300}" "$@" >"$name.out" 2>"$name.err" || RC=$?
	if ((RC != want)); then
		cat "$name.err" >&2
		fail "$name: exit status $RC, want $want: $*"
	fi
	no_sanitizer_report "$name.err"
}

# A sanitizer that only reports (halt_on_error=0) still must not have.
no_sanitizer_report() {
	if grep -qE '^(==[0-9]+==ERROR|WARNING: ThreadSanitizer|SUMMARY: (Address|Undefined|Thread)Sanitizer)|runtime error:' "$1"; then
		cat "$1" >&2
		fail "a sanitizer reported in $1"
	fi
}

# jget FILE PATH: a value of the statistics document ("totals.read_packets").
jget() {
	"$PYTHON" - "$1" "$2" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
PY
}

# reconciles FILE: the replay identities hold exactly, and the verdict says so.
reconciles() {
	"$PYTHON" - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t, r = d["totals"], d["reconciliation"]
ok = (t["read_packets"] == t["filtered_packets"] + t["persisted_blocks"] + t["dropped_blocks"]
      and t["read_bytes"] == t["filtered_bytes"] + t["persisted_bytes"] + t["dropped_bytes"]
      and r["consistent"] is True and d["final"] is True and d["run"]["mode"] == "replay")
w = d["writers"]
ok = ok and sum(x["read_packets"] for x in w) == t["read_packets"]
ok = ok and sum(x["filtered_packets"] for x in w) == t["filtered_packets"]
for key in ("protocols", "sizes"):
    for name, n in t[key].items():
        ok = ok and sum(x[key][name] for x in w) == n
# Every packet handed over falls in exactly one RMON size bucket.
ok = ok and sum(t["sizes"].values()) == t["generated_blocks"]
if not ok:
    print(json.dumps({"totals": t, "reconciliation": r}, indent=1), file=sys.stderr)
    sys.exit(1)
PY
}

# valid FILE...: the statistics documents are valid against the schema.
valid() {
	"$PYTHON" "$VALIDATE" "$SCHEMA" "$@"
}
