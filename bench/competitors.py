"""What a researcher would otherwise run, on the network the splinelens driver wrote (bench/README.md).

Every competitor reads <prefix>.{theta,x,y}.f64 (raw float64: theta neuron-major (w_i, b_i, v_i), no output
bias; sum loss l = 1/2 sum r_n^2) and works on the full NN-coordinate Hessian Hess = J^T J + R of
docs/theory.md section 4. Run one per process (compare.py does, with a timeout):

    /usr/bin/python3 bench/competitors.py '<json spec>'

and it prints one line "WORKER_JSON {...}" with its wall times and its peak memory (ru_maxrss of the process,
so it includes the interpreter and imported modules: ~30 MiB for numpy/scipy, ~300 MiB more with torch).

Methods (spec["method"]):
  numpy_dense  explicit P x P Hessian U U^T + R in numpy, numpy.linalg.eigvalsh; counts below given edges
  scipy_numpy  scipy.sparse.linalg.eigsh (ARPACK) for the k largest (spec["which"] = "LA") or smallest ("SA")
               eigenvalues on a LinearOperator whose product is the numpy Hessian-vector product
               (J^T (J z) + R z with the explicit N x P Jacobian, O(P N) per product); without "which": the
               time of one product
  scipy_torch  the same, with torch autograd Hessian-vector products (PyHessian's method: the gradient once
               with create_graph=True, then torch.autograd.grad(g, theta, grad_outputs=z) per product)
  grad_torch   one loss gradient by torch autograd (sum loss, float64): loss.backward() on the H x N pre-activations;
               above spec["chunk_elems"] (default 2^25) H x N elements, in neuron chunks: f without a graph first,
               then per chunk backward(r) of that chunk's contribution (the same gradient, bounded memory)
  grad_numpy   the same gradient hand-written in numpy (masks and two matrix products per chunk)
               (both: median seconds of spec["repeat"] timed gradients after a warm-up, "t_grad")
  slq          stochastic Lanczos quadrature (numpy HVP, Rademacher probes, Lanczos with full
               reorthogonalization) binned on given edges, with Gaussian broadening
"""
import json
import resource
import sys
import time

import numpy as np


def load(prefix):
    theta = np.fromfile(prefix + ".theta.f64", dtype="<f8")
    x = np.fromfile(prefix + ".x.f64", dtype="<f8")
    y = np.fromfile(prefix + ".y.f64", dtype="<f8")
    return theta, x, y


class NumpyHessian:
    """Hess = U U^T + R with U = J^T (P x N, built once, neuron by neuron in chunks) and R the 3x3 residual
    blocks (v,w) = a_i, (v,b) = d_i (docs/theory.md section 4)."""

    def __init__(self, theta, x, y, chunk=1 << 16):
        H = theta.size // 3
        N = x.size
        w, b, v = theta[0::3], theta[1::3], theta[2::3]
        U = np.empty((H, 3, N))
        f = np.zeros(N)
        for s in range(0, H, chunk):
            e = min(H, s + chunk)
            pre = np.multiply.outer(w[s:e], x)
            pre += b[s:e, None]
            act = pre > 0
            np.maximum(pre, 0.0, out=pre)
            U[s:e, 2, :] = pre                          # dF/dv = (w x + b)_+
            U[s:e, 1, :] = act * v[s:e, None]           # dF/db = v 1
            U[s:e, 0, :] = U[s:e, 1, :] * x[None, :]    # dF/dw = v x 1
            f += v[s:e] @ pre
        r = f - y
        a = np.empty(H)
        d = np.empty(H)
        rx = np.stack([r * x, r], axis=1)
        for s in range(0, H, chunk):
            e = min(H, s + chunk)
            ad = (U[s:e, 2, :] > 0) @ rx                # (pre > 0) is the activation (pre == 0: inactive)
            a[s:e], d[s:e] = ad[:, 0], ad[:, 1]
        self.H, self.N, self.P = H, N, 3 * H
        self.U = U.reshape(3 * H, N)
        self.a, self.d, self.r = a, d, r
        self.loss = 0.5 * float(r @ r)
        self.nprod = 0

    def matvec(self, z):
        z = np.asarray(z, dtype=np.float64).reshape(-1)
        out = self.U @ (self.U.T @ z)
        zw, zb, zv = z[0::3], z[1::3], z[2::3]
        out[0::3] += self.a * zv
        out[1::3] += self.d * zv
        out[2::3] += self.a * zw + self.d * zb
        self.nprod += 1
        return out

    def dense(self):
        Hd = self.U @ self.U.T
        i = np.arange(self.H)
        Hd[3 * i + 2, 3 * i] += self.a
        Hd[3 * i, 3 * i + 2] += self.a
        Hd[3 * i + 2, 3 * i + 1] += self.d
        Hd[3 * i + 1, 3 * i + 2] += self.d
        return Hd


