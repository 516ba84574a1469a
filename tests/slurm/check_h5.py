#!/usr/bin/python3
"""Checks of splinelens study files for the SLURM scenario tests (tests/slurm/*.sh).

  check_h5.py complete FILE [ATTR=VALUE ...]   every run done (status 1 or 2), root attribute complete == "1",
                                               and each given root attribute equals VALUE
  check_h5.py partial FILE                     readable, some runs done and some pending (an interrupted file)
  check_h5.py slices N FILE0 ... FILE<N-1>     slice i has slice="i/N" and slurm_array_task_id="i"; every run is
                                               done in exactly one slice
  check_h5.py nruns FILE                       prints the number of runs
Exit 0 when the check holds, 1 (with a message on stderr) when not.
"""
import sys

import h5py
import numpy as np


def attr(f, name):
    v = f.attrs.get(name)
    if v is None:
        return None
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.ndarray) and v.shape == ():
        v = v[()]
        return v.decode() if isinstance(v, bytes) else str(v)
    return str(v)


def status(path):
    with h5py.File(path, "r") as f:
        return f["runs/status"][:].astype(int), {k: attr(f, k) for k in f.attrs}


def fail(msg):
    print("check_h5: " + msg, file=sys.stderr)
    sys.exit(1)


def main(argv):
    if len(argv) < 3:
        fail(__doc__)
    cmd, path = argv[1], argv[2]
    if cmd == "nruns":
        s, _ = status(path)
        print(len(s))
    elif cmd == "complete":
        s, attrs = status(path)
        bad = np.flatnonzero((s != 1) & (s != 2))
        if len(s) == 0 or len(bad):
            fail(f"{path}: {len(bad)} of {len(s)} runs not done (status {np.unique(s[bad]).tolist()}), e.g. runs {bad[:10].tolist()}")
        if attrs.get("complete") != "1":
            fail(f"{path}: root attribute complete = {attrs.get('complete')!r}, expected '1'")
        for kv in argv[3:]:
            k, v = kv.split("=", 1)
            if attrs.get(k) != v:
                fail(f"{path}: root attribute {k} = {attrs.get(k)!r}, expected {v!r}")
        print(f"{path}: {len(s)} runs, {(s == 1).sum()} done, {(s == 2).sum()} failed, complete")
    elif cmd == "partial":
        s, _ = status(path)
        nd, npend = int(((s == 1) | (s == 2)).sum()), int((s == 0).sum())
        if nd == 0 or npend == 0 or nd + npend != len(s):
            fail(f"{path}: expected an interrupted file, got {nd} done and {npend} pending of {len(s)}")
        print(f"{path}: interrupted file: {nd} runs done, {npend} pending")
    elif cmd == "slices":
        n = int(path)
        files = argv[3:]
        if len(files) != n:
            fail(f"slices: {n} slices but {len(files)} files")
        owner = None
        for i, p in enumerate(files):
            s, attrs = status(p)
            if attrs.get("slice") != f"{i}/{n}":
                fail(f"{p}: root attribute slice = {attrs.get('slice')!r}, expected '{i}/{n}'")
            if attrs.get("slurm_array_task_id") != str(i):
                fail(f"{p}: slurm_array_task_id = {attrs.get('slurm_array_task_id')!r}, expected '{i}'")
            done = (s == 1) | (s == 2)
            if not done.any():
                fail(f"{p}: slice {i} has no run done")
            if owner is None:
                owner = np.full(len(s), -1)
            both = np.flatnonzero(done & (owner >= 0))
            if len(both):
                fail(f"runs {both[:10].tolist()} done in slice {owner[both[0]]} and in slice {i}")
            owner[done] = i
        missing = np.flatnonzero(owner < 0)
        if len(missing):
            fail(f"runs {missing[:10].tolist()} done in no slice")
        print(f"{n} slices partition the {len(owner)} runs: {np.bincount(owner, minlength=n).tolist()}")
    else:
        fail(__doc__)


if __name__ == "__main__":
    main(sys.argv)
