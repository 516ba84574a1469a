"""The claim checks (analysis/splinelens/checks.py) on right data PASS and on deliberately wrong data FAIL."""
import numpy as np
import pytest

from splinelens import checks as C
from splinelens import theory as T

RNG = np.random.default_rng(12345)


def net(H=10, has_c=False, seed=0):
    rng = np.random.default_rng(seed)
    th = rng.normal(size=3 * H)
    if has_c:
        th = np.concatenate([th, [0.3]])
    return th


X = np.linspace(-1, 1, 7)
Y = np.sin(np.pi * X)


@pytest.mark.parametrize("has_c", [False, True])
def test_reconstruction_right_and_wrong(has_c):
    th = net(12, has_c)
    b, m, s, c = T.to_bdso(th, has_c)
    ok = C.claim_bdso_reconstruction([dict(theta=th, beta=b, mu=m, s=s, x=X, has_c=has_c)])
    assert ok.status == C.PASS and ok.value <= 1e-14
    m2 = m.copy()
    m2[4] *= 1 + 1e-9  # a tiny perturbation of one delta-slope is already far above 1e-12
    bad = C.claim_bdso_reconstruction([dict(theta=th, beta=b, mu=m2, s=s, x=X, has_c=has_c)])
    assert bad.status == C.FAIL
    b2 = b.copy()
    b2[2] += 1e-6
    assert C.claim_bdso_reconstruction([dict(theta=th, beta=b2, mu=m, s=s, x=X, has_c=has_c)]).status == C.FAIL
    s2 = s.copy()
    s2[0] = -s2[0]
    assert C.claim_bdso_reconstruction([dict(theta=th, beta=b, mu=m, s=s2, x=X, has_c=has_c)]).status == C.FAIL


def test_flat_neuron_reconstruction():
    th = net(6)
    th[0] = 0.0  # w_0 = 0: no breakpoint, constant v (b)_+
    th[1] = 0.7
    b, m, s, c = T.to_bdso(th)
    assert np.isnan(b[0]) and s[0] == 0 and m[0] == pytest.approx(th[2] * 0.7)
    assert C.claim_bdso_reconstruction([dict(theta=th, beta=b, mu=m, s=s, x=X)]).status == C.PASS


def test_rescaling_right_and_wrong():
    th = net(9)
    assert C.claim_rescaling([dict(theta=th, x=X)]).status == C.PASS

    def wrong_map(theta, hc):  # mu = v w^2 is not rescaling-invariant
        w, b, v, c = T.split_theta(theta, hc)
        beta, mu, s, c = T.to_bdso(theta, hc)
        return beta, v * w * w, s, c
    assert C.claim_rescaling([dict(theta=th, x=X)], bdso_map=wrong_map).status == C.FAIL


def test_slope_jumps_right_and_wrong():
    th = net(15, seed=3)
    b, m, s, c = T.to_bdso(th)
    r = C.claim_slope_jumps([dict(theta=th, beta=b, mu=m, s=s)])
    assert r.status == C.PASS and r.value < 1e-9
    m2 = m.copy()
    m2[np.argmax(np.abs(m))] *= 1.01
    assert C.claim_slope_jumps([dict(theta=th, beta=b, mu=m2, s=s)]).status == C.FAIL


def test_slope_jumps_symmetric_pairs():
    """Mirrored neurons share a breakpoint with opposite mu: the group's jump is 0, which the check handles."""
    th = net(8, seed=4)
    w, bb, v, _ = T.split_theta(th)
    th2 = T.join_theta(np.r_[w, w], np.r_[bb, bb], np.r_[v, -v])
    b, m, s, c = T.to_bdso(th2)
    assert np.max(np.abs(T.nn_eval(th2, X))) <= 1e-14  # f_0 = 0 up to rounding
    assert C.claim_slope_jumps([dict(theta=th2, beta=b, mu=m, s=s)]).status == C.PASS


