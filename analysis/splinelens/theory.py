"""Numpy versions of the formulas of docs/theory.md, independent of the C program.

Everything here is a pure function of arrays, so the analysis can recompute what the program stores (loss,
spline view, Jacobians, Hessians and their spectra, roughness) and the closed-form laws of initialization.

Conventions (include/splinelens/sys.h): theta is neuron-major (w_1, b_1, v_1, w_2, ...), output bias c last;
the BDSO parameters are phi = (beta_1, mu_1, beta_2, mu_2, ...), c last; orientations s_i = sign(w_i) are fixed.
Loss: l = scale/2 sum r_n^2 with scale = 1 ("sum") or 1/N ("mean").
"""
import math

import numpy as np
from scipy import special, stats

# ----------------------------------------------------------------------------------------------------------
# Section 1-2: the network and its spline view
# ----------------------------------------------------------------------------------------------------------


def split_theta(theta, has_c=None):
    """(w, b, v, c) from a parameter vector; has_c is inferred from the length when None."""
    theta = np.asarray(theta, dtype=float)
    P = theta.size
    if has_c is None:
        has_c = P % 3 == 1
    H = (P - 1) // 3 if has_c else P // 3
    if 3 * H + (1 if has_c else 0) != P:
        raise ValueError("parameter vector of length %d does not match has_c=%s" % (P, has_c))
    t = theta[: 3 * H].reshape(H, 3)
    c = float(theta[3 * H]) if has_c else 0.0
    return t[:, 0], t[:, 1], t[:, 2], c


def join_theta(w, b, v, c=None):
    t = np.stack([np.asarray(w, float), np.asarray(b, float), np.asarray(v, float)], axis=1).ravel()
    if c is not None:
        t = np.concatenate([t, [float(c)]])
    return t


def loss_scale(loss, N):
    return 1.0 / N if loss == "mean" else 1.0


def nn_eval(theta, x, has_c=None):
    """f(x) = sum_i v_i (w_i x + b_i)_+ [+ c]."""
    w, b, v, c = split_theta(theta, has_c)
    x = np.asarray(x, float)
    z = np.outer(x, w) + b  # (n, H)
    return np.maximum(z, 0.0) @ v + c


def nn_term_magnitude(theta, x, has_c=None):
    """sum_i |v_i (w_i x + b_i)_+| + |c|: the scale of the rounding error of f(x)."""
    w, b, v, c = split_theta(theta, has_c)
    z = np.outer(np.asarray(x, float), w) + b
    return np.maximum(z, 0.0) @ np.abs(v) + abs(c)


def to_bdso(theta, has_c=None):
    """(beta, mu, s, c) as spline.h defines them; flat neurons (w = 0): beta NaN, s 0, mu = v (b)_+."""
    w, b, v, c = split_theta(theta, has_c)
    flat = w == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = np.where(flat, np.nan, -b / np.where(flat, 1.0, w))
    mu = np.where(flat, v * np.maximum(b, 0.0), v * np.abs(w))
    s = np.where(flat, 0, np.where(w > 0, 1, -1)).astype(np.int64)
    return beta, mu, s, c


def from_bdso(beta, mu, s, c=None, scale=None):
    """Inverse map with hidden scales c_i > 0: w = s c, b = -s c beta, v = mu / c (flat: w 0, b c, v mu / c)."""
    beta = np.asarray(beta, float)
    mu = np.asarray(mu, float)
    s = np.asarray(s)
    sc = np.ones_like(mu) if scale is None else np.asarray(scale, float)
    flat = s == 0
    w = np.where(flat, 0.0, s * sc)
    b = np.where(flat, sc, -s * sc * np.where(flat, 0.0, beta))
    v = mu / sc
    return join_theta(w, b, v, c)


def bdso_eval(beta, mu, s, x, c=0.0):
    """f(x) = sum_i mu_i (s_i (x - beta_i))_+ + sum_flat mu_i + c."""
    beta = np.asarray(beta, float)
    mu = np.asarray(mu, float)
    s = np.asarray(s)
    x = np.asarray(x, float)
    flat = s == 0
    bb = np.where(flat, 0.0, beta)
    z = np.maximum(s[None, :] * (x[:, None] - bb[None, :]), 0.0)
    z[:, flat] = 1.0
    return z @ mu + c


def bdso_term_magnitude(beta, mu, s, x, c=0.0):
    beta = np.asarray(beta, float)
    s = np.asarray(s)
    flat = s == 0
    bb = np.where(flat, 0.0, beta)
    z = np.maximum(s[None, :] * (np.asarray(x, float)[:, None] - bb[None, :]), 0.0)
    z[:, flat] = 1.0
    return z @ np.abs(mu) + abs(c)


