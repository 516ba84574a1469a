"""Reader of splinelens study files (format "splinelens-study", analysis/FORMAT.md).

    from splinelens.reader import Study
    with Study("results/study.h5") as st:
        table = st.runs()                       # numpy structured array, one row per run
        done = st.select(status=1, scheme="lecun_normal", width=[10, 100])
        r = st.run(0)                           # one run: r.theta_init, r.snap_theta (K x P), r.x, r.y, ...
        r.spectra[("final", "nn", "full")]["values"]
        r.snapshot_spectra[("nn", "full")]["values"]   # K x nvals (with -sl_hess_stages ...,snapshots)

    df = st.to_pandas()                         # the run table as a pandas DataFrame (index run_id)
    ds = st.to_xarray()                         # ... as an xarray Dataset on the grid (width, seed, alpha, scheme, data)
    st.ragged_xarray("network/beta_final")      # a ragged array as a DataArray (run, neuron), NaN-padded

Only numpy and h5py (pandas and xarray on demand, for the three methods above). Optional groups (spectra, snapshots, runinfo, some columns) may be absent: the reader
returns what the file holds and None / empty arrays for the rest.
"""
import os

import h5py
import numpy as np

STATUS_NAMES = {0: "pending", 1: "done", 2: "failed"}
STAGES = ("init", "final")  # one spectrum per run; the stage "snapshots" holds K per run (snapshot_spectrum)
COORDS = ("nn", "bdso")
PARTS = ("full", "gauss_newton", "residual")
# per-spectrum ragged arrays (`splinelens schema` kinds spectrum_ragged, spectrum_vectors; vectors: Study.eigenvectors)
SPECTRUM_RAGGED = ("values", "residuals", "hist_edges", "hist_counts", "gram_values", "vector_values", "vectors")

# per-run ragged arrays: path -> (attribute name, reshape rule)
RAGGED = {
    "network/theta_init": "theta_init",
    "network/theta_final": "theta_final",
    "network/beta_init": "beta_init",
    "network/mu_init": "mu_init",
    "network/s_init": "s_init",
    "network/beta_final": "beta_final",
    "network/mu_final": "mu_final",
    "network/s_final": "s_final",
    "train/curve_time": "curve_time",
    "train/curve_loss": "curve_loss",
    "train/snap_time": "snap_time",
    "train/snap_loss": "snap_loss",
    "train/snap_theta": "snap_theta",
    "train/snap_beta": "snap_beta",
    "train/snap_mu": "snap_mu",
}

# dimension names of one run's slice of every ragged array (a K x P array is stored row-major)
RAGGED_DIMS = {
    "network/theta_init": ("param",), "network/theta_final": ("param",),
    "network/beta_init": ("neuron",), "network/mu_init": ("neuron",), "network/s_init": ("neuron",),
    "network/beta_final": ("neuron",), "network/mu_final": ("neuron",), "network/s_final": ("neuron",),
    "train/curve_time": ("curve_point",), "train/curve_loss": ("curve_point",),
    "train/snap_time": ("snapshot",), "train/snap_loss": ("snapshot",),
    "train/snap_theta": ("snapshot", "param"), "train/snap_beta": ("snapshot", "neuron"),
    "train/snap_mu": ("snapshot", "neuron"),
}
SPECTRUM_RAGGED_DIMS = {
    "values": ("eigenvalue",), "residuals": ("eigenvalue",), "hist_edges": ("bin_edge",), "hist_counts": ("bin",),
    "gram_values": ("gram_eigenvalue",), "vector_values": ("vector",), "vectors": ("vector", "param"),
}
GRID = ("width", "seed", "alpha", "scheme", "data")  # the axes, slowest first: run i is the C-order grid position


def _decode(v):
    """HDF5 strings (bytes, numpy bytes, arrays of them) to str / unicode arrays."""
    if isinstance(v, (bytes, np.bytes_)):
        return v.decode("utf-8", "replace").rstrip("\x00")
    if isinstance(v, np.ndarray):
        if v.dtype.kind == "S":
            return np.char.rstrip(np.char.decode(v, "utf-8", "replace"), "\x00") if v.size else v.astype("U1")
        if v.dtype.kind == "O":
            return np.array([_decode(e) for e in v.ravel()], dtype=str).reshape(v.shape) if v.size else v.astype("U1")
        if v.shape == ():
            return v.item()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _is_number(tok):
    try:
        float(tok)
        return True
    except ValueError:
        return False