class TorchHessian:
    """PyHessian-style Hessian-vector products: g = grad(l) with create_graph=True, Hz = grad(g, theta, z)."""

    def __init__(self, theta, x, y):
        import torch

        self.torch = torch
        H = theta.size // 3
        self.H, self.P = H, 3 * H
        self.th = torch.tensor(theta, dtype=torch.float64).view(H, 3).requires_grad_(True)
        X = torch.tensor(x, dtype=torch.float64)
        Y = torch.tensor(y, dtype=torch.float64)
        pre = torch.outer(self.th[:, 0], X) + self.th[:, 1:2]     # H x N
        f = torch.relu(pre).t() @ self.th[:, 2]
        loss = 0.5 * ((f - Y) ** 2).sum()
        self.loss = float(loss.detach())
        (self.g,) = torch.autograd.grad(loss, self.th, create_graph=True)
        self.nprod = 0

    def matvec(self, z):
        zt = self.torch.from_numpy(np.ascontiguousarray(z, dtype=np.float64).reshape(-1)).view(self.H, 3)
        (hz,) = self.torch.autograd.grad(self.g, self.th, grad_outputs=zt, retain_graph=True)
        self.nprod += 1
        return hz.detach().reshape(-1).numpy().copy()


def eigsh_end(op, P, k, which, tol, seed):
    """The k largest ('LA') or smallest ('SA') eigenvalues with ARPACK; compare.py runs the two ends in separate
    processes, each with its own timeout (splinelens also solves the two ends one after the other)."""
    from scipy.sparse.linalg import LinearOperator, eigsh

    lo = LinearOperator((P, P), matvec=op.matvec, dtype=np.float64)
    v0 = np.random.default_rng(seed).standard_normal(P)
    t0 = time.perf_counter()
    vals = eigsh(lo, k=k, which=which, tol=tol, v0=v0, return_eigenvectors=False)
    return {"values": np.sort(vals).tolist(), "t_eig": time.perf_counter() - t0, "hvps": op.nprod}


def hvp_timing(op, P, nprod, seed):
    """Seconds per Hessian-vector product (after one warm-up product)."""
    z = np.random.default_rng(seed).standard_normal(P)
    op.matvec(z)
    t0 = time.perf_counter()
    for _ in range(nprod):
        op.matvec(z)
    return (time.perf_counter() - t0) / nprod


def lanczos(op, v, m):
    """m steps of Lanczos with full reorthogonalization: the Gauss quadrature nodes and weights of v."""
    from scipy.linalg import eigh_tridiagonal

    P = v.size
    V = np.empty((m + 1, P))
    alpha = np.zeros(m)
    beta = np.zeros(m)
    V[0] = v / np.linalg.norm(v)
    steps = m
    for j in range(m):
        wv = op.matvec(V[j])
        alpha[j] = wv @ V[j]
        for _ in range(2):  # classical Gram-Schmidt twice against every previous vector
            wv -= V[: j + 1].T @ (V[: j + 1] @ wv)
        beta[j] = np.linalg.norm(wv)
        if beta[j] <= 1e-12 * max(1.0, abs(alpha[j])):
            steps = j + 1
            break
        V[j + 1] = wv / beta[j]
    nodes, S = eigh_tridiagonal(alpha[:steps], beta[: steps - 1])
    return nodes, S[0, :] ** 2


