"""Turn a splinelens study file into figures (PNG + PDF), claim checks and a report.

usage: splinelens-report FILE.h5 [-o DIR] [--run ID] [--no-animation] [--min-neurons N] [--formats png,pdf]

Writes into DIR (default: <file stem>_report/ next to the file):
  report.md                 the report: provenance, run totals, claim table, figures with captions
  claims.json, claims.csv   the claim checks of docs/theory.md section 6 (id, title, status, value, tolerance, detail)
  *.png, *.pdf              one file pair per figure (whatever the study contains)
  animation_run<ID>.gif     f(x) over training time for one run (PNG frames when PIL is missing)
Exit status: 0 (also when claims FAIL: they are results), 2 when the file cannot be read.
--fail-on-claims: exit 1 when any claim FAILs.
"""
import argparse
import csv
import json
import os
import sys
import time

import numpy as np

from . import claims as C
from . import plots as PL
from .reader import Study
from .summary import end_state_line

PROVENANCE = ["study_name", "study_fingerprint", "format", "format_version", "splinelens_version", "git_commit",
              "petsc_version", "slepc_version", "hdf5_version", "mpi_version", "hostname", "nranks", "start_time",
              "end_time", "complete", "slice", "loss", "output_bias", "slurm_job_id", "slurm_array_task_id"]


