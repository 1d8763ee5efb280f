#!/bin/bash
# -z runs once per completed file with its final name; a failing and a hanging command never stall the capture.
# usage: rotate-hook.sh DBCAP VERIFY KIND(ok|fail|hang)
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 KIND=$3
need "$PYTHON"
e2e_init

mkdir rot
cat >hook <<HOOK
#!/bin/bash
echo "\$\$ \$1" >>"$WORK/hook.log"
case $KIND in
fail) exit 3 ;;
hang) exec sleep 300 ;;
esac
HOOK
chmod +x hook
# About 30 MB in files of 2 MB: a dozen rotations or more, at any speed (sanitizers included).
run_ok dbcap "$DBCAP" -w rot/cap.pcapng -c 20000 --block-max 3000 -C 2M -z "$WORK/hook" --stats s.json -q
# The hanging commands are this test's to end (their pids are in hook.log).
[[ $KIND == hang ]] && while read -r pid _; do kill "$pid" 2>/dev/null; done <hook.log
shopt -s nullglob
files=(rot/cap-*.pcapng)
((${#files[@]} >= 5)) || fail "${#files[@]} files: the capture stalled"
verify_rotated() {
	expect reconciliation.consistent "$(jget s.json reconciliation.consistent)" true
	expect "dropped" "$(jget s.json totals.dropped_blocks)" 0
}
verify_rotated
runs=$(jget s.json run.rotation.hook.runs)
case $KIND in
ok)
	# Once per file, with its final name, in order.
	sort -k2 hook.log | awk '{print $2}' >called
	printf "%s\n" "${files[@]}" >want # the name as -w gave it (relative here)
	diff want called || fail "-z was not called once per file with its name"
	expect "hook.runs" "$runs" "${#files[@]}"
	expect "hook.failures" "$(jget s.json run.rotation.hook.failures)" 0
	;;
fail)
	expect "hook.failures" "$(jget s.json run.rotation.hook.failures)" "$runs"
	((runs == ${#files[@]})) || fail "$runs runs for ${#files[@]} files"
	grep -q "exit status 3" dbcap.err || fail "no warning for the failing command"
	;;
hang)
	# 4 run at once, 64 wait, the rest is dropped and counted; the end waits 5 s at most.
	running=$(jget s.json run.rotation.hook.unfinished)
	dropped=$(jget s.json run.rotation.hook.dropped)
	((running + dropped + runs == ${#files[@]})) ||
		fail "unfinished $running + dropped $dropped + runs $runs != ${#files[@]} files"
	((running >= 4)) || fail "unfinished $running, want at least the 4 running"
	;;
esac
"$PYTHON" "$E2E_SRC/e2e.py" validate "$SCHEMA" s.json || fail "s.json not valid against $SCHEMA"
say "ok: -z $KIND: ${#files[@]} files, $runs runs"