def test_breakpoint_law_cauchy_vs_normal():
    lw, lb = T.Law("normal", 1.3), T.Law("normal", 0.9)
    n = 100000
    w = RNG.normal(0, 1.3, n)
    b = RNG.normal(0, 0.9, n)
    ok = C.claim_breakpoint_law([dict(label="cauchy", samples=-b / w, lw=lw, lb=lb)])
    assert ok.status == C.PASS, ok
    bad = C.claim_breakpoint_law([dict(label="normal", samples=RNG.normal(0, 0.9 / 1.3, n), lw=lw, lb=lb)])
    assert bad.status == C.FAIL
    few = C.claim_breakpoint_law([dict(label="few", samples=-b[:1000] / w[:1000], lw=lw, lb=lb)])
    assert few.status == C.SKIP and "fewer than" in few.detail


def test_breakpoint_law_uniform_and_wrong_ratio():
    lw, lb = T.Law("uniform", 1.0), T.Law("uniform", 0.5)
    n = 100000
    w = RNG.uniform(-1, 1, n)
    b = RNG.uniform(-0.5, 0.5, n)
    assert C.claim_breakpoint_law([dict(label="u", samples=-b / w, lw=lw, lb=lb)]).status == C.PASS
    # the law of the wrong scale ratio is rejected
    assert C.claim_breakpoint_law([dict(label="u", samples=-b / w, lw=lw, lb=T.Law("uniform", 0.6))]).status == C.FAIL


def test_zero_bias_breakpoints():
    lw, lb = T.Law("normal", 1.0), T.Law("zero", 0.0)
    assert C.claim_breakpoint_law([dict(label="z", samples=np.zeros(50), lw=lw, lb=lb)]).status == C.PASS
    assert C.claim_breakpoint_law([dict(label="z", samples=np.r_[np.zeros(49), 1e-3], lw=lw, lb=lb)]).status == C.FAIL


def test_delta_slope_laws():
    n = 100000
    lw, lv = T.Law("normal", 1.0), T.Law("normal", 0.2)
    mu = RNG.normal(0, 0.2, n) * np.abs(RNG.normal(0, 1.0, n))
    assert C.claim_delta_slope_law([dict(label="k0", samples=mu, lw=lw, lv=lv)]).status == C.PASS
    # a Gaussian with the same variance is not the K0 law
    bad = C.claim_delta_slope_law([dict(label="g", samples=RNG.normal(0, 0.2, n), lw=lw, lv=lv)])
    assert bad.status == C.FAIL
    uw, uv = T.Law("uniform", 1.5), T.Law("uniform", 0.4)
    mu = RNG.uniform(-0.4, 0.4, n) * np.abs(RNG.uniform(-1.5, 1.5, n))
    assert C.claim_delta_slope_law([dict(label="log", samples=mu, lw=uw, lv=uv)]).status == C.PASS
    assert C.claim_delta_slope_law([dict(label="log", samples=mu * 1.05, lw=uw, lv=uv)]).status == C.FAIL


def test_roughness_claim():
    H, nnet = 200, 40
    laws = T.init_laws("lecun_normal", H, 2.0)
    e = T.roughness_expected(H, laws, -1.0, 1.0)
    Rt, Ri = [], []
    for k in range(nnet):
        w = RNG.normal(0, laws["w"].scale, H)
        b = RNG.normal(0, laws["b"].scale, H)
        v = RNG.normal(0, laws["v"].scale, H)
        ro = T.roughness(-b / w, v * np.abs(w), np.sign(w), -1.0, 1.0)
        Rt.append(ro["R_total"])
        Ri.append(ro["R_in"])
    good = [dict(label="g", quantity="R_total", observed=Rt, mean=e["R_total"], sd=e["R_total_sd"]),
            dict(label="g", quantity="R_in", observed=Ri, mean=e["R_in"], sd=e["R_in_sd"])]
    assert C.claim_roughness(good).status == C.PASS
    # the alpha^4 law matters: comparing with the alpha = 1 expectation fails
    e1 = T.roughness_expected(H, T.init_laws("lecun_normal", H, 1.0), -1.0, 1.0)
    bad = [dict(label="b", quantity="R_total", observed=Rt, mean=e1["R_total"], sd=e1["R_total_sd"])]
    assert C.claim_roughness(bad).status == C.FAIL


