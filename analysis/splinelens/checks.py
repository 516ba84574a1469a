"""The claim checks of docs/theory.md section 6 as pure functions of plain numpy data.

Each claim_* function returns a ClaimResult (result.py) from arrays and dicts, so it can be exercised on
deliberately wrong inputs; claims.py gathers those inputs from a study file. A FAIL is reported as measured:
the tolerances are those of docs/theory.md section 6 (or stated in the detail when docs/theory.md gives none). Besides the
12 claims: claim_consistency (C1..C6, stored vs numpy-recomputed values) and claim_critical_points (CP, with
critical_point_measures: docs/theory.md section 4, the fit is least squares between consecutive breakpoints).
"""
import math

import numpy as np

from . import theory as T
from .result import FAIL, PASS, SKIP, ClaimResult, skip, verdict

EPS = np.finfo(float).eps


def eval_points(x, beta=None, n=201):
    """Evaluation points: the data, a grid over the data range (+-50%) and points around the breakpoints."""
    x = np.asarray(x, float)
    lo, hi = x.min(), x.max()
    span = max(hi - lo, 1.0)
    pts = [x, np.linspace(lo - 0.5 * span, hi + 0.5 * span, n)]
    if beta is not None:
        b = np.asarray(beta, float)
        b = b[np.isfinite(b)]
        b = b[(b > lo - span) & (b < hi + span)]
        pts += [b, b + 1e-3 * span, b - 1e-3 * span]
    return np.concatenate(pts)


def reconstruction_error(theta, beta, mu, s, x, has_c=None):
    """max_x |f_theta(x) - f_(beta, mu, s)(x)| / max_x sum_i |v_i (w_i x + b_i)_+| (the scale of f's terms)."""
    xs = eval_points(x, beta)
    _, _, _, c = T.split_theta(theta, has_c)
    fnn = T.nn_eval(theta, xs, has_c)
    fsp = T.bdso_eval(beta, mu, s, xs, c)
    scale = max(float(np.max(T.nn_term_magnitude(theta, xs, has_c))), float(np.max(T.bdso_term_magnitude(beta, mu, s, xs, c))), 1e-300)
    return float(np.max(np.abs(fnn - fsp)) / scale)


def claim_bdso_reconstruction(cases, tol=1e-12):
    """Claim 1. cases: iterable of dicts (theta, beta, mu, s, x[, has_c, label]); beta/mu/s are the spline view
    to test (e.g. as stored by the program). f is evaluated from theta and from (beta, mu, s) in numpy."""
    worst, wl, n = 0.0, "", 0
    for c in cases:
        e = reconstruction_error(c["theta"], c["beta"], c["mu"], c["s"], c["x"], c.get("has_c"))
        n += 1
        if not e <= worst:
            worst, wl = e, c.get("label", "")
    if n == 0:
        return skip("1", "no network to check", "%.3g" % tol)
    return verdict("1", worst, tol, "%d networks; max relative error %.3g (%s)" % (n, worst, wl))


def claim_rescaling(cases, tol=1e-12, seed=1, bdso_map=None, evaluate=None):
    """Claim 2: per-neuron rescaling (w, b, v) -> (a w, a b, v / a), a > 0, leaves f and (beta, mu, s) unchanged,
    and the inverse map with random hidden scales gives back the same f. cases: dicts (theta, x[, has_c])."""
    bdso_map = bdso_map or T.to_bdso
    evaluate = evaluate or T.nn_eval
    rng = np.random.default_rng(seed)
    worst, n = 0.0, 0
    for c in cases:
        theta = np.asarray(c["theta"], float)
        hc = c.get("has_c")
        hc = (theta.size % 3 == 1) if hc is None else bool(hc)
        w, b, v, cc = T.split_theta(theta, hc)
        a = np.exp(rng.uniform(math.log(0.1), math.log(10.0), w.size))
        th2 = T.join_theta(a * w, a * b, v / a, cc if hc else None)
        beta, mu, s, _ = bdso_map(theta, hc)
        beta2, mu2, s2, _ = bdso_map(th2, hc)
        xs = eval_points(c["x"], beta)
        scale = max(float(np.max(T.nn_term_magnitude(theta, xs, hc))), 1e-300)
        ef = float(np.max(np.abs(evaluate(theta, xs, hc) - evaluate(th2, xs, hc)))) / scale
        ok = np.isfinite(beta)
        eb = float(np.max(np.abs(beta[ok] - beta2[ok]) / np.maximum(1.0, np.abs(beta[ok])))) if ok.any() else 0.0
        em = float(np.max(np.abs(mu - mu2)) / max(np.max(np.abs(mu)), 1e-300)) if mu.size else 0.0
        es = 0.0 if np.array_equal(s, s2) else 1.0
        # inverse map with random hidden scales: same function
        th3 = T.from_bdso(beta, mu, s, cc if hc else None, scale=np.exp(rng.uniform(-2, 2, w.size)))
        ei = float(np.max(np.abs(evaluate(theta, xs, hc) - evaluate(th3, xs, hc)))) / scale
        worst = max(worst, ef, eb, em, es, ei)
        n += 1
    if n == 0:
        return skip("2", "no network to check", "%.3g" % tol)
    return verdict("2", worst, tol, "%d networks rescaled by a_i in [0.1, 10] and rebuilt from (beta, mu, s) with random hidden scales; max relative change of f, beta, mu: %.3g" % (n, worst))


