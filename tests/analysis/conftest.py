"""Shared fixtures of the analysis tests (tests/analysis.cmake runs them with /usr/bin/python3 -m pytest).

SPLINELENS_BIN: the built program (set by ctest); when missing, the end-to-end tests skip with the reason.
SPLINELENS_MPIEXEC: mpiexec to use (default: mpiexec on PATH).
"""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ANALYSIS = os.path.join(ROOT, "analysis")
sys.path.insert(0, ANALYSIS)

MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMPI_MCA_io": "romio321"}

# The end-to-end study: small enough for a few seconds on 2 ranks, rich enough that every claim that applies
# to it is exercised (two schemes, three alphas with a symmetric init so the kernel regime is visible, dense
# spectra of every part at init, end and every snapshot, snapshots, a tight ODE tolerance for the q conservation claim).
E2E_YAML = """\
sl_study_name: analysis_e2e
sl_widths: [8, 32]
sl_seeds: [0, 1]
sl_alphas: [0.25, 1, 4]
sl_schemes: [lecun_normal, he_uniform]
sl_datasets: [sine]
sl_data:
  sine:
    n: 6
sl_init:
  symmetric: true
sl_coords: [nn, bdso]
sl_hess_parts: [full, gauss_newton, residual]
sl_hess_stages: [init, final, snapshots]
sl_train:
  max_time: 200
  max_steps: 20000
  loss_tol: 1e-10
  rtol: 1e-10
  atol: 1e-10
  conservative: false               # explicit RK (the program's default is the implicit midpoint rule)
  ts_rk_type: 5dp                   # 5th order on this mild problem: q conserved to the tolerance (claim 9)
  snapshots: 6
  curve: 24
sl_eig:
  dense_max: 200
  nev: 4
  hist_bins: 12
  vectors: true
"""


def find_binary():
    b = os.environ.get("SPLINELENS_BIN", "")
    if b and os.path.isfile(b) and os.access(b, os.X_OK):
        return b
    return None


@pytest.fixture(scope="session")
def splinelens_bin():
    b = find_binary()
    if b is None:
        pytest.skip("the splinelens binary is not built (set SPLINELENS_BIN to its path; ctest does)")
    return b


def mpiexec():
    m = os.environ.get("SPLINELENS_MPIEXEC") or shutil.which("mpiexec") or shutil.which("mpirun")
    if not m:
        pytest.skip("no mpiexec on PATH")
    return m


def run_env():
    env = dict(os.environ)
    env.update(MPI_ENV)
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.fixture(scope="session")
def e2e_study(splinelens_bin, tmp_path_factory):
    """Run the real program once on E2E_YAML with 2 ranks; returns the path of the study file."""
    d = tmp_path_factory.mktemp("e2e")
    cfg = d / "e2e.yaml"
    cfg.write_text(E2E_YAML)
    out = d / "x.h5"
    cmd = [mpiexec(), "-n", "2", splinelens_bin, "-options_file", str(cfg), "-sl_output", str(out)]
    p = subprocess.run(cmd, env=run_env(), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, "splinelens failed (%d):\n%s\n%s" % (p.returncode, p.stdout[-3000:], p.stderr[-3000:])
    assert out.exists()
    return str(out)


def tool(name):
    return os.path.join(ANALYSIS, name)