def test_finite_differences_right_and_wrong():
    th = net(6, seed=7)
    assert C.claim_finite_differences([dict(theta=th, x=X, y=Y)]).status == C.PASS
    assert C.claim_finite_differences([dict(theta=np.r_[th, 0.1], x=X, y=Y, loss="mean", has_c=True)]).status == C.PASS
    wrong_hess = lambda t: T.nn_hessian(t, X, Y, "sum", "gauss_newton")  # residual term missing
    assert C.claim_finite_differences([dict(theta=th, x=X, y=Y)], hess=wrong_hess).status == C.FAIL
    wrong_grad = lambda t: 2 * T.nn_gradient(t, X, Y)
    assert C.claim_finite_differences([dict(theta=th, x=X, y=Y)], grad=wrong_grad).status == C.FAIL


def test_finite_differences_at_a_stationary_point_with_vanishing_scale():
    """A trained stationary point of configs/paper/losssurface.yaml (H = 4, fourpoint): the nonzero residuals lie
    where every neuron is inactive, so the gradient and its term scale are ~1e-10 and the differences' rounding
    (~1e-12, eps |l| / h) must not count as an error; a wrong gradient there still fails."""
    x = np.array([-1.0, -0.0625, 0.0625, 1.0])
    y = np.array([-1.0, 0.5, -0.5, 1.0])
    th = np.array([-0.03508065349081847, -1.887786838357158, -0.04372844832804207, 1.3222866094405268,
                   -0.08264292384049457, 0.8066834141360341, -0.4140946447128472, -1.0113947690345921,
                   -0.22526625048708962, -1.2414884089683227, -0.09979328086122453, -0.8758905730446401])
    assert np.max(np.abs(T.nn_gradient(th, x, y))) < 1e-7  # a (numerically) stationary point
    assert C.claim_finite_differences([dict(theta=th, x=x, y=y)]).status == C.PASS
    wrong_grad = lambda t: T.nn_gradient(t, x, y) + 1e-6  # far above the rounding floor (~6e-10 here)
    assert C.claim_finite_differences([dict(theta=th, x=x, y=y)], grad=wrong_grad).status == C.FAIL


def _record(**kw):
    r = dict(label="r", stage="final", coords="nn", part="full", n_neg=1, n_zero=27, n_bound=3, P=30, N=4, H=10,
             has_c=False, interpolating=True, check_neg=1, check_zero=1)
    r.update(kw)
    return r


def test_eigen_bounds():
    assert C.claim_eigen_bounds([_record()]).status == C.PASS
    assert C.claim_eigen_bounds([_record(n_neg=4)]).status == C.FAIL           # n_neg > n_bound
    assert C.claim_eigen_bounds([_record(n_bound=11, n_neg=2)]).status == C.FAIL  # n_bound > H
    assert C.claim_eigen_bounds([_record(n_zero=25, check_zero=0)]).status == C.FAIL  # 25 < P - min(N, 2H) = 26
    assert C.claim_eigen_bounds([_record(n_zero=25)]).status == C.FAIL         # and the stored flag disagrees
    assert C.claim_eigen_bounds([_record(n_zero=25, interpolating=False, check_zero=-1)]).status == C.PASS
    assert C.claim_eigen_bounds([_record(check_neg=0)]).status == C.FAIL       # stored flag inconsistent


def test_eigen_recomputation():
    th = net(5, seed=2)
    ev = np.linalg.eigvalsh(T.nn_hessian(th, X, Y))
    ok = C.claim_eigen_bounds([], recomputed=[dict(label="x", stored_values=ev, numpy_values=ev * (1 + 1e-13))])
    assert ok.status == C.PASS
    bad = C.claim_eigen_bounds([], recomputed=[dict(label="x", stored_values=ev + 1e-6 * np.max(np.abs(ev)), numpy_values=ev)])
    assert bad.status == C.FAIL


def test_counts_identity_at_interpolation():
    """At an interpolating minimum the NN Hessian has at least P - min(N, 2H) zero eigenvalues (real numbers)."""
    H = 10
    th = net(H, seed=5)
    Yi = T.nn_eval(th, X)  # data the network interpolates exactly
    ev = np.linalg.eigvalsh(T.nn_hessian(th, X, Yi))
    zt = 1e-9 * np.max(np.abs(ev))
    n = T.spectrum_counts(ev, zt)
    rec = _record(n_neg=n[0], n_zero=n[1], n_pos=n[2], n_bound=T.neg_bound(th, X, Yi), P=3 * H, N=X.size, H=H)
    assert C.claim_eigen_bounds([rec]).status == C.PASS
    assert n[1] >= 3 * H - min(X.size, 2 * H)