def residual(theta, x, y, has_c=None):
    return nn_eval(theta, x, has_c) - np.asarray(y, float)


def loss_value(theta, x, y, loss="sum", has_c=None):
    r = residual(theta, x, y, has_c)
    return 0.5 * loss_scale(loss, len(r)) * float(r @ r)


# ----------------------------------------------------------------------------------------------------------
# Section 4: Jacobians, gradients, Hessians (NN and BDSO coordinates)
# ----------------------------------------------------------------------------------------------------------


def nn_jacobian(theta, x, has_c=None):
    """N x P Jacobian of (f(x_n))_n: dF/dw = v x 1, dF/db = v 1, dF/dv = (w x + b)_+, dF/dc = 1."""
    w, b, v, c = split_theta(theta, has_c)
    x = np.asarray(x, float)
    H = w.size
    hc = np.asarray(theta).size == 3 * H + 1
    z = np.outer(x, w) + b
    act = (z > 0).astype(float)
    J = np.empty((x.size, 3 * H + (1 if hc else 0)))
    J[:, 0 : 3 * H : 3] = act * v * x[:, None]
    J[:, 1 : 3 * H : 3] = act * v
    J[:, 2 : 3 * H : 3] = np.maximum(z, 0.0)
    if hc:
        J[:, 3 * H] = 1.0
    return J


def nn_gradient(theta, x, y, loss="sum", has_c=None):
    r = residual(theta, x, y, has_c)
    return loss_scale(loss, len(r)) * (nn_jacobian(theta, x, has_c).T @ r)


def nn_residual_blocks(theta, x, y, loss="sum", has_c=None):
    """a_i = scale sum_n r_n x_n 1_ni, d_i = scale sum_n r_n 1_ni."""
    w, b, v, c = split_theta(theta, has_c)
    x = np.asarray(x, float)
    r = residual(theta, x, y, has_c)
    act = (np.outer(x, w) + b > 0).astype(float)
    sc = loss_scale(loss, len(r))
    return sc * (act.T @ (r * x)), sc * (act.T @ r)


def nn_hessian(theta, x, y, loss="sum", part="full", has_c=None):
    """Dense P x P Hessian (or its Gauss-Newton or residual part) in NN coordinates."""
    theta = np.asarray(theta, float)
    P = theta.size
    Hm = np.zeros((P, P))
    sc = loss_scale(loss, len(x))
    if part in ("full", "gauss_newton"):
        J = nn_jacobian(theta, x, has_c)
        Hm += sc * (J.T @ J)
    if part in ("full", "residual"):
        a, d = nn_residual_blocks(theta, x, y, loss, has_c)
        i = np.arange(a.size)
        Hm[3 * i + 2, 3 * i] += a
        Hm[3 * i, 3 * i + 2] += a
        Hm[3 * i + 2, 3 * i + 1] += d
        Hm[3 * i + 1, 3 * i + 2] += d
    return Hm


def bdso_jacobian(beta, mu, s, x, has_c=False):
    """N x (2H [+1]) Jacobian: dF/dbeta = -s mu 1, dF/dmu = (s (x - beta))_+; flat neurons: 0 and 1."""
    beta = np.asarray(beta, float)
    mu = np.asarray(mu, float)
    s = np.asarray(s)
    x = np.asarray(x, float)
    H = mu.size
    flat = s == 0
    bb = np.where(flat, 0.0, beta)
    z = s[None, :] * (x[:, None] - bb[None, :])
    act = (z > 0).astype(float)
    J = np.empty((x.size, 2 * H + (1 if has_c else 0)))
    J[:, 0 : 2 * H : 2] = np.where(flat[None, :], 0.0, -s[None, :] * mu[None, :] * act)
    J[:, 1 : 2 * H : 2] = np.where(flat[None, :], 1.0, np.maximum(z, 0.0))
    if has_c:
        J[:, 2 * H] = 1.0
    return J


def bdso_residual(beta, mu, s, x, y, c=0.0):
    return bdso_eval(beta, mu, s, x, c) - np.asarray(y, float)


def bdso_gradient(beta, mu, s, x, y, loss="sum", c=0.0, has_c=False):
    r = bdso_residual(beta, mu, s, x, y, c)
    return loss_scale(loss, len(r)) * (bdso_jacobian(beta, mu, s, x, has_c).T @ r)