def md_escape(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def write_claims(results, outdir):
    rows = C.results_table(results)
    with open(os.path.join(outdir, "claims.json"), "w") as f:
        json.dump(rows, f, indent=1)
    with open(os.path.join(outdir, "claims.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["id", "title", "status", "value", "tolerance", "detail"])
        w.writeheader()
        for r in rows:
            w.writerow(r)
    return rows


def study_section(st):
    """Header, the study's axes and run totals (failed runs listed)."""
    t = st.runs()
    counts = st.status_counts()
    L = ["## Study", ""]
    ax = st.axes()
    L.append("| axis | values |")
    L.append("|---|---|")
    for k in ("width", "seed", "alpha", "scheme", "data", "coords", "parts", "stages"):
        if k in ax:
            v = ax[k]
            L.append("| %s | %s |" % (k, md_escape(", ".join(str(x) for x in np.atleast_1d(v)))))
    L.append("")
    L.append("Runs: %d total, **%d done, %d failed, %d pending**." % (st.nruns, counts["done"], counts["failed"], counts["pending"]))
    if counts["done"]:
        d = t["status"] == 1
        if "stop_reason" in t.dtype.names:
            reasons = {}
            for r in t["stop_reason"][d]:
                reasons[str(r)] = reasons.get(str(r), 0) + 1
            L.append("Stop reasons of done runs: %s." % ", ".join("%s %d" % kv for kv in sorted(reasons.items())))
        if "interpolating" in t.dtype.names:
            L.append("Interpolating (loss <= tolerance): %d of %d done runs." % (int(np.sum(t["interpolating"][d] == 1)), int(d.sum())))
        line = end_state_line(t)
        if line:
            L.append(line)
        if "checks_ok" in t.dtype.names:
            L.append("Runs whose stored spectral checks failed (checks_ok = 0): %d." % int(np.sum(t["checks_ok"][d] == 0)))
    failed = np.nonzero(t["status"] == 2)[0]
    for i in failed[:10]:
        L.append("- failed run %d: %s" % (i, md_escape(t["reason"][i] if "reason" in t.dtype.names else "")))
    L.append("")
    return L


def claims_section(rows):
    """The claim table (rows: results_table of the claim results)."""
    L = ["## Claim checks (docs/theory.md section 6)", ""]
    n = {s: sum(r["status"] == s for r in rows) for s in (C.PASS, C.FAIL, C.SKIP)}
    L.append("%d PASS, %d FAIL, %d SKIP (machine-readable: claims.json, claims.csv)." % (n[C.PASS], n[C.FAIL], n[C.SKIP]))
    L.append("")
    L.append("| # | claim | status | value | tolerance | detail |")
    L.append("|---|---|---|---|---|---|")
    for r in rows:
        v = "" if r["value"] is None else "%.3g" % r["value"]
        st_ = "**%s**" % r["status"] if r["status"] == C.FAIL else r["status"]
        det = r["detail"] if len(r["detail"]) < 700 else r["detail"][:700] + " ..."
        L.append("| %s | %s | %s | %s | %s | %s |" % (r["id"], md_escape(r["title"]), st_, v, md_escape(r["tolerance"]), md_escape(det)))
    L.append("")
    return L


# report sections of the figures, by file stem prefix; the catch-all last: a new figure is never silently left out
FIGURE_SECTIONS = [("Initialization", ("init_",)), ("Flatness", ("flatness_",)),
                   ("Loss surface", ("spectrum_", "spectra", "extremal", "loss_curves", "snapshot_spectra", "eigenvector_", "critical_points")),
                   ("Regimes", ("regime_", "breakpoint_")), ("Training animation", ("animation_",)),
                   ("Other figures", ("",))]


def figures_section(figures, anim_files, anim_note):
    """Every saved figure (file stem, caption) under its section, and the animation."""
    L = ["## Figures", ""]
    used = set()
    for title, prefixes in FIGURE_SECTIONS:
        figs = [(s, c) for s, c in figures if s.startswith(prefixes) and s not in used]
        if not figs and not (title == "Training animation" and anim_files):
            continue
        L.append("### %s" % title)
        L.append("")
        for s, c in figs:
            used.add(s)
            L.append("![%s](%s.png)" % (s, s))
            L.append("")
            L.append("*%s* (PDF: [%s.pdf](%s.pdf))" % (c, s, s))
            L.append("")
        if title == "Training animation":
            for fpath in anim_files[:1]:
                L.append("![animation](%s)" % os.path.basename(fpath))
                L.append("")
            if anim_note:
                L.append("%s." % anim_note)
                L.append("")
    if not figures:
        L.append("No figure: the study has no done run.")
        L.append("")
    return L


def provenance_section(st):
    L = ["## Provenance", ""]
    L.append("| attribute | value |")
    L.append("|---|---|")
    for k in PROVENANCE:
        if k in st.attrs:
            L.append("| %s | %s |" % (k, md_escape(st.attrs[k])))
    L.append("")
    L.append("Options: `%s`" % md_escape(st.attr("options", "")).strip())
    L.append("")
    return L


def write_report(st, outdir, rows, figures, anim_files, anim_note, elapsed):
    L = ["# splinelens study report: %s" % st.attr("study_name", "?"), ""]
    L.append("File `%s`, generated by splinelens-report in %.1f s. Mathematics: docs/theory.md; file layout: "
             "analysis/FORMAT.md." % (os.path.abspath(st.path), elapsed))
    L.append("")
    L += study_section(st)
    L += claims_section(rows)
    L += figures_section(figures, anim_files, anim_note)
    L += provenance_section(st)
    with open(os.path.join(outdir, "report.md"), "w") as f:
        f.write("\n".join(L))


def main(argv=None):
    ap = argparse.ArgumentParser(description="Figures, claim checks and report of a splinelens study file.")
    ap.add_argument("file")
    ap.add_argument("-o", "--outdir", help="output directory (default: <file stem>_report next to the file)")
    ap.add_argument("--run", type=int, help="run id of the animation (default: smallest alpha of the regime group)")
    ap.add_argument("--no-animation", action="store_true")
    ap.add_argument("--max-frames", type=int, default=None, help="at most this many animation frames")
    ap.add_argument("--min-neurons", type=int, default=100000, help="neurons needed for the KS claims 4, 5")
    ap.add_argument("--formats", default="png,pdf", help="figure formats (comma-separated)")
    ap.add_argument("--fail-on-claims", action="store_true", help="exit 1 when a claim FAILs")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    t0 = time.time()
    say = (lambda *x: None) if a.quiet else (lambda *x: print("[splinelens-report]", *x, file=sys.stderr, flush=True))
    try:
        st = Study(a.file)
    except (OSError, KeyError) as exc:
        print("splinelens-report: cannot read %s: %s" % (a.file, exc), file=sys.stderr)
        return 2
    outdir = a.outdir or os.path.join(os.path.dirname(os.path.abspath(a.file)), os.path.splitext(os.path.basename(a.file))[0] + "_report")
    os.makedirs(outdir, exist_ok=True)
    with st:
        say("claim checks")
        res = C.evaluate_study(st, min_neurons=a.min_neurons, log=say)
        rows = write_claims(res.claims, outdir)
        cx = PL.Ctx(st, outdir, tuple(f for f in a.formats.split(",") if f))
        figures = []
        for fn in PL.ALL_FIGURES:
            say(fn.__name__)
            figures += fn(cx, res)
        anim_files, anim_note = [], ""
        if not a.no_animation and cx.done:
            rid = a.run if a.run is not None else PL.default_animation_run(cx, res.regime)
            if rid is not None:
                if rid not in cx.done:
                    print("splinelens-report: run %d is not done: no animation" % rid, file=sys.stderr)
                else:
                    say("animation of run %d" % rid)
                    anim_files, anim_note = PL.animate_run(cx, rid, a.max_frames)
                    figures = cx.saved
        write_report(st, outdir, rows, cx.saved, anim_files, anim_note, time.time() - t0)
    for r in rows:
        say("claim %-3s %-4s %s" % (r["id"], r["status"], r["title"]))
    print(os.path.join(outdir, "report.md"))
    if a.fail_on_claims and any(r["status"] == C.FAIL for r in rows):
        return 1
    return 0

