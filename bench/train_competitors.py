"""Training competitors of the training benchmark (section t of bench/README.md), one per process.

    /usr/bin/python3 bench/train_competitors.py '<json spec>'

Reads <prefix>.npz (theta0: the program's initial network, neuron-major (w_i, b_i, v_i), no output bias; x, y:
the data set), trains it on the sum loss l = 1/2 sum_n r_n^2 (the program's -sl_train_loss sum) until
l <= spec["tol"] or spec["timeout"] seconds, and prints one line "WORKER_JSON {...}":

  status     reached (l <= tol), timeout, diverged (loss not finite or > 1e6 x initial), failed (solver gave up)
  t          seconds of the training itself by spec["clock"]: "wall" (perf_counter) or "cpu" (process_time, the
             steadier measure on a loaded machine); t_wall and t_cpu both. The timeout applies to the same clock.
             Neither includes the interpreter start, imports, loading, or for GD the learning rate (computed by
             the caller)
  steps      GD iterations; solve_ivp: accepted steps are not exposed, so "steps" is the number of right-hand
             side evaluations (nfev) and njev / nlu are reported too
  loss       loss at the end (at the timeout: the last loss evaluated), init_loss, init_grad_norm
  q_drift    max_i |q_i(T) - q_i(0)| / max(1, max_i |q_i(0)|), q_i = v_i^2 - w_i^2 - b_i^2 (the program's
             definition, src/train/train_run.c)

Methods (spec["method"]):
  gd_numpy   full-batch gradient descent theta <- theta - lr grad l, hand-written numpy gradient (masks and two
             matrix-vector products), lr = spec["lr"]
  gd_torch   the same with torch (float64): autograd (loss.backward()) and torch.optim.SGD(lr)
  ivp_lsoda  scipy.integrate.solve_ivp(method="LSODA") on dtheta/dt = -grad l, jac = -(J^T J + R) (the analytic
  ivp_bdf    Hessian, dense, docs/theory.md section 4), event l(theta) - tol = 0 (terminal), rtol/atol spec[...]
"""
import json
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from competitors import NumpyHessian  # noqa: E402  (the dense Hessian J^T J + R of the other benchmarks)


class Timeout(Exception):
    pass


class Clock:
    """Wall and CPU seconds since start(); expired() on the chosen one."""

    def __init__(self, kind, timeout):
        self.now = time.process_time if kind == "cpu" else time.perf_counter
        self.timeout = timeout

    def start(self):
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        self.deadline = self.now() + self.timeout

    def expired(self):
        return self.now() > self.deadline

    def stop(self, out):
        out["t_wall"] = time.perf_counter() - self.w0
        out["t_cpu"] = time.process_time() - self.c0
        out["t"] = out["t_cpu"] if self.now is time.process_time else out["t_wall"]


def q_of(theta):
    w, b, v = theta[0::3], theta[1::3], theta[2::3]
    return v * v - w * w - b * b


def q_drift(theta0, theta1):
    q0, q1 = q_of(theta0), q_of(theta1)
    if not (np.all(np.isfinite(q0)) and np.all(np.isfinite(q1))):
        return float("nan")
    return float(np.max(np.abs(q1 - q0)) / max(1.0, float(np.max(np.abs(q0)))))


def loss_grad(theta, x, y):
    """Sum loss and its gradient, numpy (pre-activation exactly 0 counts as inactive, as in the program)."""
    w, b, v = theta[0::3], theta[1::3], theta[2::3]
    pre = np.multiply.outer(w, x)
    pre += b[:, None]
    act = pre > 0
    z = np.where(act, pre, 0.0)
    r = v @ z - y
    g = np.empty_like(theta)
    g[0::3] = v * (act @ (r * x))
    g[1::3] = v * (act @ r)
    g[2::3] = z @ r
    return 0.5 * float(r @ r), g


def loss_only(theta, x, y):
    w, b, v = theta[0::3], theta[1::3], theta[2::3]
    r = v @ np.maximum(np.multiply.outer(w, x) + b[:, None], 0.0) - y
    return 0.5 * float(r @ r)


def gd_stop(loss, k, tol, limit, clk):
    """The stop test of both GD loops, before step k: "reached" (loss <= tol), "diverged" (not finite or above
    limit), "timeout" (the clock, polled every 256 steps), else None."""
    if loss <= tol:
        return "reached"
    if not np.isfinite(loss) or loss > limit:
        return "diverged"
    if (k & 255) == 0 and clk.expired():
        return "timeout"
    return None