def slope_jump_errors(theta, beta, mu, s, has_c=None, round_budget=1e-10):
    """For every isolated breakpoint (group of coincident ones), the jump of the numerical slope of f_theta
    (one-sided differences at +-h, +-2h) minus the summed mu of the group, relative to max|mu|. Breakpoints for
    which the rounding error of the differences (4 eps sum|terms| / h) would exceed round_budget max|mu| are
    not tested. Returns (errors, number tested)."""
    beta = np.asarray(beta, float)
    mu = np.asarray(mu, float)
    ok = (np.asarray(s) != 0) & np.isfinite(beta)
    if not ok.any():
        return np.zeros(0), 0
    b = beta[ok]
    m = mu[ok]
    order = np.argsort(b, kind="stable")
    b, m = b[order], m[order]
    mmax = max(float(np.max(np.abs(mu))), 1e-300)
    # group coincident breakpoints
    groups = []
    i = 0
    while i < b.size:
        j = i + 1
        while j < b.size and abs(b[j] - b[i]) <= 1e-12 * max(1.0, abs(b[i])):
            j += 1
        groups.append((b[i], float(np.sum(m[i:j])), b[j - 1]))
        i = j
    centers = np.array([g[0] for g in groups])
    errs = []
    for k, (b0, msum, b1) in enumerate(groups):
        left = b0 - centers[k - 1] if k > 0 else np.inf
        right = centers[k + 1] - b1 if k + 1 < len(groups) else np.inf
        gap = min(left, right)
        h = min(gap / 4.0, 1e-2 * max(1.0, abs(b0)))
        if not h > 0:
            continue
        xs = np.array([b0 - 2 * h, b0 - h, b1 + h, b1 + 2 * h])
        mag = float(np.max(T.nn_term_magnitude(theta, xs, has_c)))
        if 4 * EPS * mag / h > round_budget * mmax:
            continue
        f = T.nn_eval(theta, xs, has_c)
        jump = (f[3] - f[2]) / h - (f[1] - f[0]) / h
        errs.append(abs(jump - msum) / mmax)
    return np.asarray(errs), len(errs)


def claim_slope_jumps(cases, tol=1e-8):
    """Claim 3. cases: dicts (theta, beta, mu, s[, has_c, label]): the slope of f_theta jumps by mu_i at beta_i."""
    worst, ntest, nnet = 0.0, 0, 0
    for c in cases:
        e, k = slope_jump_errors(c["theta"], c["beta"], c["mu"], c["s"], c.get("has_c"))
        nnet += 1
        ntest += k
        if k:
            worst = max(worst, float(e.max()))
    if ntest == 0:
        return skip("3", "no breakpoint isolated enough for a rounding-safe finite difference", "%.3g" % tol)
    return verdict("3", worst, tol, "%d breakpoint groups in %d networks; max |jump - mu| / max|mu| = %.3g (tolerance: %.0e)" % (ntest, nnet, worst, tol))


def claim_breakpoint_law(groups, min_n=100000, pmin=0.01):
    """Claim 4. groups: list of dicts (label, samples = pooled initial breakpoints of independent neurons,
    lw, lb = laws of w and b). KS test against the closed-form law; groups with fewer than min_n samples SKIP."""
    return _claim_law("4", groups, min_n, pmin, lambda g: (lambda t: T.breakpoint_cdf(t, g["lw"], g["lb"])),
                      lambda g: T.breakpoint_law_name(g["lw"], g["lb"]), degenerate=lambda g: g["lb"].kind == "zero")


def claim_delta_slope_law(groups, min_n=100000, pmin=0.01):
    """Claim 5. groups: dicts (label, samples = pooled initial mu, lw, lv)."""
    return _claim_law("5", groups, min_n, pmin, lambda g: (lambda t: T.delta_slope_cdf(t, g["lw"], g["lv"])),
                      lambda g: T.delta_slope_law_name(g["lw"], g["lv"]), degenerate=lambda g: False)


def _claim_law(cid, groups, min_n, pmin, cdf_of, name_of, degenerate):
    tested, notes, pmins, ok = 0, [], [], True
    small = []
    for g in groups:
        x = np.asarray(g["samples"], float)
        x = x[np.isfinite(x)]
        if degenerate(g):
            # zero bias: every breakpoint at 0 exactly
            good = bool(np.all(x == 0))
            tested += 1
            ok &= good
            notes.append("%s: zero bias, all %d breakpoints at 0: %s" % (g["label"], x.size, "yes" if good else "NO"))
            continue
        if x.size < min_n:
            small.append("%s (%d)" % (g["label"], x.size))
            continue
        D, p = T.ks_test(x, cdf_of(g))
        tested += 1
        pmins.append(p)
        ok &= p > pmin
        notes.append("%s: n=%d vs %s: D=%.4g p=%.3g" % (g["label"], x.size, name_of(g), D, p))
    tol = "p > %g, n >= %d" % (pmin, min_n)
    if tested == 0:
        why = "fewer than %d independent neurons per scheme/width group: %s" % (
            min_n, (", ".join(small[:6]) + (" ... (%d groups)" % len(small) if len(small) > 6 else "")) or "no group")
        return ClaimResult(cid, SKIP, None, tol, why)
    detail = "; ".join(notes)
    if small:
        detail += "; %d groups skipped (too few neurons): %s" % (len(small), ", ".join(small[:4]) + (" ..." if len(small) > 4 else ""))
    return ClaimResult(cid, PASS if ok else FAIL, min(pmins) if pmins else None, tol, detail)


def claim_roughness(groups, nsigma=5.0, rtol_consistency=1e-10):
    """Claim 6. groups: dicts (label, quantity, observed = array over independent networks, mean, sd = expected
    per-network mean and standard deviation). PASS when every |mean(observed) - mean| <= nsigma sd / sqrt(n)."""
    rows = []
    for g in groups:
        obs = np.asarray(g["observed"], float)
        obs = obs[np.isfinite(obs)]
        if obs.size == 0:
            continue
        se = g["sd"] / math.sqrt(obs.size)
        dev = abs(obs.mean() - g["mean"])
        z = dev / se if se > 0 else (0.0 if dev <= rtol_consistency * max(abs(g["mean"]), 1e-300) else np.inf)
        rows.append((z, "%s %s: mean %.4g vs %.4g (z = %.2f, n = %d)" % (g["label"], g["quantity"], obs.mean(), g["mean"], z, obs.size)))
    if not rows:
        return skip("6", "no initial roughness to compare")
    rows.sort(key=lambda r: -r[0])
    worst = rows[0][0]
    bad = [r[1] for r in rows if not r[0] <= nsigma]
    shown = bad[:6] if bad else [r[1] for r in rows[:3]]
    return ClaimResult("6", PASS if not bad else FAIL, worst, "|z| <= %g standard errors" % nsigma,
                       "%d (group, quantity) comparisons of seed means with the closed forms, max |z| = %.2f; %s: %s" % (
                           len(rows), worst, "violations" if bad else "largest deviations", "; ".join(shown)))


