"""The study file has one schema: the registry in src/study/schema.c, printed by `splinelens schema`. These tests
hold its other descriptions to it: analysis/FORMAT.md (its tables), the Python reader (RAGGED, SPECTRUM_RAGGED)
and a file the program writes. Each comparison is a function, so the negative checks exercise the same code."""
import importlib
import json
import os
import re
import subprocess
import sys

import h5py
import pytest

from conftest import ANALYSIS, run_env

sys.path.insert(0, ANALYSIS)
FORMAT_MD = os.path.join(ANALYSIS, "FORMAT.md")
SPECTRUM_RAGGED_KINDS = ("spectrum_ragged", "spectrum_vectors")


def import_reader():
    """The reader module, as analysis/splinelens_reader.py or as the package analysis/splinelens/reader.py."""
    for name in ("splinelens_reader", "splinelens.reader"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    pytest.fail("cannot import the reader (analysis/splinelens_reader.py or analysis/splinelens/reader.py)")


@pytest.fixture(scope="module")
def schema(splinelens_bin):
    p = subprocess.run([splinelens_bin, "schema"], env=run_env(), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


# -- FORMAT.md --
def format_md_fields(text):
    """Fields documented in the tables of FORMAT.md: the names of each row's first cell (comma-separated), joined
    to the path of the section's heading when the heading starts with one ("## /runs: ..."); "@x" is an
    attribute of that path (of the root without one)."""
    fields, prefix, in_table = set(), "", False
    for line in text.splitlines():
        if line.startswith("## "):
            head = (line[3:].split() or [""])[0]
            prefix = head.strip("`").rstrip(":").strip("/") if head.startswith("/") else ""
            in_table = False
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        first = line.split("|")[1].strip()
        if not in_table:  # the header row
            in_table = True
            continue
        if not first or set(first) <= set("-: "):  # the separator row
            continue
        for name in first.split(","):
            name = name.strip().strip("`")
            if not prefix:
                fields.add(name)
            else:
                fields.add(prefix + name if name.startswith("@") else prefix + "/" + name)
    return fields


def compare_format(schema_paths, documented):
    """(schema fields FORMAT.md does not document, documented fields the schema does not have)."""
    return sorted(set(schema_paths) - documented), sorted(documented - set(schema_paths))


# -- the reader --
def compare_reader(fields, ragged, spectrum_ragged):
    """(ragged fields of the schema the reader does not know, ragged names of the reader the schema does not
    have): per-run arrays against RAGGED (paths), spectrum arrays against SPECTRUM_RAGGED (leaves)."""
    want = {f["path"] for f in fields if f["kind"] == "ragged"}
    want |= {"{spectrum}/" + f["path"].rsplit("/", 1)[1] for f in fields if f["kind"] in SPECTRUM_RAGGED_KINDS}
    have = set(ragged) | {"{spectrum}/" + leaf for leaf in spectrum_ragged}
    return sorted(want - have), sorted(have - want)


# -- a file the program wrote --
def compare_file(fields, f):
    """Problems of study file f (h5py.File) against the schema: datasets or attributes the schema does not have,
    fields the schema promises but f lacks, other types, descriptions or units."""
    problems = []
    axes = {k: [v.decode() if isinstance(v, bytes) else v for v in f["axes"][k][()]] for k in f["axes"]}
    values = {"name": axes["data"], "stage": axes["stages"], "coords": axes["coords"], "part": axes["parts"]}

    def expand(path):
        out = [{}]
        for ph in re.findall(r"\{(\w+)\}", path):
            out = [dict(d, **{ph: v}) for d in out for v in values[ph]]
        return [(path.format(**d), d) for d in out]

    seen = set()
    for fd in fields:
        for path, d in expand(fd["path"]):
            snap = d.get("stage") == "snapshots"
            if fd["kind"] == "spectrum_vectors" and snap or fd["path"] == "@merged_from":
                continue  # never at snapshots; only in merged files
            if "@" in path:
                obj, name = path.split("@")
                if name not in f[obj or "/"].attrs:
                    problems.append("missing attribute " + path)
                seen.add(path)
                continue
            seen.add(path)
            if path not in f:
                problems.append("missing dataset " + path)
                continue
            ds = f[path]
            ragged = path + "_offset" in f
            want_ragged = fd["kind"] in ("ragged", "spectrum_ragged", "spectrum_vectors") or (fd["kind"] == "spectrum_scalar" and snap)
            if ragged != want_ragged:
                problems.append("%s: ragged is %s, the schema says %s" % (path, ragged, want_ragged))
            desc = ds.attrs["description"].decode() if isinstance(ds.attrs["description"], bytes) else ds.attrs["description"]
            units = ds.attrs["units"].decode() if isinstance(ds.attrs["units"], bytes) else ds.attrs["units"]
            if not (desc == fd["description"] or (snap and desc.startswith(fd["description"]))):
                problems.append("%s: description %r, the schema says %r" % (path, desc, fd["description"]))
            if units != fd["units"]:
                problems.append("%s: units %r, the schema says %r" % (path, units, fd["units"]))
            t = fd["type"]
            ok = {"int64": ds.dtype.kind == "i" and ds.dtype.itemsize == 8, "int8": ds.dtype.kind == "i" and ds.dtype.itemsize == 1,
                  "float64": ds.dtype.kind == "f" and ds.dtype.itemsize == 8}.get(t, ds.dtype.kind == "S")
            m = re.match(r"string\[(\d+)\]", t)
            if not ok or (m and ds.dtype.itemsize != int(m.group(1))):
                problems.append("%s: dtype %s, the schema says %s" % (path, ds.dtype, t))

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and not name.endswith("_offset") and name not in seen:
            problems.append("dataset %s is not in the schema" % name)
        if isinstance(obj, h5py.Group):
            for a in obj.attrs:
                if name + "@" + a not in seen:
                    problems.append("attribute %s@%s is not in the schema" % (name, a))
    f.visititems(visit)
    for a in f.attrs:
        if "@" + a not in seen and a != "merged_from":
            problems.append("root attribute %s is not in the schema" % a)
    return problems


def test_schema_json(schema):
    assert schema["format"] == "splinelens-study"
    assert isinstance(schema["format_version"], int)
    paths = [f["path"] for f in schema["fields"]]
    assert len(paths) == len(set(paths)), "duplicate paths"
    for f in schema["fields"]:
        assert set(f) == {"path", "kind", "type", "size", "description", "units"}, f
        assert f["kind"] in schema["kinds"], f
        assert f["description"] and f["size"], f


def test_format_md_title(schema):
    with open(FORMAT_MD) as fp:
        title = fp.readline()
    assert '"%s", version %d' % (schema["format"], schema["format_version"]) in title, title


def test_format_md_matches_schema(schema):
    with open(FORMAT_MD) as fp:
        documented = format_md_fields(fp.read())
    undocumented, unknown = compare_format([f["path"] for f in schema["fields"]], documented)
    assert not undocumented, "fields of `splinelens schema` missing from analysis/FORMAT.md: %s" % undocumented
    assert not unknown, "fields documented in analysis/FORMAT.md that `splinelens schema` does not have: %s" % unknown


def test_reader_matches_schema(schema):
    R = import_reader()
    missing, unknown = compare_reader(schema["fields"], R.RAGGED, R.SPECTRUM_RAGGED)
    assert not missing, "ragged fields of the schema the reader does not know (RAGGED / SPECTRUM_RAGGED): %s" % missing
    assert not unknown, "ragged names of the reader that the schema does not have: %s" % unknown


def test_comparisons_can_fail(schema):
    """The same comparisons on a FORMAT.md with one documented field removed (a whole row, one name of a list)
    or one made up, and on reader tables with one entry removed, report exactly that field."""
    paths = [f["path"] for f in schema["fields"]]
    with open(FORMAT_MD) as fp:
        text = fp.read()
    row = [l for l in text.splitlines() if l.startswith("| hist_counts |")]
    assert len(row) == 1
    assert compare_format(paths, format_md_fields(text.replace(row[0] + "\n", ""))) == (["spectra/{stage}/{coords}/{part}/hist_counts"], [])
    assert "init_loss, final_loss, q_drift" in text
    assert compare_format(paths, format_md_fields(text.replace("init_loss, final_loss, q_drift", "init_loss, q_drift"))) == (["runs/final_loss"], [])
    assert compare_format(paths, format_md_fields(text.replace("| checks_ok |", "| checks_ok, bogus |"))) == ([], ["runs/bogus"])

    R = import_reader()
    ragged = dict(R.RAGGED)
    del ragged["train/snap_mu"]
    assert compare_reader(schema["fields"], ragged, R.SPECTRUM_RAGGED) == (["train/snap_mu"], [])
    spectrum = tuple(x for x in R.SPECTRUM_RAGGED if x != "gram_values")
    assert compare_reader(schema["fields"], R.RAGGED, spectrum) == (["{spectrum}/gram_values"], [])
    assert compare_reader(schema["fields"], dict(R.RAGGED, **{"train/bogus": "bogus"}), R.SPECTRUM_RAGGED) == ([], ["train/bogus"])


def test_file_matches_schema(schema, e2e_study):
    """A file of the real program (every stage, coordinates and part, eigenvectors, snapshots) holds exactly the
    fields of the schema, with its types, descriptions and units; a changed description is reported."""
    with h5py.File(e2e_study, "r") as f:
        problems = compare_file(schema["fields"], f)
        assert not problems, "\n".join(problems)
        fields = [dict(fd) for fd in schema["fields"]]
        for fd in fields:
            if fd["path"] == "runs/final_loss":
                fd["units"] = "furlongs"
        assert compare_file([fd for fd in fields if fd["path"] != "axes/alpha"], f) == [
            "runs/final_loss: units 'loss', the schema says 'furlongs'", "dataset axes/alpha is not in the schema"]