def test_q_conservation():
    assert C.claim_q_conservation([1e-12, 3e-9], 1e-8).status == C.PASS
    assert C.claim_q_conservation([1e-12, 3e-7], 1e-8).status == C.FAIL
    assert C.claim_q_conservation([np.nan], 1e-8).status == C.FAIL
    assert C.claim_q_conservation([], 1e-8).status == C.SKIP


def test_kernel_regime():
    """Claim 10: non-increasing for alpha >= 1 within 0.01 + 5%, <= 0.02 at the largest alpha, which is >= 10."""
    K = C.claim_kernel_regime
    good = [dict(label="g", alphas=[0.1, 0.3, 1, 3, 10], dist=[0.5, 0.5, 0.2, 0.05, 0.004])]
    r = K(good)
    assert r.status == C.PASS and r.value == pytest.approx(0.004)
    assert "a=10: 0.004" in r.detail
    # below alpha = 1 anything goes (a tie or a rise at 0.1 -> 0.3 is not judged)
    assert K([dict(label="g", alphas=[0.1, 0.3, 1, 10], dist=[0.2, 0.6, 0.1, 0.01])]).status == C.PASS
    # a rise within the slack 0.01 + 5% passes, beyond it fails
    assert K([dict(label="g", alphas=[1, 3, 10], dist=[0.2, 0.2 + 0.0199, 0.01])]).status == C.PASS
    bad = K([dict(label="b", alphas=[1, 3, 10], dist=[0.2, 0.2 + 0.0201, 0.01])])
    assert bad.status == C.FAIL and "rises from 0.2 at alpha 1" in bad.detail
    # closeness at the largest alpha
    assert K([dict(label="b", alphas=[0.1, 1, 10], dist=[0.9, 0.3, 0.0201])]).status == C.FAIL
    assert K([dict(label="g", alphas=[0.1, 1, 10], dist=[0.9, 0.3, 0.0199])]).status == C.PASS
    # one group failing fails the claim
    assert K(good + [dict(label="b", alphas=[1, 10], dist=[0.01, 0.05])]).status == C.FAIL
    # a group whose run at alpha >= 10 did not reach an end state fails; a study without alpha >= 10 skips
    miss = K(good + [dict(label="m", alphas=[0.1, 1, 3], dist=[0.5, 0.1, 0.05])])
    assert miss.status == C.FAIL and "largest alpha with an end state is 3" in miss.detail
    assert K([dict(label="s", alphas=[0.1, 1, 3], dist=[0.5, 0.1, 0.01])]).status == C.SKIP
    assert K([dict(label="g", alphas=[1, 10], dist=[np.nan, 0.01])]).status == C.PASS  # non-finite left out
    assert K([]).status == C.SKIP


def test_alternating_curvature():
    x = np.linspace(-1, 1, 8)
    assert C.alternating_curvature(x, (-1.0) ** np.arange(8))
    assert not C.alternating_curvature(x, np.sin(np.pi * x))
    assert C.alternating_curvature(x[::-1], (-1.0) ** np.arange(8)[::-1])  # order of the points does not matter
    assert not C.alternating_curvature(x[:3], [1, -1, 1])  # needs N >= 4


def _adaptive_inputs(alternating=True):
    ends = [dict(label="run %d" % k, alpha=a, state="interpolating", reason="loss_tol", loss=1e-11)
            for k, a in enumerate([0.1, 1, 10])]
    g = dict(label="H=128 seed=0", alternating=alternating, alpha_min=0.1, state_min="interpolating", d_lin=0.1,
             d_cubic=0.3, near=0.7, alpha_max=10, state_max="interpolating", d_lin_max=0.3, near_max=0.2)
    return ends, g


