"""Sweep benchmark (section s of bench/README.md): splinelens on an initialization-only sweep against a
single-process numpy + h5py loop doing the same initialization, spline view, dense Hessian spectra and counts
(bench/sweep_numpy.py), side by side, with the ratios.

    bash bench/run sweep [--quick] [--ranks 2] [--load 2] [--studies 600,10000] [--out file.json]

Studies: "600" is configs/tiny.yaml -sl_seeds 0-100 -sl_widths 4,16,64 -sl_train 0 (3 x 100 x 2 runs);
"10000" is configs/sweep.yaml (5 widths x 200 seeds x 10 scales). Each is run twice: on the machine as it is,
and with --load busy processes started next to it (a loaded machine). splinelens runs with -log_view: the
table shows its wall time (mpiexec start to exit), the time of its stages and events (SL setup, SL runs, SLRun:
the runs themselves on the busiest rank, SLCommit), and the overhead of the runs stage over the compute
(SL runs / SLRun: 1 = no overhead). The numpy loop's time excludes the interpreter start and imports.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"
STUDIES = {
    "600": dict(opts=["-options_file", "configs/tiny.yaml", "-sl_seeds", "0-100", "-sl_widths", "4,16,64",
                      "-sl_train", "0"], widths="4,16,64", seeds="0-100", alphas="0.5,2"),
    "10000": dict(opts=["-options_file", "configs/sweep.yaml"], widths="4,8,16,32,64", seeds="0-200",
                  alphas="0.25,0.35,0.5,0.71,1,1.41,2,2.83,4,5.66"),
    "60": dict(opts=["-options_file", "configs/tiny.yaml", "-sl_seeds", "0-10", "-sl_widths", "4,16,64",
                     "-sl_train", "0"], widths="4,16,64", seeds="0-10", alphas="0.5,2"),
}


def log_view(text):
    """Total time, stage times and event max times from a -log_view."""
    out = {}
    m = re.search(r"^Time \(sec\):\s+([0-9.e+-]+)", text, re.M)
    out["total"] = float(m.group(1)) if m else None
    for name in ("SL setup", "SL runs"):
        m = re.search(r"^\s*\d+:\s+%s:\s+([0-9.e+-]+)" % name, text, re.M)
        out[name] = float(m.group(1)) if m else None
    for ev in ("SLRun", "SLCommit", "SLCommitWait", "SLSpectrum"):
        vals = [float(m.group(2)) for m in re.finditer(r"^%s\s+(\d+)\s+[0-9.]+\s+([0-9.e+-]+)" % ev, text, re.M)]
        out[ev] = max(vals) if vals else None  # an event appears once per stage it ran in
    return out


def busy(n):
    return [subprocess.Popen([PY, "-c", "while True: pass"]) for _ in range(n)]


def run_splinelens(binary, study, ranks, work, env):
    out = os.path.join(work, "sl.h5")
    for p in (out, out + ".lock"):
        if os.path.exists(p):
            os.remove(p)
    cmd = ["mpiexec", "--oversubscribe", "-n", str(ranks), binary, "-sl_view", "0", "-sl_output", out, "-log_view"]
    t = time.perf_counter()
    p = subprocess.run(cmd + study["opts"], cwd=ROOT, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit("splinelens failed (%d):\n%s" % (p.returncode, p.stdout[-3000:] + p.stderr[-3000:]))
    res = dict(log_view(p.stdout), wall=wall)
    m = re.findall(r"runs done (\d+)/(\d+)", p.stdout)
    res["runs"] = int(m[-1][1]) if m else None
    return res, out


def data_arg(h5):
    import h5py
    with h5py.File(h5, "r") as f:
        g = f["data"][list(f["data"].keys())[0]]
        x, y = g["x"][:], g["y"][:]
    return ",".join(repr(float(v)) for v in x) + ":" + ",".join(repr(float(v)) for v in y)


def run_numpy(study, data, work):
    out = os.path.join(work, "np.h5")
    cmd = [PY, os.path.join(HERE, "sweep_numpy.py"), "--data=" + data, "--widths", study["widths"], "--seeds",
           study["seeds"], "--alphas", study["alphas"], "--out", out]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")  # one process, one thread (as splinelens' ranks)
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit("numpy loop failed:\n" + p.stderr[-3000:])
    res = json.loads(p.stdout.strip().splitlines()[-1])
    res["wall"] = wall
    return res


def f(v, fmt="%.2f"):
    return "-" if v is None else fmt % v


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "splinelens"))
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--load", type=int, default=2, help="busy processes of the loaded runs (0: no loaded runs)")
    ap.add_argument("--studies", default="600,10000")
    ap.add_argument("--quick", action="store_true", help="the 60-run study only (smoke test)")
    ap.add_argument("--out", help="results file (default bench/results-sweep-<date>.json)")
    a = ap.parse_args()
    studies = ["60"] if a.quick else a.studies.split(",")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_io=os.environ.get("OMPI_MCA_io", "romio321"))
    work = tempfile.mkdtemp(prefix="sl-sweep-")
    results = {"meta": {"date": datetime.datetime.now().isoformat(timespec="seconds"), "nproc": os.cpu_count(),
                        "loadavg_start": os.getloadavg(), "ranks": a.ranks, "load": a.load}, "rows": []}
    print("sweep benchmark: %s, %d cores, load average %.1f; splinelens on %d ranks vs numpy + h5py on 1 process"
          % (results["meta"]["date"], os.cpu_count(), os.getloadavg()[0], a.ranks))
    try:
        for name in studies:
            st = STUDIES[name]
            for load in ([0, a.load] if a.load > 0 else [0]):
                procs = busy(load)
                try:
                    sl, h5 = run_splinelens(a.binary, st, a.ranks, work, env)
                    npr = run_numpy(st, data_arg(h5), work)
                finally:
                    for p in procs:
                        p.kill()
                        p.wait()
                row = dict(study=name, load=load, splinelens=sl, numpy=npr)
                results["rows"].append(row)
                print(".", end="", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    hdr = ("study", "runs", "busy", "SL wall", "SL total", "setup", "runs", "SLRun", "commit", "overhead",
           "numpy", "numpy/SL wall", "numpy/SL total")
    rows = []
    for r in results["rows"]:
        sl, npr = r["splinelens"], r["numpy"]
        ov = sl["SL runs"] / sl["SLRun"] if sl.get("SL runs") and sl.get("SLRun") else None
        rows.append((r["study"], str(sl["runs"]), str(r["load"]), f(sl["wall"]), f(sl["total"]), f(sl["SL setup"]),
                     f(sl["SL runs"]), f(sl["SLRun"]), f(sl["SLCommit"], "%.3f"), f(ov, "%.2fx"),
                     f(npr["seconds"]), f(npr["seconds"] / sl["wall"], "%.2fx"),
                     f(npr["seconds"] / sl["total"], "%.2fx") if sl["total"] else "-"))
        r["overhead"] = ov
    w = [max(len(h), *(len(x[i]) for x in rows)) for i, h in enumerate(hdr)]
    print("  ".join(h.rjust(w[i]) for i, h in enumerate(hdr)))
    for x in rows:
        print("  ".join(v.rjust(w[i]) for i, v in enumerate(x)))
    print("seconds; SL wall: mpiexec start to exit; SL total: -log_view's time; runs: stage SL runs; SLRun: the runs "
          "on the busiest rank; commit: SLCommit; overhead: runs stage / SLRun; numpy: its loop and file; "
          "busy: processes loading the machine meanwhile; ratios > 1: splinelens faster")
    results["meta"]["loadavg_end"] = os.getloadavg()
    out = a.out or os.path.join(HERE, "results-sweep-%s.json" % datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    with open(out, "w") as fh:
        json.dump(results, fh, indent=1)
    print("results: %s" % out)


if __name__ == "__main__":
    sys.exit(main())
