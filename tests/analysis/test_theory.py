"""The numpy formulas of analysis/splinelens/theory.py against docs/theory.md and against each other."""
import math

import numpy as np
import pytest
from scipy import integrate, special

from splinelens import theory as T
from splinelens.reader import parse_options


def test_scheme_table():
    """docs/theory.md section 3 table, with alpha, alpha_in/out and the bias policies."""
    H = 50
    L = T.init_laws("lecun_normal", H, 2.0)
    assert L["w"] == T.Law("normal", 2.0) and L["b"] == T.Law("normal", 2.0)
    assert L["v"].kind == "normal" and L["v"].scale == pytest.approx(2.0 / math.sqrt(H))
    L = T.init_laws("he_uniform", H)
    assert L["w"].kind == "uniform" and L["w"].scale == pytest.approx(math.sqrt(6.0))
    assert L["v"].scale == pytest.approx(math.sqrt(6.0 / H))
    L = T.init_laws("glorot_normal", H)
    assert L["w"].scale == pytest.approx(math.sqrt(2.0 / (H + 1))) == L["v"].scale
    L = T.init_laws("torch_default", H)
    assert L["w"] == T.Law("uniform", 1.0) and L["b"] == T.Law("uniform", 1.0)
    assert L["v"].scale == pytest.approx(1 / math.sqrt(H)) and L["c"].scale == pytest.approx(1 / math.sqrt(H))
    L = T.init_laws("gaussian", H, 0.5, dict(sw=1.5, sb=0.3, sv=0.2, alpha_in=2.0, alpha_out=3.0))
    assert L["w"].scale == pytest.approx(1.5) and L["b"].scale == pytest.approx(0.3)
    assert L["v"].scale == pytest.approx(0.3)
    L = T.init_laws("lecun_normal", H, 1.0, dict(bias="zero"))
    assert L["b"].kind == "zero"
    L = T.init_laws("he_normal", H, 1.0, dict(bias="explicit", bias_law="uniform", bias_scale=0.7))
    assert L["b"] == T.Law("uniform", 0.7)
    assert T.init_laws("lecun_normal", H, 1.0, dict(symmetric=True))["c"].kind == "zero"


def test_init_params_from_options():
    opts = parse_options("-sl_init_sw 1.5 -sl_init_bias explicit -sl_init_bias_law uniform -sl_init_bias_scale 2 "
                         "-sl_init_symmetric -sl_init_alpha_out 0.5 -sl_data_sine_xmin -2")
    p = T.init_params_from_options(opts)
    assert p["sw"] == 1.5 and p["bias"] == "explicit" and p["bias_law"] == "uniform" and p["bias_scale"] == 2.0
    assert p["symmetric"] is True and p["alpha_out"] == 0.5
    assert opts["sl_data_sine_xmin"] == "-2"
    assert T.init_params_from_options(parse_options("-sl_init_symmetric false"))["symmetric"] is False


@pytest.mark.parametrize("kw,kb", [("normal", "normal"), ("uniform", "uniform"), ("normal", "uniform"), ("uniform", "normal")])
def test_breakpoint_cdf_monte_carlo(kw, kb):
    lw, lb = T.Law(kw, 1.3), T.Law(kb, 0.6)
    rng = np.random.default_rng(7)
    n = 40000
    draw = lambda l: rng.normal(0, l.scale, n) if l.kind == "normal" else rng.uniform(-l.scale, l.scale, n)
    beta = -draw(lb) / draw(lw)
    t = np.array([-3, -1, -0.3, 0, 0.2, 0.7, 2.5])
    emp = np.array([np.mean(beta <= ti) for ti in t])
    assert np.max(np.abs(emp - T.breakpoint_cdf(t, lw, lb))) < 0.01
    # the density integrates to the CDF
    z = np.linspace(-1.0, 0.5, 3001)
    pdf = T.breakpoint_pdf(z, lw, lb)
    dF = T.breakpoint_cdf(np.array([0.5]), lw, lb)[0] - T.breakpoint_cdf(np.array([-1.0]), lw, lb)[0]
    assert np.trapz(pdf, z) == pytest.approx(dF, abs=1e-5)


