"""The claims of docs/theory.md section 6 on a study file: a registry of one function per claim.

Every claim function is registered with @claim(id, title) in report order (claims 1-12, consistency checks
C1..C6, CP) and maps the StudyInputs of one study to a ClaimResult (result.py): it gathers its inputs from the
study and hands them to the pure check of checks.py. check_study runs the registry in order.

The consistency checks C1..C6 recompute stored values in numpy (losses, spline view, roughness columns,
snapshots, dense spectra, inertia counts); CP judges the critical points training reached (docs/theory.md section 4:
the fit is least squares on the data between consecutive breakpoints).
"""
import collections

import numpy as np

from . import regimes as RG
from . import theory as T
from .checks import (alternating_curvature, claim_adaptive_regime, claim_bdso_reconstruction, claim_breakpoint_law,
                     claim_consistency, claim_critical_points, claim_delta_slope_law, claim_eigen_bounds,
                     claim_exact_counts, claim_finite_differences, claim_kernel_regime, claim_q_conservation,
                     claim_rescaling, claim_roughness, claim_slope_jumps, critical_point_measures)
from .result import FAIL, PASS, SKIP, skip

Claim = collections.namedtuple("Claim", "id title check")
REGISTRY = []  # every Claim, in report order


def claim(cid, title):
    """Register the decorated function (StudyInputs -> ClaimResult) as claim cid, after those already registered."""
    def register(fn):
        if any(c.id == cid for c in REGISTRY):
            raise ValueError("claim %s registered twice" % cid)
        REGISTRY.append(Claim(str(cid), title, fn))
        return fn
    return register


def _label(row):
    return "run %d (H=%d seed=%d alpha=%g %s %s)" % (row["run_id"], row["width"], row["seed"], row["alpha"], row["scheme"], row["data"])


def _opt_float(study, name, default):
    try:
        return float(study.options.get(name, default))
    except ValueError:
        return default


def _loss_scale(theta, run, loss, hc, lv):
    """Comparison scale of a recomputed loss: max(l, scale sum_n |r_n| (sum_i |v_i (w_i x_n + b_i)_+| + |y_n|)), the
    rounding scale of l = 1/2 sum r_n^2 when r_n = f(x_n) - y_n cancels near interpolation."""
    res = T.residual(theta, run.x, run.y, hc)
    S = T.loss_scale(loss, run.x.size) * float(np.sum(np.abs(res) * (T.nn_term_magnitude(theta, run.x, hc) + np.abs(run.y))))
    return max(abs(lv), S, 1e-300)


def _rounding_scale(theta, run, loss, hc):
    """Rounding scale of Hessian eigenvalues of theta: the residual blocks a_i = sum_n r_n x_n 1_ni carry the
    rounding of f(x_n) and y_n in r_n, which cancel in the sums near critical points (a relative comparison
    would be ill-conditioned)."""
    res = T.residual(theta, run.x, run.y, hc)
    mag = np.abs(res) + np.abs(run.y) + T.nn_term_magnitude(theta, run.x, hc)
    return T.loss_scale(loss, run.x.size) * float(np.sum(mag * (np.abs(run.x) + 1.0)))


