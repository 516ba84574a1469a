"""Compare the numeric content of two splinelens study files.

Every dataset outside /runinfo (wall times and which rank ran a run: facts of the execution, not of the
result) must exist in both files with the same shape, dtype and bitwise-identical values (NaN equals NaN).
Root attributes (times, host names, option files) are ignored; the study fingerprint must match.

usage: splinelens-compare A.h5 B.h5 [--exclude /runinfo ...] [--rtol R]
Exit status 0 when identical (or within --rtol), 1 when they differ, 2 on usage or file errors.
"""
import argparse
import sys

import h5py
import numpy as np


def datasets(f, exclude):
    out = {}

    def visit(name, obj):
        path = "/" + name
        if isinstance(obj, h5py.Dataset) and not any(path == e or path.startswith(e.rstrip("/") + "/") for e in exclude):
            out[path] = obj

    f.visititems(visit)
    return out


def same(a, b, rtol):
    if a.dtype != b.dtype or a.shape != b.shape:
        return False, f"dtype/shape {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
    if a.dtype.kind == "f":
        if rtol > 0:
            ok = np.allclose(a, b, rtol=rtol, atol=0, equal_nan=True)
        else:
            ok = np.array_equal(a.view(np.uint8), b.view(np.uint8)) or np.array_equal(a, b, equal_nan=True)
        if not ok:
            d = np.abs(a - b)
            i = int(np.nanargmax(np.where(np.isnan(d), -1, d))) if d.size else 0
            return False, f"max difference {np.nanmax(d) if d.size else 0:.3e} at index {i}"
        return True, ""
    if not np.array_equal(a, b):
        i = int(np.argmax(a != b))
        return False, f"first difference at index {i}: {a.flat[i]!r} vs {b.flat[i]!r}"
    return True, ""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--exclude", action="append", default=None, help="dataset path prefix to ignore (default /runinfo)")
    ap.add_argument("--rtol", type=float, default=0.0, help="relative tolerance for reals (default: bitwise)")
    args = ap.parse_args(argv)
    exclude = args.exclude if args.exclude is not None else ["/runinfo"]
    try:
        fa, fb = h5py.File(args.a, "r"), h5py.File(args.b, "r")
    except OSError as e:
        print(f"splinelens-compare: {e}", file=sys.stderr)
        return 2
    with fa, fb:
        fpa, fpb = fa.attrs.get("study_fingerprint"), fb.attrs.get("study_fingerprint")
        problems = []
        if fpa != fpb:
            problems.append(f"study fingerprints differ: {fpa!r} vs {fpb!r}")
        da, db = datasets(fa, exclude), datasets(fb, exclude)
        for p in sorted(set(da) ^ set(db)):
            problems.append(f"{p}: only in {args.a if p in da else args.b}")
        for p in sorted(set(da) & set(db)):
            ok, why = same(da[p][()], db[p][()], args.rtol)
            if not ok:
                problems.append(f"{p}: {why}")
        for line in problems:
            print(line)
        print(f"{len(set(da) & set(db))} datasets compared, {len(problems)} differences")
        return 1 if problems else 0

