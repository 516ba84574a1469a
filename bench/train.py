"""Training benchmark (section t of bench/README.md): time to the end state (loss 1e-8, or the loss of the critical
point the flow ends at) and final q drift, splinelens against numpy GD, torch GD and scipy solve_ivp (LSODA, BDF),
on the same initial networks.

    bash bench/run train [--quick] [--widths 32,128] [--alphas 1] [--timeout 600] [--out file.json]

Per case (width H, scale alpha; sine data N = 16, lecun_normal, seed 0, sum loss, no output bias):
  1. splinelens: one single-run study of the real program (build/splinelens, 1 rank, default integrator,
     -sl_train_loss_tol 1e-8 -sl_train_max_time 1e7 -sl_train_rtol 1e-6 -sl_train_atol 1e-6, spectra reduced
     to one Krylov-Schur spectrum at init without histogram, -log_view). Its times are the run's wall and CPU time
     the file records (/runinfo/wall_time, /runinfo/cpu_time: initialization, that spectrum and training; the
     program's start-up, MPI and PETSc initialization and file creation are not in them, as the competitors'
     clocks start after their imports); the SLTrain event (training only) and the whole process's wall and CPU
     time are reported too.
     Stop reason, steps, final loss and q drift come from /runs.
  2. The initial network (/network/theta_init, equal to row 0 of /train/snap_theta, t = 0) and the data (/data)
     are read from the file; numpy's loss and gradient norm there must match /runs/init_loss and
     /runs/init_grad_norm to 1e-10 relative (else the case's competitors are not run).
  3. lambda_max of the Hessian J^T J + R at theta_0 (numpy.linalg.eigvalsh of the dense Hessian up to
     --dense-max parameters, else ARPACK eigsh on the same matrix) gives the GD learning rate 1.8 / lambda_max.
  4. Each competitor (bench/train_competitors.py) in its own process with --timeout seconds (its own clock; the
     process is killed 60 s later if it has not answered), --threads BLAS/torch threads.
  5. The target loss of the competitors: --tol (1e-8) where splinelens reached it (stop reason loss_tol); where
     the flow ended at a critical point above it (stop reason stationary: the gradient fell below -sl_train_grad_rtol
     x its initial norm, so no faithful integration of the flow goes lower), the end state's loss plus --tol: the
     time to get there, against splinelens' time to reach and certify it. A run stopped by its budget has no target.
Prints two tables and writes bench/results-train-<date>.json. The ratio is best competitor time / splinelens
time; a competitor that timed out counts as ">= timeout"; one that diverged or stopped above the target does not
count. Never asserts times.
"""
import argparse
import datetime
import resource
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"
sys.path.insert(0, HERE)
from train_competitors import loss_grad  # noqa: E402
from competitors import NumpyHessian  # noqa: E402

METHODS = ["gd_numpy", "gd_torch", "ivp_lsoda", "ivp_bdf"]
LABEL = {"gd_numpy": "numpy GD", "gd_torch": "torch GD", "ivp_lsoda": "LSODA", "ivp_bdf": "BDF"}
SHORT = {"timeout": "t/o", "diverged": "div", "horizon": "T_end", "failed": "fail"}  # + the loss reached


def run_proc(cmd, timeout, env, cwd=None):
    """(stdout, status, wall seconds, CPU seconds of the child): status ok / timeout / error (exit N)."""
    t = time.perf_counter()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        return out, "timeout", time.perf_counter() - t, None
    wall = time.perf_counter() - t
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return out, ("ok" if p.returncode == 0 else "error (exit %d)" % p.returncode), wall, cpu