# --- claim 7 ------------------------------------------------------------------------------------------------

def _fd_jacobian(fun, p, h_rel=1e-5, pattern=None):
    """Fourth-order central differences (-f(p+2h) + 8 f(p+h) - 8 f(p-h) + f(p-2h)) / 12h of a vector function;
    columns whose activation pattern changes within +-2h are NaN (the loss is not differentiable across a kink).
    Fourth order: at an interpolating minimum the gradient's scale is O(|r|), so the O(h^2) truncation error of
    the plain central difference would dominate the comparison; here it is O(h^4) and rounding O(eps |f| / h)."""
    p = np.asarray(p, float)
    f0 = fun(p)
    out = np.empty((np.size(f0), p.size))
    for j in range(p.size):
        h = h_rel * max(1.0, abs(p[j]))
        e = np.zeros_like(p)
        e[j] = h
        if pattern is not None:
            p0 = pattern(p)
            if any(not np.array_equal(pattern(p + k * e), p0) for k in (-2, -1, 1, 2)):
                out[:, j] = np.nan
                continue
        out[:, j] = (-np.asarray(fun(p + 2 * e)) + 8 * np.asarray(fun(p + e)) - 8 * np.asarray(fun(p - e))
                     + np.asarray(fun(p - 2 * e))) / (12 * h)
    return out


def fd_errors(theta, x, y, loss="sum", has_c=None, grad=None, hess=None, bgrad=None, bhess=None):
    """Relative errors (max-norm) of the analytic gradient and Hessian against central differences, in NN and
    BDSO coordinates. The analytic functions can be replaced (to test the check). Returns a dict."""
    theta = np.asarray(theta, float)
    hc = theta.size % 3 == 1 if has_c is None else has_c
    grad = grad or (lambda th: T.nn_gradient(th, x, y, loss, hc))
    hess = hess or (lambda th: T.nn_hessian(th, x, y, loss, "full", hc))
    lossf = lambda th: np.array([T.loss_value(th, x, y, loss, hc)])
    pat = lambda th: (np.outer(np.asarray(x, float), T.split_theta(th, hc)[0]) + T.split_theta(th, hc)[1] > 0)
    g = grad(theta)
    gfd = _fd_jacobian(lossf, theta, pattern=pat)[0]
    Hm = hess(theta)
    Hfd = _fd_jacobian(grad, theta, pattern=pat)
    Hfd = 0.5 * (Hfd + Hfd.T)
    out = {}
    # gradient errors relative to the magnitude of its terms, scale sum_n |r_n| |J_np| (near a critical point the
    # sum cancels and the finite differences keep a rounding error ~ eps l / h; far from it this is max|g|)
    ok = np.isfinite(gfd)
    sc = T.loss_scale(loss, len(x))
    G = sc * (np.abs(T.nn_jacobian(theta, x, hc)).T @ np.abs(T.residual(theta, x, y, hc)))
    # the rounding error of the differences of the loss itself, ~ eps |l| / h (h >= 1e-5): an absolute floor, which
    # matters where both g and its term scale G vanish (e.g. a stationary point whose nonzero residuals lie where
    # every neuron is inactive: g ~ 1e-10, the differences ~ 1e-12)
    floor = 100 * np.finfo(float).eps * abs(float(lossf(theta)[0])) / 1e-5
    out["nn_grad"] = float(max(0.0, np.max(np.abs(g[ok] - gfd[ok])) - floor) / max(np.max(np.abs(g)), np.max(G), 1e-300)) if ok.any() else 0.0
    ok = np.isfinite(Hfd)
    out["nn_hess"] = float(np.max(np.abs(Hm[ok] - Hfd[ok])) / max(np.max(np.abs(Hm)), 1e-300)) if ok.any() else 0.0
    out["nn_skipped"] = int(np.sum(~np.isfinite(gfd)))
    # BDSO coordinates (orientations fixed)
    beta, mu, s, c = T.to_bdso(theta, hc)
    H = mu.size

    def unpack(phi):
        return phi[0:2 * H:2], phi[1:2 * H:2], (phi[2 * H] if hc else 0.0)
    phi = T.phi_from(beta, mu, c if hc else None)
    fl = s == 0
    phi = np.where(np.isnan(phi), 0.0, phi)
    bgrad = bgrad or (lambda ph: T.bdso_gradient(unpack(ph)[0], unpack(ph)[1], s, x, y, loss, unpack(ph)[2], hc))
    bhess = bhess or (lambda ph: T.bdso_hessian(unpack(ph)[0], unpack(ph)[1], s, x, y, loss, "full", unpack(ph)[2], hc))
    blossf = lambda ph: np.array([0.5 * T.loss_scale(loss, len(x)) * float(np.sum(T.bdso_residual(unpack(ph)[0], unpack(ph)[1], s, x, y, unpack(ph)[2]) ** 2))])
    bpat = lambda ph: (s[None, :] * (np.asarray(x, float)[:, None] - np.where(fl, 0.0, unpack(ph)[0])[None, :]) > 0)
    gb = bgrad(phi)
    gbfd = _fd_jacobian(blossf, phi, pattern=bpat)[0]
    Hb = bhess(phi)
    Hbfd = _fd_jacobian(bgrad, phi, pattern=bpat)
    Hbfd = 0.5 * (Hbfd + Hbfd.T)
    ok = np.isfinite(gbfd)
    bb, mm, cc = unpack(phi)
    Gb = sc * (np.abs(T.bdso_jacobian(bb, mm, s, x, hc)).T @ np.abs(T.bdso_residual(bb, mm, s, x, y, cc)))
    floor = 100 * np.finfo(float).eps * abs(float(blossf(phi)[0])) / 1e-5
    out["bdso_grad"] = float(max(0.0, np.max(np.abs(gb[ok] - gbfd[ok])) - floor) / max(np.max(np.abs(gb)), np.max(Gb), 1e-300)) if ok.any() else 0.0
    ok = np.isfinite(Hbfd)
    out["bdso_hess"] = float(np.max(np.abs(Hb[ok] - Hbfd[ok])) / max(np.max(np.abs(Hb)), 1e-300)) if ok.any() else 0.0
    # the parts add up and the residual blocks have eigenvalues +-sqrt(a^2 + d^2), 0
    parts = T.nn_hessian(theta, x, y, loss, "gauss_newton", hc) + T.nn_hessian(theta, x, y, loss, "residual", hc)
    out["nn_parts"] = float(np.max(np.abs(parts - Hm)) / max(np.max(np.abs(Hm)), 1e-300))
    return out


