"""Print the run table of a splinelens study file and its totals.

usage: splinelens-summary [--strict] [--status pending|done|failed] [--csv] FILE.h5

One line per run: id, width, seed, alpha, scheme, data, status, stop reason, steps, final loss, negative / zero
eigenvalue counts of the final full NN Hessian, breakpoints in range, and the run's spectral checks.
--strict: exit 1 if any run is pending or any stored check of a done run failed (checks_ok = 0 or a spectrum's
check_neg / check_zero = 0); failed runs (deterministic outcomes such as divergence) are listed and counted but
do not trip --strict. Exit 2 when the file cannot be read.
"""
import argparse
import os
import sys

import numpy as np

from .reader import STATUS_NAMES, Study


def fmt(v, kind="g"):
    if v is None:
        return "-"
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return "nan"
        return "%.3e" % v if kind == "e" else "%g" % v
    if isinstance(v, (int, np.integer)) and v < 0:
        return "-"
    return str(v)


def failed_checks(t, i, spectra_cols):
    """Names of the stored checks of run i that failed."""
    bad = []
    if "checks_ok" in t.dtype.names and t["checks_ok"][i] == 0:
        bad.append("checks_ok")
    for c in spectra_cols:
        if t[c][i] == 0:
            bad.append(c)
    return bad


def counts_key(names):
    """Column prefix of the spectrum whose counts the table shows: the final full NN Hessian, else the first."""
    if "final_nn_full_n_neg" in names:
        return "final_nn_full_"
    for n in names:
        if n.endswith("_n_neg"):
            return n[: -len("n_neg")]
    return None


COLUMNS = ["id", "width", "seed", "alpha", "scheme", "data", "status", "stop", "steps", "final_loss",
           "n_neg", "n_zero", "n_in", "checks"]


END_STATES = (("interpolating", ("loss_tol",)), ("stationary", ("stationary",)),
              ("budget-stopped", ("max_time", "max_steps")), ("untrained", ("none", "")))


def end_state_counts(t):
    """{end state: number of done runs} (docs/theory.md section 4.8): interpolating (stop_reason
    loss_tol), stationary (a non-interpolating critical point), budget-stopped (max_time, max_steps: not at an
    end state), untrained (initialization only). None without a stop_reason column."""
    if "stop_reason" not in t.dtype.names:
        return None
    done = t["status"] == 1 if "status" in t.dtype.names else np.ones(len(t), bool)
    reasons = [str(r) for r in t["stop_reason"][done]]
    return {name: sum(r in vals for r in reasons) for name, vals in END_STATES}


def end_state_line(t):
    c = end_state_counts(t)
    if c is None:
        return None
    return "End states of done runs: %s." % ", ".join("%d %s" % (c[name], name) for name, _ in END_STATES)


def table_rows(st, only_status=None):
    """(rows of COLUMNS as strings, number of done runs with a failed stored check); only_status selects the rows
    shown, the count covers every run."""
    t = st.runs()
    names = t.dtype.names
    spectra_cols = [n for n in names if n.endswith("_check_neg") or n.endswith("_check_zero")]
    key = counts_key(names)
    rows = []
    nbad_checks = 0
    for i in range(st.nruns):
        status = STATUS_NAMES.get(int(t["status"][i]), "?") if "status" in names else "?"
        bad = failed_checks(t, i, spectra_cols) if status == "done" else []
        nbad_checks += bool(bad)
        if only_status and status != only_status:
            continue
        chk = "-" if status != "done" else ("ok" if not bad else "FAIL:" + "+".join(bad))
        rows.append([
            str(int(t["run_id"][i])) if "run_id" in names else str(i),
            fmt(int(t["width"][i])), fmt(int(t["seed"][i])), fmt(float(t["alpha"][i])),
            str(t["scheme"][i]), str(t["data"][i]), status,
            str(t["stop_reason"][i]) or "-" if "stop_reason" in names else "-",
            fmt(int(t["steps"][i])) if "steps" in names else "-",
            fmt(float(t["final_loss"][i]), "e") if "final_loss" in names and status != "pending" else "-",
            fmt(int(t[key + "n_neg"][i])) if key and status == "done" else "-",
            fmt(int(t[key + "n_zero"][i])) if key and status == "done" else "-",
            fmt(int(t["final_n_in"][i])) if "final_n_in" in names and status == "done" else "-",
            chk,
        ])
        if status == "failed" and "reason" in names and str(t["reason"][i]):
            rows[-1][-1] += " (" + str(t["reason"][i]) + ")"
    return rows, nbad_checks


def print_table(rows, as_csv):
    if as_csv:
        print(",".join(COLUMNS))
        for r in rows:
            print(",".join('"%s"' % c if "," in c else c for c in r))
    else:
        w = [max(len(c), *(len(r[k]) for r in rows)) if rows else len(c) for k, c in enumerate(COLUMNS)]
        print("  ".join(c.ljust(w[k]) for k, c in enumerate(COLUMNS)))
        for r in rows:
            print("  ".join(c.ljust(w[k]) for k, c in enumerate(r)))


def main(argv=None):
    ap = argparse.ArgumentParser(description="Run table and totals of a splinelens study file.")
    ap.add_argument("file")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a run is pending or a stored check failed")
    ap.add_argument("--status", choices=list(STATUS_NAMES.values()), help="print only runs with this status")
    ap.add_argument("--csv", action="store_true", help="comma-separated output")
    ap.add_argument("--quiet", action="store_true", help="totals only")
    a = ap.parse_args(argv)
    try:
        st = Study(a.file)
    except (OSError, KeyError) as exc:
        print("splinelens-summary: cannot read %s: %s" % (a.file, exc), file=sys.stderr)
        return 2
    with st:
        rows, nbad_checks = table_rows(st, a.status)
        if not a.quiet:
            print_table(rows, a.csv)
        counts = st.status_counts()
        if not a.csv:
            print("%s: study '%s' (%s), %d runs: %d done, %d failed, %d pending; %d with failed checks%s" % (
                os.path.basename(a.file), st.attr("study_name"), st.attr("study_fingerprint"), st.nruns,
                counts["done"], counts["failed"], counts["pending"], nbad_checks,
                "" if st.attr("complete") == "1" else " (file not marked complete)"))
            line = end_state_line(st.runs())
            if line:
                print(line)
        if a.strict and (counts["pending"] or nbad_checks):
            return 1
    return 0
