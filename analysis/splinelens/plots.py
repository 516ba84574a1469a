"""Figures of a splinelens study (used by splinelens-report). Each fig_* function fig(cx, res) draws what the study
(cx: Ctx) and its results (res: claims.StudyResults, the claim results and regime measures computed before) contain
and returns a list of (file stem, caption) it saved (empty when the study has nothing for it)."""
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from . import checks  # noqa: E402
from . import regimes as RG  # noqa: E402
from . import theory as T  # noqa: E402

SCHEME_COLORS = dict(zip(T.SCHEMES, ["#1f77b4", "#d62728", "#2ca02c", "#17becf", "#ff7f0e", "#98df8a", "#9467bd", "#8c564b"]))
PART_STYLE = {"full": "-", "gauss_newton": "--", "residual": ":"}
STYLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "splinelens.mplstyle")  # the one style sheet
plt.style.use(STYLE)
SINGLE = 3.4  # paper widths (inches): one column
DOUBLE = 7.0  # two columns


def figure(nrow=1, ncol=1, width=DOUBLE, aspect=0.75, **kw):
    """plt.subplots at a paper width (SINGLE or DOUBLE); each panel is width/ncol wide and aspect x that high."""
    w = width / ncol
    return plt.subplots(nrow, ncol, figsize=(width, w * aspect * nrow), squeeze=False, **kw)


def figure_with_legend(nrow, ncol, width=DOUBLE, aspect=0.75, legend_height=0.5):
    """figure() plus a full-width row of legend_height inches below the panels for a legend panel: (fig, axes,
    legend axes); fill it with legend_panel."""
    w = width / ncol
    fig = plt.figure(figsize=(width, w * aspect * nrow + legend_height))
    gs = fig.add_gridspec(nrow + 1, ncol, height_ratios=[w * aspect] * nrow + [legend_height])
    axes = np.array([[fig.add_subplot(gs[r, c]) for c in range(ncol)] for r in range(nrow)])
    return fig, axes, fig.add_subplot(gs[nrow, :])


def handles_of(*axes):
    """Unique (handles, labels) of the axes, in order."""
    seen, hs, ls = set(), [], []
    for ax in axes:
        for h, l in zip(*ax.get_legend_handles_labels()):
            if l not in seen:
                seen.add(l)
                hs.append(h)
                ls.append(l)
    return hs, ls


def legend_outside(ax, where="right", ncol=1, **kw):
    """A legend next to the axes (right of it, or below it), never over the data; constrained layout makes room."""
    h, l = ax.get_legend_handles_labels()
    if not h:
        return None
    if where == "below":
        return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=ncol, borderaxespad=0.0, **kw)
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), ncol=ncol, borderaxespad=0.0, **kw)


def legend_panel(ax, handles, labels, ncol=1, **kw):
    """A panel of its own that holds only a legend (handles, labels)."""
    ax.set_axis_off()
    if handles:
        ax.legend(handles, labels, loc="center", ncol=ncol, **kw)


def _sup(v):
    return "$10^{%d}$" % v


def symlog_ticks(ax, which, linthresh, vmax, per_side=4):
    """Readable ticks of a symlog axis: 0 and +-10^k for decades at least 10 x linthresh up to vmax (at most
    per_side per sign, every m-th decade), so labels never overprint around the linear threshold."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
    lo = int(math.floor(math.log10(linthresh))) + 1
    hi = int(math.ceil(math.log10(max(vmax, 10 * linthresh))))
    ks = list(range(lo, hi + 1))
    step = max(1, int(math.ceil(len(ks) / float(per_side))))
    ks = ks[::-1][::step][::-1]
    ticks = sorted([-10.0 ** k for k in ks] + [0.0] + [10.0 ** k for k in ks])
    axis = ax.xaxis if which == "x" else ax.yaxis

    def fmt(v, pos=None):
        if v == 0:
            return "0"
        k = int(round(math.log10(abs(v))))
        return ("$-10^{%d}$" if v < 0 else "$10^{%d}$") % k
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FuncFormatter(fmt))
    axis.set_minor_locator(NullLocator())


def log_ticks(ax, which="y", numticks=5):
    """Readable log-axis ticks, set from the current limits (call after drawing): decades labelled 10^k (at most
    numticks) when the axis spans two decades or more, else 1-2-5 ticks labelled as plain numbers."""
    from matplotlib.ticker import FuncFormatter, LogFormatterSciNotation, LogLocator, NullLocator
    axis = ax.xaxis if which == "x" else ax.yaxis
    lo, hi = sorted(ax.get_xlim() if which == "x" else ax.get_ylim())
    if lo > 0 and hi / lo < 100:
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=12))
        axis.set_major_formatter(FuncFormatter(lambda v, pos=None: "%g" % float("%.2g" % v)))
    else:
        axis.set_major_locator(LogLocator(base=10, numticks=numticks))
        axis.set_major_formatter(LogFormatterSciNotation())
    axis.set_minor_locator(NullLocator())


def alpha_axis(ax, alphas):
    """Log x axis with the study's alphas as plain tick labels."""
    from matplotlib.ticker import FixedLocator, NullLocator
    alphas = sorted(set(float(a) for a in alphas))
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(alphas))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels(["%g" % a for a in alphas])
    ax.set_xlim(alphas[0] / 1.6, alphas[-1] * 1.6)


def scheme_color(s):
    return SCHEME_COLORS.get(s, "#555555")


def alpha_colors(alphas):
    alphas = sorted(set(float(a) for a in alphas))
    cm = plt.get_cmap("viridis")
    if len(alphas) == 1:
        return {alphas[0]: cm(0.4)}
    la = np.log(alphas)
    return {a: cm(0.05 + 0.85 * (l - la.min()) / (la.max() - la.min())) for a, l in zip(alphas, la)}


def width_colors(widths):
    widths = sorted(set(int(w) for w in widths))
    cm = plt.get_cmap("plasma")
    return {w: cm(0.1 + 0.75 * k / max(len(widths) - 1, 1)) for k, w in enumerate(widths)}


class Ctx:
    """What every figure needs: the study, its run table, done runs, output directory."""

    def __init__(self, study, outdir, formats=("png", "pdf")):
        self.st = study
        self.t = study.runs()
        self.done = [int(i) for i in np.nonzero(self.t["status"] == 1)[0]]
        self.outdir = outdir
        self.formats = formats
        self.symmetric = study.init_params().get("symmetric", False)
        self._runs = {}
        self.saved = []

    def run(self, i):
        if i not in self._runs:
            self._runs[i] = self.st.run(i)
        return self._runs[i]

    def save(self, fig, stem, caption):
        for ext in self.formats:
            fig.savefig(os.path.join(self.outdir, "%s.%s" % (stem, ext)))
        plt.close(fig)
        self.saved.append((stem, caption))
        return [(stem, caption)]

    def col(self, name, ids=None):
        ids = self.done if ids is None else ids
        return self.t[name][ids]

    def uniq(self, name, ids=None):
        v = self.col(name, ids)
        return list(dict.fromkeys(v.tolist()))

    def ids(self, **crit):
        out = []
        for i in self.done:
            if all((abs(float(self.t[k][i]) - float(v)) <= 1e-12 * abs(float(v)) if isinstance(v, float) else self.t[k][i] == v)
                   for k, v in crit.items()):
                out.append(i)
        return out

    def independent_ids(self, scheme, width):
        """One done run per seed (alphas rescale and data sets share the same network)."""
        seen, pick = set(), []
        for i in self.ids(scheme=scheme, width=width):
            if int(self.t["seed"][i]) not in seen:
                seen.add(int(self.t["seed"][i]))
                pick.append(i)
        return pick

    def ref_alpha(self):
        al = sorted(set(float(a) for a in self.col("alpha")))
        return min(al, key=lambda a: abs(math.log(a))) if al else 1.0

    def data_range(self, name):
        X = self.st.dataset(name)["x"]
        return float(X.min()), float(X.max())


def legend(ax, **kw):
    """ax.legend only when something is labelled (no matplotlib warning on empty panels)."""
    h, l = ax.get_legend_handles_labels()
    if h:
        ax.legend(**kw)