def parse_options(text):
    """The PETSc options table as {name without '-': value}. Accepts the one-line form of PetscOptionsGetAll
    ("-a 1 -b -c 2,3": a token starting with '-' that is not a number starts an option) as well as one option per
    line ('#' lines ignored) and the canonical "name=value" lines of the study_options attribute. A flag without
    a value maps to "" (true)."""
    opts = {}
    key = None
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith("-") and "=" in line:
            k, v = line.split("=", 1)
            opts[k.strip()] = v.strip()
            key = None
            continue
        for tok in line.split():
            if tok.startswith("-") and not _is_number(tok):
                key = tok.lstrip("-")
                opts[key] = ""
            elif key is not None:
                opts[key] = (opts[key] + " " + tok) if opts[key] else tok
    return opts


class Run:
    """One run: the columns of its row (attributes and item access), its ragged arrays reshaped, its data set
    and spectra. Missing pieces are None."""

    def __init__(self, study, i):
        self.study = study
        self.id = int(i)
        self.row = study.row(i)
        for k, v in self.row.items():
            if not hasattr(self, k):
                setattr(self, k, v)
        self.status_name = STATUS_NAMES.get(int(self.row.get("status", -1)), "unknown")
        self.H = int(self.row["width"])
        self.has_c = study.has_c
        self.P = 3 * self.H + (1 if self.has_c else 0)
        self.loss_type = study.loss
        ds = study.dataset(self.row["data"])
        self.x = ds["x"] if ds else None
        self.y = ds["y"] if ds else None
        self.data_attrs = ds["attrs"] if ds else {}
        for path, name in RAGGED.items():
            setattr(self, name, study.ragged(path, i))
        K = self.snap_time.size if self.snap_time is not None else 0
        for name, width in (("snap_theta", self.P), ("snap_beta", self.H), ("snap_mu", self.H)):
            a = getattr(self, name)
            if a is None or a.size == 0 or K == 0:
                setattr(self, name, np.empty((0, width)))
            else:
                setattr(self, name, a.reshape(K, -1))
        if self.snap_time is not None and self.snap_time.size:
            self.snap_valid = np.isfinite(self.snap_time)
            if self.snap_theta.shape[0] == K:
                self.snap_valid &= np.all(np.isfinite(self.snap_theta), axis=1)
        else:
            self.snap_valid = np.zeros(0, bool)
        self.spectra = {}
        for key in study.spectra_keys():
            self.spectra[key] = study.spectrum(key, i)
        self.snapshot_spectra = {}
        for key in study.snapshot_spectra_keys():
            self.snapshot_spectra[key] = study.snapshot_spectrum(key, i)

    def __getitem__(self, k):
        if k in self.row:
            return self.row[k]
        return getattr(self, k)

    def get(self, k, default=None):
        try:
            return self[k]
        except (KeyError, AttributeError):
            return default

    @property
    def done(self):
        return int(self.row.get("status", 0)) == 1

    def laws(self):
        """Initialization laws of (w, b, v, c) of this run (splinelens.theory.init_laws)."""
        return self.study.laws(self.row["scheme"], self.H, self.row["alpha"])

    def __repr__(self):
        return "Run(%d: H=%d seed=%d alpha=%g %s %s %s)" % (self.id, self.H, self.row["seed"], self.row["alpha"],
                                                           self.row["scheme"], self.row["data"], self.status_name)