def test_cauchy_closed_forms():
    lw, lb = T.Law("normal", 2.0), T.Law("normal", 0.5)
    g = 0.25
    L = 1.0
    assert T.frac_in_expected(-L, L, lw, lb) == pytest.approx(2 / math.pi * math.atan(L / g), rel=1e-12)
    lv = T.Law("normal", 0.3)
    e = T.roughness_expected(100, {"w": lw, "b": lb, "v": lv}, -L, L)
    assert e["R_total"] == pytest.approx(100 * 0.09 * 4.0)
    assert e["R_in"] == pytest.approx(T.roughness_in_gaussian(100, 0.3, 2.0, g, L), rel=1e-9)


def test_delta_slope_laws():
    # K0 density integrates to 1 and has variance s^2; the CDF matches a direct quadrature
    lw, lv = T.Law("normal", 1.0), T.Law("normal", 1.0)
    tot = integrate.quad(lambda z: float(T.delta_slope_pdf(np.array([z]), lw, lv)[0]), 0, np.inf, limit=200)[0]
    assert 2 * tot == pytest.approx(1.0, abs=1e-8)
    m2 = 2 * integrate.quad(lambda z: z * z * special.k0(z) / math.pi, 0, np.inf, limit=200)[0]
    assert m2 == pytest.approx(1.0, abs=1e-8)
    for x in (0.05, 1.0, 5.0, 25.0):
        q = integrate.quad(special.k0, 0, x, limit=200)[0] / math.pi
        assert T.delta_slope_cdf(np.array([x]), lw, lv)[0] - 0.5 == pytest.approx(q, abs=1e-10)
    uw, uv = T.Law("uniform", 2.0), T.Law("uniform", 0.5)
    rng = np.random.default_rng(3)
    mu = rng.uniform(-0.5, 0.5, 40000) * np.abs(rng.uniform(-2, 2, 40000))
    t = np.array([-0.8, -0.2, 0.0, 0.05, 0.5])
    assert np.max(np.abs([np.mean(mu <= ti) for ti in t] - T.delta_slope_cdf(t, uw, uv))) < 0.01


def test_hessian_structure_and_bdso_rank():
    rng = np.random.default_rng(1)
    H, x = 7, np.linspace(-1, 1, 5)
    th = rng.normal(size=3 * H)
    y = np.cos(x)
    full = T.nn_hessian(th, x, y)
    assert np.allclose(full, full.T)
    assert np.allclose(full, T.nn_hessian(th, x, y, part="gauss_newton") + T.nn_hessian(th, x, y, part="residual"))
    # residual blocks: eigenvalues +-sqrt(a^2 + d^2), 0 for each neuron
    a, d = T.nn_residual_blocks(th, x, y)
    R = T.nn_hessian(th, x, y, part="residual")
    ev = np.sort(np.linalg.eigvalsh(R))
    expect = np.sort(np.concatenate([np.hypot(a, d), -np.hypot(a, d), np.zeros(H)]))
    assert np.allclose(ev, expect, atol=1e-12)
    # the rescaling direction (w, b, -v) of each neuron is in the kernel of J
    J = T.nn_jacobian(th, x)
    w, b, v, _ = T.split_theta(th)
    for i in range(H):
        z = np.zeros(3 * H)
        z[3 * i: 3 * i + 3] = [w[i], b[i], -v[i]]
        assert np.max(np.abs(J @ z)) < 1e-12
    assert np.linalg.matrix_rank(J) <= min(x.size, 2 * H)


