"""The sweep benchmark's competitor: what a researcher would write instead of splinelens for an
initialization-only sweep, in one process with numpy and h5py.

For every (width, seed, alpha) of the grid: initialize the network (lecun_normal: w, b ~ N(0, alpha^2),
v ~ N(0, alpha^2 / H)), its spline view (breakpoints beta = -b/w, delta-slopes mu = v|w|, orientations,
roughness, breakpoints in the data range, dead and flat neurons), the dense Hessian of the sum loss at
initialization in NN coordinates (J^T J plus the residual blocks) and in spline coordinates (the chain rule
through theta(beta, mu, |w|), with its gradient term), all eigenvalues (numpy.linalg.eigvalsh), the
negative/zero/positive counts and a 10-bin histogram of each; every run's results are written with h5py into
preallocated datasets (run table columns and ragged arrays with offsets, as in a splinelens file).

    /usr/bin/python3 bench/sweep_numpy.py --data x0,x1,..:y0,y1,.. --widths 4,16,64 --seeds 0-100 \
        --alphas 0.5,2 --out file.h5
Prints one JSON line: runs, seconds (the loop and the file, without the interpreter start and imports).
"""
import argparse
import json
import time

import h5py
import numpy as np


def axis(text, conv):
    if "-" in text and "," not in text and not text.startswith("-"):
        a, b = text.split("-")
        return list(range(int(a), int(b)))
    return [conv(v) for v in text.split(",")]


