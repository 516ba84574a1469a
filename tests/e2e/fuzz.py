#!/usr/bin/python3
"""fuzz.py BIN SRC [N]: a bounded fuzz run of the input parsers (a fixed seed, N mutants of each kind).

Mutates the shipped configs (configs/tiny.yaml, configs/example.yaml) and the test CSVs (tests/data/*.csv) with
byte, line and number mutations, and runs splinelens on each mutant (one rank, -sl_stop_after 0, so a valid mutant
stops after its first round). Every run must end by itself (no signal, no timeout) with exit status 0, 64, 65 or 75
(done, usage error, input error, stopped as asked); a refusal must print exactly one "splinelens: error" line and
no PETSc/HDF5 trace. Mutations never grow numbers by inserting digits (the grid stays small); numbers are replaced
by a fixed list of hostile values instead (64-bit overflow, 2^31, negative, exponent, nan, empty).
"""
import glob
import os
import random
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 20
rng = random.Random(20261206)
INSERT = [":", "[", "]", ",", "-", " ", "\t", "#", "'", '"', "{", "}", "e", "\n", "\x00", "\udcff", "&a", "*a", "<<", "!!"]
NUMBERS = ["99999999999", "99999999999999999999", "2147483648", "-1", "0", "1e8", "1.5", "nan", "inf", ""]


def mutate(text):
    b = text
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(6)
        lines = b.split("\n")
        if op == 0 and b:  # delete a character
            i = rng.randrange(len(b))
            b = b[:i] + b[i + 1:]
        elif op == 1:  # insert a structural or binary character
            i = rng.randrange(len(b) + 1)
            b = b[:i] + rng.choice(INSERT) + b[i:]
        elif op == 2 and lines:  # duplicate a line (duplicate keys, duplicate x)
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            b = "\n".join(lines)
        elif op == 3 and len(lines) > 1:  # delete a line
            del lines[rng.randrange(len(lines))]
            b = "\n".join(lines)
        elif op == 4 and len(lines) > 1:  # swap two lines
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            b = "\n".join(lines)
        else:  # replace a number by a hostile value
            import re
            nums = list(re.finditer(r"-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?", b))
            if nums:
                m = rng.choice(nums)
                b = b[:m.start()] + rng.choice(NUMBERS) + b[m.end():]
    return b


def run(args, work, label):
    out = os.path.join(work, "out.h5")
    for f in glob.glob(out + "*"):
        os.remove(f)
    try:
        p = subprocess.run([BIN, "-sl_view", "0", "-sl_output", out, "-sl_stop_after", "0"] + args,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    except subprocess.TimeoutExpired:
        return f"{label}: did not end within 120 s"
    log = p.stdout.decode("utf-8", "replace")
    rc = p.returncode
    if rc < 0 or rc not in (0, 64, 65, 75):
        return f"{label}: exit status {rc}:\n{log[-2000:]}"
    if rc in (64, 65):
        nerr = sum(1 for line in log.splitlines() if line.startswith("splinelens: error"))
        if nerr != 1:
            return f"{label}: {nerr} error lines (expected 1):\n{log[-2000:]}"
        if "--- Error Message ---" in log or "HDF5-DIAG" in log:
            return f"{label}: PETSc/HDF5 trace printed:\n{log[-2000:]}"
        if os.path.exists(out):
            return f"{label}: refused, but {out} was created"
    return None


env = os.environ
env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
env.setdefault("OMPI_MCA_io", "romio321")
configs = [os.path.join(SRC, "configs", c) for c in ("tiny.yaml", "example.yaml")]
csvs = sorted(glob.glob(os.path.join(SRC, "tests", "data", "*.csv")))
failures, statuses = [], {}
with tempfile.TemporaryDirectory() as work:
    for k in range(N):
        src = configs[k % len(configs)]
        text = mutate(open(src, encoding="utf-8").read())
        path = os.path.join(work, f"m{k}.yaml")
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)
        # example.yaml is a larger study: only its parsing and set-up matter here, so it runs the tiny grid
        extra = [] if src.endswith("tiny.yaml") else ["-sl_widths", "4", "-sl_seeds", "0", "-sl_alphas", "1"]
        err = run(["-options_file", path] + extra, work, f"yaml mutant {k} of {os.path.basename(src)}")
        if err:
            failures.append(err + "\n--- mutant:\n" + text[:1500])
    for k in range(N):
        src = csvs[k % len(csvs)]
        text = mutate(open(src, encoding="utf-8").read())
        path = os.path.join(work, f"m{k}.csv")
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)
        err = run(["-options_file", configs[0], "-sl_datasets", "mydata", "-sl_data_mydata_type", "csv",
                   "-sl_data_mydata_file", path], work, f"csv mutant {k} of {os.path.basename(src)}")
        if err:
            failures.append(err + "\n--- mutant:\n" + text[:1500])
for f in failures:
    print("FAIL:", f, "\n")
print(f"{2 * N} mutants, {len(failures)} failures")
sys.exit(1 if failures else 0)