def width_axis(ax, widths):
    """Log x axis with the study's widths as plain tick labels."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator
    widths = sorted(set(int(w) for w in widths))
    ax.set_xscale("log")
    if len(widths) <= 8:
        ax.xaxis.set_major_locator(FixedLocator(widths))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([str(w) for w in widths])
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(min(widths) / 1.4, max(widths) * 1.4)


def _grid(n):
    ncol = min(n, 3)
    nrow = int(math.ceil(n / ncol))
    return nrow, ncol


# ---------------------------------------------------------------------------------------------------------
# Initialization
# ---------------------------------------------------------------------------------------------------------

def _scheme_panels(cx):
    """One panel per init scheme: (fig, [(ax, scheme)], legend axes) with the unused panels hidden, or (None, [], None).
    The widths share one legend panel below (_scheme_legend); each panel names its scheme and its theory law."""
    schemes = cx.uniq("scheme")
    if not schemes:
        return None, [], None
    nrow, ncol = _grid(len(schemes))
    fig, axes, lax = figure_with_legend(nrow, ncol, DOUBLE if ncol > 1 else SINGLE * 1.4, aspect=0.8, legend_height=0.3)
    for ax in axes.flat[len(schemes):]:
        ax.set_visible(False)
    return fig, list(zip(axes.flat, schemes)), lax


def _scheme_legend(panels, lax):
    """The theory law named under each panel's title; one legend of the widths (from the first panel) in lax."""
    for ax, sch in panels:
        th = [l for l in ax.get_legend_handles_labels()[1] if l.startswith("theory")]
        if th:
            ax.set_title("%s\n%s" % (sch, th[0]), fontsize=7)
    h, l = panels[0][0].get_legend_handles_labels()
    keep = [(a, b) for a, b in zip(h, l) if not b.startswith("theory")]
    keep.append((panels[0][0].lines[-1] if panels[0][0].lines else None, "theory (dashed)"))
    legend_panel(lax, [a for a, _ in keep if a is not None], [b for a, b in keep if a is not None], ncol=len(keep))


def _init_samples(cx, sch, path):
    """[(H, laws, values of `path` at init pooled over independent seeds)] of one scheme, widths ascending; with a
    symmetric init only the first half of each network (the second mirrors it)."""
    out = []
    for H in sorted(set(int(w) for w in cx.col("width", cx.ids(scheme=sch)))):
        pick = cx.independent_ids(sch, H)
        half = H // 2 if cx.symmetric else H
        vals = np.concatenate([cx.st.ragged(path, i)[:half] for i in pick])
        out.append((H, cx.st.laws(sch, H, float(cx.t["alpha"][pick[0]])), vals))
    return out


def fig_init_breakpoints(cx, res):
    fig, panels, lax = _scheme_panels(cx)
    if fig is None:
        return []
    wc = width_colors(cx.col("width"))
    for ax, sch in panels:
        drawn = False
        for H, laws, b in _init_samples(cx, sch, "network/beta_init"):
            b = b[np.isfinite(b)]
            if laws["b"].kind == "zero":
                ax.text(0.5, 0.5, "zero bias: all %d breakpoints at 0" % b.size, transform=ax.transAxes, ha="center")
                continue
            W = 8.0 * max(laws["b"].scale / laws["w"].scale, 1e-3) if laws["w"].kind == laws["b"].kind else 8.0
            edges = np.linspace(-W, W, 61)
            cnt, _ = np.histogram(b, edges)
            dens = cnt / (b.size * np.diff(edges))  # density of the whole sample (tails beyond the window included)
            ax.stairs(dens, edges, color=wc[H], label="H=%d (%d neurons)" % (H, b.size))
            tt = np.linspace(-W, W, 400)
            ax.plot(tt, T.breakpoint_pdf(tt, laws["w"], laws["b"]), "k--", lw=1,
                    label=("theory: " + T.breakpoint_law_name(laws["w"], laws["b"])) if not drawn else None)
            drawn = True
        ax.set_title(sch)
        ax.set_xlabel(r"breakpoint $\beta$ (units of x)")
        ax.set_ylabel("density (1/x)")
    _scheme_legend(panels, lax)
    fig.suptitle(r"Breakpoints $\beta = -b/w$ at initialization, pooled over seeds")
    return cx.save(fig, "init_breakpoints", "Initial breakpoints, pooled over seeds (one network per seed and width), "
                   "against the closed-form law of docs/theory.md section 3 (Cauchy(0, s_b/s_w) for Gaussian schemes, "
                   "the ratio-of-uniforms law for uniform ones). Densities are normalised by the whole sample.")


def fig_init_delta_slopes(cx, res):
    fig, panels, lax = _scheme_panels(cx)
    if fig is None:
        return []
    wc = width_colors(cx.col("width"))
    for ax, sch in panels:
        name = None
        for H, laws, mu in _init_samples(cx, sch, "network/mu_init"):
            unit = T.delta_slope_unit(laws["w"], laws["v"])
            if unit == 0:
                continue
            u = mu / unit
            edges = np.linspace(-4, 4, 81) if laws["w"].kind == "normal" else np.linspace(-1, 1, 81)
            cnt, _ = np.histogram(u, edges)
            ax.stairs(cnt / (u.size * np.diff(edges)), edges, color=wc[H], label="H=%d (%d neurons)" % (H, u.size))
            name = (laws["w"].kind, T.delta_slope_law_name(laws["w"], laws["v"]).split(" (")[0])
        if name:
            tt = np.linspace(-4, 4, 801) if name[0] == "normal" else np.linspace(-1, 1, 801)
            one = T.Law(name[0], 1.0)
            ax.plot(tt, T.delta_slope_pdf(tt, one, one), "k--", lw=1, label="theory: " + name[1])
        ax.set_yscale("log")
        ax.set_title(sch)
        ax.set_xlabel(r"$\mu / (s_v s_w)$" if name and name[0] == "normal" else r"$\mu / (a_w a_v)$")
        ax.set_ylabel("density")
    _scheme_legend(panels, lax)
    fig.suptitle(r"Delta-slopes $\mu = v|w|$ at initialization, in units of their scale")
    return cx.save(fig, "init_delta_slopes", "Initial delta-slopes in units of their scale (s_v s_w for Gaussian "
                   "laws, a_w a_v for uniform ones) against the Bessel-K0 law (Gaussian) or the log law (uniform).")


# ---------------------------------------------------------------------------------------------------------
# Flatness
# ---------------------------------------------------------------------------------------------------------

def _mean_se(v):
    """Mean and standard error of the finite values (nan, 0 without any)."""
    v = np.asarray(v, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), 0.0
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else 0.0