def claim_finite_differences(cases, tol=1e-6, **overrides):
    """Claim 7. cases: dicts (theta, x, y[, loss, has_c, label])."""
    worst, wl, n, names = 0.0, "", 0, {}
    for c in cases:
        e = fd_errors(c["theta"], c["x"], c["y"], c.get("loss", "sum"), c.get("has_c"), **overrides)
        n += 1
        for k in ("nn_grad", "nn_hess", "bdso_grad", "bdso_hess", "nn_parts"):
            names[k] = max(names.get(k, 0.0), e[k])
            if e[k] > worst:
                worst, wl = e[k], "%s %s" % (c.get("label", ""), k)
    if n == 0:
        return skip("7", "no small network stored", "%.3g" % tol)
    det = "%d networks; max relative errors: %s" % (n, ", ".join("%s %.2g" % kv for kv in names.items()))
    if wl:
        det += " (worst: %s)" % wl
    return verdict("7", worst, tol, det)


# --- claim 8 ------------------------------------------------------------------------------------------------

def _count_failures(records):
    """Claim 8 on the stored counts of records (see claim_eigen_bounds): (fails, notes, labels whose stored
    check_zero flag disagrees, number of n_neg bounds checked, number of zero counts checked)."""
    fails, notes, n_neg_checks, n_zero_checks = [], [], 0, 0
    flag_mismatch = []
    for r in records:
        if r.get("n_neg") is None or r["n_neg"] < 0:
            continue
        lab = "%s %s/%s/%s" % (r.get("label", ""), r.get("stage", ""), r.get("coords", ""), r.get("part", ""))
        if r.get("part", "full") == "full":
            n_neg_checks += 1
            okn = r["n_neg"] <= r["n_bound"] <= r["H"]
            if not okn:
                fails.append("%s: n_neg %d, n_bound %d, H %d" % (lab, r["n_neg"], r["n_bound"], r["H"]))
            if r.get("check_neg") is not None and r["check_neg"] >= 0 and bool(r["check_neg"]) != bool(r["n_neg"] <= r["n_bound"]):
                fails.append("%s: stored check_neg %d disagrees with the stored counts" % (lab, r["check_neg"]))
        if r.get("interpolating") and r.get("part", "full") in ("full", "gauss_newton") and r.get("stage", "final") == "final":
            n_zero_checks += 1
            need = r["P"] - T.rank_bound(r["N"], r["H"], r.get("has_c", False))
            nz = r["n_zero"]
            if r.get("part") == "full" and r.get("n_zero_weyl") is not None:
                nz = r["n_zero_weyl"]
                if r["n_zero"] < need:
                    notes.append("%s: %d zero eigenvalues at zero_tol, %d within zero_tol + ||R||" % (lab, r["n_zero"], nz))
            if nz < need:
                fails.append("%s: n_zero %d < P - rank bound = %d" % (lab, nz, need))
            # The program's check_zero counts |lambda| <= zero_tol + ||R|| for the full Hessian (Weyl), n_zero
            # for the Gauss-Newton part. Without a Weyl count here, the full part's flag can only be refuted
            # when it says 0 although even the plain n_zero meets the bound (the Weyl count is >= n_zero).
            cz = r.get("check_zero")
            if cz is not None and cz >= 0:
                if r.get("part") == "full" and r.get("n_zero_weyl") is None:
                    if cz == 0 and r["n_zero"] >= need:
                        flag_mismatch.append(lab)
                elif bool(cz) != bool(nz >= need):
                    flag_mismatch.append(lab)
    return fails, notes, flag_mismatch, n_neg_checks, n_zero_checks


def _recomputation_failures(recomputed, rtol):
    """Claim 8 on dense numpy recomputations (see claim_eigen_bounds): (fails, worst relative difference, number
    of spectra compared)."""
    fails = []
    worst = 0.0
    nrec = 0
    for rc in recomputed:
        a = np.sort(np.asarray(rc["stored_values"], float))
        b = np.sort(np.asarray(rc["numpy_values"], float))
        nrec += 1
        if a.size != b.size:
            fails.append("%s: %d stored vs %d numpy eigenvalues" % (rc["label"], a.size, b.size))
            continue
        scale = max(np.max(np.abs(b)) if b.size else 0.0, rc.get("scale") or 0.0, 1e-300)
        e = float(np.max(np.abs(a - b)) / scale) if a.size else 0.0
        worst = max(worst, e)
        if not e <= rtol:
            fails.append("%s: stored eigenvalues differ from numpy by %.3g relative" % (rc["label"], e))
    return fails, worst, nrec