class StudyInputs:
    """What the claim functions read from one study: the run table, the done runs, the runs (read once), the
    limits of the expensive checks and the inputs several claims share (computed on first use).

    min_neurons: independent neurons a KS test (claims 4, 5) needs; max_dense, max_dense_runs: parameter count and
    number of the runs whose spectra are recomputed densely in numpy (8, 12, C5); max_fd_runs: runs checked by
    finite differences (7); max_inertia_runs, max_inertia_params: runs whose counts numpy recomputes by inertia
    (8, C6); max_cp_params: largest run judged by CP; log: progress messages (a print-like function)."""

    def __init__(self, study, min_neurons=100000, max_dense=400, max_dense_runs=24, max_fd_runs=3, max_inertia_runs=48,
                 max_inertia_params=400000, max_cp_params=3 * 4096 + 1, log=None):
        self.study = study
        self.t = study.runs()
        self.say = log or (lambda *a: None)
        self.min_neurons = min_neurons
        self.max_dense = max_dense
        self.max_dense_runs = max_dense_runs
        self.max_fd_runs = max_fd_runs
        self.max_inertia_runs = max_inertia_runs
        self.max_inertia_params = max_inertia_params
        self.max_cp_params = max_cp_params
        t = self.t
        self.done_ids = [int(i) for i in np.nonzero(t["status"] == 1)[0]] if "status" in t.dtype.names else []
        self.hc = study.has_c
        self.loss = study.loss
        self.symmetric = study.init_params().get("symmetric", False)
        self.by_size = sorted(self.done_ids, key=lambda i: (t["n_params"][i], i))
        # small networks for the exact checks (all runs up to a size budget)
        self.net_ids = [i for i in self.by_size if t["n_params"][i] <= 3 * 4096 + 1][:64] or self.by_size[:4]
        self._runs = {}
        self._init_groups = None
        self._spectral = None
        self._regime = None

    def run(self, i):
        if i not in self._runs:
            self._runs[i] = self.study.run(i)
        return self._runs[i]

    def label(self, i):
        return _label(self.t[i])

    def network_states(self):
        """(run id, stage, run, theta) of the small networks' init and final states with a stored spline view."""
        out = []
        for i in self.net_ids:
            r = self.run(i)
            for st in ("init", "final"):
                th = getattr(r, "theta_" + st)
                if th is None or getattr(r, "beta_" + st) is None or np.any(~np.isfinite(th)):
                    continue
                out.append((i, st, r, th))
        return out

    def init_groups(self):
        """Claims 4, 5: (breakpoint groups, delta-slope groups), see _init_groups."""
        if self._init_groups is None:
            self._init_groups = _init_groups(self)
        return self._init_groups

    def spectral(self):
        """Claims 8, 12, C5, C6: the spectra records of SpectralInputs (computed once)."""
        if self._spectral is None:
            self._spectral = _spectral_inputs(self)
        return self._spectral

    def regime(self):
        """{run id: regimes.regime_measures} of the trained runs (claims 10, 11 and the regime figures)."""
        if self._regime is None:
            self._regime = RG.measure_runs(self.study, RG.trained_runs(self.study), self.run, self.say)
        return self._regime


# ==========================================================================================================
# Claims 1-3: the spline view of the stored networks
# ==========================================================================================================

@claim("1", "BDSO reconstruction of f")
def check_reconstruction(cx):
    cases = [dict(theta=th, beta=getattr(r, "beta_" + st), mu=getattr(r, "mu_" + st), s=getattr(r, "s_" + st), x=r.x,
                  has_c=cx.hc, label="%s %s" % (cx.label(i), st)) for i, st, r, th in cx.network_states()]
    return claim_bdso_reconstruction(cases)


@claim("2", "rescaling invariance")
def check_rescaling(cx):
    cases = [dict(theta=th, x=r.x, has_c=cx.hc, label="%s %s" % (cx.label(i), st)) for i, st, r, th in cx.network_states()]
    return claim_rescaling(cases)


@claim("3", "slope jump at beta_i equals mu_i")
def check_slope_jumps(cx):
    cases = [dict(theta=th, beta=getattr(r, "beta_" + st), mu=getattr(r, "mu_" + st), s=getattr(r, "s_" + st),
                  has_c=cx.hc, label="%s %s" % (cx.label(i), st)) for i, st, r, th in cx.network_states()]
    return claim_slope_jumps(cases)


# ==========================================================================================================
# Claims 4-6: initialization laws
# ==========================================================================================================

def _init_groups(cx):
    """Pooled initial breakpoints and delta-slopes of independent networks, one group per (scheme, width):
    alpha rescales and data sets share networks, so one run per seed; with a symmetric init only the first
    half of each network (the second mirrors it). Groups too small for a KS test carry zeros of the right count."""
    t, study = cx.t, cx.study
    g4, g5 = [], []
    widths = sorted(set(int(w) for w in t["width"][cx.done_ids]))
    schemes = list(dict.fromkeys(str(s) for s in t["scheme"][cx.done_ids]))
    for sch in schemes:
        for H in widths:
            ids = [i for i in cx.done_ids if t["scheme"][i] == sch and t["width"][i] == H]
            if not ids:
                continue
            seen, pick = set(), []
            for i in ids:
                if int(t["seed"][i]) not in seen:
                    seen.add(int(t["seed"][i]))
                    pick.append(i)
            half = H // 2 if cx.symmetric else H
            total = len(pick) * half
            laws = study.laws(sch, H, float(t["alpha"][pick[0]]))
            lab = "%s H=%d" % (sch, H)
            if total < cx.min_neurons and laws["b"].kind != "zero":
                g4.append(dict(label=lab, samples=np.zeros(total), lw=laws["w"], lb=laws["b"]))
                g5.append(dict(label=lab, samples=np.zeros(total), lw=laws["w"], lv=laws["v"]))
                continue
            bs = [study.ragged("network/beta_init", i)[:half] for i in pick]
            ms = [study.ragged("network/mu_init", i)[:half] for i in pick]
            g4.append(dict(label=lab, samples=np.concatenate(bs), lw=laws["w"], lb=laws["b"]))
            g5.append(dict(label=lab, samples=np.concatenate(ms), lw=laws["w"], lv=laws["v"]))
    return g4, g5