def bdso_hessian(beta, mu, s, x, y, loss="sum", part="full", c=0.0, has_c=False):
    """Dense Hessian in BDSO coordinates (orientations fixed): scale (J_s^T J_s + R_s)."""
    beta = np.asarray(beta, float)
    mu = np.asarray(mu, float)
    s = np.asarray(s)
    x = np.asarray(x, float)
    H = mu.size
    P = 2 * H + (1 if has_c else 0)
    sc = loss_scale(loss, len(x))
    Hm = np.zeros((P, P))
    if part in ("full", "gauss_newton"):
        J = bdso_jacobian(beta, mu, s, x, has_c)
        Hm += sc * (J.T @ J)
    if part in ("full", "residual"):
        r = bdso_residual(beta, mu, s, x, y, c)
        flat = s == 0
        bb = np.where(flat, 0.0, beta)
        act = (s[None, :] * (x[:, None] - bb[None, :]) > 0).astype(float)
        e = np.where(flat, 0.0, -sc * s * (act.T @ r))
        i = np.arange(H)
        Hm[2 * i, 2 * i + 1] += e
        Hm[2 * i + 1, 2 * i] += e
    return Hm


def hessian(theta, x, y, loss="sum", coords="nn", part="full", has_c=None):
    """Dense Hessian of a network given by its NN parameters theta, in NN or BDSO coordinates (the spline view
    of theta, orientations fixed)."""
    if has_c is None:
        has_c = np.asarray(theta).size % 3 == 1
    if coords == "nn":
        return nn_hessian(theta, x, y, loss, part, has_c)
    beta, mu, s, c = to_bdso(theta, has_c)
    return bdso_hessian(beta, mu, s, x, y, loss, part, c, has_c)


def phi_from(beta, mu, c=None):
    phi = np.stack([np.asarray(beta, float), np.asarray(mu, float)], axis=1).ravel()
    return phi if c is None else np.concatenate([phi, [float(c)]])


def neg_bound(theta, x, y, coords="nn", loss="sum", has_c=None, rtol=0.0):
    """Number of neurons whose residual block is nonzero (|block| > rtol * max |block|): bound on n_neg."""
    if coords == "nn":
        a, d = nn_residual_blocks(theta, x, y, loss, has_c)
        m = np.hypot(a, d)
    else:
        beta, mu, s, c = to_bdso(theta, has_c)
        r = bdso_residual(beta, mu, s, x, y, c)
        flat = s == 0
        act = (s[None, :] * (np.asarray(x)[:, None] - np.where(flat, 0.0, beta)[None, :]) > 0).astype(float)
        m = np.where(flat, 0.0, np.abs(act.T @ r))
    thr = rtol * m.max() if m.size else 0.0
    return int(np.sum(m > thr))


def rank_bound(N, H, has_c):
    """Rank bound of J^T J at an interpolating minimum (both coordinate systems): min(N, 2H + [c])."""
    return min(int(N), 2 * int(H) + (1 if has_c else 0))


def spectrum_counts(values, zero_tol):
    values = np.asarray(values, float)
    return (int(np.sum(values < -zero_tol)), int(np.sum(np.abs(values) <= zero_tol)), int(np.sum(values > zero_tol)))


# ----------------------------------------------------------------------------------------------------------
# Section 3: initialization laws
# ----------------------------------------------------------------------------------------------------------

SCHEMES = ("lecun_normal", "he_normal", "glorot_normal", "lecun_uniform", "he_uniform", "glorot_uniform",
           "torch_default", "gaussian")


class Law:
    """A centred law of one parameter: 'normal' N(0, scale^2), 'uniform' U(-scale, scale) or 'zero'."""

    __slots__ = ("kind", "scale")

    def __init__(self, kind, scale):
        if kind not in ("normal", "uniform", "zero"):
            raise ValueError("unknown law kind %r" % kind)
        self.kind = kind
        self.scale = 0.0 if kind == "zero" else float(scale)

    def __repr__(self):
        return "Law(%s, %.6g)" % (self.kind, self.scale)

    def __eq__(self, o):
        return isinstance(o, Law) and o.kind == self.kind and o.scale == self.scale

    def var(self):
        return {"normal": self.scale ** 2, "uniform": self.scale ** 2 / 3.0, "zero": 0.0}[self.kind]

    def m4(self):
        return {"normal": 3 * self.scale ** 4, "uniform": self.scale ** 4 / 5.0, "zero": 0.0}[self.kind]

    def cdf(self, t):
        t = np.asarray(t, float)
        if self.kind == "zero" or self.scale == 0:
            return (t >= 0).astype(float)
        if self.kind == "normal":
            return special.ndtr(t / self.scale)
        return np.clip((t + self.scale) / (2 * self.scale), 0.0, 1.0)

    def describe(self):
        if self.kind == "zero":
            return "0"
        if self.kind == "normal":
            return "N(0, %.4g^2)" % self.scale
        return "U(-%.4g, %.4g)" % (self.scale, self.scale)


def _bool_opt(val):
    return str(val).strip().lower() not in ("0", "false", "no", "off")


