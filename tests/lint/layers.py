#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The layers point one way: no file under src/ or include/ includes a higher layer.

The data path's layers, lowest first (docs/DESIGN.md, "Map of the code"):

    0  leaves   src/util/ (histogram, durability and hot-loop helpers)
                src/format/ (capture file formats, record framing)
    1  buffer   src/buffer/, include/dbuf.h (the lock-free buffer library)
    2  source   src/source/ (synthetic blocks, replay, dissector)
    3  persist  src/persist/ (io_uring persistence)
    4  stats    src/stats/ (counters, the JSON document)
    5  app      src/app/ (the dbcap program)

A file may include its own layer and any lower one.  What a lower layer
needs from above arrives as a plain struct or a callback, never as an
include.  The leaves are stricter: a leaf includes nothing of the project
but headers of its own folder (format/record.h includes format/pcapng.h;
util/hotpath.h includes util/counter.h), so that each can be taken alone;
util and format do not include each other.

Every "#include "..."" line is resolved the way the compiler does: next to
the including file first, then include/ (meson's include_directories).  A
quoted include that resolves to no file of the project fails too, so a typo
cannot hide an edge.  There is no allowlist.

Usage: layers.py [SOURCE_ROOT]   (default: the repository this file is in).
Prints one line per offending include and exits 1; exits 0 when clean.
"""
import os
import re
import sys

# Folder (relative to the source root) -> (rank, layer name).  Order matters
# only for reading; lookup takes the longest matching prefix.
LAYERS = {
    "src/util": (0, "util"),
    "src/format": (0, "format"),
    "src/buffer": (1, "buffer"),
    "include": (1, "buffer"),
    "src/source": (2, "source"),
    "src/persist": (3, "persist"),
    "src/stats": (4, "stats"),
    "src/app": (5, "app"),
}
LEAF_RANK = 0
SCANNED = ("src", "include")
INCLUDE_DIRS = ("include",)  # meson: inc = include_directories('include')

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(rel):
    """(folder, rank, name) of a path relative to the root, or None."""
    best = None
    for folder, (rank, name) in LAYERS.items():
        if rel == folder or rel.startswith(folder + "/"):
            if best is None or len(folder) > len(best[0]):
                best = (folder, rank, name)
    return best


def resolve(root, including, target):
    """The included file, relative to root, or None when it is no file of ours."""
    candidates = [os.path.join(os.path.dirname(including), target)]
    candidates += [os.path.join(root, d, target) for d in INCLUDE_DIRS]
    for c in candidates:
        if os.path.isfile(c):
            return os.path.relpath(os.path.realpath(c), os.path.realpath(root))
    return None


def check(root):
    problems = []
    files = []
    for top in SCANNED:
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            files += [os.path.join(dirpath, n) for n in names if n.endswith((".c", ".h"))]
    for path in sorted(files):
        rel = os.path.relpath(path, root)
        mine = layer_of(rel)
        if mine is None:
            problems.append(f"{rel}: belongs to no layer: add its folder to LAYERS in {__file__}")
            continue
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                target = m.group(1)
                got = resolve(root, path, target)
                if got is None:
                    problems.append(f"{rel}:{lineno}: \"{target}\" is no file of the project")
                    continue
                theirs = layer_of(got)
                if theirs is None:
                    problems.append(f"{rel}:{lineno}: \"{target}\" ({got}) belongs to no layer")
                    continue
                if mine[1] == LEAF_RANK and theirs[0] != mine[0]:
                    problems.append(f"{rel}:{lineno}: leaf {mine[2]} includes {theirs[2]} "
                                    f"(\"{target}\"): a leaf includes only its own folder")
                elif theirs[1] > mine[1]:
                    problems.append(f"{rel}:{lineno}: {mine[2]} (layer {mine[1]}) includes "
                                    f"{theirs[2]} (layer {theirs[1]}) (\"{target}\"): "
                                    f"a lower layer must not include a higher one")
    return problems, len(files)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    problems, n = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"layers: {len(problems)} wrong include(s) in {n} files")
        return 1
    print(f"layers: {n} files, every include points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