@claim("4", "breakpoint laws at initialization (KS)")
def check_breakpoint_law(cx):
    return claim_breakpoint_law(cx.init_groups()[0], min_n=cx.min_neurons)


@claim("5", "delta-slope laws at initialization (KS)")
def check_delta_slope_law(cx):
    return claim_delta_slope_law(cx.init_groups()[1], min_n=cx.min_neurons)


@claim("6", "roughness vs width and alpha (closed forms)")
def check_roughness(cx):
    """Initial roughness per (scheme, width, alpha, data) over seeds against the closed forms."""
    t, study = cx.t, cx.study
    groups = []
    datasets = study.datasets()
    keys = {}
    for i in cx.done_ids:
        keys.setdefault((str(t["scheme"][i]), int(t["width"][i]), float(t["alpha"][i]), str(t["data"][i])), []).append(i)
    for (sch, H, a, dn), ids in sorted(keys.items()):
        X = datasets[dn]["x"]
        e = T.roughness_expected(H, study.laws(sch, H, a), float(X.min()), float(X.max()), cx.symmetric)
        lab = "%s H=%d alpha=%g %s" % (sch, H, a, dn)
        for q in ("R_total", "R_in", "n_in"):
            col = "init_" + q
            if col in t.dtype.names:
                groups.append(dict(label=lab, quantity=q, observed=t[col][ids].astype(float), mean=e[q], sd=e[q + "_sd"]))
    return claim_roughness(groups)


# ==========================================================================================================
# Claims 7, 8, 12: derivatives and Hessian spectra
# ==========================================================================================================

@claim("7", "gradient and Hessian vs central finite differences (NN and BDSO coordinates)")
def check_finite_differences(cx):
    """Finite differences on the smallest stored networks."""
    cases = []
    for i in cx.by_size[:cx.max_fd_runs]:
        if cx.t["n_params"][i] > 600:
            break
        r = cx.run(i)
        for st in ("init", "final"):
            th = getattr(r, "theta_" + st)
            if th is not None and np.all(np.isfinite(th)):
                cases.append(dict(theta=th, x=r.x, y=r.y, loss=cx.loss, has_c=cx.hc, label="%s %s" % (cx.label(i), st)))
    return claim_finite_differences(cases)


SpectralInputs = collections.namedtuple("SpectralInputs", "counts recomputed dense gram inertia")
SpectralInputs.__doc__ = """Inputs of claims 8, 12, C5, C6: counts = stored counts of every spectrum (claim_eigen_bounds
records, with n_zero_weyl where computed), recomputed = stored vs numpy dense eigenvalues, dense = numpy dense
spectra with the stored counts and histograms (claim_exact_counts records), gram = stored vs numpy Gram spectra
at interpolating minima, inertia = stored vs numpy inertia counts (claim_consistency comparisons)."""


def _spectral_inputs(cx):
    small = [i for i in cx.by_size if cx.t["n_params"][i] <= cx.max_dense][:cx.max_dense_runs]
    counts = _stored_count_records(cx)
    recomputed, dense, gram, weyl = _dense_spectra(cx, small)
    snap_counts, snap_recomputed, snap_dense = _snapshot_spectra(cx, set(small))
    counts += snap_counts
    recomputed += snap_recomputed
    dense += snap_dense
    _weyl_zero_counts(cx, counts, weyl)
    return SpectralInputs(counts, recomputed, dense, gram, _inertia_comparisons(cx, counts, small))