def claim_eigen_bounds(records, recomputed=None, rtol=1e-10):
    """Claim 8. records: dicts with the stored counts of one spectrum: label, coords, stage, part, n_neg, n_zero,
    n_bound, P, N, H, has_c, interpolating (0/1), check_neg, check_zero (stored flags, may be None), and
    optionally n_zero_weyl: the number of eigenvalues with |lambda| <= zero_tol + ||R||_2 (R the residual term).
    The bound n_neg <= n_bound <= H applies to the full Hessian. The zero count P - min(N, 2H [+1]) applies at
    interpolating minima (r = 0): strictly to the Gauss-Newton part J^T J, and to the full Hessian J^T J + R
    up to the residual term, whose eigenvalues are O(|r|) at a point that interpolates only to the loss
    tolerance (Weyl: |lambda_k(J^T J + R) - lambda_k(J^T J)| <= ||R||_2), hence n_zero_weyl when given.
    recomputed: optional dicts (label, stored_values, numpy_values[, scale]) from a dense numpy recomputation:
    they must agree to rtol * scale (default scale max|lambda|)."""
    fails, notes, flag_mismatch, n_neg_checks, n_zero_checks = _count_failures(records)
    rfails, worst, nrec = _recomputation_failures(recomputed or [], rtol)
    fails += rfails
    for lab in flag_mismatch:
        fails.append("%s: stored check_zero disagrees with the stored n_zero" % lab)
    if n_neg_checks + n_zero_checks + nrec == 0:
        return skip("8", "no Hessian spectrum stored")
    detail = "%d n_neg bounds, %d zero counts at interpolating minima, %d dense spectra recomputed in numpy (max rel. diff %.2g)" % (
        n_neg_checks, n_zero_checks, nrec, worst)
    if notes:
        detail += "; residual term above zero_tol at interpolation: " + "; ".join(notes[:4]) + (" ..." if len(notes) > 4 else "")
    if fails:
        detail += "; FAILURES: " + "; ".join(fails[:6]) + (" ..." if len(fails) > 6 else "")
    return ClaimResult("8", FAIL if fails else PASS, float(len(fails)), "0 violations; spectra to %.0e rel." % rtol, detail)


def claim_q_conservation(drifts, tol, labels=None):
    """Claim 9. drifts: stored q_drift of gradient-flow runs (relative drift)."""
    d = np.asarray(drifts, float)
    if d.size == 0:
        return skip("9", "no gradient-flow run done", "%.3g" % tol)
    bad = ~(d <= tol)
    worst = float(np.nanmax(d)) if np.isfinite(d).any() else float("nan")
    det = "%d runs, max q_drift %.3g, %d above tolerance" % (d.size, worst, int(bad.sum()))
    if bad.any() and labels is not None:
        det += " (e.g. %s)" % ", ".join(str(labels[i]) for i in np.nonzero(bad)[0][:4])
    return ClaimResult("9", FAIL if bad.any() else PASS, worst, "%.3g" % tol, det)


def claim_kernel_regime(groups, slack_abs=0.01, slack_rel=0.05, close_tol=0.02, alpha_big=10.0, alpha_mono=1.0):
    """Claim 10 (docs/theory.md section 6). groups: dicts (label, alphas, dist) with dist = d_ntk, the relative RMS
    distance of the learned f to the empirical-NTK interpolant of the same initial network, of the runs of one
    (width, seed, scheme, data) that reached an end state (symmetric init). PASS when in every group
    - d_ntk is non-increasing in alpha for alpha >= 1 up to the slack: for consecutive 1 <= a_j < a_j+1,
      d(a_j+1) <= d(a_j) + slack_abs + slack_rel d(a_j);
    - the largest alpha is >= alpha_big and d_ntk there is <= close_tol.
    A group without an end-state run at alpha >= alpha_big FAILs (its largest run did not finish); the claim SKIPs
    when no group has any alpha >= alpha_big (the study does not reach the kernel end)."""
    tol = "d_ntk non-increasing for alpha >= %g within %g + %g%% of its value; d_ntk <= %g at the largest alpha (>= %g)" % (
        alpha_mono, slack_abs, 100 * slack_rel, close_tol, alpha_big)
    recs = []
    for g in groups:
        a = np.asarray(g["alphas"], float)
        d = np.asarray(g["dist"], float)
        keep = np.isfinite(d) & np.isfinite(a)
        a, d = a[keep], d[keep]
        if a.size == 0:
            continue
        o = np.argsort(a, kind="stable")
        recs.append((g, a[o], d[o]))
    if not recs or not any(a[-1] >= alpha_big for _, a, _ in recs):
        return skip("10", "needs end-state runs at alpha >= %g (largest alpha: %s)" % (
            alpha_big, ", ".join("%g" % a[-1] for _, a, _ in recs) or "none"), tol)
    ok, worst, notes, worst_excess = True, 0.0, [], -np.inf
    for g, a, d in recs:
        why = []
        big = a >= alpha_mono
        ab, db = a[big], d[big]
        excess = db[1:] - (db[:-1] + slack_abs + slack_rel * db[:-1]) if db.size >= 2 else np.zeros(0)
        if excess.size:
            worst_excess = max(worst_excess, float(np.max(excess)))
        for j in np.nonzero(excess > 0)[0]:
            why.append("rises from %.3g at alpha %g to %.3g at alpha %g (beyond the slack by %.2g)" % (
                db[j], ab[j], db[j + 1], ab[j + 1], excess[j]))
        if a[-1] < alpha_big:
            why.append("largest alpha with an end state is %g < %g" % (a[-1], alpha_big))
        else:
            worst = max(worst, float(d[-1]))
            if not d[-1] <= close_tol:
                why.append("d_ntk %.3g > %g at alpha %g" % (d[-1], close_tol, a[-1]))
        ok &= not why
        if why or len(notes) < 4:
            notes.append("%s: d_ntk %s%s" % (g["label"], ", ".join("a=%g: %.3g" % (ai, di) for ai, di in zip(a, d)),
                                             (" -- " + "; ".join(why)) if why else ""))
    det = "%d groups (relative RMS distance to the NTK interpolant, end-state runs): %s" % (len(recs), "; ".join(notes))
    if np.isfinite(worst_excess):
        det += "; largest rise for alpha >= %g beyond the slack: %.3g (<= 0 passes)" % (alpha_mono, worst_excess)
    return ClaimResult("10", PASS if ok else FAIL, worst, tol, det,
                       data=dict(worst_close=worst, worst_excess=worst_excess))