def _mean_sd(v):
    v = np.asarray(v, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.nan, np.nan
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def fig_flatness_width(cx, res):
    widths = sorted(set(int(w) for w in cx.col("width")))
    if not cx.done or "init_R_total" not in cx.t.dtype.names:
        return []
    a = cx.ref_alpha()
    dn = cx.uniq("data")[0]
    xmin, xmax = cx.data_range(dn)
    fig, axes = figure(2, 2, DOUBLE, aspect=0.62)
    quants = [("init_R_total", "R_total"), ("init_R_in", "R_in"), ("init_frac_in", "frac_in"), ("init_max_kink", None)]
    ylabels = [r"$R_{\rm total}=\sum_i\mu_i^2$", r"$R_{\rm in}$ (in-range breakpoints)",
               "fraction of breakpoints in range", r"largest in-range $|\mu_i|$"]
    for ax, (col, th), yl in zip(axes.flat, quants, ylabels):
        for sch in cx.uniq("scheme"):
            ms, ss, hs, ex = [], [], [], []
            for H in widths:
                ids = cx.ids(scheme=sch, width=H, alpha=a, data=dn)
                if not ids:
                    continue
                m, sd = _mean_sd(cx.t[col][ids])
                ms.append(m)
                ss.append(sd)
                hs.append(H)
                if th:
                    e = T.roughness_expected(H, cx.st.laws(sch, H, a), xmin, xmax, cx.symmetric)
                    ex.append(e[th])
            if not hs:
                continue
            c = scheme_color(sch)
            ax.errorbar(hs, ms, yerr=ss, fmt="o", color=c, ms=3.5, capsize=2, lw=0.8, label="%s: mean $\\pm$ sd" % sch)
            if th:
                ax.plot(hs, ex, "--", color=c, lw=0.9, label="%s: closed form" % sch)
        width_axis(ax, widths)
        if col != "init_frac_in":
            ax.set_yscale("log")
            log_ticks(ax, "y")
        else:
            ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("width H")
        ax.set_ylabel(yl)
    legend_outside(axes[0, 1])
    fig.suptitle("Flatness at initialization vs width ($\\alpha$ = %g, %s data on [%g, %g], %d seeds)" % (
        a, dn, xmin, xmax, len(set(cx.col("seed")))))
    return cx.save(fig, "flatness_width", "Roughness R_total, in-range roughness R_in, fraction of breakpoints in the "
                   "data range and largest in-range kink at initialization vs width (mean and standard deviation over "
                   "seeds), with the closed forms of docs/theory.md section 3 (dashed).")


def fig_flatness_alpha(cx, res):
    alphas = sorted(set(float(a) for a in cx.col("alpha")))
    if len(alphas) < 2 or "init_R_total" not in cx.t.dtype.names:
        return []
    widths = sorted(set(int(w) for w in cx.col("width")))
    dn = cx.uniq("data")[0]
    xmin, xmax = cx.data_range(dn)
    markers = "osD^v<>ph*"
    a1 = cx.ref_alpha()
    fig, axes, lax = figure_with_legend(1, 3, DOUBLE, aspect=0.9, legend_height=0.45)
    axes = axes.reshape(1, 3)
    combos = [(sch, H) for sch in cx.uniq("scheme") for H in widths]
    off = {c: np.exp(0.4 * (k - (len(combos) - 1) / 2.0) / max(len(combos), 1)) for k, c in enumerate(combos)}
    for sch, H in combos:
        k = widths.index(H)
        pts = []
        for a in alphas:
            ids = cx.ids(scheme=sch, width=H, alpha=a, data=dn)
            if not ids:
                continue
            e = T.roughness_expected(H, cx.st.laws(sch, H, a), xmin, xmax, cx.symmetric)
            rt = cx.t["init_R_total"][ids] / e["R_total"]
            ri = cx.t["init_R_in"][ids] / max(e["R_in"], 1e-300)
            mk = cx.t["init_max_kink"][ids] / a ** 2
            pts.append((a,) + tuple(v for q in (rt, ri, mk) for v in _mean_se(q)))
        if not pts:
            continue
        p = np.array(pts)
        ref = p[np.argmin(np.abs(np.log(p[:, 0] / a1))), 5]
        p[:, 5:7] /= max(ref, 1e-300)
        for j, ax in enumerate(axes[0]):
            ax.errorbar(p[:, 0] * off[(sch, H)], p[:, 1 + 2 * j], yerr=p[:, 2 + 2 * j], fmt=markers[k % len(markers)] + "-",
                        color=scheme_color(sch), ms=3.5, mfc="none", lw=0.6, capsize=1.5,
                        label="%s H=%d" % (sch, H) if j == 0 else None)
    labels = [r"$R_{\rm total}\,/\,E[R_{\rm total}](\alpha)$", r"$R_{\rm in}\,/\,E[R_{\rm in}](\alpha)$",
              r"$\max_{\rm in}|\mu_i|\,/\,\alpha^2$ (rel.)"]
    titles = [r"closed form $\propto\alpha^4$", r"closed form $\propto\alpha^4$",
              r"expected $\propto\alpha^2$ (1 at $\alpha$ = %g)" % a1]
    for ax, yl, tt in zip(axes[0], labels, titles):
        ax.axhline(1.0, color="k", lw=0.8, ls="--")
        alpha_axis(ax, alphas)
        ax.set_xlabel(r"initialization scale $\alpha$")
        ax.set_ylabel(yl)
        ax.set_title(tt)
    legend_panel(lax, *handles_of(axes[0, 0]), ncol=min(len(combos), 4))
    fig.suptitle("Flatness at initialization vs $\\alpha$: ratio to the closed form (mean $\\pm$ s.e. over seeds, %s data)" % dn)
    return cx.save(fig, "flatness_alpha", "Initial roughness divided by its closed form at the same alpha (docs/theory.md "
                   "section 3; R_total and R_in scale as alpha^4), and the largest in-range kink divided by alpha^2 "
                   "(relative to alpha = %g): a flat line at 1 is the predicted scaling. Mean and standard error over "
                   "seeds per scheme and width (markers offset slightly in alpha)." % a1)


# ---------------------------------------------------------------------------------------------------------
# Loss surface
# ---------------------------------------------------------------------------------------------------------

def _spec_keys(cx, part=None):
    return [k for k in cx.st.spectra_keys() if part is None or k[2] == part]


def fig_spectrum_counts(cx, res):
    keys = _spec_keys(cx, "full")
    if not keys or not cx.done:
        return []
    stages = sorted(set(k[0] for k in keys), key=lambda s: ("init", "final").index(s) if s in ("init", "final") else 9)
    coords = sorted(set(k[1] for k in keys), key=lambda c: ("nn", "bdso").index(c) if c in ("nn", "bdso") else 9)
    widths = np.array(sorted(set(int(w) for w in cx.col("width"))))
    alphas = sorted(set(float(a) for a in cx.col("alpha")))
    by_alpha = widths.size == 1 and len(alphas) > 1  # one width: counts vs alpha, the references are levels
    if len(coords) == 1:  # one row of stages
        fig, axes = figure(1, len(stages), DOUBLE * 0.8, aspect=0.8)
        panel = lambda r, c: axes[0, r]
    else:
        fig, axes = figure(len(stages), len(coords), DOUBLE * 0.8, aspect=0.8)
        panel = lambda r, c: axes[r, c]
    ac = alpha_colors(alphas)
    rng = np.random.default_rng(0)
    N = int(np.max(cx.col("n_points")))
    quant = [("n_neg", "v", True, r"$n_{\rm neg}$"), ("n_zero", "s", False, r"$n_{\rm zero}$"),
             ("n_bound", "^", False, r"$n_{\rm bound}$ (neurons with a residual)")]
    for r, st in enumerate(stages):
        for c, co in enumerate(coords):
            ax = panel(r, c)
            pre = "%s_%s_full_" % (st, co)
            if pre + "n_neg" not in cx.t.dtype.names:
                ax.set_visible(False)
                continue
            for k, a in enumerate(alphas):
                ids = np.array(cx.ids(alpha=a))
                if ids.size == 0:
                    continue
                shift = np.exp(0.25 * (k - (len(alphas) - 1) / 2.0) / max(len(alphas), 1))  # alphas side by side
                H = (cx.t["alpha"][ids] if by_alpha else cx.t["width"][ids]).astype(float) * shift * \
                    np.exp(rng.uniform(-0.02, 0.02, ids.size))
                for q, mk, filled, _ in quant:
                    if pre + q not in cx.t.dtype.names:
                        continue
                    v = cx.t[pre + q][ids].astype(float)
                    ax.plot(H, np.where(v >= 0, v, np.nan), mk, color=ac[a], mfc=ac[a] if filled else "none", ms=3,
                            mew=0.7, alpha=0.8)
            P = (3 if co == "nn" else 2) * widths + (1 if cx.st.has_c else 0)
            rb = np.array([T.rank_bound(N, h, cx.st.has_c) for h in widths])
            if by_alpha:
                for lev, ls in ((widths[0], "-"), ((P - rb)[0], "--"), (P[0], ":")):
                    ax.axhline(lev, color="k", ls=ls, lw=0.8)
                alpha_axis(ax, alphas)
                ax.set_xlabel(r"$\alpha$ (H = %d)" % widths[0])
            else:
                ax.plot(widths, widths, "k-", lw=0.8)
                ax.plot(widths, P - rb, "k--", lw=0.8)
                ax.plot(widths, P, "k:", lw=0.8)
                width_axis(ax, widths)
                ax.set_xlabel("width H")
            ax.set_yscale("symlog", linthresh=1.0, linscale=0.4)  # 0 is drawn at 0, not at a made-up positive value
            ax.set_ylim(-0.3, 2.0 * float(np.max(P)))
            symlog_ticks(ax, "y", 1.0, float(np.max(P)), per_side=5)
            ax.set_ylabel("number of eigenvalues")
            ax.set_title("%s Hessian, %s" % (st, co))
    from matplotlib.lines import Line2D
    hs = [Line2D([], [], ls="", marker="o", color=ac[a], label=r"$\alpha$ = %g" % a) for a in alphas]
    hs += [Line2D([], [], ls="", marker=mk, color="0.3", mfc="0.3" if f else "none", label=lab) for _, mk, f, lab in quant]
    hs += [Line2D([], [], color="k", ls="-", lw=0.8, label="H (bound on $n_{\\rm neg}$)"),
           Line2D([], [], color="k", ls="--", lw=0.8, label="P - min(N, 2H): zeros at interpolation"),
           Line2D([], [], color="k", ls=":", lw=0.8, label="P")]
    axes[0, -1].legend(handles=hs, loc="upper left", bbox_to_anchor=(1.03, 1.0), borderaxespad=0.0)
    return cx.save(fig, "spectrum_counts", "Exact counts of negative and zero Hessian eigenvalues and the bound "
                   "n_bound (neurons with a nonzero residual sum) vs width (vs alpha when the study has one width), every done run (colour: alpha, side by "
                   "side; all schemes and seeds; symlog count axis, 0 drawn at 0). docs/theory.md section 4: "
                   "n_neg <= n_bound <= H; at interpolating minima n_zero >= P - min(N, 2H).")


def _symlog_bins(v, linthresh, nbins=40):
    """Bin edges equally spaced in the symlog coordinate asinh-like s(v) = sign(v) log10(1 + |v|/linthresh)."""
    s = lambda x: np.sign(x) * np.log10(1.0 + np.abs(x) / linthresh)
    si = lambda y: np.sign(y) * linthresh * (10.0 ** np.abs(y) - 1.0)
    lo, hi = s(np.min(v)), s(np.max(v))
    if hi <= lo:
        hi = lo + 1.0
    pad = 0.01 * (hi - lo)
    return si(np.linspace(lo - pad, hi + pad, nbins + 1))


def representative_runs(cx):
    """One done run per width: seed first, alpha closest to 1, first scheme and data set."""
    out = {}
    a = cx.ref_alpha()
    for H in sorted(set(int(w) for w in cx.col("width"))):
        ids = cx.ids(width=H, alpha=a)
        if ids:
            out[H] = ids[0]
    return out


def fig_spectra(cx, res):
    keys = _spec_keys(cx)
    if not keys or not cx.done:
        return []
    rep = representative_runs(cx)
    widths = sorted(rep)
    stc = sorted(set((k[0], k[1]) for k in keys), key=lambda sc: (("init", "final").index(sc[0]), ("nn", "bdso").index(sc[1])))
    fig, axes, lax = figure_with_legend(2, len(stc), DOUBLE if len(stc) > 2 else 0.75 * DOUBLE,
                                        aspect=0.95 if len(stc) > 2 else (0.7 if len(stc) == 2 else 0.45), legend_height=0.55)
    anydense = any(str(sp.get("method")) == "dense" for H in widths for sp in
                   [cx.run(rep[H]).spectra.get((st, co, "full")) for st, co in stc] if sp)
    wc = width_colors(widths)
    for c, (st, co) in enumerate(stc):
        ax, axh = axes[0, c], axes[1, c]
        mx, lt = 0.0, None
        for H in widths:
            sp = cx.run(rep[H]).spectra.get((st, co, "full"))
            if sp and sp.get("values") is not None and sp["values"].size:
                mx = max(mx, float(np.max(np.abs(sp["values"]))))
        # linear threshold: 1e-6 of the largest |lambda| (rounding-level eigenvalues are "zero" on this scale)
        lt = max(1e-12, 1e-6 * mx) if mx > 0 else 1.0
        for H in widths:
            r = cx.run(rep[H])
            for pa in ("full", "gauss_newton", "residual"):
                sp = r.spectra.get((st, co, pa))
                if not sp or sp.get("values") is None or sp["values"].size == 0:
                    continue
                v = np.asarray(sp["values"], float)
                P = int(sp.get("size", v.size))
                dense = str(sp.get("method")) == "dense" and v.size == P
                if dense:
                    ax.plot(np.arange(P) / max(P - 1, 1), v, PART_STYLE[pa], color=wc[H], lw=0.9,
                            label="H=%d %s" % (H, pa.replace("_", "-")))
                else:
                    k = v.size // 2
                    idx = np.concatenate([np.arange(k), P - k + np.arange(v.size - k)])
                    ax.plot(idx / max(P - 1, 1), v, "." if pa == "full" else "x", color=wc[H], ms=2.5,
                            label="H=%d %s (Krylov extremes)" % (H, pa.replace("_", "-")))
                if pa != "full":
                    continue
                if dense:  # the bulk: symlog bins, log counts; isolated eigenvalues (outliers) marked on top
                    e = _symlog_bins(v, lt)
                    cnt, _ = np.histogram(v, e)
                    axh.stairs(np.where(cnt > 0, cnt, np.nan), e, color=wc[H], lw=0.9, label="H=%d (dense)" % H)
                    q1, q99 = np.quantile(v, [0.01, 0.99])
                    out = v[(v < q1) | (v > q99)]
                    axh.plot(out, np.full(out.size, 0.97), "v", color=wc[H], ms=2.5, mew=0.0,
                             transform=axh.get_xaxis_transform(), clip_on=False)
                elif not anydense and sp.get("hist_counts") is not None and sp["hist_counts"].size:
                    cnt = np.asarray(sp["hist_counts"], float)
                    axh.stairs(np.where(cnt > 0, cnt, np.nan), np.asarray(sp["hist_edges"], float), color=wc[H], lw=0.9,
                               ls="--", label="H=%d (exact inertia bins)" % H)
        ax.set_yscale("symlog", linthresh=lt, linscale=0.5)
        symlog_ticks(ax, "y", 100 * lt, mx, per_side=3)
        ax.set_xlabel("rank / (P - 1)")
        ax.set_title("%s, %s" % (st, co))
        axh.set_xscale("symlog", linthresh=lt, linscale=0.5)
        symlog_ticks(axh, "x", 100 * lt, mx, per_side=2)
        axh.set_yscale("log")
        log_ticks(axh, "y", numticks=4)
        axh.set_ylim(0.6, None)
        axh.set_xlabel(r"$\lambda$ (full Hessian)")
        axh.set_title("histogram, %s, %s" % (st, co))
        if c == 0:
            ax.set_ylabel(r"eigenvalue $\lambda$")
            axh.set_ylabel("count per bin")
    legend_panel(lax, *handles_of(*axes.flat), ncol=4)
    fig.suptitle(r"Hessian spectra, one run per width ($\alpha$ = %g, seed %d;%ssymlog, linear within $10^{-6}\max|\lambda|$)" % (
        cx.ref_alpha(), int(cx.t["seed"][rep[widths[0]]]), " " if len(stc) > 2 else "\n"))
    return cx.save(fig, "spectra", "Hessian spectra of one run per width. Top: sorted eigenvalues (dense) or the k "
                   "smallest and largest (Krylov) of the full Hessian and its Gauss-Newton J^T J and residual parts, "
                   "on a symlog scale that is linear within 1e-6 of the largest |lambda|. Bottom: histogram of the full "
                   "spectrum with bins equally spaced on that scale and log counts; ticks on the top edge mark the "
                   "eigenvalues outside the 1st-99th percentiles (outliers). Only when no run has a dense spectrum are the "
                   "exact inertia-count histograms of the Krylov runs drawn (dashed; linear bins).")


def fig_extremal(cx, res):
    keys = _spec_keys(cx, "full")
    if not keys or not cx.done:
        return []
    fig, axes, lax = figure_with_legend(1, 3, DOUBLE, aspect=0.9, legend_height=0.6)
    axes = axes[0]
    for (st, co, pa) in keys:
        pre = "%s_%s_%s_" % (st, co, pa)
        ls = "o" if st == "init" else "s"
        for sch in cx.uniq("scheme"):
            ids = cx.ids(scheme=sch)
            if not ids:
                continue
            H = cx.t["width"][ids]
            lab = "%s %s %s" % (sch, st, co)
            mfc = scheme_color(sch) if co == "nn" else "none"
            axes[0].plot(H, cx.t[pre + "lambda_max"][ids], ls, color=scheme_color(sch), mfc=mfc, ms=3, alpha=0.7, label=lab)
            axes[1].plot(H, cx.t[pre + "lambda_min"][ids], ls, color=scheme_color(sch), mfc=mfc, ms=3, alpha=0.7, label=lab)
    for sch in cx.uniq("scheme"):
        for st, mk in (("init", "o"), ("final", "s")):
            ids = cx.ids(scheme=sch)
            if st + "_n_dead" in cx.t.dtype.names and ids:
                axes[2].plot(cx.t["width"][ids], cx.t[st + "_n_dead"][ids] / cx.t["width"][ids], mk,
                             color=scheme_color(sch), mfc=scheme_color(sch) if st == "final" else "none", ms=3,
                             label="%s %s" % (sch, st))
    axes[0].set_yscale("log")
    log_ticks(axes[0], "y", numticks=6)
    lmin = [abs(float(v)) for (st, co, pa) in keys for v in cx.col("%s_%s_%s_lambda_min" % (st, co, pa)) if np.isfinite(v)]
    axes[1].set_yscale("symlog", linthresh=1e-8, linscale=0.5)
    symlog_ticks(axes[1], "y", 1e-6, max(lmin + [1.0]), per_side=3)
    axes[2].set_ylim(-0.02, 1.02)
    for ax, yl in zip(axes, [r"largest eigenvalue $\lambda_{\max}$", r"smallest eigenvalue $\lambda_{\min}$",
                             "fraction of dead neurons"]):
        width_axis(ax, cx.col("width"))
        ax.set_xlabel("width H")
        ax.set_ylabel(yl)
    legend_panel(lax, *handles_of(*axes), ncol=4)
    fig.suptitle("Extremal Hessian eigenvalues and dead neurons (circles: init, squares: final; open: BDSO)")
    return cx.save(fig, "extremal_dead", "Largest and smallest eigenvalue of the full Hessian at init and at the end "
                   "(NN filled, BDSO open markers), and the fraction of dead neurons, vs width.")


def fig_critical_points(cx, res, stat_tol=1e-7, max_runs=4):
    """Critical points reached by training that do not interpolate: the learned function, its live breakpoints
    and the least-squares line of the data on each segment between breakpoints (docs/theory.md section 4)."""
    picks = []
    for i in sorted(cx.done, key=lambda i: (cx.t["n_params"][i], i)):
        if len(picks) >= max_runs or cx.t["n_params"][i] > 3 * 4096 + 1:
            break
        if int(cx.t["steps"][i]) <= 0 or str(cx.t["stop_reason"][i]) == "loss_tol":
            continue
        r = cx.run(i)
        if r.theta_final is None or not np.all(np.isfinite(r.theta_final)):
            continue
        m = checks.critical_point_measures(r.theta_final, r.x, r.y, cx.st.loss, r.has_c)
        if m["grad_rel"] <= stat_tol or str(cx.t["stop_reason"][i]) == "stationary":
            picks.append((i, m))
    if not picks:
        return []
    fig, axes, lax = figure_with_legend(1, len(picks), DOUBLE if len(picks) > 1 else SINGLE, aspect=0.8, legend_height=0.35)
    for ax, (i, m) in zip(axes.flat, picks):
        r = cx.run(i)
        th = r.theta_final
        lo, hi = float(np.min(r.x)), float(np.max(r.x))
        span = max(hi - lo, 1e-12)
        xg = np.linspace(lo - 0.1 * span, hi + 0.1 * span, 801)
        beta, mu, s, c = T.to_bdso(th, r.has_c)
        knots = np.unique(beta[np.isfinite(beta) & (mu != 0)])
        for k in knots:
            if xg[0] <= k <= xg[-1]:
                ax.axvline(k, color="0.6", lw=0.6, ls=":")
        ax.plot(xg, T.nn_eval(th, xg, r.has_c), color="tab:blue", lw=1.5, label="learned f")
        seg = np.searchsorted(knots, r.x)
        first = True
        for k in np.unique(seg):
            sel = seg == k
            if np.sum(sel) < 2:
                continue
            a, b0 = np.polyfit(r.x[sel], r.y[sel], 1)
            xs = np.linspace(r.x[sel].min(), r.x[sel].max(), 2)
            ax.plot(xs, a * xs + b0, "--", color="tab:orange", lw=1.2, label="least-squares line per segment" if first else None)
            first = False
        ax.plot(r.x, r.y, "ko", ms=3.5, label="data")
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        ax.set_title("run %d: H=%d, $\\alpha$ %g, seed %d\nloss %.3g, grad_rel %.1e\nsegment dev %.1e%s" % (
            i, cx.t["width"][i], cx.t["alpha"][i], cx.t["seed"][i], cx.t["final_loss"][i], m["grad_rel"], m["dev"],
            "" if m["implied"] else " (not implied)"), fontsize=6.5)
    legend_panel(lax, *handles_of(*axes.flat), ncol=3)
    fig.suptitle("Critical points without interpolation")
    return cx.save(fig, "critical_points", "Non-interpolating end states where the gradient vanishes (stop reason "
                   "stationary, or relative gradient <= %g): the learned function against the least-squares line of the data on each "
                   "segment between consecutive breakpoints (dashed; dotted vertical lines: live breakpoints); docs/theory.md section 4 says they coincide "
                   "when the active sets determine the segment sums." % stat_tol)


def fig_loss_curves(cx, res):
    if not cx.done or not cx.st.has("train/curve_loss"):
        return []
    if not any(np.size(cx.st.ragged("train/curve_loss", i)) for i in cx.done):
        return []  # initialization-only study (-sl_train false): no run has a loss curve
    widths = sorted(set(int(w) for w in cx.col("width")))
    ncol = min(len(widths), 4)
    show = widths if len(widths) <= 4 else [widths[int(round(k * (len(widths) - 1) / 3))] for k in range(4)]
    fig, axes, lax = figure_with_legend(1, ncol, DOUBLE, aspect=0.85, legend_height=0.35)
    ac = alpha_colors(cx.col("alpha"))
    for ax, H in zip(axes.flat, show):
        labeled = set()
        for i in cx.ids(width=H):
            ct = cx.st.ragged("train/curve_time", i)
            cl = cx.st.ragged("train/curve_loss", i)
            ok = np.isfinite(cl) & (ct > 0) & (cl > 0)
            a = float(cx.t["alpha"][i])
            ls = "-" if cx.t["scheme"][i] == cx.uniq("scheme")[0] else "--"
            ax.plot(ct[ok], cl[ok], ls, color=ac[a], lw=0.7, label=("$\\alpha$ = %g" % a) if a not in labeled else None)
            labeled.add(a)
        ax.set_xscale("log")
        ax.set_yscale("log")
        log_ticks(ax, "x", numticks=4)
        log_ticks(ax, "y", numticks=6)
        ax.set_xlabel("gradient-flow time t")
        ax.set_ylabel("loss")
        ax.set_title("H = %d" % H)
    from matplotlib.lines import Line2D
    hs, ls_ = handles_of(*axes.flat)
    for k, sch in enumerate(cx.uniq("scheme")[:2]):
        hs.append(Line2D([], [], color="0.3", ls="-" if k == 0 else "--", lw=0.8))
        ls_.append(sch)
    legend_panel(lax, hs, ls_, ncol=len(hs))
    return cx.save(fig, "loss_curves", "Training loss vs gradient-flow time for every done run, coloured by alpha "
                   "(line style: scheme); curves end when the loss tolerance is reached.")


# ---------------------------------------------------------------------------------------------------------
# Regimes
# ---------------------------------------------------------------------------------------------------------

def regime_group(cx, regime):
    """The (width, seed, scheme, data) group of the regime measures with the most alphas (widest first): (key, run
    ids by alpha), or (None, [])."""
    groups = RG.alpha_groups(cx.t, regime)
    if not groups:
        return None, []
    key = max(groups, key=lambda k: (len(groups[k]), k[0], -k[1]))
    return key, groups[key]


def _group_runs(cx, key):
    """Done runs of the (width, seed, scheme, data) group key, by alpha."""
    ids = [i for i in cx.done if RG.group_key(cx.t, i) == key]
    return sorted(ids, key=lambda i: (float(cx.t["alpha"][i]), i))


def _measures(cx, res, i):
    """Regime measures of run i: those computed for the claims, else computed now (a run not at an end state)."""
    m = res.regime.get(i)
    if m is None:
        try:
            m = RG.regime_measures(cx.run(i))
        except Exception:  # pragma: no cover - drawn without it
            return None
    return m


def fig_regime_functions(cx, res):
    key, _ = regime_group(cx, res.regime)
    if key is None:
        return []
    ids = _group_runs(cx, key)
    n = len(ids)
    nrow, ncol = _grid(n)
    fig, axes, lax = figure_with_legend(nrow, ncol, DOUBLE, aspect=0.75, legend_height=0.45)
    for ax, i in zip(axes.flat, ids):
        m = _measures(cx, res, i)
        r = cx.run(i)
        if m is None:
            ax.set_visible(False)
            continue
        ax.plot(m["x"], m["linear"], color="0.55", lw=2.2, alpha=0.5, label="linear interpolant")
        ax.plot(m["x"], m["cubic"], color="tab:green", lw=0.9, ls="--", label="natural cubic spline")
        ax.plot(m["x"], m["ntk"], color="tab:orange", lw=1.0, ls="-.", label="kernel (NTK) interpolant")
        ax.plot(m["x"], m["fT"], color="tab:blue", lw=1.1, label="learned f at the end")
        ax.plot(r.x, r.y, "ko", ms=3, label="data", zorder=5)
        b, mu, s, _ = T.to_bdso(r.theta_final, r.has_c)
        inr = np.isfinite(b) & (b >= r.x.min()) & (b <= r.x.max())
        lo = ax.get_ylim()[0]
        big = np.abs(mu[inr]) / max(np.max(np.abs(mu[inr])) if inr.any() else 1, 1e-300)
        ax.scatter(b[inr], np.full(inr.sum(), lo), s=3 + 30 * big, marker="|", color="tab:red", lw=0.8,
                   label=r"breakpoints (size $\propto|\mu_i|$)", clip_on=False)
        state = RG.end_state(cx.st, cx.t, i)
        ax.set_title("$\\alpha$ = %g (%s)\n$d_{\\rm ntk}$ %.2g, $d_{\\rm cubic}$ %.2g, $d_{\\rm lin}$ %.2g" % (
            cx.t["alpha"][i], state, m["d_ntk"], m["d_cubic"], m["d_lin"]))
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    legend_panel(lax, *handles_of(*axes.flat), ncol=3)
    fig.suptitle("Learned function vs $\\alpha$ (H = %d, seed %d, %s init, %s data)" % key)
    return cx.save(fig, "regime_functions", "Learned function at the end of training, one panel per alpha, next to the "
                   "kernel (NTK) interpolant of the initial network, the natural cubic spline and the linear "
                   "interpolant of the data (docs/theory.md section 5); breakpoints in the data range along the bottom. "
                   "Titles: end state and relative RMS distances on the data range (5.5).")


def fig_regime_distances(cx, res):
    rm = res.regime
    if not rm:
        return []
    alphas = sorted(set(float(cx.t["alpha"][i]) for i in rm))
    if len(alphas) < 2:
        return []
    from matplotlib.lines import Line2D
    fig, axes, lax = figure_with_legend(1, 3, DOUBLE, aspect=0.85, legend_height=0.5)
    axes = axes[0]
    widths = sorted(set(int(cx.t["width"][i]) for i in rm))
    schemes = cx.uniq("scheme")
    styles = ["-", "--", ":", "-."]
    dist = [("d_ntk", "tab:orange", "o", "to the NTK interpolant"), ("d_cubic", "tab:green", "s", "to the cubic spline"),
            ("d_lin", "tab:blue", "D", "to the linear interpolant")]
    # one legend entry per quantity (colour, marker), per width (line style) and per scheme (filled / open markers):
    # a line per (quantity, width, scheme) would give dozens of entries
    for si, sch in enumerate(schemes):
        for wi, H in enumerate(widths):
            ls = styles[wi % len(styles)]
            fill = (lambda c: c) if si == 0 else (lambda c: "none")
            rows = {a: [i for i in rm if cx.t["scheme"][i] == sch and cx.t["width"][i] == H and float(cx.t["alpha"][i]) == a]
                    for a in alphas}
            aa = [a for a in alphas if rows[a]]
            if not aa:
                continue
            for k, c, mk, lab in dist:
                for a in aa:
                    axes[0].plot([a] * len(rows[a]), [rm[i][k] for i in rows[a]], mk, color=c, ms=2.5, alpha=0.35, mew=0)
                axes[0].plot(aa, [np.mean([rm[i][k] for i in rows[a]]) for a in aa], mk + ls, color=c, mfc=fill(c), ms=4, lw=1)
            for k, c in (("near_init", "0.6"), ("near_final", "tab:purple")):
                axes[1].plot(aa, [np.mean([rm[i][k] for i in rows[a]]) for a in aa], "o" + ls, color=c, mfc=fill(c), ms=4, lw=1)
            axes[2].plot(aa, [np.mean([rm[i]["mean_dbeta"] for i in rows[a]]) for a in aa], "^" + ls, color="tab:red",
                         mfc=fill("tab:red"), ms=4, lw=1)
    hs = [Line2D([], [], color=c, marker=mk, ls="none", ms=4) for _, c, mk, _ in dist]
    ls_ = ["distance " + lab for _, _, _, lab in dist]
    hs += [Line2D([], [], color="0.6", marker="o", ls="none", ms=4), Line2D([], [], color="tab:purple", marker="o", ls="none", ms=4),
           Line2D([], [], color="tab:red", marker="^", ls="none", ms=4)]
    ls_ += ["kink mass near data at init", "kink mass near data at the end", "mean breakpoint displacement"]
    if len(widths) > 1:
        hs += [Line2D([], [], color="0.3", ls=styles[wi % len(styles)], lw=1) for wi in range(len(widths))]
        ls_ += ["H = %d" % H for H in widths]
    if len(schemes) > 1:
        hs += [Line2D([], [], color="0.3", marker="o", ls="none", ms=4, mfc=m) for m in ("0.3", "none")][:len(schemes)]
        ls_ += ["%s (%s markers)" % (sch, "filled" if k == 0 else "open") for k, sch in enumerate(schemes[:2])]
    axes[0].set_yscale("log")
    log_ticks(axes[0], "y")
    axes[0].set_ylabel(r"relative RMS distance $d$")
    axes[0].set_title("learned f vs three interpolants")
    axes[1].set_ylim(-0.03, 1.03)
    axes[1].set_ylabel(r"$|\mu|$-weighted share")
    axes[1].set_title("kink mass near the data")
    axes[2].set_yscale("log")
    log_ticks(axes[2], "y")
    axes[2].set_ylabel(r"mean $|\beta_i(T)-\beta_i(0)|$")
    axes[2].set_title("breakpoint motion")
    for ax in axes:
        alpha_axis(ax, alphas)
        ax.set_xlabel(r"initialization scale $\alpha$")
    legend_panel(lax, hs, ls_, ncol=3 if len(hs) <= 6 else 4)
    ns = len(set(int(cx.t["seed"][i]) for i in rm))
    fig.suptitle("Kernel vs adaptive regime (runs at an end state%s)" % (
        ", mean over %d seeds; small points: single seeds" % ns if ns > 1 else ""))
    return cx.save(fig, "regime_distances", "Kernel vs adaptive regime vs alpha (runs at an end state: interpolating or "
                   "stationary): relative RMS distance of the learned function to the NTK interpolant, the natural "
                   "cubic spline and the linear interpolant; |mu|-weighted share of the in-range kink mass within 0.1 x "
                   "median data spacing of a data point, at init and at the end; mean breakpoint displacement "
                   "(docs/theory.md 5.5). Lines: mean over seeds; small points: single seeds.")


def trajectory_runs(cx, regime):
    """Done runs (converged or not) of one (width, seed, scheme, data) group with snapshots, by alpha: the regime
    group when there is one, else the widest group with snapshots."""
    key, _ = regime_group(cx, regime)
    cands = [i for i in cx.done if cx.t["n_params"][i] <= cx.st.f["train/snap_theta_offset"][i + 1] - cx.st.f["train/snap_theta_offset"][i]] \
        if cx.st.has("train/snap_theta_offset") else []
    if not cands:
        return None, []
    if key is None:
        i0 = max(cands, key=lambda i: (cx.t["width"][i], -i))
        key = (int(cx.t["width"][i0]), int(cx.t["seed"][i0]), str(cx.t["scheme"][i0]), str(cx.t["data"][i0]))
    ids = [i for i in cands if (int(cx.t["width"][i]), int(cx.t["seed"][i]), str(cx.t["scheme"][i]), str(cx.t["data"][i])) == key]
    return key, sorted(ids, key=lambda i: (cx.t["alpha"][i], i))


def fig_breakpoint_trajectories(cx, res):
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize
    key, ids = trajectory_runs(cx, res.regime)
    if not ids:
        return []
    ids = [i for i in ids if int(np.sum(cx.run(i).snap_valid)) > 1]
    if not ids:
        return []
    show = [ids[0], ids[-1]] if len(ids) > 1 else ids
    fig, axes = figure(1, len(show), DOUBLE if len(show) > 1 else SINGLE, aspect=0.8)
    cmap = plt.get_cmap("viridis")
    norm = Normalize(0.0, 1.0)
    nsnap = []
    for ax, i in zip(axes.flat, show):
        r = cx.run(i)
        ok = r.snap_valid & (r.snap_time > 0)
        tt = r.snap_time[ok]
        nsnap.append(int(ok.sum()))
        B, M = r.snap_beta[ok], r.snap_mu[ok]
        lo, hi = float(r.x.min()), float(r.x.max())
        span = hi - lo
        ylo, yhi = lo - 0.08 * span, hi + 0.08 * span
        mfin = np.abs(M[-1])
        inr = np.isfinite(B).all(axis=0) & np.any((B >= ylo) & (B <= yhi), axis=0)
        w = mfin / max(float(np.max(mfin[inr])) if inr.any() else 1.0, 1e-300)
        for xn in r.x:
            ax.axhline(xn, color="0.6", lw=0.5, ls=":", zorder=0)
        order = [j for j in np.argsort(w) if inr[j]]  # large |mu| drawn last, on top
        segs = [np.column_stack([tt, B[:, j]]) for j in order]
        lc = LineCollection(segs, cmap=cmap, norm=norm, linewidths=[0.4 + 1.6 * w[j] for j in order])
        lc.set_array(np.array([w[j] for j in order]))
        ax.add_collection(lc)
        ax.set_xscale("log")
        ax.set_xlim(tt[0], tt[-1])
        ax.set_ylim(ylo, yhi)
        ax.set_xlabel("gradient-flow time t")
        ax.set_ylabel(r"breakpoint $\beta_i(t)$")
        ax.set_title("$\\alpha$ = %g (%s)\n%d snapshots, %d breakpoints in range" % (
            cx.t["alpha"][i], RG.end_state(cx.st, cx.t, i), ok.sum(), len(order)))
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    cb = fig.colorbar(sm, ax=list(axes.flat), shrink=0.9, pad=0.02)
    cb.set_label(r"final $|\mu_i|$ / largest in range")
    fig.suptitle("Breakpoint trajectories (H = %d, seed %d, %s init, %s data; dotted: data points)" % key)
    return cx.save(fig, "breakpoint_trajectories", "Breakpoint trajectories beta_i(t) of the in-range breakpoints from "
                   "the parameter snapshots (log time axis), at the smallest and the largest alpha; colour and line "
                   "width: the final |mu_i| relative to the largest in range (colour bar). Dotted horizontal lines: the "
                   "data points.")


def fig_eigenvector_fields(cx, res):
    """Eigenvectors of the extreme eigenvalues as breakpoint-indexed fields (-sl_eig_vectors): for the widest run
    with stored vectors, the share of each neuron in the most negative and the largest eigenvectors, plotted at
    the neuron's breakpoint, with the data positions."""
    best = None
    for (st, co, pa) in _spec_keys(cx, "full"):
        if not cx.st.has("spectra/%s/%s/%s/vectors" % (st, co, pa)):
            continue
        for i in cx.done:
            vals, beta, w = cx.st.eigenvector_fields((st, co, pa), i)
            if vals is None or not np.all(np.isfinite(vals)):
                continue
            score = (int(cx.t["width"][i]), st == "final", co == "nn", -i)
            if best is None or score > best[0]:
                best = (score, i, (st, co, pa), vals, beta, w)
    if best is None:
        return []
    _, i, key, vals, beta, w = best
    r = cx.run(i)
    picks = [j for j in (0, 1) if j < vals.size] + [j for j in (vals.size - 1, vals.size - 2) if j >= 2]
    fig, axes = figure(1, len(picks), DOUBLE if len(picks) > 1 else SINGLE, aspect=0.9)
    ok = np.isfinite(beta)
    lo, hi = float(np.min(r.x)), float(np.max(r.x))
    span = max(hi - lo, 1e-12)
    for ax, j in zip(axes.flat, picks):
        for xn in r.x:
            ax.axvline(xn, color="0.8", lw=0.6, ls=":")
        ax.scatter(beta[ok], np.maximum(w[j][ok], 1e-300), s=4, color="tab:red" if vals[j] < 0 else "tab:blue", alpha=0.6)
        ax.set_yscale("log")
        top = float(np.max(w[j][ok])) if np.any(ok) else 1.0
        ax.set_ylim(max(top * 1e-12, 1e-300), top * 3)
        ax.set_xlim(lo - 1.5 * span, hi + 1.5 * span)
        log_ticks(ax, "y", numticks=5)
        ax.set_xlabel(r"breakpoint $\beta_i$")
        ax.set_ylabel("share of neuron i" if j == picks[0] else "")
        ax.set_title(r"$\lambda$ = %.4g" % vals[j])
    st, co, pa = key
    fig.suptitle("Extreme eigenvectors (%s Hessian, %s, %s) by breakpoint; run %d: H = %d, $\\alpha$ = %g, seed %d; "
                 "dotted: data" % (pa, st, co, i, cx.t["width"][i], cx.t["alpha"][i], cx.t["seed"][i]))
    return cx.save(fig, "eigenvector_fields", "Which neurons carry the outlier eigenvalues: each eigenvector's squared "
                   "norm on a neuron's coordinates, placed at that neuron's breakpoint (red: negative eigenvalues, "
                   "blue: the largest). Stored with -sl_eig_vectors.")


def fig_snapshot_spectra(cx, res):
    """Hessian spectra along training (-sl_hess_stages ...,snapshots): extremal eigenvalues and the exact
    negative count of the full Hessian at every snapshot, for the trajectory group (one run per alpha)."""
    keys = [k for k in cx.st.snapshot_spectra_keys() if k[1] == "full"]
    if not keys or not cx.done:
        return []
    key, ids = trajectory_runs(cx, res.regime)
    if not ids:
        ids = sorted(cx.done, key=lambda i: (cx.t["alpha"][i], i))[:6]
    ids = ids[:8]
    alphas = sorted(set(float(cx.t["alpha"][i]) for i in ids))
    col = alpha_colors(alphas)
    fig, axes, lax = figure_with_legend(len(keys), 3, DOUBLE, aspect=0.8, legend_height=0.4)
    for row, (co, pa) in enumerate(keys):
        for i in ids:
            sp = cx.run(i).snapshot_spectra.get((co, pa))
            if sp is None or sp.get("time") is None:
                continue
            tt = np.asarray(sp["time"], float)
            ok = np.asarray(sp["n_neg"]) >= 0
            if not np.any(ok):
                continue
            t0 = tt[1] if tt.size > 1 else 1.0
            c = col[float(cx.t["alpha"][i])] if isinstance(col, dict) else None
            lab = r"$\alpha$ = %g (H = %d, seed %d)" % (cx.t["alpha"][i], cx.t["width"][i], cx.t["seed"][i])
            axes[row, 0].plot(tt[ok], np.asarray(sp["lambda_max"], float)[ok], "o-", color=c, ms=3, label=lab)
            axes[row, 1].plot(tt[ok], np.asarray(sp["lambda_min"], float)[ok], "o-", color=c, ms=3, label=lab)
            axes[row, 2].plot(tt[ok], np.asarray(sp["n_neg"], float)[ok], "o-", color=c, ms=3, label=lab)
            axes[row, 2].plot(tt[ok], np.asarray(sp["n_bound"], float)[ok], ":", color=c, lw=0.8)
            for ax in axes[row]:
                ax.set_xscale("symlog", linthresh=t0)
        axes[row, 0].set_yscale("log")
        log_ticks(axes[row, 0], "y")
        lm = [abs(v) for ln in axes[row, 1].get_lines() for v in np.asarray(ln.get_ydata(), float) if np.isfinite(v)]
        if lm and min(lm) < 0.01 * max(lm):  # values near 0 and far from it: symlog, else a linear axis
            axes[row, 1].set_yscale("symlog", linthresh=1e-8, linscale=0.5)
            symlog_ticks(axes[row, 1], "y", 1e-6, max(lm + [1.0]), per_side=3)
        for ax, yl in zip(axes[row], [r"$\lambda_{\max}$", r"$\lambda_{\min}$", r"$n_{\rm neg}$ (dotted: bound)"]):
            ax.set_xlabel("time t (symlog)")
            ax.set_ylabel(yl)
            ax.set_title("%s, %s Hessian" % (co, pa.replace("_", "-")))
    legend_panel(lax, *handles_of(axes[0, 0]), ncol=3)
    fig.suptitle("Hessian spectrum at every parameter snapshot")
    return cx.save(fig, "snapshot_spectra", "Largest and smallest eigenvalue and the exact number of negative "
                   "eigenvalues of the full Hessian at each snapshot, one curve per alpha; dotted: the bound n_neg <= "
                   "number of neurons with a nonzero residual sum (docs/theory.md section 4).")


# ---------------------------------------------------------------------------------------------------------
# Animation
# ---------------------------------------------------------------------------------------------------------

def have_pil():
    try:
        import PIL  # noqa: F401
        return True
    except ImportError:
        return False


def default_animation_run(cx, regime):
    key, ids = trajectory_runs(cx, regime)
    if ids:
        return ids[0]  # smallest alpha: the adaptive, most visible dynamics
    cands = [i for i in cx.done if cx.run(i).snap_theta.shape[0] > 1]
    return cands[0] if cands else None


def animate_run(cx, i, max_frames=None):
    """GIF of f(x) at every snapshot of run i with breakpoints sized by |mu|; PNG frames when PIL is absent.
    Returns (list of files, note)."""
    r = cx.run(i)
    K = r.snap_theta.shape[0]
    if K < 2:
        return [], "run %d stores no parameter snapshots" % i
    ks = [k for k in range(K) if r.snap_valid[k]]
    if max_frames and len(ks) > max_frames:
        ks = [ks[int(round(j * (len(ks) - 1) / (max_frames - 1)))] for j in range(max_frames)]
    lo, hi = r.x.min(), r.x.max()
    span = hi - lo
    xg = np.linspace(lo - 0.15 * span, hi + 0.15 * span, 600)
    fs = [T.nn_eval(r.snap_theta[k], xg, r.has_c) for k in ks]
    allf = np.concatenate(fs + [r.y])
    ylo, yhi = np.nanmin(allf), np.nanmax(allf)
    pad = 0.1 * max(yhi - ylo, 1e-12)
    mumax = max(max(np.nanmax(np.abs(r.snap_mu[k])) for k in ks) if r.snap_mu.shape[0] else 1.0, 1e-300)
    fig, ax = plt.subplots(figsize=(6, 4))
    title = "run %d: H=%d, alpha=%g, %s, %s" % (i, r.H, r.row["alpha"], r.row["scheme"], r.row["data"])

    def draw(j):
        k = ks[j]
        ax.clear()
        ax.plot(r.x, r.y, "ko", ms=4, label="data", zorder=3)
        ax.plot(xg, fs[j], color="tab:blue", lw=1.5, label="f(x, t)")
        th = r.snap_theta[k]
        b, mu, s, c = T.to_bdso(th, r.has_c)
        ok = np.isfinite(b) & (b >= xg[0]) & (b <= xg[-1])
        ax.scatter(b[ok], T.nn_eval(th, b[ok], r.has_c), s=3 + 120 * np.abs(mu[ok]) / mumax, color="tab:red",
                   alpha=0.7, label="breakpoints (size ~ |mu|)", zorder=4)
        ax.set_xlim(xg[0], xg[-1])
        ax.set_ylim(ylo - pad, yhi + pad)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        ax.set_title("%s\nt = %.4g, loss = %.3g" % (title, r.snap_time[k], r.snap_loss[k]))
        legend(ax, loc="upper left")

    files = []
    if have_pil():
        from matplotlib.animation import FuncAnimation, PillowWriter
        anim = FuncAnimation(fig, draw, frames=len(ks))
        path = os.path.join(cx.outdir, "animation_run%d.gif" % i)
        anim.save(path, writer=PillowWriter(fps=2))
        files.append(path)
        note = "GIF with %d frames (one per stored snapshot)" % len(ks)
    else:
        for j in range(len(ks)):
            draw(j)
            path = os.path.join(cx.outdir, "animation_run%d_frame%03d.png" % (i, j))
            fig.savefig(path)
            files.append(path)
        note = "PIL is not available: %d PNG frames instead of a GIF" % len(ks)
    # a static strip of the first and last frames for the PDF/markdown report
    plt.close(fig)
    fig2, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax_, j in zip(axes, (0, len(ks) - 1)):
        k = ks[j]
        th = r.snap_theta[k]
        b, mu, s, c = T.to_bdso(th, r.has_c)
        ok = np.isfinite(b) & (b >= xg[0]) & (b <= xg[-1])
        ax_.plot(r.x, r.y, "ko", ms=4)
        ax_.plot(xg, fs[j], color="tab:blue")
        ax_.scatter(b[ok], T.nn_eval(th, b[ok], r.has_c), s=3 + 120 * np.abs(mu[ok]) / mumax, color="tab:red", alpha=0.7)
        ax_.set_title("t = %.4g, loss %.3g" % (r.snap_time[k], r.snap_loss[k]))
        ax_.set_xlabel("x")
        ax_.set_ylabel("f(x)")
    fig2.suptitle(title)
    cx.save(fig2, "animation_run%d_first_last" % i, "First and last animation frames of run %d (breakpoints sized by |mu|)." % i)
    return files, note


ALL_FIGURES = [fig_init_breakpoints, fig_init_delta_slopes, fig_flatness_width, fig_flatness_alpha,
               fig_spectrum_counts, fig_spectra, fig_extremal, fig_critical_points, fig_loss_curves, fig_regime_functions,
               fig_regime_distances, fig_breakpoint_trajectories, fig_snapshot_spectra, fig_eigenvector_fields]