def _stored_count_records(cx):
    """claim_eigen_bounds records of the stored counts of every one-per-run spectrum of every done run."""
    t, hc = cx.t, cx.hc
    names = t.dtype.names
    recs = []
    for key in cx.study.spectra_keys():
        st, co, pa = key
        pre = "%s_%s_%s_" % (st, co, pa)
        if pre + "n_neg" not in names:
            continue
        for i in cx.done_ids:
            rec = dict(_id=i, label=cx.label(i), stage=st, coords=co, part=pa, n_neg=int(t[pre + "n_neg"][i]),
                       n_zero=int(t[pre + "n_zero"][i]), n_pos=int(t[pre + "n_pos"][i]),
                       n_bound=int(t[pre + "n_bound"][i]) if pre + "n_bound" in names else 10 ** 9,
                       P=int(t[pre + "size"][i]) if pre + "size" in names else None,
                       N=int(t["n_points"][i]), H=int(t["width"][i]), has_c=hc,
                       interpolating=int(t["interpolating"][i]) == 1 if st == "final" else False,
                       check_neg=int(t[pre + "check_neg"][i]) if pre + "check_neg" in names else None,
                       check_zero=int(t[pre + "check_zero"][i]) if pre + "check_zero" in names else None)
            if rec["P"] is None:
                rec["P"] = (3 if co == "nn" else 2) * rec["H"] + (1 if hc else 0)
            recs.append(rec)
    return recs


def _dense_spectra(cx, small):
    """Numpy dense spectra of the one-per-run spectra of the small runs: (recomputed, dense, gram, weyl) with
    weyl[(run, stage, coords)] = eigenvalues of the full Hessian within zero_tol + ||R|| (Weyl)."""
    recomputed, dense, gram, weyl = [], [], [], {}
    hc, loss = cx.hc, cx.loss
    for i in small:
        r = cx.run(i)
        for key, spec in r.spectra.items():
            if spec is None or spec.get("values") is None:
                continue
            st, co, pa = key
            th = getattr(r, "theta_" + st)
            if th is None or not np.all(np.isfinite(th)):
                continue
            ev = np.linalg.eigvalsh(T.hessian(th, r.x, r.y, loss, co, pa, hc))
            Rm = T.hessian(th, r.x, r.y, loss, co, "residual", hc)
            rnorm = float(np.max(np.abs(np.linalg.eigvalsh(Rm)))) if Rm.size else 0.0
            rscale = _rounding_scale(th, r, loss, hc)
            lab = "%s %s/%s/%s" % (cx.label(i), st, co, pa)
            vals = np.asarray(spec["values"], float)
            zt = float(spec.get("zero_tol", 0.0))
            if str(spec.get("method", "")) == "dense" and vals.size == ev.size:
                recomputed.append(dict(label=lab, stored_values=vals, numpy_values=ev, scale=rscale))
                if pa == "full":
                    weyl[(i, st, co)] = int(np.sum(np.abs(vals) <= zt + rnorm))
            gv = spec.get("gram_values")
            if gv is not None and gv.size and np.all(np.isfinite(gv)) and pa in ("full", "gauss_newton"):
                # at interpolating minima the nonzero spectrum is that of the Gram matrix scale J J^T (docs/theory.md section 4)
                if co == "nn":
                    Jg = T.nn_jacobian(th, r.x, hc)
                else:
                    b_, m_, s_, c_ = T.to_bdso(th, hc)
                    Jg = T.bdso_jacobian(b_, m_, s_, r.x, hc)
                gev = np.linalg.eigvalsh(T.loss_scale(loss, r.x.size) * (Jg @ Jg.T))
                gram.append((lab + " gram", np.sort(gv), gev, max(float(np.max(np.abs(gev))), 1e-300)))
            dense.append(dict(label=lab, values=ev, zero_tol=zt, scale=rscale,
                              n_neg=int(spec.get("n_neg", -1)), n_zero=int(spec.get("n_zero", -1)),
                              n_pos=int(spec.get("n_pos", -1)), hist_edges=spec.get("hist_edges"),
                              hist_counts=spec.get("hist_counts")))
    return recomputed, dense, gram, weyl