def alternating_curvature(x, y):
    """True when the discrete curvatures kappa_n (docs/theory.md 5.4) of the data (sorted by x) alternate in sign:
    kappa_n kappa_n+1 < 0 for every 2 <= n <= N-2 (needs N >= 4)."""
    x = np.asarray(x, float)
    o = np.argsort(x, kind="stable")
    x, y = x[o], np.asarray(y, float)[o]
    if x.size < 4:
        return False
    s = np.diff(y) / np.diff(x)
    k = np.diff(s)
    return bool(np.all(k[:-1] * k[1:] < 0))


def _clusters_text(clusters):
    return ", ".join("%.0f%% at %.3g (%s)" % (100 * c["share"], c["center"], "a data point" if c["at_data"] else
                                              "between data points") for c in clusters) or "no kink in range"


def claim_adaptive_regime(ends, groups, alpha_small=0.3, lin_ratio=0.6, shrink=0.6, near_min=0.5, near_gain=2.0):
    """Claim 11 (docs/theory.md section 6), symmetric init.

    ends: one dict per run in scope (label, alpha, state in 'interpolating', 'stationary', or anything else (a
    budget stop or a failure), reason = the stop reason; for a stationary end: loss, clusters (theory.kink_clusters
    of its final kinks), residuals (r_n at the data), dev (largest relative segment sum of
    checks.critical_point_measures: ~0 when the fit is least squares between consecutive kinks), implied).
    groups: one dict per (width, seed, scheme, data): label, alternating (alternating_curvature of its data),
    alpha_min, state_min, d_lin, d_cubic, near (|mu|-weighted kink mass within 0.1 x median spacing of a data point)
    of its run at the smallest alpha; alpha_max, state_max, d_lin_max, near_max of its run at the largest alpha.

    PASS when the smallest alpha is <= alpha_small, every run ends interpolating or stationary, and every
    alternating group whose smallest-alpha run interpolates has d_lin < lin_ratio d_cubic,
    d_lin < shrink d_lin_max, near >= near_min and near >= near_gain near_max (the run at alpha_max at an end
    state). Stationary ends (case (b) of 5.4) are described with their clusters and residuals, never failed.
    Groups of other data are reported with the same numbers and no verdict on linearity."""
    tol = ("every run interpolating or stationary; alternating data, interpolating runs at alpha_min: d_lin < %g d_cubic, "
           "d_lin < %g d_lin(alpha_max), kink mass near data >= %g and >= %g x its value at alpha_max" % (
               lin_ratio, shrink, near_min, near_gain))
    if not ends:
        return skip("11", "no run in scope", tol)
    amin = min(float(e["alpha"]) for e in ends)
    if not amin <= alpha_small:
        return skip("11", "smallest alpha %g > %g: no adaptive end in this study" % (amin, alpha_small), tol)
    ok = True
    parts = []
    n_int = sum(e["state"] == "interpolating" for e in ends)
    stat = [e for e in ends if e["state"] == "stationary"]
    other = [e for e in ends if e["state"] not in ("interpolating", "stationary")]
    parts.append("end states of %d runs: %d interpolating, %d stationary, %d neither" % (len(ends), n_int, len(stat), len(other)))
    if other:
        ok = False
        parts.append("NOT AT AN END STATE: " + "; ".join("%s (%s)" % (e["label"], e.get("reason", "?")) for e in other[:6]))
    for e in stat[:6]:
        r = np.asarray(e.get("residuals", []), float)
        parts.append("case (b) spurious stationary point, %s: loss %.3g, kink clusters %s; piecewise least squares "
                     "(largest relative segment sum %.2g%s), residuals r_n = [%s]" % (
                         e["label"], e["loss"], _clusters_text(e.get("clusters", [])), e.get("dev", float("nan")),
                         "" if e.get("implied", True) else ", not implied by the active sets",
                         " ".join("%+.3f" % v for v in r)))
    if len(stat) > 6:
        parts.append("... %d more stationary runs" % (len(stat) - 6))
    worst = None
    n_alt = n_judged = 0
    for g in groups:
        num = ("%s at alpha_min %g (%s): d_lin %.3g, d_cubic %.3g (ratio %.2f), kink mass near data %.2f; at alpha_max %g (%s): "
               "d_lin %.3g (ratio %.2f), kink mass near data %.2f" % (
                   g["label"], g["alpha_min"], g["state_min"], g["d_lin"], g["d_cubic"], g["d_lin"] / g["d_cubic"] if g["d_cubic"] else np.inf,
                   g["near"], g["alpha_max"], g["state_max"], g["d_lin_max"],
                   g["d_lin"] / g["d_lin_max"] if g["d_lin_max"] else np.inf, g["near_max"]))
        if not g["alternating"]:
            parts.append(num + " [data curvature does not alternate: no verdict on linearity]")
            continue
        n_alt += 1
        if g["state_min"] != "interpolating":
            parts.append(num + " [not interpolating at alpha_min: case (b), no verdict on linearity]")
            continue
        n_judged += 1
        why = []
        vals = [g["d_lin"], g["d_cubic"], g["near"]]
        if g["state_max"] not in ("interpolating", "stationary"):
            why.append("the run at alpha_max did not reach an end state")
        elif not all(np.isfinite(vals + [g["d_lin_max"], g["near_max"]])):
            why.append("not computable")
        else:
            if not g["d_lin"] < lin_ratio * g["d_cubic"]:
                why.append("d_lin >= %g d_cubic" % lin_ratio)
            if not g["d_lin"] < shrink * g["d_lin_max"]:
                why.append("d_lin >= %g d_lin(alpha_max)" % shrink)
            if not g["near"] >= near_min:
                why.append("kink mass near data < %g" % near_min)
            if not g["near"] >= near_gain * g["near_max"]:
                why.append("kink mass near data < %g x its value at alpha_max" % near_gain)
            ratio = g["d_lin"] / g["d_cubic"] if g["d_cubic"] > 0 else np.inf
            worst = ratio if worst is None else max(worst, ratio)
        ok &= not why
        parts.append(num + (" -- FAIL: " + "; ".join(why) if why else " -- PASS"))
    parts.insert(1, "%d groups, %d on alternating-curvature data, %d judged (interpolating at alpha_min)" % (len(groups), n_alt, n_judged))
    return ClaimResult("11", PASS if ok else FAIL, worst, tol, "; ".join(parts),
                       data=dict(n_stationary=len(stat), n_other=len(other), n_judged=n_judged))


