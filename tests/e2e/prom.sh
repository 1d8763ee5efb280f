#!/bin/bash
# --prom: promtool accepts the file mid-run and at exit; a real node_exporter scrapes it during and after the run, never partial, with the JSON document's values.
# usage: prom.sh DBCAP VERIFY
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
DBCAP=$1 VERIFY=$2
PROMTOOL=${PROMTOOL:-promtool}
NODE_EXPORTER=${NODE_EXPORTER:-prometheus-node-exporter}
need "$PYTHON" "$PROMTOOL" "$NODE_EXPORTER" curl
e2e_init
PROM_PY=$E2E_SRC/prom.py

# A free loopback port: the kernel picks one, node_exporter takes it just after.
port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port/metrics
mkdir tf
"$NODE_EXPORTER" --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory "$PWD/tf" --web.listen-address "127.0.0.1:$port" \
	>node-exporter.log 2>&1 &
PIDS+=("$!") # killed at exit by work_cleanup
for ((i = 0; i < 500; i++)); do
	curl -sf "$url" >/dev/null 2>&1 && break
	sleep 0.02
done
curl -sf "$url" >before.txt || { cat node-exporter.log >&2; fail "node_exporter did not answer on $url"; }
grep -q '^dbcap_' before.txt && fail "dbcap metrics before dbcap ran"

# Updates every 0.1 s for 2 s; writer work keeps the capture small.
"$DBCAP" -w out.pcapng --writers 2 --duration 2 --stats-interval 0.1 --stats s.json \
	--prom tf/dbcap.prom --block-max 2000 --writer-work 2000 -q >dbcap.out 2>dbcap.err &
pid=$!
PIDS+=("$pid")
"$PYTHON" "$PROM_PY" poll "$url" "$pid" s.json tf/dbcap.prom poll.json &
poller=$!

# Mid-run: a copy of the file, as the collector would read it, passes promtool.
wait_for_file tf/dbcap.prom 10
cp tf/dbcap.prom mid.prom
"$PROMTOOL" check metrics <mid.prom >promtool-mid.out 2>&1 ||
	{ cat promtool-mid.out >&2; fail "promtool check metrics refused the file mid-run"; }
grep -q '^dbcap_final{capture="dbcap"} 0$' mid.prom || fail "mid-run file is not periodic (dbcap_final 0)"

wait_rc "$pid"
no_sanitizer_report dbcap.err
((RC == 0)) || { cat dbcap.err >&2; fail "dbcap exit status $RC, want 0"; }
wait "$poller" || fail "the poller failed"

# At exit: the file passes promtool, and holds exactly the final document's values.
"$PROMTOOL" check metrics <tf/dbcap.prom >promtool-end.out 2>&1 ||
	{ cat promtool-end.out >&2; fail "promtool check metrics refused the final file"; }
"$PYTHON" "$PROM_PY" compare tf/dbcap.prom s.json || fail "the final file differs from s.json"
expect "final document" "$(jget s.json final)" true

# After the run: node_exporter serves the final figures, every family of the file.
curl -sf "$url" >after.txt || fail "no scrape after the run"
grep -q '^node_textfile_scrape_error 0$' after.txt || fail "node_exporter's textfile collector reports an error"
"$PYTHON" "$PROM_PY" compare after.txt s.json || fail "the scrape after the run differs from s.json"
"$PYTHON" "$PROM_PY" families tf/dbcap.prom >families-file.txt
"$PYTHON" "$PROM_PY" families after.txt >families-scrape.txt
diff families-file.txt families-scrape.txt || fail "node_exporter lost families of the file (above)"
# The figures this test must see: counters, a labelled counter, histograms, info.
for f in dbcap_build_info dbcap_run_info dbcap_start_time_seconds dbcap_last_update_time_seconds \
	dbcap_persisted_blocks_total dbcap_dropped_blocks_total dbcap_writer_write_latency_seconds \
	dbcap_reader_persist_latency_seconds dbcap_reconciliation_consistent; do
	grep -qx "$f" families-scrape.txt || fail "family $f missing from the scrape"
done

# During the run: never a partial file (one family set, no collector error), and
# scrapes of the same report as a JSON snapshot had the same values.
cat poll.json
"$PYTHON" -c '
import json, sys
p = json.load(open(sys.argv[1]))
want = open(sys.argv[2]).read().split()
sets = p["family_sets"]
print(p["scrapes"], p["with_dbcap"], sum(1 for s in sets if s != want), p["textfile_errors"],
      p["compared"])
for m in p["mismatches"]:
    print("MISMATCH:", m, file=sys.stderr)
sys.exit(1 if p["mismatches"] else 0)' poll.json families-file.txt >poll.txt ||
	fail "scrapes during the run differ from the JSON document (above)"
read -r scrapes with sets errors compared <poll.txt
((scrapes >= 20)) || fail "only $scrapes scrapes during the run"
((with >= 10)) || fail "only $with scrapes had dbcap metrics"
((sets == 0)) || fail "a scrape during the run had another set of families: a partial file"
((errors == 0)) || fail "$errors scrapes reported node_textfile_scrape_error"
((compared >= 1)) || fail "no scrape during the run matched a JSON snapshot of the same report"

left=$(ls -A tf)
expect "files left in the textfile directory" "$left" dbcap.prom
verify out.pcapng s.json >/dev/null
say "ok: $scrapes scrapes ($with with dbcap's families, $compared compared with the JSON document)"
