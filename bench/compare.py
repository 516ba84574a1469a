#!/usr/bin/python3
"""splinelens against what a researcher would otherwise run, side by side on the same networks (bench/README.md).

  (a) exact histogram (inertia counts, SLHessianCountBelow / the spectrum module) vs dense eigensolves:
      splinelens' own (EPSLAPACK) and numpy.linalg.eigvalsh on the explicit Hessian; counts compared at every edge
  (b) k smallest and k largest eigenvalues: splinelens Krylov-Schur on its MatShell vs scipy eigsh (ARPACK) with
      numpy Hessian-vector products and with torch autograd Hessian-vector products (PyHessian's HVP)
  (c) exact histogram vs stochastic Lanczos quadrature (numpy): time and L1 error of the normalized histogram
  (d) one loss gradient: activation classes (classeval.h) vs the direct O(H N) kernel vs torch autograd / numpy

Each splinelens computation is one run of the C driver (build/bench/sl_bench), each competitor one process of
bench/competitors.py, both with a timeout; the driver writes the network (theta, x, y) that the competitors read.
Prints the tables and writes bench/results-<date>.json. Never asserts times; --check fails (exit 1) only on
disagreeing counts or eigenvalues.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"

FULL = {"a": [300, 1000, 3000], "b": [10**4, 10**5, 10**6], "c": [1000, 10**5], "d": [10**3, 10**4, 10**5, 10**6]}
QUICK = {"a": [40, 120], "b": [1500], "c": [150], "d": [1000, 10**4]}


class Runner:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="slbench-")
        self.env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                        OMPI_MCA_io="romio321", OMPI_MCA_rmaps_base_oversubscribe="1")
        self.cache = {}

    def _run(self, cmd, timeout, marker, env):
        """Run cmd in its own process group; kill that group on timeout. Returns (json or None, status)."""
        if self.args.verbose:
            line = " ".join(cmd[4:] if cmd[0] == "/bin/sh" else cmd)
            print("  $ " + (line if len(line) <= 240 else line[:237] + "..."), flush=True)
        # Through sh: ru_maxrss survives fork + exec, so a child forked straight from this (large) Python process
        # would report at least this process's resident size; sh's own child starts from sh's few MiB.
        cmd = ["/bin/sh", "-c", '"$@"; exit $?', "sh"] + cmd
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             start_new_session=True)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            return None, "timeout"
        for line in out.splitlines():
            if line.startswith(marker):
                return json.loads(line[len(marker):]), "ok"
        tail = " | ".join((err or out).strip().splitlines()[-3:])
        return None, "error (exit %d): %s" % (p.returncode, tail[:300])

    def prefix(self, H, point):
        return os.path.join(self.work, "net-%d-%s" % (H, point))

    def driver(self, mode, H, point, extra=(), **opts):
        key = (mode, H, point, tuple(extra))
        if key in self.cache:
            return self.cache[key]
        ranks = self.args.ranks if (H >= self.args.wide and mode != "dense") else 1
        cmd = [self.args.driver, "-bench_mode", mode, "-bench_width", str(H), "-bench_n", str(self.args.n),
               "-bench_point", point, "-bench_seed", str(self.args.seed), "-bench_nbins", str(self.args.nbins),
               "-bench_k", str(self.args.k), "-bench_dump", self.prefix(H, point)]
        if opts.get("zoom"):
            cmd.append("-bench_zoom")
        cmd += list(extra)
        env = dict(self.env)
        if ranks > 1:
            cmd = ["mpiexec", "-n", str(ranks)] + cmd
            env["OPENBLAS_NUM_THREADS"] = "1"  # one core per rank
        res, status = self._run(cmd, self.args.sl_timeout, "BENCH_JSON ", env)
        if res is None:
            res = {"status": status}
        else:
            res["status"] = "ok"
        self.cache[key] = res
        return res

    def competitor(self, method, H, point, **spec):
        spec = dict(spec, method=method, prefix=self.prefix(H, point), seed=self.args.seed)
        res, status = self._run([PY, os.path.join(HERE, "competitors.py"), json.dumps(spec)], self.args.timeout,
                                "WORKER_JSON ", self.env)
        if res is None:
            res = {"status": status}
        else:
            res["status"] = "ok"
        return res


# ---------------------------------------------------------------------------------------------- formatting
def fmt_t(res, key="t_total"):
    st = res.get("status", "error")
    if st != "ok":
        return st if st in ("timeout",) else st.split(" ")[0]
    return "%.3g" % res[key]


def ratio(num, den, knum="t_total", kden="t_total"):
    if num.get("status") != "ok" or den.get("status") != "ok" or den[kden] <= 0:
        return "-"
    return "%.3g" % (num[knum] / den[kden])


def mem(res, key):
    return "%.0f" % res[key] if res.get("status") == "ok" and key in res else "-"


def table(title, header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print("\n" + title)
    print("  ".join(str(h).rjust(w) for h, w in zip(header, widths)))
    print(line)
    for r in rows:
        print("  ".join(str(c).rjust(w) for c, w in zip(r, widths)))


def same_network(sl, comp):
    """The competitor evaluated the same network: same loss to rounding."""
    if sl.get("status") != "ok" or comp.get("status") != "ok":
        return True
    return abs(sl["loss"] - comp["loss"]) <= 1e-10 * max(1.0, abs(sl["loss"]))


def max_count_diff(ref, other):
    d = [abs(a - b) for a, b in zip(ref, other) if a >= 0]
    return max(d) if d else 0


# ---------------------------------------------------------------------------------------------- sections
def section_a(run, widths, points, failures):
    rows, out = [], []
    for H in widths:
        for point in points:
            hist = run.driver("hist", H, point, zoom=True)
            if hist.get("status") != "ok":
                out.append({"H": H, "point": point, "hist": hist})
                rows.append([H, 3 * H, point, hist["status"]] + ["-"] * 9)
                failures.append("a: H=%d %s: splinelens hist %s" % (H, point, hist["status"]))
                continue
            dense = run.driver("dense", H, point)
            edges = {"module": hist["edges"], "zoom": hist["zoom_edges"]}
            npd = run.competitor("numpy_dense", H, point, edges=edges)
            exact = {"module": hist["cum_counts"], "zoom": hist["zoom_cum_counts"]}
            d_np = d_sl = "-"
            if npd.get("status") == "ok":
                if not same_network(hist, npd):
                    failures.append("a: H=%d %s: numpy evaluated a different network" % (H, point))
                d_np = int(max(max_count_diff(exact[k], npd["cum_counts"][k]) for k in exact))
                npd["count_diff"] = d_np
            if dense.get("status") == "ok":
                vals = np.fromfile(run.prefix(H, point) + ".dense.f64")
                d_sl = int(max(max_count_diff(exact[k], np.searchsorted(vals, np.asarray(edges[k]), side="left"))
                               for k in exact))
                dense["count_diff"] = d_sl
                dense["t_total"] = dense["t_solve"]
                if npd.get("status") == "ok":
                    nv = np.fromfile(run.prefix(H, point) + ".numpy.f64")
                    dense["max_abs_diff_numpy_rel"] = float(np.max(np.abs(vals - nv)) / np.max(np.abs(nv)))
            for d in (d_np, d_sl):
                if d not in ("-", 0):
                    failures.append("a: H=%d %s: counts differ by %d at some edge" % (H, point, d))
            if hist["count_diff_module"] != 0:
                failures.append("a: H=%d %s: module histogram and SLHessianCountBelow differ" % (H, point))
            hist["t_total"] = hist["t_count"]
            rows.append([H, 3 * H, point, "%.3g" % hist["t_count"], "%.3g" % hist["t_module"], fmt_t(dense),
                         fmt_t(npd), ratio(npd, hist), ratio(dense, hist), d_np, d_sl,
                         "%s/%s/%s" % (mem(hist, "mem_mib_sum"), mem(dense, "mem_mib_sum"), mem(npd, "mem_mib"))])
            out.append({"H": H, "point": point, "hist": hist, "sl_dense": dense, "numpy_dense": npd})
    table("(a) exact histogram (%d bins, counts at %d edges) vs dense eigensolve, N = %d" %
          (run.args.nbins, 2 * run.args.nbins + 2, run.args.n),
          ["H", "P", "point", "SL count s", "SL module s", "SL dense s", "numpy s", "numpy/SLcount",
           "SLdense/SLcount", "max|dcount| numpy", "max|dcount| SLdense", "MiB SLcount/SLdense/numpy"], rows)
    return out


def agreement(vals, ref, scale, rtol):
    """How many of the 2k values (ascending, k smallest then k largest) match the reference to rtol, and the
    largest relative difference; NaN / missing values count as mismatches."""
    a = np.array([np.nan if v is None else v for v in vals], dtype=float)
    r = np.asarray(ref, dtype=float)
    if a.size != r.size:
        return 0, float("nan")
    den = np.maximum(np.abs(r), 1e-12 * scale)
    rel = np.abs(a - r) / den
    ok = rel <= rtol
    return int(ok.sum()), float(np.nanmax(rel)) if np.isfinite(rel).any() else float("nan")


def section_b(run, widths, failures):
    rows, out = [], []
    k, tol, rtol = run.args.k, run.args.tol, run.args.eig_rtol
    methods = ["scipy_numpy"] + (["scipy_torch"] if run.args.torch else [])
    for H in widths:
        sl = run.driver("extremes", H, "resid")
        # the same call forced onto Krylov-Schur on the MatShell (no class-reduced eigenproblem)
        ks = run.driver("extremes", H, "resid", extra=["-sl_eig_reduced_max", "-1"])
        comps = {m: {"status": "skipped"} for m in ("scipy_numpy", "scipy_torch")}
        for m in methods:
            comps[m] = {"hvp": run.competitor(m, H, "resid")}
            for which in ("LA", "SA"):
                other = comps["scipy_numpy"].get(which, {}) if m == "scipy_torch" else {}
                if other.get("status") == "timeout":
                    # same ARPACK iteration with a slower product: it cannot finish either
                    comps[m][which] = {"status": "not run"}
                else:
                    comps[m][which] = run.competitor(m, H, "resid", k=k, tol=tol, which=which)
        ref, ref_name, dense, agree = None, "SL", None, {}
        if sl.get("status") == "ok":
            sl["t_total"] = sl["t_solve"]
            scale = max(abs(v) for v in sl["values"] if v is not None)
            if 3 * H <= run.args.b_dense_max:  # the truth, where a dense solve is affordable
                dense = run.competitor("numpy_dense", H, "resid", edges={})
                if dense.get("status") == "ok":
                    nv = np.fromfile(run.prefix(H, "resid") + ".numpy.f64")
                    ref, ref_name = np.concatenate([nv[:k], nv[-k:]]), "dense"
            if ref is None:
                ref = np.array([np.nan if v is None else v for v in sl["values"]])
            if ref_name == "dense":
                agree["splinelens"] = agreement(sl["values"], ref, scale, rtol)
                if agree["splinelens"][0] != 2 * k:
                    failures.append("b: H=%d: splinelens extremes differ from the dense eigenvalues (%d/%d agree)" %
                                    (H, agree["splinelens"][0], 2 * k))
                sl["agree_dense"] = agree["splinelens"]
            if ks.get("status") == "ok":
                ks["t_total"] = ks["t_solve"]
                agree["ks"] = agreement(ks["values"], ref, scale, rtol)
                ks["agree_" + ref_name] = agree["ks"]
                if agree["ks"][0] != 2 * k:
                    failures.append("b: H=%d: splinelens Krylov-Schur extremes differ from the %s ones (%d/%d agree)" %
                                    (H, ref_name, agree["ks"][0], 2 * k))
            else:
                failures.append("b: H=%d: splinelens Krylov-Schur %s" % (H, ks["status"]))
            for m in methods:
                for which, part in (("SA", slice(0, k)), ("LA", slice(k, 2 * k))):
                    c = comps[m][which]
                    if c.get("status") != "ok":
                        continue
                    if not same_network(sl, c):
                        failures.append("b: H=%d: %s evaluated a different network" % (H, m))
                    c["agree_" + ref_name] = agreement(c["values"], ref[part], scale, rtol)
                    agree[(m, which)] = c["agree_" + ref_name]
        else:
            failures.append("b: H=%d: splinelens %s" % (H, sl["status"]))

        def t_sl():
            if sl.get("status") != "ok":
                return sl["status"]
            return "%.3g" % sl["t_solve"]

        def split_sl():
            if sl.get("status") != "ok":
                return "-"
            return "%d HVP %.2g, cnt %.2g, class %.2g, reduced %.2g" % (
                sl["solve_hessmult_calls"], sl["solve_hessmult_time"], sl.get("solve_hesscount_time", 0),
                sl.get("solve_hessclass_time", 0), sl.get("solve_specreduced_time", 0))

        def t_ks():
            if ks.get("status") != "ok":
                return ks["status"]
            a = agree.get("ks")
            return "%.3g (%d HVP %.2g) %s" % (ks["t_solve"], ks["solve_hessmult_calls"], ks["solve_hessmult_time"],
                                              "%d/%d" % (a[0], 2 * k) if a else "")

        def ms_hvp(m):
            if m == "splinelens":
                src = ks if ks.get("status") == "ok" else sl
                ok = src.get("status") == "ok" and src["solve_hessmult_calls"] > 0
                return "%.3g" % (1e3 * src["solve_hessmult_time"] / src["solve_hessmult_calls"]) if ok else "-"
            h = comps[m].get("hvp", {})
            return "%.3g" % (1e3 * h["t_hvp"]) if h.get("status") == "ok" else h.get("status", "-")

        def ends(m):
            cells = []
            for which in ("LA", "SA"):
                c = comps[m].get(which, {})
                if c.get("status") == "ok":
                    a = agree.get((m, which))
                    cells.append("%.3g (%d) %s" % (c["t_total"], c["hvps"], "%d/%d" % (a[0], k) if a else ""))
                else:
                    cells.append(c.get("status", "-"))
            return " | ".join(cells)

        ag = "%d/%d" % (agree["splinelens"][0], 2 * k) if "splinelens" in agree else "-"
        mems = [mem(sl, "mem_mib_sum")] + [max([mem(comps[m].get(w, {}), "mem_mib") for w in ("hvp", "LA", "SA")],
                                               key=lambda v: -1 if v == "-" else float(v)) for m in methods]
        rows.append([H, 3 * H, sl.get("ranks", "-"), t_sl(), split_sl(), ag, t_ks(),
                     "/".join(ms_hvp(m) for m in ["splinelens"] + methods),
                     ends("scipy_numpy"), ends("scipy_torch") if run.args.torch else "skipped", ref_name,
                     "/".join(mems)])
        out.append({"H": H, "point": "resid", "splinelens": sl, "splinelens_krylov_schur": ks, **comps, "reference": ref_name, "numpy_dense": dense})
    table("(b) %d smallest + %d largest eigenvalues (tol %g), N = %d. SL: default path (class-reduced "
          "eigenproblem), split: seconds in its HVPs, inertia counts, class aggregation and reduced eigenproblem; "
          "SL Krylov-Schur: -sl_eig_reduced_max -1; "
          "agree = values within %g of the reference (dense eigvalsh if P <= %d, else SL); eigsh per end: "
          "s (HVPs) agree" % (k, k, tol, run.args.n, rtol, run.args.b_dense_max),
          ["H", "P", "ranks", "SL s", "SL split s", "agree SL", "SL Krylov-Schur s (HVPs) agree", "ms/HVP SL/numpy/torch", "eigsh+numpy LA | SA",
           "eigsh+torch LA | SA", "ref", "MiB SL/numpy/torch"], rows)
    return out


def l1(masses, cum, P):
    """L1 distance of normalized histograms, including the mass below the first and above the last edge."""
    cum = np.asarray(cum, dtype=float)
    exact = np.concatenate([[cum[0]], np.diff(cum), [P - cum[-1]]]) / P
    return float(np.abs(np.asarray(masses) / P - exact).sum())


def section_c(run, widths, failures):
    rows, out = [], []
    for H in widths:
        hist = run.driver("hist", H, "resid", zoom=True)
        if hist.get("status") != "ok":
            failures.append("c: H=%d: splinelens hist %s" % (H, hist["status"]))
            rows.append([H, 3 * H, hist["status"]] + ["-"] * 6)
            continue
        edges = {"module": hist["edges"], "zoom": hist["zoom_edges"]}
        slq = run.competitor("slq", H, "resid", edges=edges, probes=run.args.slq_probes, steps=run.args.slq_steps)
        errs = {}
        if slq.get("status") == "ok":
            cums = {"module": hist["cum_counts"], "zoom": hist["zoom_cum_counts"]}
            for key in edges:
                errs[key] = {s: l1(slq["masses"][key][s], cums[key], hist["P"]) for s in ("pyhessian", "bin", "nodes")}
            slq["l1"] = errs

        def e3(key):
            if key not in errs:
                return "-"
            return "%.3f/%.3f" % (errs[key]["pyhessian"], errs[key]["nodes"])

        rows.append([H, 3 * H, hist["ranks"], "%.3g" % hist["t_count"], "%.3g" % hist["t_zoom"],
                     fmt_t(slq) + (" (%d)" % slq["hvps"] if slq.get("status") == "ok" else ""),
                     e3("module"), e3("zoom"), "%s/%s" % (mem(hist, "mem_mib_sum"), mem(slq, "mem_mib"))])
        out.append({"H": H, "point": "resid", "hist": hist, "slq": slq})
    table("(c) exact histogram vs SLQ (%d probes x %d Lanczos steps), %d bins; L1 of normalized histograms with "
          "broadening sigma = PyHessian's / none (sigma = one bin: in the JSON)" % (run.args.slq_probes, run.args.slq_steps, run.args.nbins),
          ["H", "P", "ranks", "exact s", "exact zoom s", "SLQ s (HVPs)", "L1 module bins", "L1 zoom bins",
           "MiB SL/SLQ"], rows)
    return out


def section_d(run, widths, ns, failures):
    """One gradient of the sum loss (resid point): splinelens' activation classes (SLClassEvalUpdate +
    SLClassEvalLossGradient on an evaluator built once, the cost of one gradient-flow right-hand side; and
    SLClassEvalRebuild, every neuron classified afresh) vs its direct O(H N) kernel (SLNetworkLossGradient), and
    torch autograd / numpy on the same network; median seconds of repeated gradients. One rank, one thread."""
    rows, out = [], []
    for N in ns:
        for H in widths:
            prefix = os.path.join(run.work, "grad-%d-%d" % (H, N))
            cmd = [run.args.driver, "-bench_mode", "grad", "-bench_width", str(H), "-bench_n", str(N),
                   "-bench_point", "resid", "-bench_seed", str(run.args.seed), "-bench_dump", prefix]
            sl, st = run._run(cmd, run.args.sl_timeout, "BENCH_JSON ", run.env)
            sl = dict(sl, status="ok") if sl else {"status": st}
            comp = {}
            for m in (["grad_torch"] if run.args.torch else []) + ["grad_numpy"]:
                spec = {"method": m, "prefix": prefix, "repeat": run.args.d_repeat}
                res, st = run._run([PY, os.path.join(HERE, "competitors.py"), json.dumps(spec)], run.args.timeout,
                                   "WORKER_JSON ", run.env)
                comp[m] = dict(res, status="ok") if res else {"status": st}
                if not same_network(sl, comp[m]):
                    failures.append("(d) H=%d N=%d: %s loss %s vs %s" % (H, N, m, comp[m]["loss"], sl["loss"]))
            if sl.get("status") == "ok" and sl["grad_rel_diff"] > 1e-12:
                failures.append("(d) H=%d N=%d: class gradient differs by %g" % (H, N, sl["grad_rel_diff"]))
            tt = comp.get("grad_torch", {"status": "not run"})
            tn = comp["grad_numpy"]
            rows.append([N, "%.0e" % H, fmt_t(sl, "t_class"), fmt_t(sl, "t_rebuild"), fmt_t(sl, "t_direct"),
                         fmt_t(tt, "t_grad"), fmt_t(tn, "t_grad"), ratio(sl, sl, "t_direct", "t_class"),
                         ratio(tt, sl, "t_grad", "t_class"), ratio(tn, sl, "t_grad", "t_class"),
                         ratio(tt, sl, "t_grad", "t_rebuild"),
                         "%.1e" % sl["grad_rel_diff"] if sl.get("status") == "ok" else "-",
                         sl.get("nclasses", "-")])
            out.append({"H": H, "N": N, "splinelens": sl, **comp})
    table("(d) one loss gradient, seconds (median): class = SLClassEvalUpdate + SLClassEvalLossGradient, "
          "rebuild = classes from scratch; ratios = other / class",
          ["N", "H", "class", "rebuild", "direct", "torch", "numpy", "direct/cl", "torch/cl", "numpy/cl",
           "torch/rebuild", "|dg|/|g|", "classes"], rows)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--driver", default=os.path.join(ROOT, "build", "bench", "sl_bench"))
    ap.add_argument("--sections", default="abc")
    ap.add_argument("--a-widths", type=lambda s: [int(float(v)) for v in s.split(",")])
    ap.add_argument("--b-widths", type=lambda s: [int(float(v)) for v in s.split(",")])
    ap.add_argument("--c-widths", type=lambda s: [int(float(v)) for v in s.split(",")])
    ap.add_argument("--d-widths", type=lambda s: [int(float(v)) for v in s.split(",")])
    ap.add_argument("--d-n", default="64,1024", help="(d): data sizes")
    ap.add_argument("--d-repeat", type=int, default=5, help="(d): timed competitor gradients")
    ap.add_argument("--n", type=int, default=64, help="data points (sine on [-1, 1])")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--nbins", type=int, default=50)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--tol", type=float, default=1e-10, help="eigsh tolerance (splinelens: -sl_eig_tol 1e-10)")
    ap.add_argument("--eig-rtol", type=float, default=1e-6, help="--check: allowed eigenvalue relative difference")
    ap.add_argument("--b-dense-max", type=int, default=9000, help="(b): dense reference eigenvalues up to this P")
    ap.add_argument("--slq-probes", type=int, default=10)
    ap.add_argument("--slq-steps", type=int, default=80)
    ap.add_argument("--timeout", type=float, default=300, help="seconds per competitor run")
    ap.add_argument("--sl-timeout", type=float, default=3600, help="seconds per splinelens driver run")
    ap.add_argument("--wide", type=int, default=10**5, help="run the driver on --ranks ranks from this width on")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--no-torch", dest="torch", action="store_false")
    ap.add_argument("--check", action="store_true", help="exit 1 if counts or eigenvalues disagree")
    ap.add_argument("--out", help="results file (default bench/results-<date>.json)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    sizes = dict(QUICK if args.quick else FULL)
    for s in "abcd":
        if getattr(args, "%s_widths" % s):
            sizes[s] = getattr(args, "%s_widths" % s)
    torch_version = None
    if args.torch:  # in a subprocess: importing torch here would inflate every child's ru_maxrss
        p = subprocess.run([PY, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True)
        if p.returncode == 0:
            torch_version = p.stdout.strip()
        else:
            print("compare.py: torch not importable: the torch competitor is skipped", file=sys.stderr)
            args.torch = False
    if not os.access(args.driver, os.X_OK):
        raise SystemExit("compare.py: driver %s not found (bash bench/run builds it)" % args.driver)

    import scipy

    run = Runner(args)
    failures = []
    results = {"meta": {"date": datetime.datetime.now().isoformat(timespec="seconds"), "host": platform.node(),
                        "loadavg_start": os.getloadavg(),
                        "nproc": os.cpu_count(), "numpy": np.__version__, "scipy": scipy.__version__,
                        "torch": torch_version, "args": vars(args), "sizes": sizes,
                        "git": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"],
                                              capture_output=True, text=True).stdout.strip()}}
    print("splinelens benchmark: %s, %d cores (load average %.1f), numpy %s, scipy %s, torch %s; driver %s" %
          (results["meta"]["date"], os.cpu_count(), os.getloadavg()[0], np.__version__, scipy.__version__,
           torch_version, args.driver))
    print("Hessian of the sum loss in NN coordinates (w_i, b_i, v_i), lecun_normal init, sine data on [-1, 1]; "
          "point init: y = f_0(x) (r = 0), resid: y = sin(pi x)")
    try:
        if "a" in args.sections:
            results["a"] = section_a(run, sizes["a"], ["init", "resid"], failures)
        if "b" in args.sections:
            results["b"] = section_b(run, sizes["b"], failures)
        if "c" in args.sections:
            results["c"] = section_c(run, sizes["c"], failures)
        if "d" in args.sections:
            results["d"] = section_d(run, sizes["d"], [int(v) for v in args.d_n.split(",")], failures)
    finally:
        shutil.rmtree(run.work, ignore_errors=True)
    results["failures"] = failures
    results["meta"]["loadavg_end"] = os.getloadavg()
    out = args.out or os.path.join(HERE, "results-%s.json" % datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    with open(out, "w") as f:
        json.dump(results, f, indent=1, default=lambda o: o.item() if hasattr(o, "item") else str(o))
    print("\nresults: %s" % out)
    if failures:
        print("disagreements / failures:\n  " + "\n  ".join(failures))
    if args.check and failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