def _snapshot_spectra(cx, small_set):
    """Spectra at every snapshot (-sl_hess_stages ...,snapshots): the stored bounds and flags of every reached
    snapshot (claim 8) and, for the small runs, a dense numpy recomputation from the snapshot parameters
    (claims 8, 12). Returns (counts, recomputed, dense) records."""
    counts, recomputed, dense = [], [], []
    t, hc, loss = cx.t, cx.hc, cx.loss
    snap_keys = cx.study.snapshot_spectra_keys()
    for i in (cx.done_ids if snap_keys else []):
        r = cx.run(i)
        for co, pa in snap_keys:
            sp = r.snapshot_spectra.get((co, pa))
            if sp is None or sp.get("n_neg") is None:
                continue
            for k in range(np.size(sp["n_neg"])):
                if int(sp["n_neg"][k]) < 0:
                    continue  # snapshot not reached
                lab = "%s snapshot %d/%s/%s" % (cx.label(i), k, co, pa)
                counts.append(dict(_id=i, label=lab, stage="snapshot", coords=co, part=pa, n_neg=int(sp["n_neg"][k]),
                                   n_zero=int(sp["n_zero"][k]), n_pos=int(sp["n_pos"][k]), n_bound=int(sp["n_bound"][k]),
                                   P=int(sp["size"]), N=int(t["n_points"][i]), H=int(t["width"][i]), has_c=hc,
                                   interpolating=False, check_neg=int(sp["check_neg"][k]), check_zero=None))
                if i not in small_set or k >= r.snap_theta.shape[0] or not np.all(np.isfinite(r.snap_theta[k])):
                    continue
                th = r.snap_theta[k]
                ev = np.linalg.eigvalsh(T.hessian(th, r.x, r.y, loss, co, pa, hc))
                rscale = _rounding_scale(th, r, loss, hc)
                vals = np.asarray(sp["values"][k], float)
                if str(sp.get("method", "")) == "dense" and vals.size == ev.size:
                    recomputed.append(dict(label=lab, stored_values=vals, numpy_values=ev, scale=rscale))
                he = sp.get("hist_edges")
                hcnt = sp.get("hist_counts")
                dense.append(dict(label=lab, values=ev, zero_tol=float(sp["zero_tol"][k]), scale=rscale,
                                  n_neg=int(sp["n_neg"][k]), n_zero=int(sp["n_zero"][k]), n_pos=int(sp["n_pos"][k]),
                                  hist_edges=he[k] if he is not None and he.ndim == 2 else None,
                                  hist_counts=hcnt[k] if hcnt is not None and hcnt.ndim == 2 else None))
    return counts, recomputed, dense


def _inertia_state(cx, rec):
    """(run, theta, zero_tol) of the spectrum a count record describes, or (None, None, None)."""
    r = cx.run(rec["_id"])
    th = getattr(r, "theta_" + rec["stage"])
    spec = r.spectra.get((rec["stage"], rec["coords"], rec["part"]))
    if th is None or spec is None or not np.all(np.isfinite(th)):
        return None, None, None
    return r, th, float(spec.get("zero_tol", 0.0))


def _weyl_zero_counts(cx, counts, weyl):
    """Zero counts at interpolating minima of the full Hessian: the eigenvalues within zero_tol + ||R|| (Weyl), from
    the dense spectrum when there is one, else by numpy inertia counts (Haynsworth, O(P N^2)); sets n_zero_weyl."""
    t = cx.t
    for rec in counts:
        key = (rec["_id"], rec["stage"], rec["coords"])
        if rec["part"] != "full" or not rec["interpolating"] or rec["stage"] != "final":
            continue
        if key in weyl:
            rec["n_zero_weyl"] = weyl[key]
            continue
        if t["n_params"][rec["_id"]] > cx.max_inertia_params:
            continue
        r, th, zt = _inertia_state(cx, rec)
        if r is None:
            continue
        tau = zt + T.residual_norm(th, r.x, r.y, cx.loss, rec["coords"], cx.hc)
        rec["n_zero_weyl"] = (T.count_below(th, r.x, r.y, tau, cx.loss, rec["coords"], "full", cx.hc)
                              - T.count_below(th, r.x, r.y, -tau, cx.loss, rec["coords"], "full", cx.hc))


def _inertia_comparisons(cx, counts, small):
    """Stored exact counts vs numpy inertia counts for the spectra not recomputed densely (largest runs first):
    claim_consistency comparisons of (neg, zero, pos)."""
    t = cx.t
    cand = [rec for rec in counts if rec["_id"] not in small and t["n_params"][rec["_id"]] <= cx.max_inertia_params]
    cand.sort(key=lambda rec: (-int(t["n_params"][rec["_id"]]), rec["_id"]))
    out = []
    for rec in cand[:cx.max_inertia_runs]:
        r, th, zt = _inertia_state(cx, rec)
        if r is None or not zt > 0:
            continue
        below_m = T.count_below(th, r.x, r.y, -zt, cx.loss, rec["coords"], rec["part"], cx.hc)
        below_p = T.count_below(th, r.x, r.y, zt, cx.loss, rec["coords"], rec["part"], cx.hc)
        out.append(("%s %s/%s/%s (neg, zero, pos)" % (rec["label"], rec["stage"], rec["coords"], rec["part"]),
                    [rec["n_neg"], rec["n_zero"], rec["n_pos"]], [below_m, below_p - below_m, rec["P"] - below_p], 1.0))
    return out


