"""Figure helpers of analysis/splinelens/plots.py: the style sheet is the one in use, paper widths, tick
placement on symlog and log axes (labels that cannot overprint), bins of the spectra histograms."""
import math

import numpy as np
import pytest

from splinelens import plots as PL


def test_style_sheet_and_paper_widths():
    import matplotlib.pyplot as plt
    assert PL.STYLE.endswith("splinelens.mplstyle")
    assert plt.rcParams["savefig.bbox"] == "tight" and plt.rcParams["pdf.fonttype"] == 42
    fig, axes = PL.figure(1, 2, PL.SINGLE)
    assert fig.get_size_inches()[0] == pytest.approx(3.4) and axes.shape == (1, 2)
    fig2, axes2, lax = PL.figure_with_legend(2, 3, PL.DOUBLE)
    assert fig2.get_size_inches()[0] == pytest.approx(7.0) and axes2.shape == (2, 3)
    plt.close("all")


@pytest.mark.parametrize("lt,vmax", [(1e-9, 4e3), (1e-3, 1e6), (1.0, 1536.0), (1e-6, 1e-5)])
def test_symlog_ticks_never_crowd_the_threshold(lt, vmax):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.set_yscale("symlog", linthresh=lt)
    PL.symlog_ticks(ax, "y", lt, vmax, per_side=4)
    ticks = ax.yaxis.get_major_locator().tick_values(-vmax, vmax)
    pos = sorted(t for t in ticks if t > 0)
    assert 0.0 in ticks and all(-t in ticks for t in pos)
    assert pos and min(pos) >= 10 * lt * (1 - 1e-12)  # nothing within a decade of the linear threshold
    assert len(pos) <= 4
    labels = [ax.yaxis.get_major_formatter()(t) for t in ticks]
    assert len(set(labels)) == len(labels)
    plt.close(fig)


def test_log_ticks_short_and_long_ranges():
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.set_yscale("log")
    ax.set_ylim(0.15, 8)  # under two decades: 1-2-5 ticks, several of them inside
    PL.log_ticks(ax, "y")
    inside = [t for t in ax.yaxis.get_major_locator().tick_values(0.15, 8) if 0.15 <= t <= 8]
    assert len(inside) >= 4 and ax.yaxis.get_major_formatter()(0.5) == "0.5"
    ax.set_ylim(1e-9, 1e5)  # many decades: at most a handful of decade ticks
    PL.log_ticks(ax, "y", numticks=5)
    dec = [t for t in ax.yaxis.get_major_locator().tick_values(1e-9, 1e5) if 1e-9 <= t <= 1e5]
    assert 2 <= len(dec) <= 6 and all(abs(math.log10(t) - round(math.log10(t))) < 1e-9 for t in dec)
    plt.close(fig)


def test_symlog_bins_cover_the_spectrum():
    v = np.concatenate([-np.logspace(-3, 1, 20), np.zeros(50), np.logspace(-8, 4, 200)])
    e = PL._symlog_bins(v, 1e-6, nbins=40)
    assert e.size == 41 and np.all(np.diff(e) > 0) and e[0] < v.min() and e[-1] > v.max()
    cnt, _ = np.histogram(v, e)
    assert cnt.sum() == v.size and cnt.max() < v.size  # not everything in one bin