# --- critical points (docs/theory.md section 4) -------------------------------------------------------------------

def critical_point_measures(theta, x, y, loss="sum", has_c=None, knot_tol=1e-12):
    """How stationary an end state is, and whether its fit is least squares on each data segment.

    grad_rel: max |gradient| / max_p sum_n |J_np| |r_n| (the gradient relative to the size of its terms);
    rmax_rel: max |r_n| / max |y_n|. At a critical point every neuron with mu_i != 0 has sum_{A_i} r_n = 0 and
    sum_{A_i} r_n x_n = 0 over its active set (and sum_n r_n = 0 with an output bias). Between consecutive live
    breakpoints f is one line, and it is the least-squares line of the data there exactly when the segment sums
    sum_seg r_n and sum_seg r_n x_n vanish. They follow from the per-neuron conditions when the active sets (as
    unions of segments, plus the whole data set with c) span every segment that holds data: `implied`; otherwise
    the critical point needs not be piecewise least squares (e.g. two mirrored pairs of neurons without c leave a
    one-parameter family of segment sums). dev: max over data segments of the larger |segment sum|, relative to
    sum_n |r_n| (1 + |x_n|). on_knot: a data point sits on a live breakpoint (a non-smooth critical point)."""
    theta = np.asarray(theta, float)
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    hc = theta.size % 3 == 1 if has_c is None else bool(has_c)
    r = T.residual(theta, x, y, hc)
    sc = T.loss_scale(loss, x.size)
    g = T.nn_gradient(theta, x, y, loss, hc)
    G = sc * (np.abs(T.nn_jacobian(theta, x, hc)).T @ np.abs(r))
    out = dict(grad_rel=float(np.max(np.abs(g)) / max(float(np.max(G)), 1e-300)),
               rmax_rel=float(np.max(np.abs(r)) / max(float(np.max(np.abs(y))), 1e-300)))
    beta, mu, s, c = T.to_bdso(theta, hc)
    live = np.isfinite(beta) & (mu != 0)
    knots = np.unique(beta[live])
    out["on_knot"] = bool(knots.size and np.any(np.min(np.abs(x[:, None] - knots[None, :]), axis=1) <= knot_tol * (1 + np.abs(x))))
    seg = np.searchsorted(knots, x)  # segment k lies between knots[k-1] and knots[k]
    data_segs = np.unique(seg)
    nseg = knots.size + 1
    rows = []
    for i in np.nonzero(live)[0]:
        j = int(np.searchsorted(knots, beta[i]))  # knots[j] == beta[i]
        row = np.zeros(nseg)
        if s[i] > 0:
            row[j + 1:] = 1.0  # active right of the knot
        else:
            row[: j + 1] = 1.0
        rows.append(row)
    if hc:
        rows.append(np.ones(nseg))
    M = np.array(rows)[:, data_segs] if rows else np.zeros((0, data_segs.size))
    out["implied"] = bool(M.size and np.linalg.matrix_rank(M) == data_segs.size)
    scale = max(float(np.sum(np.abs(r) * (1 + np.abs(x)))), 1e-300)
    dev = 0.0
    for k in data_segs:
        m = seg == k
        dev = max(dev, abs(float(np.sum(r[m]))), abs(float(np.sum(r[m] * x[m]))))
    out["dev"] = dev / scale
    out["nseg"] = int(data_segs.size)
    return out


