"""Analysis of splinelens study files (format "splinelens-study", analysis/FORMAT.md).

Modules, one concern each:
  reader    the study file: run table, per-run arrays, spectra (numpy + h5py only)
  theory    numpy versions of the formulas of shared/THEORY.md (network, spline view, Hessians, laws, regimes)
  claims    the claim checks of THEORY.md section 6 and check_study, their driver on a Study
  plots     the figures of a study (matplotlib, Agg)
  summary, report, compare   the command-line programs (main(argv)); analysis/splinelens-* call them
"""