def test_adaptive_regime_pass_and_each_condition_fails():
    A = C.claim_adaptive_regime
    ends, g = _adaptive_inputs()
    r = A(ends, [g])
    assert r.status == C.PASS and r.value == pytest.approx(1 / 3)
    assert "d_lin 0.1, d_cubic 0.3" in r.detail and "kink mass near data 0.70" in r.detail
    assert A(ends, [dict(g, d_lin=0.181)]).status == C.FAIL      # d_lin >= 0.6 d_cubic (0.18)
    assert A(ends, [dict(g, d_lin=0.179, d_lin_max=0.31)]).status == C.PASS
    assert A(ends, [dict(g, d_lin_max=0.16)]).status == C.FAIL   # d_lin >= 0.6 d_lin(alpha_max) (0.096)
    assert A(ends, [dict(g, near=0.49, near_max=0.1)]).status == C.FAIL  # kink mass near data < 0.5
    assert A(ends, [dict(g, near=0.7, near_max=0.36)]).status == C.FAIL  # < 2 x its value at alpha_max
    assert A(ends, [dict(g, near=0.7, near_max=0.35)]).status == C.PASS
    assert A(ends, [dict(g, state_max="budget")]).status == C.FAIL  # alpha_max not at an end state
    assert A(ends, [dict(g, near=np.nan)]).status == C.FAIL


def test_adaptive_regime_end_states():
    A = C.claim_adaptive_regime
    ends, g = _adaptive_inputs()
    # a run at its time budget, or a failed one, is not an end state
    budget = ends + [dict(label="run 9", alpha=0.3, state="budget", reason="max_time", loss=0.1)]
    r = A(budget, [g])
    assert r.status == C.FAIL and "NOT AT AN END STATE: run 9 (max_time)" in r.detail
    assert A(ends + [dict(label="x", alpha=1, state="failed", reason="diverged", loss=np.inf)], [g]).status == C.FAIL
    # a stationary end (case (b)) is reported with clusters and residuals and does not fail the claim
    st = dict(label="run 7", alpha=0.1, state="stationary", reason="stationary", loss=1.07e-2, dev=1e-9, implied=True,
              residuals=[0.1, -0.05, 0.0, 0.02], clusters=[dict(center=0.52, share=0.6, at_data=False, n=40)])
    r = A(ends + [st], [dict(g, state_min="stationary")])
    assert r.status == C.PASS
    assert "case (b) spurious stationary point, run 7: loss 0.0107" in r.detail
    assert "60% at 0.52 (between data points)" in r.detail and "+0.100 -0.050" in r.detail
    assert "no verdict on linearity" in r.detail
    # the smallest alpha must be <= 0.3
    assert A([dict(e, alpha=e["alpha"] + 1) for e in ends], [g]).status == C.SKIP
    assert A([], []).status == C.SKIP


def test_adaptive_regime_other_data_no_verdict():
    ends, g = _adaptive_inputs(alternating=False)
    r = C.claim_adaptive_regime(ends, [dict(g, d_lin=0.5, near=0.0)])  # far from linear: no verdict on sine data
    assert r.status == C.PASS and "does not alternate: no verdict on linearity" in r.detail and "d_lin 0.5" in r.detail


def test_exact_counts():
    ev = np.array([-2.0, -1e-14, 0.0, 1e-13, 0.5, 3.0])
    zt = 1e-9 * 3.0
    edges = np.linspace(-2.5, 3.5, 7)
    hist = np.histogram(ev, edges)[0]
    rec = dict(label="x", values=ev, zero_tol=zt, n_neg=1, n_zero=3, n_pos=2, hist_edges=edges, hist_counts=hist)
    assert C.claim_exact_counts([rec]).status == C.PASS
    assert C.claim_exact_counts([dict(rec, n_neg=2, n_zero=2)]).status == C.FAIL
    h2 = hist.copy()
    h2[0] += 1
    h2[-1] -= 1
    assert C.claim_exact_counts([dict(rec, hist_counts=h2)]).status == C.FAIL


def test_consistency():
    a = np.array([1.0, 2.0, np.nan])
    assert C.claim_consistency("C1", [("a", a, a * (1 + 1e-14), None)]).status == C.PASS
    assert C.claim_consistency("C1", [("a", a, a * (1 + 1e-8), None)]).status == C.FAIL
    assert C.claim_consistency("C1", [("a", a, np.array([1.0, 2.0, 3.0]), None)]).status == C.FAIL