def claim_critical_points(records, stat_tol=1e-7, tol=1e-6):
    """Check CP. records: dicts (label, interpolating, grad_rel, rmax_rel, implied, dev, on_knot, optional
    stationary = stop_reason stationary) of the end states of trained runs. Stationary: grad_rel <= stat_tol.
    Every stationary, non-interpolating, smooth (no data point on a breakpoint) end state whose active sets imply
    it must be piecewise least squares (dev <= tol); the others are counted and described, not judged."""
    if not records:
        return skip("CP", "no trained run")
    interp = [r for r in records if r["interpolating"]]
    stat = [r for r in records if not r["interpolating"] and r["grad_rel"] <= stat_tol]
    moving = [r for r in records if not r["interpolating"] and not r["grad_rel"] <= stat_tol]
    # runs the trainer stopped as stationary (stop_reason, -sl_train_grad_rtol: relative to the initial gradient)
    # are judged when their end state is a critical point at this claim's own tolerance, and counted either way
    stopped = [r for r in records if r.get("stationary")]
    stopped_loose = [r for r in stopped if not r["grad_rel"] <= stat_tol]
    judged = [r for r in stat if r["implied"] and not r["on_knot"]]
    free = [r for r in stat if not r["implied"] and not r["on_knot"]]
    kink = [r for r in stat if r["on_knot"]]
    bad = [r for r in judged if not r["dev"] <= tol]
    worst = max([r["dev"] for r in judged], default=0.0)
    det = ("%d trained end states: %d interpolating, %d stationary without interpolating (grad_rel <= %g), %d still "
           "moving. Of the stationary ones: %d piecewise least squares implied by the active sets (max segment "
           "deviation %.2g)" % (len(records), len(interp), len(stat), stat_tol, len(moving), len(judged), worst))
    if free:
        det += "; %d where the active sets leave the segment sums free (max deviation %.2g, e.g. %s)" % (
            len(free), max(r["dev"] for r in free), free[0]["label"])
    if kink:
        det += "; %d non-smooth (a data point on a breakpoint)" % len(kink)
    if stopped:
        det += "; %d stopped stationary by the trainer, %d of them with grad_rel above %g (max %.2g)" % (
            len(stopped), len(stopped_loose), stat_tol, max([r["grad_rel"] for r in stopped_loose], default=0.0))
    if bad:
        det += "; FAILURES: " + "; ".join("%s: deviation %.2g" % (r["label"], r["dev"]) for r in bad[:4])
    if not judged:
        return ClaimResult("CP", SKIP, None, "segment sums <= %g" % tol, det + "; nothing to judge")
    return ClaimResult("CP", FAIL if bad else PASS, worst, "segment sums <= %g (relative)" % tol, det)


def claim_exact_counts(records, rtol=1e-10):
    """Claim 12. records: dicts (label, values = all eigenvalues from a dense solver (stored or numpy),
    zero_tol, n_neg, n_zero, n_pos = stored inertia counts, hist_edges, hist_counts = stored exact histogram).
    Eigenvalues within rtol * max|lambda| of a threshold or bin edge are ambiguous and may go either way."""
    fails, n = [], 0
    for r in records:
        v = np.sort(np.asarray(r["values"], float))
        if v.size == 0:
            continue
        scale = max(float(np.max(np.abs(v))), r.get("scale") or 0.0, 1e-300)
        amb = rtol * scale
        n += 1
        zt = r["zero_tol"]
        lo = T.spectrum_counts(v, zt + amb)
        hi = T.spectrum_counts(v, max(zt - amb, 0.0))
        # n_neg in [lo[0], hi[0]], n_zero in [hi[1], lo[1]], n_pos in [lo[2], hi[2]]
        if r.get("n_neg") is not None and r["n_neg"] >= 0:
            if not (lo[0] <= r["n_neg"] <= hi[0] and hi[1] <= r["n_zero"] <= lo[1] and lo[2] <= r["n_pos"] <= hi[2]):
                fails.append("%s: stored (neg, zero, pos) = (%d, %d, %d), dense %s" % (r["label"], r["n_neg"], r["n_zero"], r["n_pos"], hi))
        e = r.get("hist_edges")
        c = r.get("hist_counts")
        if e is not None and c is not None and len(c) > 0 and len(e) == len(c) + 1:
            e = np.asarray(e, float)
            c = np.asarray(c, np.int64)
            # count in [e_k, e_k+1) with every eigenvalue within amb of an edge allowed on either side
            cum_lo = np.searchsorted(v, e - amb, side="left")   # strictly below e - amb
            cum_hi = np.searchsorted(v, e + amb, side="left")
            stored_cum = np.concatenate([[None], np.cumsum(c)])  # counts below each edge relative to e_0
            base_lo, base_hi = cum_lo[0], cum_hi[0]
            bad = False
            for k in range(1, len(e)):
                # eigenvalues in [e_0, e_k): between cum_lo[k] - base_hi and cum_hi[k] - base_lo
                s = stored_cum[k]
                if not (cum_lo[k] - base_hi <= s <= cum_hi[k] - base_lo):
                    bad = True
                    break
            tot_ok = v.size >= int(c.sum())
            if bad or not tot_ok:
                fails.append("%s: stored histogram %s disagrees with dense eigenvalues %s" % (
                    r["label"], list(c), list(np.histogram(v, e)[0])))
    if n == 0:
        return skip("12", "no spectrum with both inertia counts and a dense solution")
    det = "%d spectra: stored inertia counts and exact histograms vs dense eigenvalues" % n
    if fails:
        det += "; FAILURES: " + "; ".join(fails[:4]) + (" ..." if len(fails) > 4 else "")
    return ClaimResult("12", FAIL if fails else PASS, float(len(fails)), "exact (ambiguity %.0e max|lambda|)" % rtol, det)


def claim_consistency(cid, comparisons, rtol=1e-10):
    """C1..C5: comparisons = list of (label, stored, recomputed, scale or None); relative error |a - b| / scale
    (scale default max(|b|, tiny)); NaN in both places agrees."""
    worst, wl, n = 0.0, "", 0
    for lab, a, b, scale in comparisons:
        a = np.atleast_1d(np.asarray(a, float))
        b = np.atleast_1d(np.asarray(b, float))
        if a.shape != b.shape:
            worst, wl = np.inf, "%s: shapes %s vs %s" % (lab, a.shape, b.shape)
            n += 1
            continue
        both_nan = np.isnan(a) & np.isnan(b)
        k = ~both_nan
        n += 1
        if not k.any():
            continue
        if np.any(np.isnan(a[k]) | np.isnan(b[k])):
            worst, wl = np.inf, lab + " (NaN mismatch)"
            continue
        sc = scale if scale is not None else max(float(np.max(np.abs(b[k]))), 1e-300)
        e = float(np.max(np.abs(a[k] - b[k]))) / sc
        if e > worst:
            worst, wl = e, lab
    if n == 0:
        return skip(cid, "nothing to compare")
    return verdict(cid, worst, rtol, "%d comparisons, max relative difference %.3g%s" % (n, worst, (" (" + wl + ")") if wl else ""))