def slq_masses(nodes_list, weights_list, edges, sigma, P):
    """Expected eigenvalue counts per bin (plus the mass below edges[0] and above edges[-1]) of the SLQ
    density sum_j tau_j N(theta_j, sigma^2), averaged over probes; sigma = 0: the nodes themselves."""
    from scipy.special import ndtr

    edges = np.asarray(edges)
    cdf = np.zeros(edges.size)
    for nodes, wts in zip(nodes_list, weights_list):
        if sigma > 0:
            cdf += (ndtr((edges[:, None] - nodes[None, :]) / sigma) * wts[None, :]).sum(axis=1)
        else:
            cdf += np.array([wts[nodes < e].sum() for e in edges])
    cdf *= P / len(nodes_list)
    inner = np.diff(cdf)
    return np.concatenate([[cdf[0]], inner, [P - cdf[-1]]])


def grad_torch(theta, x, y, chunk_elems):
    """One gradient of l = 1/2 sum (f - y)^2 by autograd; returns (loss, gradient as numpy)."""
    import torch

    H, N = theta.size // 3, x.size
    th = torch.from_numpy(theta.reshape(H, 3)).requires_grad_(True)
    X, Y = torch.from_numpy(x), torch.from_numpy(y)
    if H * N <= chunk_elems:
        f = torch.relu(torch.outer(th[:, 0], X) + th[:, 1:2]).t() @ th[:, 2]
        loss = 0.5 * ((f - Y) ** 2).sum()
        loss.backward()
        return float(loss.detach()), th.grad.numpy()
    step = max(1, chunk_elems // N)
    with torch.no_grad():
        f = torch.zeros(N, dtype=torch.float64)
        for s in range(0, H, step):
            t = th[s:s + step]
            f += torch.relu(torch.outer(t[:, 0], X) + t[:, 1:2]).t() @ t[:, 2]
        r = f - Y
    for s in range(0, H, step):
        t = th[s:s + step]
        fc = torch.relu(torch.outer(t[:, 0], X) + t[:, 1:2]).t() @ t[:, 2]
        fc.backward(r)
    return 0.5 * float(r @ r), th.grad.numpy()


def grad_numpy(theta, x, y, chunk_elems):
    H, N = theta.size // 3, x.size
    w, b, v = theta[0::3], theta[1::3], theta[2::3]
    step = max(1, chunk_elems // N)
    f = np.zeros(N)
    for s in range(0, H, step):
        e = min(H, s + step)
        f += v[s:e] @ np.maximum(np.multiply.outer(w[s:e], x) + b[s:e, None], 0.0)
    r = f - y
    g = np.empty((H, 3))
    rx = np.stack([r * x, r], axis=1)
    for s in range(0, H, step):
        e = min(H, s + step)
        pre = np.multiply.outer(w[s:e], x) + b[s:e, None]
        ad = (pre > 0) @ rx                       # (sum r x 1, sum r 1) per neuron
        g[s:e, 0] = v[s:e] * ad[:, 0]
        g[s:e, 1] = v[s:e] * ad[:, 1]
        g[s:e, 2] = np.maximum(pre, 0.0) @ r
    return 0.5 * float(r @ r), g.reshape(-1)


def run(spec):
    method = spec["method"]
    theta, x, y = load(spec["prefix"])
    out = {"method": method}
    if method in ("grad_torch", "grad_numpy"):
        fn = grad_torch if method == "grad_torch" else grad_numpy
        if method == "grad_torch":
            import torch

            out["torch_threads"] = torch.get_num_threads()
        ce = int(spec.get("chunk_elems", 1 << 25))
        loss, g = fn(theta, x, y, ce)  # warm-up
        times = []
        for _ in range(int(spec.get("repeat", 5))):
            t0 = time.perf_counter()
            th = theta.copy()  # a fresh leaf each time (torch accumulates .grad)
            loss, g = fn(th, x, y, ce)
            times.append(time.perf_counter() - t0)
        out.update(loss=loss, t_grad=float(np.median(times)), repeat=len(times), grad_max=float(np.abs(g).max()))
        out["mem_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        return out
    if method == "scipy_torch":  # the import (seconds) is reported apart, not in t_total
        ti = time.perf_counter()
        import torch

        out["t_import"] = time.perf_counter() - ti
        out["torch_threads"] = torch.get_num_threads()
    t0 = time.perf_counter()
    if method == "scipy_torch":
        hess = TorchHessian(theta, x, y)
    else:
        hess = NumpyHessian(theta, x, y)
    out["t_setup"] = time.perf_counter() - t0
    out["loss"] = hess.loss
    P = hess.P
    if method == "numpy_dense":
        t1 = time.perf_counter()
        Hd = hess.dense()
        t2 = time.perf_counter()
        vals = np.linalg.eigvalsh(Hd)
        t3 = time.perf_counter()
        del Hd
        out.update(t_build=t2 - t1 + out["t_setup"], t_eig=t3 - t2, t_total=t3 - t0)
        out["cum_counts"] = {k: np.searchsorted(vals, np.asarray(e), side="left").tolist()
                             for k, e in spec["edges"].items()}
        np.asarray(vals, dtype="<f8").tofile(spec["prefix"] + ".numpy.f64")
    elif method in ("scipy_numpy", "scipy_torch"):
        if spec.get("which"):
            out.update(eigsh_end(hess, P, spec["k"], spec["which"], spec["tol"], spec.get("seed", 0)))
        else:  # only the cost of one product
            out["t_hvp"] = hvp_timing(hess, P, spec.get("nprod", 10), spec.get("seed", 0))
        out["t_total"] = time.perf_counter() - t0
    elif method == "slq":
        rng = np.random.default_rng(spec.get("seed", 0))
        nodes_list, weights_list = [], []
        t1 = time.perf_counter()
        for _ in range(spec["probes"]):
            v = rng.choice([-1.0, 1.0], size=P)
            nodes, wts = lanczos(hess, v, spec["steps"])
            nodes_list.append(nodes)
            weights_list.append(wts)
        t2 = time.perf_counter()
        out.update(t_lanczos=t2 - t1, t_total=t2 - t0, hvps=hess.nprod)
        lmin = min(float(n.min()) for n in nodes_list)
        lmax = max(float(n.max()) for n in nodes_list)
        # PyHessian's density_generate: sigma^2 = 1e-5 * max(1, lambda_max - lambda_min)
        out["sigma_pyhessian"] = float(np.sqrt(1e-5 * max(1.0, lmax - lmin)))
        masses = {}
        for key, edges in spec["edges"].items():
            width = (edges[-1] - edges[0]) / (len(edges) - 1)
            masses[key] = {"pyhessian": slq_masses(nodes_list, weights_list, edges, out["sigma_pyhessian"], P).tolist(),
                           "bin": slq_masses(nodes_list, weights_list, edges, width, P).tolist(),
                           "nodes": slq_masses(nodes_list, weights_list, edges, 0.0, P).tolist()}
        out["masses"] = masses
    else:
        raise SystemExit("competitors.py: unknown method '%s'" % method)
    out["mem_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: competitors.py '<json spec>'")
    result = run(json.loads(sys.argv[1]))
    print("WORKER_JSON " + json.dumps(result), flush=True)
