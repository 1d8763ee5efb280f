#!/bin/bash
# Rotation (-C by size, -G by time) in synthetic and replay mode: each file a complete capture (capinfos),
# no .part left, the concatenation (mergecap -a) equal to an unrotated run, sha256sum -c on every sidecar,
# dbcap-verify --audit of the directory and of the statistics, -W keeps its count, the document valid.
# usage: rotate.sh DBCAP VERIFY MODE(synthetic|synthetic-pcap|replay) KIND(size|time) [CAPTURE]
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2 MODE=$3 KIND=$4 CAPTURE=${5:-}
need "$PYTHON"
need mergecap
e2e_init

mkdir rot
if [[ $MODE == synthetic* ]]; then
	# synthetic-pcap: the same in pcap (the records' times are read from its own format).
	ext=pcapng
	[[ $MODE == synthetic-pcap ]] && ext=pcap
	base=(--seed 7 --block-max 3000 --stats-interval 0.3)
	if [[ $KIND == size ]]; then
		src=(-c 20000) rot=(-C 1M)
	else
		# -G 1 over 3.5 s: at least three spans; -W 3 keeps the last three.
		src=(--duration 3.5) rot=(-G 1 -W 3)
	fi
	run_ok ref "$DBCAP" -w ref.$ext "${base[@]}" "${src[@]}" --stats ref.json -q
else
	ext=pcap
	[[ -r $CAPTURE ]] || fail "no capture to replay: $CAPTURE"
	if [[ $KIND == size ]]; then
		src=(-r "$CAPTURE") rot=(-C 8k)
	else
		# The capture replayed at its own pace over about 3 s: at least three spans.
		"$MKIMIX" -o in.pcap --packets 3000 --span 3 || fail "mkimix failed"
		src=(-r in.pcap --speed 1) rot=(-G 1)
	fi
	base=(--stats-interval 0.3)
	run_ok ref "$DBCAP" -w ref.$ext "${src[@]}" -q
fi
# With -G the name goes through strftime (UTC): the start of the file's span.
name="cap.$ext"
[[ $KIND == time ]] && name="cap-%Y%m%dT%H%M%S.$ext"
run_ok rot "$DBCAP" -w "rot/$name" "${base[@]}" "${src[@]}" "${rot[@]}" --digest --stats rot.json -q

shopt -s nullglob
parts=(rot/*.part)
((${#parts[@]} == 0)) || fail "temporary files left: ${parts[*]}"
files=(rot/cap-*.$ext)
((${#files[@]} >= 3)) || fail "${#files[@]} files, want at least 3: $(ls rot)"
say "${#files[@]} files: $(cd rot && echo cap-*.$ext)"
total=0
for f in "${files[@]}"; do
	n=$(capinfos_count "$f")
	total=$((total + n))
	if [[ $KIND == size && $n -gt 1 ]]; then
		size=$(stat -c %s "$f")
		limit=8192
		[[ $MODE == synthetic ]] && limit=1048576
		((size <= limit)) || fail "$f: $size bytes with $n records, over -C $limit"
	fi
done
# Names sort in time order: the numbers go up in the order ls sorts them.
prev=0
for f in "${files[@]}"; do
	num=${f##*-}
	num=$((10#${num%%.*}))
	((num > prev)) || fail "$f sorts after file $prev"
	prev=$num
done
(cd rot && sha256sum -c --strict --quiet ./*.sha256) || fail "sha256sum -c failed"
"$VERIFY" --audit rot >audit.out 2>&1 || fail "dbcap-verify --audit rot: $(cat audit.out)"
"$VERIFY" --audit rot.json >audit2.out 2>&1 || fail "dbcap-verify --audit rot.json: $(cat audit2.out)"
"$PYTHON" "$E2E_SRC/e2e.py" validate "$SCHEMA" rot.json || fail "rot.json not valid against $SCHEMA"
expect reconciliation.consistent "$(jget rot.json reconciliation.consistent)" true
expect "files_persisted_blocks" "$(jget rot.json reconciliation.files_persisted_blocks)" \
	"$(jget rot.json totals.persisted_blocks)"

if [[ $KIND == time && $MODE == synthetic* ]]; then
	# Each file's name is the second its span began; its first record lies within a second of it
	# (the reader cuts when it notices the boundary: a record stamped just before may follow).
	for f in "${files[@]}"; do
		stamp=${f#rot/cap-}
		stamp=${stamp%%-*}
		span=$(date -u -d "${stamp:0:4}-${stamp:4:2}-${stamp:6:2} ${stamp:9:2}:${stamp:11:2}:${stamp:13:2}" +%s) ||
			fail "$f: no time in its name"
		idx=$("$PYTHON" -c "import json,sys; fs=json.load(open('rot.json'))['run']['rotation']['files']; print([i for i,e in enumerate(fs) if e['name']==sys.argv[1]][0])" "${f#rot/}")
		first=$(jget rot.json "run.rotation.files.$idx.first_time_ns")
		((first / 1000000000 >= span - 1 && first / 1000000000 <= span + 1)) ||
			fail "$f: first record at $first ns, its span begins at $span s"
	done
	# -W 3: three files left, the older ones removed and listed.
	((${#files[@]} == 3)) || fail "-W 3 left ${#files[@]} files"
	removed=$(jget rot.json run.rotation.removed_by_count)
	((removed >= 1)) || fail "-W 3: removed_by_count $removed"
	((total < $(jget rot.json totals.persisted_blocks))) || fail "-W 3 removed no records"
	say "ok: -G 1 -W 3: 3 files left, $removed removed, all accounted"
	exit 0
fi

mergecap -a -F "$ext" -w all.$ext "${files[@]}" || fail "mergecap -a failed"
if [[ $MODE == synthetic* ]]; then
	# Every record as generated, each writer's sequence complete, the counts the statistics'.
	verify all.$ext rot.json
	expect "records, rotated and not" "$(capinfos_count all.$ext)" "$(capinfos_count ref.$ext)"
	expect "persisted, rotated and not" "$(jget rot.json totals.persisted_blocks)" \
		"$(jget ref.json totals.persisted_blocks)"
else
	if [[ $KIND == size ]]; then
		# One writer: byte for byte the unrotated output (mergecap writes its own snaplen
		# into the header: every file's header is compared with the reference instead).
		for f in "${files[@]}"; do
			cmp -n 24 "$f" ref.$ext || fail "$f: its pcap header differs from the unrotated one"
		done
		cmp <(tail -c +25 all.$ext) <(tail -c +25 ref.$ext) ||
			fail "the concatenation differs from the unrotated replay"
	else
		# Paced: the same records in the same order (times from the input).
		cmp <(tshark -r all.$ext -T fields -e frame.time_epoch -e frame.len) \
			<(tshark -r ref.$ext -T fields -e frame.time_epoch -e frame.len) ||
			fail "the concatenation differs from the unrotated replay"
	fi
fi
say "ok: $MODE by $KIND: ${#files[@]} files, $total records, the concatenation equals the unrotated run"
