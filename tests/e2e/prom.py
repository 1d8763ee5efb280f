#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Helpers of the Prometheus tests (prom.sh): read the text format, follow
each family's "(JSON: path)" to its value in the statistics document, and
poll a node_exporter while dbcap runs.

  prom.py compare METRICS STATS      every dbcap family of METRICS (a .prom
                                     file or a scrape) has HELP, TYPE and
                                     samples whose values equal STATS's
  prom.py families METRICS           the dbcap families, one a line
  prom.py poll URL PID STATS PROM OUT  scrape URL with curl until PID ends;
                                     OUT: a JSON summary (scrapes, the
                                     family sets seen, textfile errors,
                                     scrapes compared equal with STATS)
"""
import json
import math
import os
import re
import subprocess
import sys
import time

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$')
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def parse(text):
    """{family: {"help", "type", "samples": [(name, labels, value)]}} for dbcap_ families."""
    fams = {}
    for line in text.splitlines():
        if line.startswith('# HELP ') or line.startswith('# TYPE '):
            _, kind, name, rest = (line.split(' ', 3) + [''])[:4]
            if name.startswith('dbcap_'):
                fams.setdefault(name, {'samples': []})[kind.lower()] = rest
            continue
        if not line or line.startswith('#'):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ValueError('not a sample: %r' % line)
        name, labels, value = m.group(1), m.group(2) or '', m.group(3)
        if not name.startswith('dbcap_'):
            continue
        lab = {k: v.replace('\\"', '"').replace('\\n', '\n').replace('\\\\', '\\')
               for k, v in LABEL.findall(labels)}
        fam = name
        if fam not in fams:
            for suffix in ('_bucket', '_sum', '_count'):
                if name.endswith(suffix) and name[:-len(suffix)] in fams:
                    fam = name[:-len(suffix)]
        fams.setdefault(fam, {'samples': []})['samples'].append((name, lab, float(value)))
    return fams


def scalar(text):
    """Other (non-dbcap) samples of a scrape: {name{labels}: value}."""
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and not line.startswith('#'):
            out[m.group(1) + '{' + (m.group(2) or '') + '}'] = float(m.group(3))
    return out


def json_path(help_text):
    m = re.search(r'\(JSON: (.*)\)\.$', help_text)
    return m.group(1) if m else None


def follow(doc, path, labels):
    """The value at a path like writers[writer].dropped.<reason>, with the labels' values."""
    v = doc
    for seg in path.split('.'):
        m = re.fullmatch(r'(\w+)\[(\w+)\]', seg)
        if m:
            want = labels[m.group(2)]
            # The element whose id (else name) the label holds, as prom.c names them.
            items = [e for e in v[m.group(1)]
                     if ('id' in e and str(e['id']) == want) or ('id' not in e and e.get('name') == want)]
            if len(items) != 1:
                raise KeyError('%s: no element with id or name %s' % (seg, want))
            v = items[0]
        elif seg.startswith('<') and seg.endswith('>'):
            v = v[labels[seg[1:-1]]]
        else:
            v = v[seg]
    return v


def number(v):
    if v is None:
        return math.nan
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    return float(v)