def init_params_from_options(opts):
    """The -sl_init_* settings (init.h) from a parsed options dict (name without '-': value string)."""
    g = lambda k, d: opts.get("sl_init_" + k, d)
    p = {
        "bias": g("bias", "same"),
        "bias_law": g("bias_law", "normal"),
        "bias_scale": float(g("bias_scale", 1.0)),
        "sw": float(g("sw", 1.0)),
        "sb": float(g("sb", 1.0)),
        "sv": float(g("sv", 1.0)),
        "sc": float(g("sc", 1.0)),
        "alpha_in": float(g("alpha_in", 1.0)),
        "alpha_out": float(g("alpha_out", 1.0)),
        "symmetric": _bool_opt(g("symmetric", "0")) if "sl_init_symmetric" in opts else False,
    }
    return p


def init_laws(scheme, H, alpha=1.0, params=None):
    """Laws of (w, b, v, c) for width H, mirroring docs/theory.md section 3 and SLInitGetLaws (init.c)."""
    p = dict(init_params_from_options({}))
    if params:
        p.update(params)
    H = int(H)
    uniform = scheme.endswith("_uniform")
    base = scheme.replace("_uniform", "").replace("_normal", "")
    if scheme == "torch_default":
        lw = Law("uniform", 1.0)
        lb = Law("uniform", 1.0)
        lv = Law("uniform", 1.0 / math.sqrt(H))
        lc = Law("uniform", 1.0 / math.sqrt(H))
    elif scheme == "gaussian":
        lw, lb, lv, lc = Law("normal", p["sw"]), Law("normal", p["sb"]), Law("normal", p["sv"]), Law("normal", p["sc"])
    elif base in ("lecun", "he", "glorot"):
        varw, varv = {"lecun": (1.0, 1.0 / H), "he": (2.0, 2.0 / H), "glorot": (2.0 / (H + 1), 2.0 / (H + 1))}[base]
        mk = lambda var: Law("uniform", math.sqrt(3 * var)) if uniform else Law("normal", math.sqrt(var))
        lw = lb = mk(varw)
        lv = lc = mk(varv)
    else:
        raise ValueError("unknown init scheme %r" % scheme)
    if p["bias"] == "zero":
        lb = Law("zero", 0.0)
    elif p["bias"] == "explicit":
        lb = Law(p["bias_law"], p["bias_scale"]) if p["bias_law"] != "zero" else Law("zero", 0)
    sin = alpha * p["alpha_in"]
    sout = alpha * p["alpha_out"]
    lw = Law(lw.kind, lw.scale * sin)
    lb = Law(lb.kind, lb.scale * sin)
    lv = Law(lv.kind, lv.scale * sout)
    lc = Law(lc.kind, lc.scale * sout)
    if p["symmetric"]:
        lc = Law("zero", 0.0)
    return {"w": lw, "b": lb, "v": lv, "c": lc}


# --- |w| quadrature: E_{|w|}[g(|w|)] for the law of w (normal or uniform) -----------------------------------

_GL = {}


def _gauss_legendre(n):
    if n not in _GL:
        _GL[n] = np.polynomial.legendre.leggauss(n)
    return _GL[n]


def _absw_quadrature(lw, panels=96, order=48):
    """Nodes and weights for E[g(|w|)] (composite Gauss-Legendre: [0, a] for U(-a, a), [0, 12 s] for N(0, s^2))."""
    t, wt = _gauss_legendre(order)
    if lw.kind == "uniform":
        top, dens = lw.scale, lambda u: np.full_like(u, 1.0 / lw.scale)
    elif lw.kind == "normal":
        top = 12.0 * lw.scale
        dens = lambda u: 2 * np.exp(-0.5 * (u / lw.scale) ** 2) / (lw.scale * math.sqrt(2 * math.pi))
    else:
        raise ValueError("law of w is identically zero: no breakpoints")
    edges = np.linspace(0.0, top, panels + 1)
    h = 0.5 * np.diff(edges)
    u = (h[:, None] * (t[None, :] + 1) + edges[:-1, None]).ravel()
    w = (h[:, None] * wt[None, :]).ravel() * dens(u)
    return u, w


# --- breakpoints beta = -b/w --------------------------------------------------------------------------------
# b is symmetric and independent of w, so beta has the law of b'/|w| with b' ~ law(b) independent of |w|.

_PHI0 = 1.0 / math.sqrt(2 * math.pi)


