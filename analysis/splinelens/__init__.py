"""Analysis of splinelens study files (format "splinelens-study", analysis/FORMAT.md).

Modules, one concern each:
  reader    the study file: run table, per-run arrays, spectra (numpy + h5py only)
  theory    numpy versions of the formulas of docs/theory.md (network, spline view, Hessians, laws, regimes)
  result    ClaimResult: the outcome of one claim check (id, title, PASS / FAIL / SKIP, value, tolerance, detail)
  checks    the claim checks as pure functions of plain numpy data
  regimes   per-run regime measures (learned f vs NTK, cubic spline, linear interpolant) and their alpha groups
  claims    the claim registry (one function per claim) and check_study, which runs it on a Study
  plots     the figures of a study and its results (matplotlib, Agg)
  summary, report, compare   the command-line programs (main(argv)); analysis/splinelens-* call them
"""