@claim("8", "negative-eigenvalue bound, zero count at interpolating minima")
def check_eigen_bounds(cx):
    sp = cx.spectral()
    return claim_eigen_bounds(sp.counts, sp.recomputed)


# ==========================================================================================================
# Claims 9-11: training dynamics and regimes
# ==========================================================================================================

@claim("9", "conservation of q_i = v_i^2 - w_i^2 - b_i^2 under gradient flow")
def check_q_conservation(cx):
    t, study = cx.t, cx.study
    gd = "sl_train_gd" in study.options and T._bool_opt(study.options.get("sl_train_gd") or "1")
    if gd:
        return skip("9", "runs use plain gradient descent (-sl_train_gd): q drifts by O(eta^2) per step")
    qtol = max(_opt_float(study, "sl_train_rtol", 1e-8), _opt_float(study, "sl_train_atol", 1e-8))
    ids = [i for i in cx.done_ids if str(t["stop_reason"][i]) not in ("none", "", "diverged", "nan", "ts_failed")]
    res = claim_q_conservation(t["q_drift"][ids] if ids else [], qtol, [cx.label(i) for i in ids])
    res.detail += "; tolerance = max(-sl_train_rtol, -sl_train_atol) = the ODE tolerance"
    return res


@claim("10", "kernel regime: learned f -> NTK interpolant as alpha grows")
def check_kernel_regime(cx):
    """Symmetric init (f_0 = 0); the runs that reached an end state, grouped by (width, seed, scheme, data)."""
    if not cx.symmetric:
        return skip("10", "needs a symmetric initialization (f_0 = 0; -sl_init_symmetric)")
    t, rm = cx.t, cx.regime()
    groups = []
    for key, ids in sorted(RG.alpha_groups(t, rm).items()):
        groups.append(dict(label="H=%d seed=%d %s %s" % key, alphas=[t["alpha"][i] for i in ids],
                           dist=[rm[i]["d_ntk"] for i in ids]))
    res = claim_kernel_regime(groups)
    res.detail += " (%d of %d done runs at an end state: interpolating or stationary)" % (len(rm), len(cx.done_ids))
    return res


def _end_records(cx, ids):
    """claim_adaptive_regime's `ends`: the end state of every run ids, with clusters and piecewise least-squares
    residuals of the stationary ones."""
    t = cx.t
    out = []
    for i in ids:
        st = RG.end_state(cx.study, t, i)
        e = dict(label=cx.label(i), alpha=float(t["alpha"][i]), state=st, reason=str(t["stop_reason"][i]),
                 loss=float(t["final_loss"][i]))
        if st == "stationary":
            r = cx.run(i)
            th = r.theta_final
            if th is not None and np.all(np.isfinite(th)):
                m = critical_point_measures(th, r.x, r.y, cx.loss, cx.hc)
                b, mu, s, _ = T.to_bdso(th, cx.hc)
                sp = np.diff(np.sort(r.x))
                eps = 0.1 * (float(np.median(sp)) if sp.size else 1.0)
                e.update(dev=m["dev"], implied=m["implied"], residuals=T.residual(th, r.x, r.y, cx.hc)[np.argsort(r.x)],
                         clusters=T.kink_clusters(b, mu, s, r.x, gap=eps, eps=eps))
        out.append(e)
    return out


@claim("11", "adaptive regime: interpolating or stationary; linear interpolation on alternating data")
def check_adaptive_regime(cx):
    """Symmetric init, smallest alpha <= 0.3: every done or failed run of the study is judged for its end state;
    each (width, seed, scheme, data) group is compared at its smallest and largest alpha."""
    if not cx.symmetric:
        return skip("11", "needs a symmetric initialization (f_0 = 0; -sl_init_symmetric)")
    t, rm = cx.t, cx.regime()
    ids = [int(i) for i in range(len(t))]
    groups = []
    for key, gids in sorted(RG.alpha_groups(t, ids).items()):
        i0, i1 = gids[0], gids[-1]
        if i0 == i1:
            continue
        m0, m1 = rm.get(i0), rm.get(i1)
        if m0 is None:  # no end state at the smallest alpha: reported among the end states
            continue
        nan = float("nan")
        ds = cx.study.dataset(key[3])
        groups.append(dict(label="H=%d seed=%d %s %s" % key, alternating=alternating_curvature(ds["x"], ds["y"]),
                           alpha_min=float(t["alpha"][i0]), state_min=RG.end_state(cx.study, t, i0),
                           d_lin=m0["d_lin"], d_cubic=m0["d_cubic"], near=m0["near_final"],
                           alpha_max=float(t["alpha"][i1]), state_max=RG.end_state(cx.study, t, i1),
                           d_lin_max=m1["d_lin"] if m1 else nan, near_max=m1["near_final"] if m1 else nan))
    return claim_adaptive_regime(_end_records(cx, ids), groups)


