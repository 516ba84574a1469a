"""Kernel vs adaptive regime (docs/theory.md section 5), per run: the learned function against the NTK prediction of
the initial network, the natural cubic spline and the linear interpolant of the data, and where the kinks go.
Claims 10 and 11 judge these measures; the regime figures draw them."""
import numpy as np

from . import theory as T


def end_state(study, t, i, flat=1e-6):
    """End state of run i of the run table t (docs/theory.md 4.8): 'interpolating' (loss <= loss_tol),
    'stationary' (stop reason stationary: a non-interpolating critical point, -sl_train_grad_rtol), 'budget'
    (time or step limit) or 'failed' (not done: diverged, non-finite, error). A file written before the
    stationary stop existed (no final_grad_norm column) records a stationary run as max_time; there a run counts
    as stationary when its loss changed by less than flat, relatively, over the last three loss-curve points."""
    if int(t["status"][i]) != 1:
        return "failed"
    reason = str(t["stop_reason"][i])
    if reason == "loss_tol" or int(t["interpolating"][i]) == 1:
        return "interpolating"
    if reason == "stationary":
        return "stationary"
    if reason == "max_time" and "final_grad_norm" not in t.dtype.names:
        cl = study.ragged("train/curve_loss", int(i))
        cl = cl[np.isfinite(cl)] if cl is not None else np.zeros(0)
        if cl.size >= 3 and float(np.max(cl[-3:]) - np.min(cl[-3:])) <= flat * float(np.max(cl[-3:])):
            return "stationary"
    return "budget"


def trained_runs(study, max_params=3 * 4096 + 1):
    """Done runs (up to max_params parameters) that reached an end state: interpolating or stationary
    (end_state). Regime comparisons (claims 10, 11, the regime figures) only make sense for them."""
    t = study.runs()
    return [int(i) for i in np.nonzero(t["status"] == 1)[0]
            if t["n_params"][i] <= max_params and end_state(study, t, int(i)) in ("interpolating", "stationary")]


def regime_measures(run, ngrid=1001, eps_frac=0.1):
    """Learned function vs the NTK prediction, the natural cubic spline and the linear interpolant on a dense
    grid of the data range; breakpoint clustering at data; breakpoint motion. Relative distances divide by
    RMS(Y - f_0(X)) (the size of what training has to learn)."""
    X, Y = run.x, run.y
    hc = run.has_c
    xg = T.data_grid(X, ngrid)
    f0 = T.nn_eval(run.theta_init, xg, hc)
    fT = T.nn_eval(run.theta_final, xg, hc)
    ntk = T.ntk_prediction(run.theta_init, X, Y, xg, hc)
    cub = T.natural_cubic_spline(X, Y, xg)
    lin = T.linear_interpolant(X, Y, xg)
    denom = T.rms(Y - T.nn_eval(run.theta_init, X, hc))
    denom = denom if denom > 0 else max(T.rms(Y), 1e-300)
    spacing = np.diff(np.sort(X))
    eps = eps_frac * (float(np.median(spacing)) if spacing.size else 1.0)
    bi, mi, si, _ = T.to_bdso(run.theta_init, hc)
    bf, mf, sf, _ = T.to_bdso(run.theta_final, hc)
    ok = np.isfinite(bi) & np.isfinite(bf) & (bi >= X.min()) & (bi <= X.max())  # breakpoints in range at init
    return {
        "x": xg, "f0": f0, "fT": fT, "ntk": ntk, "cubic": cub, "linear": lin,
        "d_ntk": T.rms(fT, ntk) / denom, "d_cubic": T.rms(fT, cub) / denom, "d_lin": T.rms(fT, lin) / denom,
        "denom": denom, "eps": eps,
        "near_init": T.near_data_fraction(bi, mi, si, X, eps, weighted=True),
        "near_final": T.near_data_fraction(bf, mf, sf, X, eps, weighted=True),
        "near_init_count": T.near_data_fraction(bi, mi, si, X, eps),
        "near_final_count": T.near_data_fraction(bf, mf, sf, X, eps),
        "clusters_final": T.kink_clusters(bf, mf, sf, X, gap=eps, eps=eps),
        "mean_dbeta": float(np.mean(np.abs(bf[ok] - bi[ok]))) if ok.any() else float("nan"),
    }


def group_key(t, i):
    """(width, seed, scheme, data) of run i of the run table t: the runs of one group differ only in alpha."""
    return (int(t["width"][i]), int(t["seed"][i]), str(t["scheme"][i]), str(t["data"][i]))


def alpha_groups(t, ids):
    """{group_key: run ids sorted by alpha (stable: ties keep the order of ids)} of the runs ids."""
    groups = {}
    for i in ids:
        groups.setdefault(group_key(t, i), []).append(i)
    return {k: sorted(v, key=lambda i: t["alpha"][i]) for k, v in groups.items()}


def measure_runs(study, ids, get_run=None, log=None):
    """{run id: regime_measures} of the runs ids (trained_runs); a run whose measures fail is logged and left out."""
    get_run = get_run or study.run
    out = {}
    for i in ids:
        try:
            out[i] = regime_measures(get_run(i))
        except Exception as exc:  # pragma: no cover - reported, not hidden
            if log:
                log("regime measures of run %d failed: %s" % (i, exc))
    return out