def breakpoint_cdf(t, lw, lb):
    """CDF of beta = -b/w; closed forms for every combination of normal / uniform laws of w and b."""
    t = np.asarray(t, float)
    if lb.kind == "zero" or lb.scale == 0:
        return (t >= 0).astype(float)
    at = np.abs(t)
    sg = np.sign(t)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if lw.kind == "normal" and lb.kind == "normal":
            return 0.5 + np.arctan(t * lw.scale / lb.scale) / math.pi
        if lw.kind == "uniform" and lb.kind == "uniform":
            a, c = lw.scale, lb.scale
            inner = a * at / (4 * c)
            outer = 0.5 - c / (4 * a * np.where(at > 0, at, 1.0))
            return 0.5 + sg * np.where(at <= c / a, inner, outer)
        if lw.kind == "normal" and lb.kind == "uniform":
            # F(t) = 1/2 + E[min(t|w|, c)] / (2c), |w| half-normal(s)
            s_, c = lw.scale, lb.scale
            U = c / np.where(at > 0, at, 1.0)
            part = at * (2 * s_ * _PHI0) * (1 - np.exp(-0.5 * (U / s_) ** 2)) + c * special.erfc(U / (s_ * math.sqrt(2)))
            return 0.5 + sg * np.where(at > 0, part, 0.0) / (2 * c)
        if lw.kind == "uniform" and lb.kind == "normal":
            # F(t) = (1/a) int_0^a Phi(t u / sigma) du = Phi(k) + (phi(k) - phi(0)) / k, k = t a / sigma
            k = t * lw.scale / lb.scale
            kk = np.where(k != 0, k, 1.0)
            val = special.ndtr(k) + (_PHI0 * np.exp(-0.5 * k * k) - _PHI0) / kk
            return np.where(k != 0, val, 0.5)
    u, wt = _absw_quadrature(lw)
    return np.array([np.sum(wt * lb.cdf(ti * u)) for ti in t.ravel()]).reshape(t.shape)


def breakpoint_pdf(t, lw, lb):
    t = np.asarray(t, float)
    at = np.abs(t)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if lw.kind == "normal" and lb.kind == "normal":
            g = lb.scale / lw.scale
            return g / (math.pi * (g * g + t * t))
        if lw.kind == "uniform" and lb.kind == "uniform":
            a, c = lw.scale, lb.scale
            return np.where(at <= c / a, a / (4 * c), c / (4 * a * np.where(at > 0, at, 1.0) ** 2))
        if lw.kind == "normal" and lb.kind == "uniform":
            # p = (1/(2c)) int_0^{c/|t|} u f_|w|(u) du = s phi(0) (1 - exp(-c^2 / (2 s^2 t^2))) / c
            s_, c = lw.scale, lb.scale
            U = c / np.where(at > 0, at, 1.0)
            return np.where(at > 0, s_ * _PHI0 * (1 - np.exp(-0.5 * (U / s_) ** 2)) / c, s_ * _PHI0 / c)
        if lw.kind == "uniform" and lb.kind == "normal":
            # p = sigma (phi(0) - phi(t a / sigma)) / (a t^2), -> a phi(0) / (2 sigma) at t = 0
            a, sig = lw.scale, lb.scale
            k = t * a / sig
            tt = np.where(at > 0, t, 1.0)
            return np.where(np.abs(k) > 1e-4, sig * _PHI0 * (-np.expm1(-0.5 * k * k)) / (a * tt * tt), a * _PHI0 / (2 * sig) * (1 - k * k / 4))
    raise ValueError("no breakpoint density for w ~ %s, b ~ %s" % (lw.describe(), lb.describe()))


def breakpoint_law_name(lw, lb):
    if lb.kind == "zero":
        return "all breakpoints at 0 (zero bias)"
    if lw.kind == "normal" and lb.kind == "normal":
        return "Cauchy(0, %.4g)" % (lb.scale / lw.scale)
    if lw.kind == "uniform" and lb.kind == "uniform":
        return "ratio of uniforms (c/a = %.4g)" % (lb.scale / lw.scale)
    return "ratio %s / %s (numerical)" % (lb.describe(), lw.describe())


def frac_in_expected(xmin, xmax, lw, lb):
    """Probability that a breakpoint lies in [xmin, xmax]; (2/pi) arctan(L/gamma) for Cauchy on [-L, L]."""
    return float(breakpoint_cdf(xmax, lw, lb) - breakpoint_cdf(xmin, lw, lb)) if lb.kind != "zero" else float(xmin <= 0 <= xmax)


# --- delta-slopes mu = v |w| --------------------------------------------------------------------------------