def gd_numpy(theta0, x, y, spec, out, clk):
    lr, tol = spec["lr"], spec["tol"]
    limit = 1e6 * max(out["init_loss"], 1e-300)
    th = theta0.copy()
    k = 0
    clk.start()
    while True:
        loss, g = loss_grad(th, x, y)
        status = gd_stop(loss, k, tol, limit, clk)
        if status:
            break
        th -= lr * g
        k += 1
    clk.stop(out)
    out.update(status=status, steps=k, loss=loss)
    return th


def gd_torch(theta0, x, y, spec, out, clk):
    import torch

    torch.set_num_threads(int(spec.get("threads", 1)))
    out["torch"] = torch.__version__
    out["torch_threads"] = torch.get_num_threads()
    lr, tol = spec["lr"], spec["tol"]
    limit = 1e6 * max(out["init_loss"], 1e-300)
    H = theta0.size // 3
    clk.start()
    th = torch.tensor(theta0, dtype=torch.float64).view(H, 3).requires_grad_(True)
    X = torch.tensor(x, dtype=torch.float64)
    Y = torch.tensor(y, dtype=torch.float64)
    opt = torch.optim.SGD([th], lr=lr)
    k = 0
    while True:
        opt.zero_grad()
        f = torch.relu(torch.outer(th[:, 0], X) + th[:, 1:2]).t() @ th[:, 2]
        lt = 0.5 * ((f - Y) ** 2).sum()
        loss = float(lt.detach())
        status = gd_stop(loss, k, tol, limit, clk)
        if status:
            break
        lt.backward()
        opt.step()
        k += 1
    clk.stop(out)
    out.update(status=status, steps=k, loss=loss)
    return th.detach().reshape(-1).numpy().copy()


def ivp(theta0, x, y, spec, out, method, clk):
    from scipy.integrate import solve_ivp

    tol = spec["tol"]
    last = {"theta": theta0.copy(), "loss": out["init_loss"], "t": 0.0}
    counts = {"fun": 0, "jac": 0}

    def fun(t, th):
        if clk.expired():
            raise Timeout()
        loss, g = loss_grad(th, x, y)
        counts["fun"] += 1
        if t >= last["t"]:  # the latest state the solver looked at (for the timeout report)
            last.update(theta=np.array(th), loss=loss, t=t)
        return -g

    def jac(t, th):
        if clk.expired():
            raise Timeout()
        counts["jac"] += 1
        return -NumpyHessian(th, x, y).dense()

    def event(t, th):
        return loss_only(th, x, y) - tol

    event.terminal = True
    event.direction = -1
    clk.start()
    try:
        sol = solve_ivp(fun, (0.0, spec["t_end"]), theta0, method=method, jac=jac, events=event,
                        rtol=spec["rtol"], atol=spec["atol"])
        clk.stop(out)
        th = sol.y[:, -1]
        out.update(steps=int(sol.nfev), nfev=int(sol.nfev), njev=int(sol.njev), nlu=int(sol.nlu),
                   t_final=float(sol.t[-1]), message=str(sol.message))
        loss = loss_only(th, x, y)
        if sol.status == 1:
            status = "reached"
        elif sol.status == 0:
            status = "horizon"  # t_end reached above tol
        else:
            status = "failed"
        out.update(status=status, loss=loss)
        return th
    except Timeout:
        clk.stop(out)
        out.update(status="timeout", steps=counts["fun"], nfev=counts["fun"], njev=counts["jac"],
                   t_final=last["t"], loss=last["loss"])
        return last["theta"]


def run(spec):
    d = np.load(spec["prefix"] + ".npz")
    theta0, x, y = d["theta0"], d["x"], d["y"]
    out = {"method": spec["method"]}
    out["init_loss"], g0 = loss_grad(theta0, x, y)
    out["init_grad_norm"] = float(np.linalg.norm(g0))
    m = spec["method"]
    clk = Clock(spec.get("clock", "wall"), spec["timeout"])
    if m == "gd_numpy":
        th = gd_numpy(theta0, x, y, spec, out, clk)
    elif m == "gd_torch":
        th = gd_torch(theta0, x, y, spec, out, clk)
    elif m == "ivp_lsoda":
        th = ivp(theta0, x, y, spec, out, "LSODA", clk)
    elif m == "ivp_bdf":
        th = ivp(theta0, x, y, spec, out, "BDF", clk)
    else:
        raise SystemExit("train_competitors.py: unknown method '%s'" % m)
    out["q_drift"] = q_drift(theta0, th)
    out["mem_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: train_competitors.py '<json spec>'")
    print("WORKER_JSON " + json.dumps(run(json.loads(sys.argv[1]))), flush=True)