@claim("12", "exact (inertia) counts agree with dense eigensolvers")
def check_exact_counts(cx):
    """Stored counts and histograms vs numpy dense spectra, and the program's own check_counts flags."""
    t, study = cx.t, cx.study
    res = claim_exact_counts(cx.spectral().dense)
    bad, n = [], 0
    for key in study.spectra_keys():
        col = "%s_%s_%s_check_counts" % key
        if col in t.dtype.names:
            v = t[col][cx.done_ids]
            n += int(np.sum(v >= 0))
            bad += ["%s %s/%s/%s" % ((cx.label(i),) + key) for i, f in zip(cx.done_ids, v) if f == 0]
    for co, pa in study.snapshot_spectra_keys():
        for i in cx.done_ids:
            sp = study.snapshot_spectrum((co, pa), i)
            v = np.asarray(sp.get("check_counts", []), int)
            n += int(np.sum(v >= 0))
            bad += ["%s snapshot %d/%s/%s" % (cx.label(i), k, co, pa) for k in np.nonzero(v == 0)[0]]
    if n:
        res.detail += "; stored check_counts (program's dense vs exact counts): %d compared, %d disagree%s" % (
            n, len(bad), (" (" + "; ".join(bad[:3]) + ")") if bad else "")
        if bad:
            res.status = FAIL
        elif res.status == SKIP:
            res.status, res.value = PASS, 0.0
    return res


# ==========================================================================================================
# Consistency checks C1-C6: stored values = numpy recomputation
# ==========================================================================================================

def _stored_states(cx):
    """(run id, row, run, stage, theta) of the small networks' finite init and final states."""
    out = []
    for i in cx.net_ids:
        r = cx.run(i)
        for st in ("init", "final"):
            th = getattr(r, "theta_" + st)
            if th is not None and np.all(np.isfinite(th)):
                out.append((i, cx.t[i], r, st, th))
    return out


@claim("C1", "stored losses = numpy loss of stored theta and data")
def check_losses(cx):
    cmp = []
    for i, row, r, st, th in _stored_states(cx):
        lv = T.loss_value(th, r.x, r.y, cx.loss, cx.hc)
        cmp.append(("%s %s_loss" % (_label(row), st), row[st + "_loss"], lv, _loss_scale(th, r, cx.loss, cx.hc, lv)))
    return claim_consistency("C1", cmp)


@claim("C2", "stored spline view (beta, mu, s) = numpy map of stored theta")
def check_spline_view(cx):
    cmp = []
    for i, row, r, st, th in _stored_states(cx):
        b, m, s, c = T.to_bdso(th, cx.hc)
        cmp.append(("%s %s beta" % (_label(row), st), getattr(r, "beta_" + st), b, None))
        cmp.append(("%s %s mu" % (_label(row), st), getattr(r, "mu_" + st), m, None))
        cmp.append(("%s %s s" % (_label(row), st), getattr(r, "s_" + st), s, 1.0))
    return claim_consistency("C2", cmp)


@claim("C3", "stored roughness / breakpoint columns = numpy recomputation")
def check_roughness_columns(cx):
    names = cx.t.dtype.names
    cmp = []
    for i, row, r, st, th in _stored_states(cx):
        X = r.x
        ro = T.roughness(getattr(r, "beta_" + st), getattr(r, "mu_" + st), getattr(r, "s_" + st), float(X.min()), float(X.max()))
        for q in ("R_total", "R_in", "frac_in", "max_kink", "n_in"):
            col = "%s_%s" % (st, q)
            if col in names:
                cmp.append(("%s %s" % (_label(row), col), row[col], ro[q], max(abs(ro[q]), 1e-300) if q != "n_in" else 1.0))
        w, bb, v, _ = T.split_theta(th, cx.hc)
        act = (np.outer(X, w) + bb > 0)
        for col, val in (("n_dead", int(np.sum(~act.any(axis=0)))), ("n_flat", int(np.sum(w == 0)))):
            if "%s_%s" % (st, col) in names:
                cmp.append(("%s %s_%s" % (_label(row), st, col), row["%s_%s" % (st, col)], val, 1.0))
    return claim_consistency("C3", cmp)