def splinelens(a, H, alpha, work, env):
    h5 = os.path.join(work, "sl-%d-%g.h5" % (H, alpha))
    cmd = [a.binary, "-sl_study_name", "benchtrain", "-sl_output", h5, "-sl_view", "0",
           "-sl_widths", str(H), "-sl_alphas", repr(alpha), "-sl_seeds", str(a.seed), "-sl_schemes", "lecun_normal",
           "-sl_datasets", "sine", "-sl_data_sine_n", str(a.n),
           "-sl_train_loss_tol", repr(a.tol), "-sl_train_max_time", repr(a.max_time),
           "-sl_train_rtol", repr(a.rtol), "-sl_train_atol", repr(a.atol),
           "-sl_hess_stages", "init", "-sl_coords", "nn", "-sl_hess_parts", "full", "-sl_eig_dense_max", "0",
           "-sl_eig_hist_bins", "0", "-log_view"] + a.sl_opt
    if a.verbose:
        print("  $ " + " ".join(cmd), flush=True)
    out, status, wall, cpu = run_proc(cmd, a.sl_timeout, env, cwd=work)
    res = {"status": status, "wall_process": wall, "cpu_process": cpu, "command": " ".join(cmd[1:])}
    if status != "ok":
        res["output_tail"] = out[-2000:]
        return res, None
    m = re.search(r"^SLTrain\s+\d+\s+[0-9.]+\s+([0-9.e+-]+)", out, re.M)
    res["t_train_event"] = float(m.group(1)) if m else None
    import h5py

    with h5py.File(h5, "r") as f:
        assert f.attrs["loss"] in (b"sum", "sum"), "the benchmark assumes the sum loss"
        r = f["runs"]
        for k in ("stop_reason",):
            res[k] = r[k][0].decode() if isinstance(r[k][0], bytes) else str(r[k][0])
        for k in ("steps",):
            res[k] = int(r[k][0])
        for k in ("final_time", "init_loss", "final_loss", "q_drift", "init_grad_norm", "final_grad_norm"):
            res[k] = float(r[k][0])
        res["t_wall"] = float(f["runinfo/wall_time"][0])
        res["t_cpu"] = float(f["runinfo/cpu_time"][0]) if "runinfo/cpu_time" in f else None
        th = f["network/theta_init"][()]
        snap = f["train/snap_theta"][()]
        snap_t = f["train/snap_time"][()]
        x, y = f["data/sine/x"][()], f["data/sine/y"][()]
    P = th.size
    res["theta_init_is_snapshot0"] = bool(snap_t[0] == 0.0 and snap.size >= P and np.array_equal(snap[:P], th))
    return res, (th, x, y)


def lambda_max(theta, x, y, dense_max):
    hs = NumpyHessian(theta, x, y)
    t = time.perf_counter()
    if hs.P <= dense_max:
        lm, how = float(np.linalg.eigvalsh(hs.dense())[-1]), "eigvalsh"
    else:
        from scipy.sparse.linalg import LinearOperator, eigsh

        op = LinearOperator((hs.P, hs.P), matvec=hs.matvec, dtype=np.float64)
        v0 = np.random.default_rng(0).standard_normal(hs.P)
        lm, how = float(eigsh(op, k=1, which="LA", tol=1e-12, v0=v0, return_eigenvectors=False)[0]), "eigsh"
    return lm, how, time.perf_counter() - t


def target_loss(a, sl):
    """(target loss of the competitors, kind) for a splinelens result: --tol where it reached it, its end loss +
    --tol where it ended stationary above it, (None, None) where it stopped otherwise (no ratio)."""
    if sl.get("stop_reason") == "loss_tol":
        return a.tol, "tol"
    if sl.get("stop_reason") == "stationary":
        return sl["final_loss"] + a.tol, "end"
    return None, None


def competitor(a, method, prefix, lr, timeout, env, tol):
    spec = {"method": method, "prefix": prefix, "lr": lr, "tol": tol, "timeout": timeout, "rtol": a.rtol,
            "atol": a.atol, "t_end": a.max_time, "threads": a.threads, "clock": a.clock}
    # the process is killed if it has not answered by then (a CPU-clock timeout needs slack on a loaded machine)
    out, status, wall, _ = run_proc([PY, os.path.join(HERE, "train_competitors.py"), json.dumps(spec)],
                                    timeout * (10 if a.clock == "cpu" else 1) + 60, env)
    for line in out.splitlines():
        if line.startswith("WORKER_JSON "):
            res = json.loads(line[len("WORKER_JSON "):])
            res["wall_process"] = wall
            return res
    return {"status": "killed" if status == "timeout" else status, "t_wall": wall, "t_cpu": None,
            "output_tail": out[-1500:]}


def cell(c):
    """A competitor's table cell: time if it reached the tolerance, else what happened and the loss it reached."""
    st = c.get("status")
    if st == "reached":
        return "%.3g" % c["t_wall"] + ("/%.3g" % c["t_cpu"] if c.get("t_cpu") is not None else "")
    if st in SHORT:
        return "%s %.1e" % (SHORT[st], c["loss"]) if c.get("loss") is not None else SHORT[st]
    return str(st).split(" ")[0]


