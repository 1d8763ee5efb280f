#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""docs/METRICS.md documents every metric family of src/stats/prom.c's
FAMILIES table, with its type and JSON path, and nothing else.
usage: metrics-doc.py SOURCE_ROOT"""
import os
import re
import sys

root = sys.argv[1]
src = open(os.path.join(root, 'src/stats/prom.c')).read()
table = src[src.index('FAMILIES[] = {'):src.index('};', src.index('FAMILIES[] = {'))]
entries = re.findall(r'\{"(\w+)",\s*(\w+),\s*(NULL|"[^"]*"),\s*(NULL|"[^"]*")', table)
code = {}
for name, kind, path, labels in entries:
    code['dbcap_' + name] = (kind, path.strip('"'), labels.strip('"'))

doc = open(os.path.join(root, 'docs/METRICS.md')).read()
rows = re.findall(r'^\| `(dbcap_\w+)` \| (\w) \| ([^|]*)\| ([^|]*)\|', doc, re.M)
documented = {r[0]: (r[1], r[3].strip()) for r in rows}

bad = []
letter = {'COUNTER': 'c', 'GAUGE': 'g', 'PRESENT': 'g', 'INFO': 'g', 'HISTOGRAM': 'h'}
for name, (kind, path, labels) in sorted(code.items()):
    if name not in documented:
        bad.append('%s: in prom.c, not in docs/METRICS.md' % name)
        continue
    dkind, dpath = documented[name]
    if dkind != letter[kind]:
        bad.append('%s: type %s in prom.c, %s in docs/METRICS.md' % (name, kind, dkind))
    if kind == 'INFO':
        want = ', '.join('`%s`' % p.split('=', 1)[1] for p in labels.split(','))
    else:
        want = path
        for label in labels.split(',') if labels else []:
            want = want.replace('[]', '[%s]' % label, 1) if '[]' in want.split('*')[0] \
                else want.replace('*', '<%s>' % label, 1)
        want = '`%s`' % want
    if dpath != want:
        bad.append('%s: JSON %s in prom.c, %s in docs/METRICS.md' % (name, want, dpath))
for name in sorted(set(documented) - set(code)):
    bad.append('%s: in docs/METRICS.md, not in prom.c' % name)
for b in bad:
    print('FAIL: ' + b)
print('%d families in prom.c, %d documented' % (len(code), len(documented)))
sys.exit(1 if bad or not code else 0)