def _int_k0(x):
    """int_0^x K0(t) dt = (pi x / 2) [K0(x) L_{-1}(x) + K1(x) L_0(x)], with L_{-1} = L_1 + 2/pi."""
    x = np.asarray(x, float)
    out = np.empty_like(x)
    small = x < 700
    xs = x[small]
    lm1 = special.modstruve(1, xs) + 2.0 / math.pi
    with np.errstate(invalid="ignore", over="ignore"):
        val = 0.5 * math.pi * xs * (special.k0(xs) * lm1 + special.k1(xs) * special.modstruve(0, xs))
    val = np.where(xs == 0, 0.0, val)
    out[small] = val
    out[~small] = 0.5 * math.pi
    # the product form loses accuracy for large x (L grows like e^x, K decays like e^-x): use the tail
    big = x > 20
    if np.any(big):
        xb = x[big]
        # int_x^inf K0 ~ sqrt(pi/(2x)) e^-x (1 - 5/(8x) + 129/(128 x^2) - ...)
        tail = np.sqrt(math.pi / (2 * xb)) * np.exp(-xb) * (1 - 5 / (8 * xb) + 129 / (128 * xb ** 2) - 2655 / (1024 * xb ** 3))
        out[big] = 0.5 * math.pi - tail
    return out


def delta_slope_cdf(t, lw, lv):
    t = np.asarray(t, float)
    if lw.kind == "zero" or lv.kind == "zero" or lw.scale == 0 or lv.scale == 0:
        return (t >= 0).astype(float)
    if lw.kind == "normal" and lv.kind == "normal":
        s = lw.scale * lv.scale
        return 0.5 + np.sign(t) * _int_k0(np.abs(t) / s) / math.pi
    if lw.kind == "uniform" and lv.kind == "uniform":
        m = lw.scale * lv.scale
        z = np.clip(np.abs(t) / m, 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(z > 0, z - z * np.log(np.where(z > 0, z, 1.0)), 0.0)
        return 0.5 + np.sign(t) * 0.5 * g
    u, wt = _absw_quadrature(lw)
    return np.array([np.sum(wt * lv.cdf(ti / np.maximum(u, 1e-300))) for ti in t.ravel()]).reshape(t.shape)


def delta_slope_pdf(t, lw, lv):
    t = np.asarray(t, float)
    if lw.kind == "normal" and lv.kind == "normal":
        s = lw.scale * lv.scale
        with np.errstate(divide="ignore", over="ignore"):
            return special.k0(np.abs(t) / s) / (math.pi * s)
    if lw.kind == "uniform" and lv.kind == "uniform":
        m = lw.scale * lv.scale
        at = np.abs(t)
        with np.errstate(divide="ignore"):
            return np.where(at < m, np.log(m / np.where(at > 0, at, 1e-300)) / (2 * m), 0.0)
    raise ValueError("no closed-form delta-slope density for w ~ %s, v ~ %s" % (lw.describe(), lv.describe()))


def delta_slope_law_name(lw, lv):
    if lw.kind == "normal" and lv.kind == "normal":
        return "K0 law (s_v s_w = %.4g)" % (lw.scale * lv.scale)
    if lw.kind == "uniform" and lv.kind == "uniform":
        return "log law (a a_v = %.4g)" % (lw.scale * lv.scale)
    return "product %s x |%s|" % (lv.describe(), lw.describe())


def delta_slope_unit(lw, lv):
    """Natural unit of mu: sv sw (normal) or a a_v (uniform)."""
    return lw.scale * lv.scale


# --- roughness ------------------------------------------------------------------------------------------------

def roughness(beta, mu, s, xmin, xmax):
    """(R_total, R_in, frac_in, max_kink, n_in) as spline_measures.c defines them (flat neurons excluded)."""
    beta = np.asarray(beta, float)
    mu = np.asarray(mu, float)
    s = np.asarray(s)
    ok = s != 0
    inr = ok & (beta >= xmin) & (beta <= xmax)
    nb = int(ok.sum())
    return {
        "R_total": float(np.sum(mu[ok] ** 2)),
        "R_in": float(np.sum(mu[inr] ** 2)),
        "frac_in": float(inr.sum() / nb) if nb else 0.0,
        "max_kink": float(np.max(np.abs(mu[inr]))) if inr.any() else 0.0,
        "n_in": int(inr.sum()),
    }


def _w2_in_range(xmin, xmax, lw, lb, power=2):
    """E[|w|^power 1{beta in [xmin, xmax]}]."""
    if lb.kind == "zero":
        m = lw.var() if power == 2 else lw.m4()
        return m * float(xmin <= 0 <= xmax)
    u, wt = _absw_quadrature(lw)
    return float(np.sum(wt * u ** power * (lb.cdf(xmax * u) - lb.cdf(xmin * u))))


def roughness_expected(H, laws, xmin, xmax, symmetric=False):
    """Mean and standard deviation of R_total, R_in and n_in at initialization (independent neurons; the
    symmetric init pairs neurons with equal mu^2 and beta, doubling the variance)."""
    lw, lb, lv = laws["w"], laws["b"], laws["v"]
    Ev2, Ev4 = lv.var(), lv.m4()
    Ew2, Ew4 = lw.var(), lw.m4()
    Ew2in = _w2_in_range(xmin, xmax, lw, lb, 2)
    Ew4in = _w2_in_range(xmin, xmax, lw, lb, 4)
    pin = frac_in_expected(xmin, xmax, lw, lb)
    k = 2.0 if symmetric else 1.0
    out = {
        "R_total": H * Ev2 * Ew2,
        "R_total_sd": math.sqrt(k * H * max(Ev4 * Ew4 - (Ev2 * Ew2) ** 2, 0.0)),
        "R_in": H * Ev2 * Ew2in,
        "R_in_sd": math.sqrt(k * H * max(Ev4 * Ew4in - (Ev2 * Ew2in) ** 2, 0.0)),
        "frac_in": pin,
        "n_in": H * pin,
        "n_in_sd": math.sqrt(k * H * pin * (1 - pin)),
    }
    return out


def roughness_in_gaussian(H, sv, sw, gamma, L):
    """docs/theory.md closed form: E[R_in over [-L, L]] = H sv^2 sw^2 (2/pi)(arctan t + t/(1+t^2)), t = L/gamma."""
    t = L / gamma
    return H * sv * sv * sw * sw * (2 / math.pi) * (math.atan(t) + t / (1 + t * t))


# ----------------------------------------------------------------------------------------------------------
# Section 5: regimes: kernel prediction and interpolants
# ----------------------------------------------------------------------------------------------------------


def ntk_prediction(theta0, X, Y, xgrid, has_c=None):
    """f_inf(x) = f_0(x) + K(x, X) K(X, X)^+ (Y - f_0(X)), K = J_0 J_0^T, as the minimum-norm solution of the
    linearized model: delta = J_0(X)^+ (Y - f_0(X)) (lstsq, no K formed), f_inf = f_0 + J_0(x) delta."""
    J = nn_jacobian(theta0, X, has_c)
    r0 = np.asarray(Y, float) - nn_eval(theta0, X, has_c)
    delta, *_ = np.linalg.lstsq(J, r0, rcond=None)
    return nn_eval(theta0, xgrid, has_c) + nn_jacobian(theta0, xgrid, has_c) @ delta


def natural_cubic_spline(X, Y, xgrid):
    from scipy.interpolate import CubicSpline
    X = np.asarray(X, float)
    Y = np.asarray(Y, float)
    if X.size < 2:
        return np.full_like(np.asarray(xgrid, float), Y[0] if Y.size else np.nan)
    if X.size == 2:
        return np.interp(xgrid, X, Y, left=None, right=None) + 0 * np.asarray(xgrid)
    return CubicSpline(X, Y, bc_type="natural", extrapolate=True)(xgrid)


def linear_interpolant(X, Y, xgrid):
    """Linear spline through the data, extended linearly beyond the ends (the adaptive-regime limit)."""
    X = np.asarray(X, float)
    Y = np.asarray(Y, float)
    xg = np.asarray(xgrid, float)
    f = np.interp(xg, X, Y)
    if X.size >= 2:
        sl = (Y[1] - Y[0]) / (X[1] - X[0])
        sr = (Y[-1] - Y[-2]) / (X[-1] - X[-2])
        f = np.where(xg < X[0], Y[0] + sl * (xg - X[0]), f)
        f = np.where(xg > X[-1], Y[-1] + sr * (xg - X[-1]), f)
    return f


def rms(a, b=None):
    d = np.asarray(a, float) if b is None else np.asarray(a, float) - np.asarray(b, float)
    return float(np.sqrt(np.mean(d * d)))


def data_grid(X, n=2001):
    X = np.asarray(X, float)
    return np.linspace(X.min(), X.max(), n)


def near_data_fraction(beta, mu, s, X, eps, weighted=False):
    """Fraction of in-range breakpoints within eps of a data point (|mu|-weighted if asked)."""
    beta = np.asarray(beta, float)
    mu = np.asarray(mu, float)
    X = np.sort(np.asarray(X, float))
    ok = (np.asarray(s) != 0) & (beta >= X[0]) & (beta <= X[-1])
    if not ok.any():
        return float("nan")
    b = beta[ok]
    idx = np.clip(np.searchsorted(X, b), 1, X.size - 1) if X.size > 1 else np.zeros(b.size, int)
    dist = np.minimum(np.abs(b - X[idx - 1]), np.abs(b - X[idx])) if X.size > 1 else np.abs(b - X[0])
    near = dist <= eps
    if weighted:
        m = np.abs(mu[ok])
        tot = m.sum()
        return float(m[near].sum() / tot) if tot > 0 else float("nan")
    return float(near.mean())


def kink_clusters(beta, mu, s, X, gap, eps, top=3):
    """Where the in-range kink mass sits: in-range breakpoints sorted, consecutive ones closer than `gap` merged
    into one cluster; returns up to `top` clusters by |mu| mass as dicts (center = |mu|-weighted mean,
    share = fraction of the in-range |mu| mass, at_data = center within eps of a data point)."""
    beta = np.asarray(beta, float)
    mu = np.abs(np.asarray(mu, float))
    X = np.sort(np.asarray(X, float))
    ok = (np.asarray(s) != 0) & np.isfinite(beta) & (beta >= X[0]) & (beta <= X[-1]) & (mu > 0)
    if not ok.any():
        return []
    o = np.argsort(beta[ok], kind="stable")
    b, m = beta[ok][o], mu[ok][o]
    cuts = np.nonzero(np.diff(b) > gap)[0] + 1
    tot = m.sum()
    out = []
    for bb, mm in zip(np.split(b, cuts), np.split(m, cuts)):
        c = float(np.dot(bb, mm) / mm.sum())
        out.append(dict(center=c, share=float(mm.sum() / tot), n=int(bb.size),
                        at_data=bool(np.min(np.abs(X - c)) <= eps)))
    out.sort(key=lambda d: -d["share"])
    return out[:top]


def ks_test(samples, cdf):
    """One-sample Kolmogorov-Smirnov test against a vectorized CDF: (statistic, p-value)."""
    res = stats.kstest(np.asarray(samples, float), cdf)
    return float(res.statistic), float(res.pvalue)


# ----------------------------------------------------------------------------------------------------------
# Section 4: exact eigenvalue counts by Haynsworth inertia additivity (no P x P matrix)
# ----------------------------------------------------------------------------------------------------------


def _blocks(theta, x, y, loss, coords, has_c):
    """Per-neuron residual blocks R_i (H, k, k), the Jacobian reshaped (N, H, k), the c column (or None)."""
    theta = np.asarray(theta, float)
    hc = (theta.size % 3 == 1) if has_c is None else bool(has_c)
    x = np.asarray(x, float)
    if coords == "nn":
        J = nn_jacobian(theta, x, hc)
        a, d = nn_residual_blocks(theta, x, y, loss, hc)
        H = a.size
        R = np.zeros((H, 3, 3))
        R[:, 0, 2] = R[:, 2, 0] = a
        R[:, 1, 2] = R[:, 2, 1] = d
        Jh = J[:, : 3 * H].reshape(x.size, H, 3)
    else:
        beta, mu, s, c = to_bdso(theta, hc)
        J = bdso_jacobian(beta, mu, s, x, hc)
        H = mu.size
        Hm_r = bdso_hessian(beta, mu, s, x, y, loss, "residual", c, hc)
        R = np.zeros((H, 2, 2))
        i = np.arange(H)
        R[:, 0, 1] = R[:, 1, 0] = Hm_r[2 * i, 2 * i + 1]
        Jh = J[:, : 2 * H].reshape(x.size, H, 2)
    jc = J[:, -1] if hc else None
    return R, Jh, jc


def count_below(theta, x, y, lam, loss="sum", coords="nn", part="full", has_c=None):
    """Exact number of Hessian eigenvalues < lam (docs/theory.md section 4): for Hess = R + U U^T, U = sqrt(scale) J^T,
    #{< lam} = nu_-(R - lam I) + nu_-(-I_N - U^T (R - lam I)^{-1} U) - N. O(P N^2 + N^3). lam must not be an
    eigenvalue of R. part: full, gauss_newton (R = 0) or residual (U = 0)."""
    R, Jh, jc = _blocks(theta, x, y, loss, coords, has_c)
    if part == "gauss_newton":
        R = np.zeros_like(R)
    N = Jh.shape[0]
    sc = loss_scale(loss, N)
    k = R.shape[1]
    B = R - lam * np.eye(k)[None, :, :]
    evR = np.linalg.eigvalsh(R)  # (H, k)
    nuR = int(np.sum(evR < lam)) + (1 if jc is not None and 0.0 < lam else 0)
    if part == "residual":
        return nuR
    Binv = np.linalg.inv(B)
    S = -np.eye(N) - sc * np.einsum("nhk,hkl,mhl->nm", Jh, Binv, Jh)
    if jc is not None:  # c: a 1 x 1 zero block of R
        S -= sc * np.outer(jc, jc) / (-lam)
    S = 0.5 * (S + S.T)
    return nuR + int(np.sum(np.linalg.eigvalsh(S) < 0)) - N


def residual_norm(theta, x, y, loss="sum", coords="nn", has_c=None):
    """||R||_2 = max_i sqrt(a_i^2 + d_i^2) (NN) or max_i |e_i| (BDSO)."""
    R, _, _ = _blocks(theta, x, y, loss, coords, has_c)
    return float(np.max(np.abs(np.linalg.eigvalsh(R)))) if R.size else 0.0