def test_critical_points_least_squares_line():
    """A single neuron active on every point plus the output bias, set to the least-squares line of the data: a
    non-interpolating critical point whose only segment is fitted by least squares (check CP passes). Moving
    the bias off the line makes it non-stationary (nothing to judge); a fabricated stationary record with a
    segment deviation fails."""
    rng = np.random.default_rng(3)
    x = np.linspace(-1, 1, 9)
    y = np.sin(2 * x) + 0.1 * rng.normal(size=x.size)
    a, b0 = np.polyfit(x, y, 1)
    th = np.array([1.0, 5.0, a, b0 - 5.0 * a])  # (w, b, v), c: knot at -5, f = a x + b0 on the data
    m = C.critical_point_measures(th, x, y, "sum", True)
    assert m["grad_rel"] < 1e-12 and m["implied"] and m["dev"] < 1e-12 and m["nseg"] == 1 and not m["on_knot"]
    rec = dict(m, label="ls line", interpolating=False)
    assert C.claim_critical_points([rec]).status == C.PASS
    th2 = th.copy()
    th2[3] += 0.01
    m2 = C.critical_point_measures(th2, x, y, "sum", True)
    assert m2["grad_rel"] > 1e-3 and m2["dev"] > 1e-3
    assert C.claim_critical_points([dict(m2, label="moved", interpolating=False)]).status == C.SKIP
    wrong = dict(rec, dev=1e-3)
    assert C.claim_critical_points([rec, wrong]).status == C.FAIL


def test_critical_points_implied_by_active_sets():
    """Two mirrored pairs of neurons: active sets {x > -0.5}, {x < -0.2}, {x > 0.2}, {x < 0.5} do not determine
    the five segment sums (rank 4 < 5): piecewise least squares is not implied. With the output bias (all
    points) it is. A data point on a breakpoint is flagged."""
    x = np.linspace(-1, 1, 11)
    y = np.cos(3 * x)
    # (w, b, v) per neuron: beta = -b/w
    th = np.array([1.0, 0.5, 1.0, -1.0, -0.2, 1.0, 1.0, -0.2, 1.0, -1.0, 0.5, 1.0])
    assert not C.critical_point_measures(th, x, y, "sum", False)["implied"]
    assert C.critical_point_measures(np.append(th, 0.0), x, y, "sum", True)["implied"]
    on = th.copy()
    on[1] = 0.6  # beta_0 = -0.6, a data point of linspace(-1, 1, 11)
    assert C.critical_point_measures(on, x, y, "sum", False)["on_knot"]


def test_end_states_of_the_run_table():
    """regimes.end_state (docs/theory.md 4.8): the stop reason decides; a file without final_grad_norm (written
    before the stationary stop) counts a max_time run with a flat loss curve as stationary."""
    from splinelens import regimes as RG

    class FakeStudy:
        def __init__(self, curves):
            self.curves = curves

        def ragged(self, path, i):
            return np.asarray(self.curves[i], float)

    def table(new):
        dt = [("status", "i1"), ("stop_reason", "U16"), ("interpolating", "i8")] + ([("final_grad_norm", "f8")] if new else [])
        rows = [(1, "loss_tol", 1), (1, "stationary", 0), (1, "max_time", 0), (1, "max_steps", 0), (2, "diverged", 0),
                (1, "max_time", 0)]
        t = np.zeros(len(rows), dt)
        for k, r in enumerate(rows):
            t["status"][k], t["stop_reason"][k], t["interpolating"][k] = r
        return t
    flat = [3.0, 1.0, 0.5, 0.5, 0.5]
    moving = [3.0, 1.0, 0.5, 0.4, 0.3]
    st = FakeStudy([flat, flat, flat, flat, flat, moving])
    new = [RG.end_state(st, table(True), i) for i in range(6)]
    assert new == ["interpolating", "stationary", "budget", "budget", "failed", "budget"]
    old = [RG.end_state(st, table(False), i) for i in range(6)]
    assert old == ["interpolating", "stationary", "stationary", "budget", "failed", "budget"]
