#!/usr/bin/env python3
"""The library's layering, checked from its #include lines (run by ctest as `layers`).

Rules (README "Repository"):
  1. src/ has one folder per layer, in this order: a file may include the public headers of its own layer and
     of the layers below it, never above (include/splinelens/<name>.h belongs to the layer LAYER_OF_HEADER names).
  2. A folder's private header (src/<layer>/*.h) is included only by files of that folder. The library's
     cross-layer internals live in include/splinelens/private/ and belong to a layer like public headers.
  3. No include cycle among the files of src/ and include/.
Every include of the project's own headers must resolve to a file that exists.

`check_layers.py ROOT` checks the tree; `check_layers.py --self-test` runs the checks on small made-up trees
that break each rule and fails unless every breach is reported.
"""
import os
import re
import sys
import tempfile

LAYERS = ["sys", "model", "hessian", "spectrum", "train", "output", "study", "app"]
LAYER_OF_HEADER = {
    "sys": "sys", "rng": "sys", "slconfig": "sys", "private/packageimpl": "sys",
    "data": "model", "network": "model", "spline": "model", "init": "model", "classeval": "model",
    "hessian": "hessian", "private/hessianimpl": "hessian",
    "spectrum": "spectrum", "train": "train", "output": "output", "study": "study",
    "splinelens": "app",  # the umbrella header: everything
}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def scan(root):
    """{file: [(kind, target)]} for every C file of src/ and include/splinelens/ (paths relative to root)."""
    files = {}
    for top in ("src", os.path.join("include", "splinelens")):
        for d, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                if n.endswith((".c", ".h", ".h.in")):
                    p = os.path.relpath(os.path.join(d, n), root)
                    with open(os.path.join(root, p), encoding="utf-8") as fh:
                        files[p] = INCLUDE.findall(fh.read())
    return files


def layer_of(path):
    """The layer of a file: its src/<layer>/ folder, or the owner of a public/private header."""
    parts = path.split(os.sep)
    if parts[0] == "src":
        return parts[1] if len(parts) > 2 else None
    name = "/".join(parts[2:])
    for suffix in (".h.in", ".h"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return LAYER_OF_HEADER.get(name)


def resolve(root, src, kind, target):
    """The project file an include names, or None for a system/third-party header."""
    if kind == '"':
        p = os.path.normpath(os.path.join(os.path.dirname(src), target))
        return p if os.path.exists(os.path.join(root, p)) else ("missing", target)
    if target.startswith("splinelens/"):
        p = os.path.join("include", target)
        for cand in (p, p + ".in"):
            if os.path.exists(os.path.join(root, cand)):
                return cand
        return ("missing", target)
    return None


def check(root):
    files = scan(root)
    errors, graph = [], {f: [] for f in files}
    for f, incs in sorted(files.items()):
        lf = layer_of(f)
        if lf is None or lf not in LAYERS:
            errors.append(f"{f}: not in a layer folder (layers: {', '.join(LAYERS)}) or header owner unknown")
            continue
        for kind, target in incs:
            t = resolve(root, f, kind, target)
            if t is None:
                continue
            if isinstance(t, tuple):
                errors.append(f"{f}: #include {kind}{target} names no file of the project")
                continue
            graph[f].append(t)
            lt = layer_of(t)
            if t.startswith("src" + os.sep) and os.path.dirname(t) != os.path.dirname(f):
                errors.append(f"{f}: includes {t}, the private header of another folder")
            elif lt is None:
                errors.append(f"{f}: includes {t}, which belongs to no layer")
            elif LAYERS.index(lt) > LAYERS.index(lf):
                errors.append(f"{f} (layer {lf}): includes {t} of the higher layer {lt}")
    # cycles: depth-first search with colours
    colour, stack = {}, []

    def visit(u):
        colour[u] = 1
        stack.append(u)
        for v in graph.get(u, []):
            if colour.get(v, 0) == 1:
                errors.append("include cycle: " + " -> ".join(stack[stack.index(v):] + [v]))
            elif colour.get(v, 0) == 0:
                visit(v)
        stack.pop()
        colour[u] = 2

    for u in sorted(graph):
        if colour.get(u, 0) == 0:
            visit(u)
    return errors, len(files)


def self_test():
    """Each made-up tree breaks one rule; the check must report it (and a clean tree nothing)."""
    cases = {
        "clean": ({"src/sys/a.c": '#include <splinelens/sys.h>\n#include "a_impl.h"\n', "src/sys/a_impl.h": "",
                   "include/splinelens/sys.h": "", "src/model/b.c": "#include <splinelens/sys.h>\n#include <splinelens/network.h>\n",
                   "include/splinelens/network.h": "#include <splinelens/sys.h>\n"}, None),
        "upward": ({"src/model/b.c": "#include <splinelens/study.h>\n", "include/splinelens/study.h": ""}, "higher layer"),
        "private": ({"src/hessian/c.c": '#include "../model/m_impl.h"\n', "src/model/m_impl.h": ""}, "private header of another folder"),
        "cycle": ({"src/sys/x.h": '#include "y.h"\n', "src/sys/y.h": '#include "x.h"\n', "src/sys/x.c": '#include "x.h"\n'}, "include cycle"),
        "missing": ({"src/sys/z.c": '#include "nothere.h"\n'}, "names no file"),
        "nolayer": ({"src/extra/q.c": ""}, "not in a layer folder"),
    }
    ok = True
    for name, (tree, expect) in cases.items():
        with tempfile.TemporaryDirectory() as d:
            for p, text in tree.items():
                os.makedirs(os.path.join(d, os.path.dirname(p)), exist_ok=True)
                with open(os.path.join(d, p), "w") as fh:
                    fh.write(text)
            errs, _ = check(d)
        good = (not errs) if expect is None else any(expect in e for e in errs)
        print(f"self-test {name}: {'ok' if good else 'NOT DETECTED'} {errs if errs else ''}")
        ok &= good
    return ok


def main(argv):
    if len(argv) > 1 and argv[1] == "--self-test":
        return 0 if self_test() else 1
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    errors, n = check(os.path.abspath(root))
    for e in errors:
        print("layers: " + e)
    print(f"layers: {n} files, layers {' < '.join(LAYERS)}: {'OK' if not errors else f'{len(errors)} violation(s)'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
