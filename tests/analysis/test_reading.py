"""analysis/FORMAT.md "Reading the file": its lines run as written on a file the program wrote, and the objects
they give hold the file's values (pandas DataFrame and xarray Dataset of the run table, named dimensions of the
ragged arrays)."""
import os
import re

import h5py
import numpy as np
import pytest

from conftest import ROOT

pd = pytest.importorskip("pandas")
xr = pytest.importorskip("xarray")

from splinelens.reader import RAGGED, RAGGED_DIMS, SPECTRUM_RAGGED, SPECTRUM_RAGGED_DIMS, Study


def reading_lines():
    """The python code block of the section "Reading the file" of analysis/FORMAT.md."""
    text = open(os.path.join(ROOT, "analysis", "FORMAT.md")).read()
    sec = text.split("## Reading the file", 1)
    assert len(sec) == 2, "analysis/FORMAT.md has no section 'Reading the file'"
    m = re.search(r"```python\n(.*?)```", sec[1], re.S)
    assert m, "no python code block in 'Reading the file'"
    return m.group(1)


def test_every_ragged_array_has_dimension_names():
    assert set(RAGGED_DIMS) == set(RAGGED)
    assert set(SPECTRUM_RAGGED_DIMS) == set(SPECTRUM_RAGGED)
    for dims in list(RAGGED_DIMS.values()) + list(SPECTRUM_RAGGED_DIMS.values()):
        assert dims and all(isinstance(d, str) and d for d in dims) and "run" not in dims


def test_format_md_lines_on_a_real_file(e2e_study):
    code = reading_lines().replace("results/default.h5", e2e_study)
    ns = {}
    exec(compile(code, "FORMAT.md", "exec"), ns)
    df, ds, beta = ns["df"], ns["ds"], ns["beta"]
    with h5py.File(e2e_study, "r") as f:
        R = f["runs/run_id"].shape[0]
        loss = f["runs/final_loss"][()]
        scheme = [s.decode() for s in f["runs/scheme"][()]]
        axes = {k: f["axes/" + k][()] for k in ("width", "seed", "alpha", "scheme", "data")}
        bo = f["network/beta_final_offset"][()]
        bv = f["network/beta_final"][()]
    # pandas: one row per run, values and decoded strings
    assert isinstance(df, pd.DataFrame) and len(df) == R and list(df.index) == list(range(R))
    np.testing.assert_array_equal(df["final_loss"].to_numpy(), loss)
    assert list(df["scheme"]) == scheme and all(isinstance(s, str) for s in df["stop_reason"])
    # xarray: the axes are the dimension coordinates; every run at its grid position
    assert isinstance(ds, xr.Dataset)
    assert tuple(ds.final_loss.dims) == ("width", "seed", "alpha", "scheme", "data")
    np.testing.assert_array_equal(ds["width"].values, axes["width"])
    np.testing.assert_array_equal(ds["alpha"].values, axes["alpha"])
    assert list(ds["scheme"].values) == [s.decode() for s in axes["scheme"]]
    for i in range(R):
        row = df.loc[i]
        cell = ds.sel(width=row["width"], seed=row["seed"], alpha=row["alpha"], scheme=row["scheme"], data=row["data"])
        assert int(cell.run_id) == i
        assert float(cell.final_loss) == loss[i] or (np.isnan(loss[i]) and np.isnan(float(cell.final_loss)))
        assert str(cell.stop_reason.values) == row["stop_reason"]
    assert ds.final_loss.attrs["description"]
    # the run form: one dimension run, axis values as coordinates along it
    dr = Study(e2e_study).to_xarray(grid=False)
    assert tuple(dr.final_loss.dims) == ("run",) and list(dr["scheme"].values) == scheme
    # ragged: named dimensions, each run's slice, NaN padding
    assert isinstance(beta, xr.DataArray) and beta.dims == ("run", "neuron")
    for i in range(R):
        b = bv[bo[i]:bo[i + 1]]
        np.testing.assert_array_equal(beta.values[i, :b.size], b)
        assert np.all(np.isnan(beta.values[i, b.size:]))
    st = Study(e2e_study)
    snap = st.ragged_xarray("train/snap_theta")
    assert snap.dims == ("run", "snapshot", "param")
    r = st.run(R - 1)
    np.testing.assert_array_equal(snap.values[R - 1, :r.snap_theta.shape[0], :r.snap_theta.shape[1]], r.snap_theta)
    vals = st.ragged_xarray("spectra/final/nn/full/values", runs=[0, 1])
    assert vals.dims == ("run", "eigenvalue") and vals.sizes["run"] == 2
    with pytest.raises(KeyError):
        st.ragged_xarray("runs/final_loss")
