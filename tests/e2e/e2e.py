#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""JSON and trace helpers for the e2e shell tests (lib.sh calls them).

  e2e.py get FILE PATH...          print each value: strings raw, others as JSON
                                   (PATH like totals.dropped.full or writers.0.tid)
  e2e.py validate SCHEMA FILE...   every FILE must be valid against SCHEMA
  e2e.py poll FILE PID SNAPSHOT    read FILE again and again while process PID
                                   lives; every read must parse; copy the first
                                   non-final document to SNAPSHOT
                                   and the last one to SNAPSHOT.last
  e2e.py syscalls TRACE            count the calls in one strace -ff file:
                                   "NAME COUNT" per line, most frequent first
Exit status: 0 pass, 1 fail, 2 usage or an unreadable file.
"""
import json
import os
import re
import sys
import time


def load(path):
    with open(path, "rb") as f:
        return json.loads(f.read())


def walk(doc, path):
    cur = doc
    for part in path.split("."):
        if isinstance(cur, list):
            cur = cur[int(part)]
        else:
            cur = cur[part]
    return cur


def cmd_get(args):
    doc = load(args[0])
    for path in args[1:]:
        try:
            v = walk(doc, path)
        except (KeyError, IndexError, ValueError, TypeError):
            print(f"e2e.py: {args[0]}: no {path}", file=sys.stderr)
            return 1
        print(v if isinstance(v, str) else json.dumps(v))
    return 0


def cmd_validate(args):
    try:
        import jsonschema
    except ImportError:
        print("e2e.py: python3-jsonschema is not installed for " + sys.executable,
              file=sys.stderr)
        return 1
    schema = load(args[0])
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    v = cls(schema)
    bad = 0
    for path in args[1:]:
        errs = sorted(v.iter_errors(load(path)), key=lambda e: list(e.absolute_path))
        for e in errs[:20]:
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            print(f"{path}: {where}: {e.message}", file=sys.stderr)
        if errs:
            bad += 1
        else:
            print(f"{path}: valid")
    return 1 if bad else 0


def alive(pid):
    """True while pid runs; a zombie counts as gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


# Counters that must never go backwards between two snapshots.
MONOTONIC = ["totals.generated_blocks", "totals.persisted_blocks", "totals.file_bytes",
             "totals.dropped_blocks", "run.duration_seconds"]


def cmd_poll(args):
    path, pid, snapshot = args[0], int(args[1]), args[2]
    reads = parsed = nonfinal = 0
    failures = []
    last_nonfinal = None
    seen = False
    last = {}
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        running = alive(pid)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            if seen:
                failures.append("the file disappeared after it had been written")
            if not running:
                break
            time.sleep(0.001)
            continue
        seen = True
        reads += 1
        try:
            doc = json.loads(data)
        except ValueError as e:
            failures.append(f"read {reads}: {len(data)} bytes do not parse: {e}")
            doc = None
        if doc is not None:
            parsed += 1
            if doc.get("final") is False:
                nonfinal += 1
                if nonfinal == 1:
                    with open(snapshot, "wb") as f:
                        f.write(data)
                last_nonfinal = data
            for key in MONOTONIC:
                try:
                    v = walk(doc, key)
                except (KeyError, IndexError, TypeError):
                    continue
                if key in last and v < last[key]:
                    failures.append(f"read {reads}: {key} went back from {last[key]} to {v}")
                last[key] = v
        if not running:
            break
        time.sleep(0.001)
    if last_nonfinal is not None:
        with open(snapshot + ".last", "wb") as f:
            f.write(last_nonfinal)
    print(f"reads {reads} parsed {parsed} nonfinal {nonfinal}")
    for msg in failures[:20]:
        print("e2e.py: " + msg, file=sys.stderr)
    return 1 if failures else 0


# strace -qq line: NAME(args) = result, or "+++ exited ..." that -qq should drop.
CALL = re.compile(r"^(?:\d+\s+)?([a-z_][a-z0-9_]*)\(")


def cmd_syscalls(args):
    counts = {}
    with open(args[0]) as f:
        for line in f:
            m = CALL.match(line)
            if m:
                counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(name, n)
    return 0


def main():
    cmds = {"get": (cmd_get, 2), "validate": (cmd_validate, 2), "poll": (cmd_poll, 3),
            "syscalls": (cmd_syscalls, 1)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or len(sys.argv) - 2 < cmds[sys.argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return cmds[sys.argv[1]][0](sys.argv[2:])
    except (OSError, ValueError) as e:
        print(f"e2e.py: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