def test_ntk_prediction_interpolates_and_is_linearization():
    rng = np.random.default_rng(2)
    H = 40
    th = rng.normal(size=3 * H) * np.tile([1, 1, 1 / math.sqrt(H)], H)
    X = np.linspace(-1, 1, 6)
    Y = np.sin(np.pi * X)
    f = T.ntk_prediction(th, X, Y, X)
    assert np.max(np.abs(f - Y)) < 1e-9
    # equals f_0 + K(x, X) K(X, X)^{-1} (Y - f_0(X)) with K = J J^T formed explicitly
    xg = np.linspace(-1.5, 1.5, 31)
    J0, Jg = T.nn_jacobian(th, X), T.nn_jacobian(th, xg)
    K = J0 @ J0.T
    f2 = T.nn_eval(th, xg) + Jg @ J0.T @ np.linalg.solve(K, Y - T.nn_eval(th, X))
    assert np.max(np.abs(T.ntk_prediction(th, X, Y, xg) - f2)) < 1e-8


def test_interpolants():
    X = np.array([-1.0, -0.2, 0.3, 1.0])
    Y = np.array([0.0, 1.0, -1.0, 2.0])
    assert np.allclose(T.linear_interpolant(X, Y, X), Y)
    assert np.allclose(T.natural_cubic_spline(X, Y, X), Y)
    xg = np.linspace(-1, 1, 5)
    assert T.linear_interpolant(X, Y, np.array([-0.6]))[0] == pytest.approx(0.5)


def test_near_data_fraction():
    X = np.array([0.0, 1.0, 2.0])
    beta = np.array([0.01, 0.5, 1.99, 5.0])
    mu = np.array([1.0, 3.0, 1.0, 10.0])
    s = np.ones(4)
    assert T.near_data_fraction(beta, mu, s, X, 0.05) == pytest.approx(2 / 3)
    assert T.near_data_fraction(beta, mu, s, X, 0.05, weighted=True) == pytest.approx(2 / 5)


def test_kink_clusters():
    X = np.array([-1.0, 0.0, 1.0])
    # two clusters (around -0.5 between data points, around 0 at a data point), a light kink at 0.9, one
    # out of range and one inactive orientation (s = 0): both ignored
    beta = np.array([-0.52, -0.48, 0.01, -0.01, 0.9, 3.0, 0.5])
    mu = np.array([1.0, 3.0, 2.0, 2.0, 1.0, 50.0, 50.0])
    s = np.array([1, -1, 1, 1, -1, 1, 0])
    cl = T.kink_clusters(beta, mu, s, X, gap=0.1, eps=0.05)
    assert [c["n"] for c in cl] == [2, 2, 1]
    assert cl[0]["share"] == pytest.approx(4 / 9) and cl[1]["share"] == pytest.approx(4 / 9)
    assert {round(c["center"], 12) for c in cl[:2]} == {-0.49, 0.0}
    assert [c["at_data"] for c in sorted(cl[:2], key=lambda c: c["center"])] == [False, True]
    assert cl[2]["center"] == pytest.approx(0.9) and not cl[2]["at_data"]
    assert len(T.kink_clusters(beta, mu, s, X, gap=0.1, eps=0.05, top=1)) == 1
    assert T.kink_clusters(np.array([5.0]), np.array([1.0]), np.array([1]), X, 0.1, 0.05) == []


@pytest.mark.parametrize("coords", ["nn", "bdso"])
@pytest.mark.parametrize("has_c", [False, True])
def test_inertia_counts_match_dense(coords, has_c):
    """Haynsworth counts (docs/theory.md section 4) equal the dense eigenvalue counts, every part."""
    rng = np.random.default_rng(11)
    H, x = 9, np.linspace(-1, 1, 5)
    y = np.sin(3 * x)
    th = rng.normal(size=3 * H + (1 if has_c else 0))
    for part in ("full", "gauss_newton", "residual"):
        Hm = T.hessian(th, x, y, "mean", coords, part, has_c)
        ev = np.linalg.eigvalsh(Hm)
        for lam in (-0.37, -1e-3, 1e-3, 0.21, 1.7):
            assert T.count_below(th, x, y, lam, "mean", coords, part, has_c) == int(np.sum(ev < lam))
    Rm = T.hessian(th, x, y, "mean", coords, "residual", has_c)
    assert T.residual_norm(th, x, y, "mean", coords, has_c) == pytest.approx(np.max(np.abs(np.linalg.eigvalsh(Rm))))