@claim("C4", "stored snapshots: spline view and loss consistent with snap_theta")
def check_snapshots(cx):
    cmp = []
    for i in cx.net_ids:
        r = cx.run(i)
        lab = _label(cx.t[i])
        if not (r.snap_theta.shape[0] and r.snap_theta.shape[0] == r.snap_time.size):
            continue
        for k in np.nonzero(r.snap_valid)[0]:
            th = r.snap_theta[k]
            b, m, s, c = T.to_bdso(th, cx.hc)
            if r.snap_beta.shape[0] > k:
                cmp.append(("%s snap %d beta" % (lab, k), r.snap_beta[k], b, None))
                cmp.append(("%s snap %d mu" % (lab, k), r.snap_mu[k], m, None))
            lv = T.loss_value(th, r.x, r.y, cx.loss, cx.hc)
            cmp.append(("%s snap %d loss" % (lab, k), r.snap_loss[k], lv, _loss_scale(th, r, cx.loss, cx.hc, lv)))
        if np.all(np.isfinite(r.snap_theta[0])):
            cmp.append(("%s snap 0 = theta_init" % lab, r.snap_theta[0], r.theta_init, None))
    return claim_consistency("C4", cmp)


@claim("C5", "stored dense spectra (and Gram spectra at interpolating minima) = numpy eigenvalues")
def check_dense_spectra(cx):
    sp = cx.spectral()
    cmp = [(rc["label"], np.sort(rc["stored_values"]), np.sort(rc["numpy_values"]),
            max(float(np.max(np.abs(rc["numpy_values"]))), rc["scale"], 1e-300)) for rc in sp.recomputed] + sp.gram
    return claim_consistency("C5", cmp)


@claim("C6", "stored exact counts = numpy inertia counts (Haynsworth) where no dense spectrum is recomputed")
def check_inertia_counts(cx):
    cmp = cx.spectral().inertia
    if not cmp:
        return skip("C6", "every stored spectrum was recomputed densely (C5) or none is stored")
    return claim_consistency("C6", cmp, rtol=0.0)


# ==========================================================================================================
# CP: critical points reached by training (docs/theory.md section 4)
# ==========================================================================================================

@claim("CP", "critical points reached by training: piecewise least-squares fit between breakpoints")
def check_critical_points(cx):
    t = cx.t
    recs = []
    for i in cx.done_ids:
        if t["n_params"][i] > cx.max_cp_params or int(t["steps"][i]) <= 0:  # too large, or not trained
            continue
        r = cx.run(i)
        th = r.theta_final
        if th is None or not np.all(np.isfinite(th)):
            continue
        m = critical_point_measures(th, r.x, r.y, cx.loss, cx.hc)
        m.update(label=cx.label(i), interpolating=str(t["stop_reason"][i]) == "loss_tol",
                 stationary=str(t["stop_reason"][i]) == "stationary")
        recs.append(m)
    return claim_critical_points(recs) if recs else skip("CP", "no trained run")


# ==========================================================================================================
# Driver
# ==========================================================================================================

def run_claims(cx):
    """Every registered claim on the StudyInputs cx, in registry order: a list of ClaimResult carrying the
    registry's titles. Without a done run every claim SKIPs."""
    results = []
    for c in REGISTRY:
        if cx.done_ids:
            cx.say("claim %s: %s" % (c.id, c.title))
            res = c.check(cx)
        else:
            res = skip(c.id, "no run is done")
        if res.id != c.id:
            raise RuntimeError("claim %s returned the result of claim %s" % (c.id, res.id))
        res.title = c.title
        results.append(res)
    return results


def check_study(study, log=None, **limits):
    """Apply every registered claim (1-12, C1-C6, CP) to a splinelens.reader.Study: a list of ClaimResult.
    limits: the keyword arguments of StudyInputs (min_neurons, max_dense, ...)."""
    return run_claims(StudyInputs(study, log=log, **limits))


StudyResults = collections.namedtuple("StudyResults", "claims regime")
StudyResults.__doc__ = """What the report draws besides the stored data: claims = the ClaimResult list of check_study,
regime = {run id: regimes.regime_measures} of the trained runs."""


def evaluate_study(study, log=None, **limits):
    """The claim results and the regime measures of a study (StudyResults), each computed once."""
    cx = StudyInputs(study, log=log, **limits)
    return StudyResults(run_claims(cx), cx.regime())


def results_table(results):
    return [r.as_dict() for r in results]