class Study:
    def __init__(self, path):
        self.path = os.fspath(path)
        self.f = h5py.File(self.path, "r")
        self.attrs = {k: _decode(v) for k, v in self.f.attrs.items()}
        # the full options table wins over the canonical study options (same values where both exist)
        self.options = parse_options(self.attrs.get("study_options", ""))
        self.options.update(parse_options(self.attrs.get("options", "")))
        self.loss = self.attrs.get("loss", "sum") or "sum"
        self.has_c = str(self.attrs.get("output_bias", "0")).strip() in ("1", "true")
        self._offsets = {}
        self._table = None
        self._data = None
        self.nruns = int(self.f["runs/run_id"].shape[0]) if "runs/run_id" in self.f else (
            int(self.f["runs/status"].shape[0]) if "runs/status" in self.f else 0)

    # -- context manager --
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.f:
            self.f.close()
            self.f = None

    # -- generic access --
    def has(self, path):
        return path in self.f

    def attr(self, name, default=""):
        return self.attrs.get(name, default)

    def axes(self):
        out = {}
        if "axes" in self.f:
            for k, d in self.f["axes"].items():
                out[k] = _decode(d[()])
        return out

    def datasets(self):
        """{name: {"x", "y", "attrs"}} for every /data/<name>."""
        if self._data is None:
            self._data = {}
            if "data" in self.f:
                for name, g in self.f["data"].items():
                    self._data[name] = {
                        "x": np.asarray(g["x"][()], float) if "x" in g else None,
                        "y": np.asarray(g["y"][()], float) if "y" in g else None,
                        "attrs": {k: _decode(v) for k, v in g.attrs.items()},
                    }
        return self._data

    def dataset(self, name):
        return self.datasets().get(name)

    def description(self, path):
        if path in self.f:
            return _decode(self.f[path].attrs.get("description", "")), _decode(self.f[path].attrs.get("units", ""))
        return "", ""

    # -- ragged arrays --
    def offsets(self, path):
        if path not in self._offsets:
            op = path + "_offset"
            self._offsets[path] = np.asarray(self.f[op][()], np.int64) if op in self.f else None
        return self._offsets[path]

    def ragged(self, path, i):
        """Run i's slice of a ragged array (None when the file has no such array)."""
        off = self.offsets(path)
        if off is None or path not in self.f:
            return None
        a, b = int(off[i]), int(off[i + 1])
        if b <= a:
            return np.empty(0, dtype=self.f[path].dtype)
        return np.asarray(self.f[path][a:b])

    # -- the run table --
    def spectra_keys(self):
        """(stage, coords, part) of the one-per-run spectra (stages init, final)."""
        keys = []
        if "spectra" not in self.f:
            return keys
        for st in self.f["spectra"]:
            if st == "snapshots":
                continue
            for co in self.f["spectra"][st]:
                for pa in self.f["spectra"][st][co]:
                    keys.append((st, co, pa))
        order = lambda k: (STAGES.index(k[0]) if k[0] in STAGES else 9, COORDS.index(k[1]) if k[1] in COORDS else 9,
                           PARTS.index(k[2]) if k[2] in PARTS else 9)
        return sorted(keys, key=order)

    def _columns(self):
        """[(name, path)] of every run-length column: /runs/*, /spectra/<s>/<c>/<p>/<col> flattened, /runinfo/*."""
        cols = []
        R = self.nruns

        def scan(group, prefix):
            for k, d in group.items():
                if isinstance(d, h5py.Dataset) and d.ndim == 1 and d.shape[0] == R and not k.endswith("_offset"):
                    if k + "_offset" in group or k in SPECTRUM_RAGGED:  # ragged values, not a column
                        continue
                    cols.append((prefix + k, d.name))
        if "runs" in self.f:
            scan(self.f["runs"], "")
        for st, co, pa in self.spectra_keys():
            scan(self.f["spectra"][st][co][pa], "%s_%s_%s_" % (st, co, pa))
        if "runinfo" in self.f:
            scan(self.f["runinfo"], "runinfo_")
        return cols

    def runs(self):
        """The run table as a numpy structured array: every /runs column (strings decoded), the spectra columns
        flattened as <stage>_<coords>_<part>_<column> (e.g. final_nn_full_n_neg), /runinfo as runinfo_*."""
        if self._table is None:
            arrays = []
            for name, path in self._columns():
                a = _decode(self.f[path][()])
                a = np.asarray(a)
                if a.dtype.kind == "U" and a.dtype.itemsize == 0:
                    a = a.astype("U1")
                arrays.append((name, a))
            dt = [(n, a.dtype) for n, a in arrays]
            t = np.empty(self.nruns, dtype=dt)
            for n, a in arrays:
                t[n] = a
            self._table = t
        return self._table

    def columns(self):
        return list(self.runs().dtype.names)

    def to_pandas(self):
        """The run table (runs()) as a pandas DataFrame indexed by run_id; string columns are Python str."""
        import pandas as pd
        t = self.runs()
        df = pd.DataFrame({n: (t[n].astype(object) if t[n].dtype.kind == "U" else t[n]) for n in t.dtype.names})
        return df.set_index("run_id") if "run_id" in df else df

    def to_xarray(self, grid=True):
        """The run table as an xarray Dataset. grid=True: every column is a variable on the dimensions
        (width, seed, alpha, scheme, data) whose coordinates are the /axes (run i is the C-order grid position;
        run_id is a variable); grid=False: one dimension "run" (coordinate run_id), the axis values of each run
        as coordinates along it. Attributes: the study's root attributes; per variable its description and units."""
        import xarray as xr
        t = self.runs()
        ax = self.axes()
        shape = tuple(len(ax[a]) for a in GRID)
        names = [n for n in t.dtype.names if n not in GRID and n != "run_id"] if grid else list(t.dtype.names)
        paths = dict(self._columns())
        variables = {}
        for n in names:
            a = t[n].astype(object) if t[n].dtype.kind == "U" else t[n]
            desc, units = self.description(paths.get(n, ""))
            attrs = {"description": desc, "units": units}
            if grid:
                variables[n] = xr.Variable(GRID, np.asarray(a).reshape(shape), attrs)
            else:
                variables[n] = xr.Variable(("run",), np.asarray(a), attrs)
        if grid:
            variables["run_id"] = xr.Variable(GRID, np.asarray(t["run_id"]).reshape(shape))
            coords = {a: (a, np.asarray(ax[a], dtype=object) if np.asarray(ax[a]).dtype.kind == "U" else np.asarray(ax[a]))
                      for a in GRID}
            data_vars = variables
        else:
            coords = {"run": ("run", np.asarray(t["run_id"]))}
            coords.update({a: ("run", variables.pop(a).values) for a in GRID})
            variables.pop("run_id")
            data_vars = variables
        attrs = {k: v for k, v in self.attrs.items() if isinstance(v, (str, int, float))}
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)

    def ragged_xarray(self, path, runs=None):
        """A per-run ragged array (RAGGED_DIMS: e.g. network/beta_final) or a spectrum array
        (spectra/<stage>/<coords>/<part>/<leaf>, SPECTRUM_RAGGED_DIMS) as an xarray DataArray with dimensions
        ("run", *its dimensions) over the runs `runs` (default: all), NaN-padded where runs differ in size
        (integer arrays become float). A K x P snapshot array is reshaped with K = the run's snapshot count."""
        import xarray as xr
        leaf = path.rsplit("/", 1)[-1]
        dims = RAGGED_DIMS.get(path) or (SPECTRUM_RAGGED_DIMS.get(leaf) if path.startswith("spectra/") else None)
        if dims is None:
            raise KeyError("%s is not a ragged array of the study file (reader.RAGGED_DIMS, SPECTRUM_RAGGED_DIMS)" % path)
        ids = list(range(self.nruns)) if runs is None else [int(i) for i in runs]
        parts = []
        for i in ids:
            a = self.ragged(path, i)
            a = np.zeros(0) if a is None else np.asarray(a, float)
            if len(dims) == 2:
                lead = (self.ragged("train/snap_time", i) if dims[0] == "snapshot" else
                        self.ragged(path.rsplit("/", 1)[0] + "/vector_values", i))
                k = lead.size if lead is not None else 0
                a = a.reshape(k, -1) if k and a.size % k == 0 else np.zeros((0, 0))
            else:
                a = a.reshape(-1)
            parts.append(a)
        shape = tuple(max([p.shape[d] for p in parts], default=0) for d in range(len(dims)))
        out = np.full((len(ids),) + shape, np.nan)
        for j, p in enumerate(parts):
            out[(j,) + tuple(slice(0, n) for n in p.shape)] = p
        desc, units = self.description(path)
        return xr.DataArray(out, dims=("run",) + dims, coords={"run": np.asarray(ids)}, name=path,
                            attrs={"description": desc, "units": units})

    def row(self, i):
        t = self.runs()
        return {n: _decode(t[n][i]) for n in t.dtype.names}

    def run(self, i):
        if not 0 <= int(i) < self.nruns:
            raise IndexError("run %d outside 0..%d" % (i, self.nruns - 1))
        return Run(self, i)

    def iter_runs(self, ids=None):
        for i in (range(self.nruns) if ids is None else ids):
            yield self.run(int(i))

    def mask(self, **crit):
        """Boolean mask of the rows matching every criterion: column=value or column=[values] (or a callable)."""
        t = self.runs()
        m = np.ones(self.nruns, bool)
        for k, want in crit.items():
            if k not in t.dtype.names:
                raise KeyError("no run-table column %r (have: %s)" % (k, ", ".join(t.dtype.names)))
            col = t[k]
            if callable(want):
                m &= np.asarray([bool(want(v)) for v in col])
            elif isinstance(want, (list, tuple, set, np.ndarray)):
                m &= np.isin(col, list(want))
            elif col.dtype.kind == "f":
                m &= np.isclose(col, float(want), rtol=1e-12, atol=0)
            else:
                m &= col == want
        return m

    def select(self, **crit):
        """Rows of the run table matching the criteria (see mask), e.g. select(width=100, scheme="he_normal")."""
        return self.runs()[self.mask(**crit)]

    def select_ids(self, **crit):
        return np.nonzero(self.mask(**crit))[0]

    # -- spectra --
    def spectrum(self, key, i):
        st, co, pa = key
        base = "spectra/%s/%s/%s" % (st, co, pa)
        if base not in self.f:
            return None
        out = {leaf: None for leaf in SPECTRUM_RAGGED}
        g = self.f[base]
        for k, d in g.items():
            if k.endswith("_offset") or not isinstance(d, h5py.Dataset):
                continue
            if k == "vectors":
                continue  # possibly large (nvec x P): read on demand with eigenvectors()
            if k + "_offset" in g:  # ragged: values, residuals, hist_edges, hist_counts, gram_values, ...
                out[k] = self.ragged(base + "/" + k, i)
            elif d.ndim == 1 and d.shape[0] == self.nruns:
                out[k] = _decode(d[i])
        return out

    def eigenvectors(self, key, i):
        """Eigenvectors stored with -sl_eig_vectors for spectrum key = (stage, coords, part) of run i: (values,
        vectors) with vectors nvec x P (row j: unit eigenvector of values[j], in the run's coordinate order:
        neuron-major (w, b, v) or (beta, mu), output bias last). (None, None) when not stored."""
        base = "spectra/%s/%s/%s" % key
        if base + "/vectors" not in self.f:
            return None, None
        vals = self.ragged(base + "/vector_values", i)
        vec = self.ragged(base + "/vectors", i)
        if vals is None or vec is None or vals.size == 0:
            return None, None
        return vals, vec.reshape(vals.size, -1)

    def eigenvector_fields(self, key, i):
        """Breakpoint-indexed view of the stored eigenvectors: (values, beta, weights) with beta the breakpoints of
        the spectrum's stage (H) and weights[j, n] = squared norm of eigenvector j on neuron n's coordinates (its
        share of the vector; the output bias share is 1 - sum). Which neurons (breakpoints) carry an outlier."""
        vals, vec = self.eigenvectors(key, i)
        if vals is None:
            return None, None, None
        st, co, _ = key
        H = int(self.runs()["width"][i])
        npn = 3 if co == "nn" else 2
        w = (vec[:, : npn * H].reshape(vals.size, H, npn) ** 2).sum(axis=2)
        beta = self.ragged("network/beta_%s" % st, i)
        return vals, beta, w

    def snapshot_spectra_keys(self):
        """(coords, part) of the spectra at every parameter snapshot (-sl_hess_stages ...,snapshots)."""
        if "spectra/snapshots" not in self.f:
            return []
        g = self.f["spectra/snapshots"]
        keys = [(co, pa) for co in g for pa in g[co]]
        return sorted(keys, key=lambda k: (COORDS.index(k[0]) if k[0] in COORDS else 9, PARTS.index(k[1]) if k[1] in PARTS else 9))

    def snapshot_spectrum(self, key, i):
        """Run i's spectra at its K snapshots: per-spectrum scalars as arrays of K (n_neg, lambda_min, ...),
        values/residuals/hist_edges/hist_counts/gram_values as K x n arrays (row k: snapshot k; rows of snapshots
        not reached are NaN, or -1 for integers), method and size as scalars, time = the snapshot times."""
        co, pa = key
        base = "spectra/snapshots/%s/%s" % (co, pa)
        if base not in self.f:
            return None
        g = self.f[base]
        st = self.ragged("train/snap_time", i)
        K = 0 if st is None else st.size
        out = {"time": st}
        for k, d in g.items():
            if k.endswith("_offset") or not isinstance(d, h5py.Dataset):
                continue
            if k + "_offset" in g:
                a = self.ragged(base + "/" + k, i)
                out[k] = a if a.size == K else (a.reshape(K, -1) if K else a.reshape(0, 0))
            elif d.ndim == 1 and d.shape[0] == self.nruns:
                out[k] = _decode(d[i])
        return out

    # -- initialization laws --
    def init_params(self):
        from .theory import init_params_from_options  # theory needs scipy: imported on use
        return init_params_from_options(self.options)

    def laws(self, scheme, H, alpha):
        from .theory import init_laws
        return init_laws(scheme, H, alpha, self.init_params())

    def status_counts(self):
        t = self.runs()
        st = t["status"] if "status" in t.dtype.names else np.zeros(self.nruns, int)
        return {name: int(np.sum(st == code)) for code, name in STATUS_NAMES.items()}


def open_study(path):
    return Study(path)
