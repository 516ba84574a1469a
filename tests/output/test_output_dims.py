"""h5py's view of a study file written by tests/test_output.c on 2 ranks: the run-table columns carry the
dimension scale /runs/run_id (named "run"), the ragged fields name their offsets, fill values are NaN / -1.

usage: /usr/bin/python3 test_output_dims.py <mpiexec> <test_output> <dir>
"""
import math
import os
import subprocess
import sys

import h5py
import numpy as np

mpiexec, exe, d = sys.argv[1], sys.argv[2], os.path.join(sys.argv[3], "dims")
os.makedirs(d, exist_ok=True)
subprocess.run([mpiexec, "-n", "2", exe, "roundtrip", d, "py"], check=True)

with h5py.File(os.path.join(d, "out_py_np2.h5"), "r") as f:
    assert f.attrs["format"] == b"splinelens-study", f.attrs["format"]
    assert f.attrs["study_fingerprint"] == b"fp-test-study-0001"
    runid = f["runs/run_id"]
    assert h5py.h5ds.is_scale(runid.id), "runs/run_id is not a dimension scale"
    assert list(runid[()]) == list(range(11))
    for col in ["runs/final_x", "runs/final_loss", "runs/n_iter", "runs/reason", "runs/status",
                "spectra/final/nn/full/n_neg"]:
        dims = f[col].dims[0]
        assert len(dims) == 1, (col, len(dims))
        assert dims[0].name == "/runs/run_id", (col, dims[0].name)
        assert dims.label == "" or dims.label == "run", dims.label
        assert list(dims.keys()) == ["run"], (col, list(dims.keys()))
        assert f[col].shape == (11,), (col, f[col].shape)
    # ragged: offsets attribute, counts, fill values of the failed run 4
    theta = f["runs/theta"]
    assert theta.attrs["offsets"] == b"/runs/theta_offset"
    off = f["runs/theta_offset"][()]
    assert list(np.diff(off)) == [(7 * r) % 5 for r in range(11)], off
    assert np.all(np.isnan(theta[off[4]:off[5]])) and off[5] > off[4]
    assert not np.any(np.isnan(theta[off[3]:off[4]]))
    assert math.isnan(f["runs/final_x"][4]) and f["runs/n_iter"][4] == -1
    assert f["runs/reason"][4] == b"diverged" and f["runs/status"][4] == 2
    assert f["runs/final_x"].attrs["units"] == b"m"
    assert f["empty/none"].shape == (0,)
    assert f["runs/status"].dtype == np.int8 and f["runs/n_iter"].dtype == np.int64
print("test_output_dims: ok")