def hessians(w, b, v, x, y):
    """Dense Hessians of 1/2 sum r^2 in NN coordinates (w, b, v per neuron) and spline coordinates (beta, mu, c)."""
    H = w.size
    pre = np.outer(x, w) + b  # N x H
    act = (pre > 0).astype(float)
    z = pre * act
    r = z @ v - y
    J = np.empty((x.size, 3 * H))
    J[:, 0::3] = act * v * x[:, None]
    J[:, 1::3] = act * v
    J[:, 2::3] = z
    Hnn = J.T @ J
    s1 = (r[:, None] * act * x[:, None]).sum(0)
    s0 = (r[:, None] * act).sum(0)
    i = np.arange(H)
    Hnn[3 * i + 2, 3 * i] += s1
    Hnn[3 * i, 3 * i + 2] += s1
    Hnn[3 * i + 2, 3 * i + 1] += s0
    Hnn[3 * i + 1, 3 * i + 2] += s0
    g = J.T @ r
    # spline coordinates: w = s c, b = -beta s c, v = mu / c (c = |w|, s = sign w)
    s = np.where(w >= 0, 1.0, -1.0)
    c = np.abs(w) + 1e-300
    beta, mu = -b / (w + 1e-300), v * np.abs(w)
    T = np.zeros((3 * H, 3 * H))  # d theta / d phi, phi = (beta, mu, c) per neuron
    T[3 * i, 3 * i + 2] = s
    T[3 * i + 1, 3 * i] = -s * c
    T[3 * i + 1, 3 * i + 2] = -beta * s
    T[3 * i + 2, 3 * i + 1] = 1 / c
    T[3 * i + 2, 3 * i + 2] = -mu / c**2
    Hsp = T.T @ Hnn @ T
    gb, gv = g[1::3], g[2::3]
    Hsp[3 * i, 3 * i + 2] += -s * gb
    Hsp[3 * i + 2, 3 * i] += -s * gb
    Hsp[3 * i + 1, 3 * i + 2] += -gv / c**2
    Hsp[3 * i + 2, 3 * i + 1] += -gv / c**2
    Hsp[3 * i + 2, 3 * i + 2] += 2 * mu / c**3 * gv
    return Hnn, Hsp, r, act


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="x0,x1,...:y0,y1,...")
    ap.add_argument("--widths", required=True)
    ap.add_argument("--seeds", required=True)
    ap.add_argument("--alphas", required=True)
    ap.add_argument("--bins", type=int, default=10)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    xs, ys = a.data.split(":")
    x, y = np.array([float(t) for t in xs.split(",")]), np.array([float(t) for t in ys.split(",")])
    widths, seeds, alphas = axis(a.widths, int), axis(a.seeds, int), axis(a.alphas, float)
    grid = [(H, sd, al) for H in widths for sd in seeds for al in alphas]
    R = len(grid)
    t0 = time.perf_counter()
    P = np.array([3 * H for H, _, _ in grid])
    Hs = np.array([H for H, _, _ in grid])
    offP = np.concatenate([[0], np.cumsum(P)])
    offH = np.concatenate([[0], np.cumsum(Hs)])
    nb = a.bins
    with h5py.File(a.out, "w") as f:
        cols = {k: f.create_dataset("runs/" + k, (R,), dtype=t) for k, t in
                [("width", "i8"), ("seed", "i8"), ("alpha", "f8"), ("init_loss", "f8"), ("init_r_total", "f8"),
                 ("init_frac_in", "f8"), ("init_n_dead", "i8"), ("init_n_flat", "i8"), ("status", "i1")]}
        rag = {}
        for k, off in [("network/theta_init", offP), ("network/beta_init", offH), ("network/mu_init", offH),
                       ("network/s_init", offH)]:
            rag[k] = (f.create_dataset(k, (off[-1],), dtype="f8"), off)
            f.create_dataset(k + "_offset", data=off)
        spec = {}
        for co in ("nn", "bdso"):
            g = "spectra/init/%s/full/" % co
            spec[co] = {k: f.create_dataset(g + k, (R,), dtype="i8") for k in ("n_neg", "n_zero", "n_pos")}
            spec[co]["lambda_min"] = f.create_dataset(g + "lambda_min", (R,), dtype="f8")
            spec[co]["lambda_max"] = f.create_dataset(g + "lambda_max", (R,), dtype="f8")
            spec[co]["values"] = f.create_dataset(g + "values", (offP[-1],), dtype="f8")
            spec[co]["hist_counts"] = f.create_dataset(g + "hist_counts", (R * nb,), dtype="i8")
            spec[co]["hist_edges"] = f.create_dataset(g + "hist_edges", (R * (nb + 1),), dtype="f8")
        for j, (H, sd, al) in enumerate(grid):
            rng = np.random.default_rng([sd, H])
            w = rng.normal(0, al, H)
            b = rng.normal(0, al, H)
            v = rng.normal(0, al / np.sqrt(H), H)
            beta, mu, s = -b / w, v * np.abs(w), np.sign(w)
            Hnn, Hsp, r, act = hessians(w, b, v, x, y)
            cols["width"][j], cols["seed"][j], cols["alpha"][j] = H, sd, al
            cols["init_loss"][j] = 0.5 * r @ r
            cols["init_r_total"][j] = mu @ mu
            cols["init_frac_in"][j] = np.mean((beta > x.min()) & (beta < x.max()))
            cols["init_n_dead"][j] = int((act.sum(0) == 0).sum())
            cols["init_n_flat"][j] = int((mu == 0).sum())
            th = np.empty(3 * H)
            th[0::3], th[1::3], th[2::3] = w, b, v
            for k, val in [("network/theta_init", th), ("network/beta_init", beta), ("network/mu_init", mu),
                           ("network/s_init", s)]:
                d, off = rag[k]
                d[off[j]:off[j + 1]] = val
            for co, M in (("nn", Hnn), ("bdso", Hsp)):
                lam = np.linalg.eigvalsh(M)
                tol = 1e-10 * max(1.0, np.abs(lam).max()) * lam.size
                sp = spec[co]
                sp["n_neg"][j], sp["n_zero"][j], sp["n_pos"][j] = (lam < -tol).sum(), (np.abs(lam) <= tol).sum(), \
                    (lam > tol).sum()
                sp["lambda_min"][j], sp["lambda_max"][j] = lam[0], lam[-1]
                sp["values"][offP[j]:offP[j + 1]] = lam
                cnt, edges = np.histogram(lam, bins=nb)
                sp["hist_counts"][j * nb:(j + 1) * nb] = cnt
                sp["hist_edges"][j * (nb + 1):(j + 1) * (nb + 1)] = edges
            cols["status"][j] = 1
    print(json.dumps({"runs": R, "seconds": time.perf_counter() - t0}))


if __name__ == "__main__":
    main()
