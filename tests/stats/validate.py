#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Validates dbcap statistics documents against config/stats.schema.json.

usage: validate.py SCHEMA DOC...            every DOC must be valid
       validate.py --mutations SCHEMA DOC   DOC must be valid and a set of
                                            broken copies of it must not be
Exit status: 0 pass, 1 fail, 77 skip (python3-jsonschema missing).
"""
import copy
import json
import sys

try:
    import jsonschema
except ImportError:
    print("skip: python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(77)


def validator(schema_path):
    with open(schema_path) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)  # the schema itself is valid against its metaschema
    return cls(schema)


def errors(v, doc):
    return sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))


def setpath(doc, path, value):
    *parents, last = path
    for p in parents:
        doc = doc[p]
    if value is DELETE:
        del doc[last]
    else:
        doc[last] = value


DELETE = object()

# Each a list of (path, value) edits that together break the document.
MUTATIONS = {
    "missing key": [(["totals", "pending_blocks"], DELETE)],
    "unknown key": [(["run", "surprise"], 1)],
    "unknown key in config": [(["run", "config", "surprise"], 1)],
    "wrong schema_version": [(["schema_version"], 1)],
    "negative counter": [(["totals", "dropped", "full"], -1)],
    "counter as a string": [(["reader", "chunks"], "12")],
    "fractional counter": [(["writers", 0, "seals"], 1.5)],
    "time without ns": [(["run", "start_time"], "2024-05-01T12:00:00Z")],
    "local time": [(["run", "end_time"], "2024-05-01T12:00:00.000000000+02:00")],
    "final without verdict": [(["reconciliation", "consistent"], None)],
    "snapshot with verdict": [(["final"], False)],
    "consistent but pending": [(["totals", "pending_blocks"], 1)],
    "short counts pair": [(["block_sizes", "counts", 0], [10])],
    "zero count in counts": [(["block_sizes", "counts", 0, 1], 0)],
    "block size too large": [(["block_sizes", "max_bytes"], 65536)],
    "unknown layout": [(["run", "config", "layout"], "ring")],
    "unknown engine": [(["run", "io_engine"], "aio")],
    "no writers": [(["writers"], [])],
    "latency key missing": [(["reader", "persist_latency_ns", "p9999"], DELETE)],
    "cpu below -1": [(["run", "cpus", "reader"], -2)],
    "error as a number": [(["run", "error"], 5)],
}


def main(argv):
    mutate = len(argv) > 1 and argv[1] == "--mutations"
    args = argv[2:] if mutate else argv[1:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 1
    v = validator(args[0])
    failed = False
    docs = {}
    for path in args[1:]:
        with open(path) as f:
            doc = json.load(f)
        docs[path] = doc
        errs = errors(v, doc)
        for e in errs:
            print(f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message}", file=sys.stderr)
        failed |= bool(errs)
    if mutate:
        doc = docs[args[1]]
        if doc.get("final") is not True or doc["reconciliation"]["consistent"] is not True:
            print("--mutations needs a final, consistent document", file=sys.stderr)
            return 1
        for name, edits in MUTATIONS.items():
            bad = copy.deepcopy(doc)
            for path, value in edits:
                setpath(bad, path, value)
            if not errors(v, bad):
                print(f"mutation accepted, should be refused: {name}", file=sys.stderr)
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