def best(comps, key):
    """(seconds, is_lower_bound, name) of the fastest competitor to the tolerance on clock key (t_wall, t_cpu); one
    that timed out counts as >= the seconds it ran (on a killed process only its wall time is known)."""
    reached = [(c[key], False, m) for m, c in comps.items() if c.get("status") == "reached"]
    timed = [(c[key] if c.get(key) is not None else c["t_wall"], True, m) for m, c in comps.items()
             if c.get("status") in ("timeout", "killed")]
    cands = sorted(reached + timed)
    return cands[0] if cands else (None, False, None)


def save(results, path):
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(results, fh, indent=1)
    os.replace(tmp, path)


def table(title, header, rows):
    w = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    print("\n" + title)
    print("  ".join(str(h).rjust(w[i]) for i, h in enumerate(header)))
    print("  ".join("-" * x for x in w))
    for r in rows:
        print("  ".join(str(c).rjust(w[i]) for i, c in enumerate(r)))


def report(results):
    """Print the two tables of the cases in results (and put the ratios into them)."""
    a = argparse.Namespace(**results["meta"]["args"])
    methods = results["meta"]["methods"]
    rows, rows2 = [], []
    for case in results["cases"]:
        sl = case["splinelens"]
        comps = case.get("competitors", {})
        if sl["status"] != "ok":
            rows.append([case["H"], "%g" % case["alpha"], sl["status"]] + ["-"] * (10 + len(methods)) +
                        ["%.1f" % case["load_start"]])
            continue
        if "target" in case:
            target, kind = case["target"], case["target_kind"]
        else:  # results of an earlier version: the competitors had --tol, so only loss_tol runs have a ratio
            target, kind = (a.tol, "tol") if sl["stop_reason"] == "loss_tol" else (None, None)
        reached = target is not None
        rats, goals = [], []
        slcpu = "t_cpu" if sl.get("t_cpu") is not None else "cpu_process"  # results of earlier versions: the process
        for key, slk in (("t_wall", "t_wall"), ("t_cpu", slcpu)):
            bt, lower, bm = best(comps, key)
            if not reached:
                rat, goal = "n/a (%s)" % sl["stop_reason"], "no"
            elif bt is None:
                rat, goal = "- (no competitor reached)", "-"
            else:
                r = bt / sl[slk]
                rat = "%s%.3g (%s)" % (">=" if lower else "", r, LABEL[bm])
                goal = "yes" if r >= a.goal else ("open" if lower else "no")
            case["ratio_" + key[2:]] = dict(ratio=(bt / sl[slk]) if (reached and bt) else None, lower_bound=lower,
                                            best=bm, goal_met=goal)
            rats.append(rat)
            goals.append(goal)
        rows.append([case["H"], "%g" % case["alpha"], "%.3g/%.3g (%.3g)" % (sl["t_wall"], sl[slcpu], sl["cpu_process"]),
                     "%.3g" % sl["t_train_event"] if sl.get("t_train_event") is not None else "-",
                     sl["stop_reason"], sl["steps"], "%.1e" % sl["final_loss"],
                     ("%.3g" % target if kind == "tol" else "end %.4g" % target) if reached else "-",
                     "%.1e" % sl["q_drift"],
                     "%.3g" % case.get("lambda_max", float("nan"))] +
                    [cell(comps.get(m, {"status": "-"})) for m in methods] +
                    rats + ["/".join(goals), "%.3g" % case.get("timeout", a.timeout), "%.1f" % case["load_start"]])
        rows2.append([case["H"], "%g" % case["alpha"], "%d / %.1e" % (sl["steps"], sl["q_drift"])] +
                     ["%s / %s" % (comps[m].get("steps", "-"),
                                   "%.1e" % comps[m]["q_drift"] if comps[m].get("q_drift") is not None else "-")
                      for m in methods if m in comps])
    table("(t) time to the target loss (seconds): %g, or 'end L' = the loss of the critical point the flow ended at "
          "(splinelens stop: stationary) + that tolerance; sine N = %d, lecun_normal seed %d; SL = splinelens run wall / CPU "
          "time (/runinfo; in parentheses the CPU seconds of the whole process, start-up included), train = its SLTrain event; "
          "competitors: wall/CPU seconds to the tolerance, or what stopped them and the loss then (t/o: timeout, "
          "fail: the solver gave up, div: diverged, killed: no answer at 10x the timeout); ratios = best "
          "competitor / SL on each clock (>= : a timeout); load: 1-min load average at the case's start" %
          (a.tol, a.n, a.seed),
          ["H", "alpha", "SL s wall/cpu (process)", "train s", "SL stop", "steps", "SL loss", "target", "SL q drift",
           "lambda_max"] +
          [LABEL[m] for m in methods] + ["best/SL wall", "best/SL cpu", ">=%gx wall/cpu" % a.goal,
           "timeout s (%s)" % a.clock, "load"], rows)
    table("(t) steps (GD: iterations; solve_ivp: right-hand sides) / final q drift",
          ["H", "alpha", "splinelens"] + [LABEL[m] for m in methods], rows2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "splinelens"))
    ap.add_argument("--quick", action="store_true", help="H = 32, 128 at alpha = 1, timeout 5 s (smoke test, about a minute)")
    ap.add_argument("--widths", help="default 32,128,512,2048")
    ap.add_argument("--alphas", help="default 0.1,1,10")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--timeout", type=float, help="seconds per competitor run (default 600, --quick 5)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="clock of the competitors' timeouts "
                    "(cpu: their process time, the steadier on a loaded machine); both ratios are printed")
    ap.add_argument("--decide", action="store_true", help="shorter competitor timeouts, just enough to decide the "
                    "goal: min(--timeout, max(2 s, goal x splinelens time)) where splinelens reached an end state, "
                    "min(--timeout, 5 s) where it did not (no ratio then); a competitor also stops at the time of "
                    "the fastest one before it that reached the target")
    ap.add_argument("--sl-timeout", type=float, default=3600, help="seconds per splinelens run")
    ap.add_argument("--tol", type=float, default=1e-8, help="target loss (sum loss)")
    ap.add_argument("--max-time", type=float, default=1e7, help="gradient-flow horizon (splinelens, solve_ivp)")
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--atol", type=float, default=1e-6)
    ap.add_argument("--n", type=int, default=16, help="sine data points")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="BLAS / torch threads of the competitors")
    ap.add_argument("--dense-max", type=int, default=1536, help="lambda_max by dense eigvalsh up to this P")
    ap.add_argument("--goal", type=float, default=30.0, help="ratio the table marks as met")
    ap.add_argument("--sl-opt", action="append", default=[], help="extra splinelens option (repeatable), e.g. "
                    "--sl-opt=-sl_train_conservative --sl-opt=0")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--out", help="results file (default bench/results-train-<date>.json)")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--tables", nargs="+", metavar="JSON", help="only print the tables of earlier results files "
                    "(their cases together, in width and alpha order; the first file's settings)")
    a = ap.parse_args()
    if a.tables:
        res = [json.load(open(f)) for f in a.tables]
        merged = {"meta": res[0]["meta"], "cases": sorted((c for r in res for c in r["cases"]),
                                                          key=lambda c: (c["H"], c["alpha"]))}
        for r in res:
            print("%s: %s, load average %s -> %s, git %s" % ("results", r["meta"]["date"],
                  " ".join("%.1f" % v for v in r["meta"]["loadavg_start"]),
                  " ".join("%.1f" % v for v in r["meta"].get("loadavg_end", [])), r["meta"]["git"]))
        report(merged)
        return 0
    widths = [int(float(v)) for v in (a.widths or ("32,128" if a.quick else "32,128,512,2048")).split(",")]
    alphas = [float(v) for v in (a.alphas or ("1" if a.quick else "0.1,1,10")).split(",")]
    if a.timeout is None:
        a.timeout = 5.0 if a.quick else 600.0
    methods = [m for m in a.methods.split(",") if m]
    for m in methods:
        if m not in METHODS:
            raise SystemExit("train.py: unknown method %s (one of %s)" % (m, ",".join(METHODS)))
    if a.no_torch or subprocess.run([PY, "-c", "import torch"], capture_output=True).returncode != 0:
        if "gd_torch" in methods:
            print("train.py: torch not used (--no-torch or not importable)", file=sys.stderr)
        methods = [m for m in methods if m != "gd_torch"]
    a.binary = os.path.abspath(a.binary)  # the program runs in a work directory: a relative path would not resolve
    if not os.access(a.binary, os.X_OK):
        raise SystemExit("train.py: %s not found (bash bench/run train builds it)" % a.binary)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_io=os.environ.get("OMPI_MCA_io", "romio321"))
    cenv = dict(env, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads),
                MKL_NUM_THREADS=str(a.threads))
    import scipy

    git = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True)
    results = {"meta": {"date": datetime.datetime.now().isoformat(timespec="seconds"), "nproc": os.cpu_count(),
                        "loadavg_start": os.getloadavg(), "numpy": np.__version__, "scipy": scipy.__version__,
                        "git": git.stdout.strip(), "args": vars(a), "methods": methods}, "cases": []}
    print("training benchmark: %s, %d cores, load average %.2f; sine N = %d, lecun_normal, seed %d, sum loss to "
          "%g; competitors: %s, timeout %g s, %d thread(s)" %
          (results["meta"]["date"], os.cpu_count(), os.getloadavg()[0], a.n, a.seed, a.tol,
           ", ".join(LABEL[m] for m in methods), a.timeout, a.threads), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill still removes the work directory
    work = tempfile.mkdtemp(prefix="sl-benchtrain-")
    out = a.out or os.path.join(HERE, "results-train-%s.json" % datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    failures = []
    try:
        for H in widths:
            for alpha in alphas:
                case = {"H": H, "alpha": alpha, "load_start": os.getloadavg()[0]}
                results["cases"].append(case)
                sl, net = splinelens(a, H, alpha, work, env)
                case["splinelens"] = sl
                print("H=%d alpha=%g: splinelens %s %s" % (H, alpha, sl["status"], sl.get("stop_reason", "")),
                      end="", flush=True)
                if net is None:
                    failures.append("H=%d alpha=%g: splinelens %s" % (H, alpha, sl["status"]))
                    print(flush=True)
                    continue
                th, x, y = net
                l0, g0 = loss_grad(th, x, y)
                g0n = float(np.linalg.norm(g0))
                chk = {"loss": l0, "grad_norm": g0n, "loss_rel": abs(l0 - sl["init_loss"]) / abs(sl["init_loss"]),
                       "grad_rel": abs(g0n - sl["init_grad_norm"]) / abs(sl["init_grad_norm"])}
                chk["ok"] = bool(chk["loss_rel"] <= 1e-10 and chk["grad_rel"] <= 1e-10 and
                                 sl["theta_init_is_snapshot0"])
                case["same_network"] = chk
                if not chk["ok"]:
                    failures.append("H=%d alpha=%g: numpy loss/grad at theta_0 differ from the program's (%.2e, %.2e)"
                                    " or theta_init is not snapshot 0: competitors not run" %
                                    (H, alpha, chk["loss_rel"], chk["grad_rel"]))
                    print(flush=True)
                    continue
                lm, how, tl = lambda_max(th, x, y, a.dense_max)
                case.update(lambda_max=lm, lambda_max_method=how, t_lambda_max=tl, lr=1.8 / lm)
                prefix = os.path.join(work, "net-%d-%g" % (H, alpha))
                np.savez(prefix + ".npz", theta0=th, x=x, y=y)
                target, kind = target_loss(a, sl)
                case.update(target=target, target_kind=kind)
                tmo = a.timeout
                if a.decide:
                    slt = sl["t_cpu"] if a.clock == "cpu" else sl["t_wall"]
                    tmo = min(a.timeout, max(2.0, a.goal * slt) if target is not None else 5.0)
                case["timeout"] = tmo
                comps = {}
                case["competitors"] = comps
                key = "t_cpu" if a.clock == "cpu" else "t_wall"
                for m in methods:
                    # --decide: only the fastest competitor matters, so the next ones need not outlast it
                    won = [c[key] for c in comps.values() if c.get("status") == "reached"]
                    comps[m] = competitor(a, m, prefix, 1.8 / lm, min([tmo] + won) if a.decide else tmo, cenv,
                                          target if target is not None else a.tol)
                    c = comps[m]
                    if c.get("init_loss") is not None and abs(c["init_loss"] - sl["init_loss"]) > 1e-10 * sl["init_loss"]:
                        failures.append("H=%d alpha=%g: %s started from another loss" % (H, alpha, m))
                    print(", %s %s" % (LABEL[m], cell(c)), end="", flush=True)
                print(flush=True)
                case["load_end"] = os.getloadavg()[0]
                save(results, out)  # after every case: an interrupted benchmark keeps what it measured
    finally:
        shutil.rmtree(work, ignore_errors=True)

    report(results)
    results["failures"] = failures
    results["meta"]["loadavg_end"] = os.getloadavg()
    save(results, out)
    print("\nresults: %s" % out)
    if failures:
        print("failures:\n  " + "\n  ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