def same(a, b):
    """Counters exactly; fractions within 2 units in the last place: cJSON
    prints a double with 15 digits when they read back within DBL_EPSILON,
    so the document's text may be one ulp from the value the metrics hold."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a.is_integer() and b.is_integer():
        return a == b
    return math.isclose(a, b, rel_tol=4.5e-16, abs_tol=0.0)


def expected(fam, name, labels, doc):
    """The value a sample must have, from the document."""
    path = json_path(fam['help'])
    if path is None:
        raise ValueError('no "(JSON: ...)" in HELP: %r' % fam['help'])
    if fam['type'] == 'histogram':
        lat = follow(doc, path, labels)
        if name.endswith('_sum'):
            return lat['sum'] / 1e9
        if name.endswith('_count') or labels.get('le') == '+Inf':
            return float(lat['count'])
        le = float(labels['le'])
        hits = [n for b, n in lat['buckets'] if b / 1e9 == le]
        if len(hits) != 1:
            raise KeyError('no bucket for le=%s' % labels['le'])
        return float(hits[0])
    if '=' in path:  # an info metric: label=path pairs, value 1
        for pair in path.split(','):
            label, p = pair.split('=', 1)
            want = follow(doc, p, labels)
            if labels.get(label) != want:
                raise ValueError('label %s=%r, the document has %r' % (label, labels.get(label), want))
        return 1.0
    v = follow(doc, path, labels)
    if isinstance(v, str) or (v is None and fam['type'] == 'gauge' and path.endswith('error')):
        return 1.0 if isinstance(v, str) else 0.0
    return number(v)


def compare(fams, doc):
    """Problems found comparing the families with the document: a list of strings."""
    bad = []
    if not fams:
        bad.append('no dbcap family at all')
    for fname, fam in sorted(fams.items()):
        for key in ('help', 'type'):
            if key not in fam:
                bad.append('%s: no # %s' % (fname, key.upper()))
        if not fam['samples']:
            bad.append('%s: no samples' % fname)
        if 'help' not in fam or 'type' not in fam:
            continue
        for name, labels, value in fam['samples']:
            try:
                want = expected(fam, name, labels, doc)
            except (KeyError, ValueError, TypeError) as e:
                bad.append('%s%s: %s' % (name, labels, e))
                continue
            if not same(value, want):
                bad.append('%s%s = %r, the document has %r' % (name, labels, value, want))
    return bad


def cmd_compare(metrics, stats):
    with open(metrics) as f:
        fams = parse(f.read())
    with open(stats) as f:
        doc = json.load(f)
    bad = compare(fams, doc)
    for b in bad[:40]:
        print('MISMATCH: ' + b)
    print('%d families, %d samples compared, %d mismatches' %
          (len(fams), sum(len(f['samples']) for f in fams.values()), len(bad)))
    return 1 if bad else 0


def cmd_families(metrics):
    with open(metrics) as f:
        for name in sorted(parse(f.read())):
            print(name)
    return 0


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def cmd_poll(url, pid, stats, prom, out):
    """Scrapes every 20 ms while pid runs.  A scrape is compared with the JSON
    document when both come from one report (the same last-update time)."""
    summary = {'scrapes': 0, 'with_dbcap': 0, 'family_sets': [], 'textfile_errors': 0,
               'compared': 0, 'mismatches': []}
    sets = []
    while alive(pid):
        r = subprocess.run(['curl', '-sf', '--max-time', '5', url], capture_output=True, text=True)
        if r.returncode != 0:
            summary['mismatches'].append('curl exited %d' % r.returncode)
            time.sleep(0.02)
            continue
        summary['scrapes'] += 1
        other = scalar(r.stdout)
        if other.get('node_textfile_scrape_error{}', 0) != 0:
            summary['textfile_errors'] += 1
        fams = parse(r.stdout)
        if fams:
            summary['with_dbcap'] += 1
            names = sorted(fams)
            if names not in sets:
                sets.append(names)
            try:
                with open(stats) as f:
                    doc = json.load(f)
            except (OSError, ValueError):
                doc = None
            upd = fams.get('dbcap_last_update_time_seconds', {}).get('samples', [])
            if doc and upd and upd[0][2] == doc['run']['end_unix_seconds']:
                summary['compared'] += 1
                summary['mismatches'] += compare(fams, doc)[:10]
        time.sleep(0.02)
    summary['family_sets'] = sets
    with open(out, 'w') as f:
        json.dump(summary, f, indent=1)
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == 'compare':
        return cmd_compare(argv[2], argv[3])
    if len(argv) == 3 and argv[1] == 'families':
        return cmd_families(argv[2])
    if len(argv) == 7 and argv[1] == 'poll':
        return cmd_poll(argv[2], int(argv[3]), argv[4], argv[5], argv[6])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
