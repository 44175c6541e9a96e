"""Property-based tests: random malformed tables and PLINK filesets through `riata fit`.

Whatever hypothesis generates, riata ends either with exit 0 and a run that means
what the data meant, or with exit 2 and one line of its own; never with a traceback,
never with a partial run, never with an exit 0 whose meaning changed (issue #12):

- tables: every intended numeric column that survives is numeric, every intended
  categorical one categorical; no row is lost or invented; the classes are the
  intended labels; a file with decimal commas or missing-value markers is read as
  numbers only when the user said so;
- PLINK filesets: a defect in the .bed/.bim/.fam is refused; a fileset without
  defect is read exactly (the genotypes of every matched sample are the ones
  written for it).

A generated example records what it meant (``Intent``); the checks compare.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from riata.cli import main

_FIT = ["--alpha", "0.001", "--epochs", "1", "--hidden", "2", "--min-samples", "1",
        "--n-alphas", "3",  # the lasso baseline walks its own path: keep it short
        "--max-classes", "3", "--batch-size", "64"]

#: Awkward cells a defect puts where a value was.
_CELLS = st.one_of(
    st.integers(-5, 200).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.sampled_from(["", "NA", "nan", "inf", "-inf", "1e400", "1e308", "-1.7e308",
                     "abc", "M", "F", " 3 ", "1;5", "0x1F", "None", "true", "é", "?",
                     ".", "-", "58,5", "1,234.5", "n.d.", "unknown"]),
)


def _rarely(n):
    """True about once in ``n`` draws (hypothesis pushes integers to their bounds)."""
    return st.sampled_from([False] * (n - 1) + [True])


@dataclass
class Intent:
    """What a generated table means, for the checks of a successful run."""

    n_rows: int
    kinds: dict = field(default_factory=dict)  # column -> "numeric" / "categorical"
    labels: set | None = None  # the target's classes (None: not meant as labels)
    corrupted: dict = field(default_factory=dict)  # column -> cells replaced
    options: list = field(default_factory=list)


def _number(draw, decimal):
    value = draw(st.one_of(st.integers(-50, 300).map(str),
                           st.floats(-100, 400).map(lambda v: f"{v:.2f}")))
    return value.replace(".", decimal)


@st.composite
def malformed_tables(draw):
    """A small clinical table as text, with random defects, and what it means.

    Columns are numbers (possibly with decimal commas), missing-value markers among
    numbers, categories, codes, a constant or empty column; the file is a CSV, or
    a ';'- or tab-separated table when numbers use decimal commas. Defects: blank
    or repeated header names, awkward cells, repeated or empty ids, lines that lose
    or gain a field or open a quote, a target that is one-class, continuous, mixes
    numbers and words or spells a class two ways, a forgotten --decimal or
    --na-values.
    """
    decimal = draw(st.sampled_from([".", ".", ","]))
    sep = "," if decimal == "." else draw(st.sampled_from([";", "\t"]))
    n_rows = draw(st.one_of(st.integers(0, 2), st.integers(9, 36), st.integers(9, 36)))
    kinds = draw(st.lists(st.sampled_from(["numeric", "numeric", "category", "coded",
                                           "marked", "constant", "empty"]),
                          min_size=1, max_size=4))
    header = ["pid", "chd"] + [f"x{j}" for j in range(len(kinds))]
    if draw(_rarely(10)):
        header[draw(st.integers(0, len(header) - 1))] = draw(
            st.sampled_from(["", "pid", "chd", "Unnamed: 0"]))
    target = draw(st.sampled_from(["binary"] * 5 + ["words"] * 2 + [
        "one class", "float", "mixed", "two spellings", "cells"]))
    p_bad = draw(st.sampled_from([0.0] * 5 + [0.02, 0.1, 0.5]))
    intent = Intent(n_rows=n_rows)
    for name, kind in zip(header[2:], kinds):
        intent.kinds[name] = {"category": "categorical", "constant": None,
                              "empty": None}.get(kind, "numeric")
        intent.corrupted[name] = 0
    intent.labels = {"binary": {"0", "1"}, "words": {"no", "yes"},
                     "one class": {"1"}}.get(target)
    lines = [sep.join(header)]
    for i in range(n_rows):
        pid = f"p{i}"
        if draw(_rarely(200)):
            pid = draw(st.sampled_from(["p0", "", "NA", "p1"]))
        label = {"binary": str(i % 2), "one class": "1", "words": ["no", "yes"][i % 2],
                 "float": f"{i / 7:.3f}".replace(".", decimal),
                 "mixed": [str(i % 2), ["no", "yes"][i % 2]][i % 3 == 0],
                 "two spellings": ["no", ["yes", "Yes"][i % 4 == 1]][i % 2]}.get(target)
        if label is None or (p_bad and draw(_rarely(int(4 / p_bad)))):
            label, intent.labels = draw(_CELLS), None
        cells = [pid, label]
        for name, kind in zip(header[2:], kinds):
            cell = {"constant": "5", "empty": "",
                    "category": draw(st.sampled_from(["a", "b", "c"])),
                    "coded": draw(st.sampled_from(["1", "2", "3", "4"])),
                    "marked": "?" if i % 3 == 0 else _number(draw, decimal),
                    "numeric": _number(draw, decimal)}[kind]
            if p_bad and draw(_rarely(int(1 / p_bad))):
                cell = draw(_CELLS)
                intent.corrupted[name] += 1
            cells.append(cell)
        if any(sep in c or '"' in c for c in cells[2:]):
            cells = cells[:2] + [f'"{c}"' if sep in c and '"' not in c else c
                                 for c in cells[2:]]
        if draw(_rarely(150)):  # a ragged or badly quoted line
            cells = draw(st.sampled_from([cells[:-1], cells + ["extra"],
                                          cells[:-1] + ['"open']]))
        lines.append(sep.join(cells))
    if decimal == "," and not draw(_rarely(4)):
        intent.options += ["--decimal", ","]
    if sep != ",":
        intent.options += ["--separator", sep]
    if "marked" in kinds and not draw(_rarely(4)):
        intent.options += ["--na-values", "?"]
    text = "\n".join(lines) + ("\n" if draw(st.booleans()) else "")
    return text, intent


def _check_one_error_line(err: str) -> None:
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1, err
    assert "internal error" not in err, err


def _check_meaning(out: Path, intent: Intent) -> None:
    """A run that succeeded means what the table meant."""
    data = json.loads((out / "config.json").read_text())["data"]
    assert data["n_samples"] == intent.n_rows
    if intent.labels is not None and data["classes"] is not None:
        assert set(data["classes"]) == intent.labels, (data["classes"], intent.labels)
    encoder = json.loads((out / "model" / "model.json").read_text())[
        "clinical_encoder"]
    kinds = {} if encoder is None else {c["name"]: c["kind"] for c in encoder["columns"]}
    for column, kind in kinds.items():
        meant = intent.kinds.get(column)
        if meant is None or 2 * intent.corrupted[column] >= intent.n_rows:
            continue  # a constant column, or one that defects made mostly text
        assert kind == meant, (column, kind, meant, intent)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(table=malformed_tables())
def test_random_tables_succeed_with_their_meaning_or_fail_with_one_line(table):
    text, intent = table
    root = Path(tempfile.mkdtemp(prefix="riata-hyp-"))
    try:
        clinical = root / "table.csv"
        clinical.write_text(text, encoding="utf-8")
        out = root / "run"
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(["-q", "fit", "--clinical", str(clinical), "--target", "chd",
                         "--id", "pid", "--out", str(out), *_FIT, *intent.options])
        event(f"exit code {code}")
        assert code in (0, 2), err.getvalue()
        if code == 0:
            _check_meaning(out, intent)
        else:
            _check_one_error_line(err.getvalue())
            assert not out.exists()
        assert sorted(p.name for p in root.iterdir() if p.name != "run") == [
            "table.csv"]
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ------------------------------------------------------------------ PLINK filesets
_DEFECTS = ["none", "none", "fam missing a line", "fam line too many", "fam repeated id",
            "fam short line", "bim missing a line", "bim repeated id",
            "bim placeholder ids", "bim bad position", "bed truncated", "bed longer",
            "bed magic"]


@st.composite
def filesets(draw):
    """Genotypes (64-120 SNPs: enough for every check to speak) and one defect."""
    n_samples = draw(st.integers(12, 45))
    n_snps = draw(st.integers(64, 120))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 3, size=(n_samples, n_snps))
    values[rng.random(values.shape) < 0.02] = -1
    defect = draw(st.sampled_from(_DEFECTS))
    where = draw(st.floats(0, 1))
    return values, defect, where


def _write_fileset(root: Path, values: np.ndarray):
    import bed_reader

    n_samples, n_snps = values.shape
    ids = [f"s{i}" for i in range(n_samples)]
    floats = values.astype(np.float32)
    floats[values < 0] = np.nan
    bed_reader.to_bed(root / "geno.bed", floats, properties={
        "fid": ids, "iid": ids, "sid": [f"rs{j}" for j in range(n_snps)],
        "chromosome": ["1"] * n_snps, "bp_position": list(range(1, n_snps + 1)),
        "allele_1": ["A"] * n_snps, "allele_2": ["G"] * n_snps})
    pd.DataFrame({"pid": ids, "age": np.arange(n_samples) % 17 + 40.0,
                  "chd": np.arange(n_samples) % 2}).to_csv(root / "clinical.csv",
                                                           index=False)
    return ids


def _damage(root: Path, defect: str, where: float) -> None:
    def edit(ext, change):
        path = root / f"geno{ext}"
        lines = path.read_text().splitlines()
        change(lines, min(int(where * len(lines)), len(lines) - 1))
        path.write_text("\n".join(lines) + "\n")

    bed = root / "geno.bed"
    if defect == "fam missing a line":
        edit(".fam", lambda lines, i: lines.pop(i))
    elif defect == "fam line too many":
        edit(".fam", lambda lines, i: lines.insert(i, "x9 x9 0 0 0 -9"))
    elif defect == "fam repeated id":
        edit(".fam", lambda lines, i: lines.__setitem__(i, lines[i - 1]))
    elif defect == "fam short line":
        edit(".fam", lambda lines, i: lines.__setitem__(i, " ".join(
            lines[i].split()[:4])))
    elif defect == "bim missing a line":
        edit(".bim", lambda lines, i: lines.pop(i))
    elif defect == "bim repeated id":
        edit(".bim", lambda lines, i: lines.__setitem__(
            i, lines[i].replace(lines[i].split()[1], lines[i - 1].split()[1])))
    elif defect == "bim placeholder ids":
        def placeholders(lines, i):
            for k in (i, (i + 1) % len(lines)):
                fields = lines[k].split()
                fields[1] = "."
                lines[k] = "\t".join(fields)
        edit(".bim", placeholders)
    elif defect == "bim bad position":
        edit(".bim", lambda lines, i: lines.__setitem__(i, lines[i].replace(
            "\t" + lines[i].split()[3] + "\t", "\t12.5\t")))
    elif defect == "bed truncated":
        data = bed.read_bytes()
        bed.write_bytes(data[: max(3, int(len(data) * where) - 1)])
    elif defect == "bed longer":
        bed.write_bytes(bed.read_bytes() + b"\x00" * (1 + int(where * 7)))
    elif defect == "bed magic":
        data = bytearray(bed.read_bytes())
        data[2] = 0
        bed.write_bytes(bytes(data))


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(fileset=filesets())
def test_random_filesets_are_read_exactly_or_refused_with_one_line(fileset):
    from riata.data import read_table

    values, defect, where = fileset
    root = Path(tempfile.mkdtemp(prefix="riata-hyp-plink-"))
    try:
        ids = _write_fileset(root, values)
        _damage(root, defect, where)
        out = root / "run"
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(["-q", "fit", "--clinical", str(root / "clinical.csv"),
                         "--genotypes", str(root / "geno"), "--target", "chd", "--id",
                         "pid", "--out", str(out), *_FIT])
        event(f"{defect}: exit code {code}")
        if defect == "none":
            assert code == 0, err.getvalue()
            table = read_table(root / "clinical.csv", target="chd", id_column="pid",
                               plink_prefix=root / "geno", min_samples=1)
            rows = [ids.index(s) for s in table.sample_ids]
            expected = np.where(values[rows] < 0, -127, values[rows])
            np.testing.assert_array_equal(table.genotypes.values, expected)
            data = json.loads((out / "config.json").read_text())["data"]
            assert data["n_snps"] == values.shape[1]
        else:
            assert code == 2, (defect, err.getvalue())
            _check_one_error_line(err.getvalue())
            assert not out.exists()
        assert not [p for p in root.iterdir() if p.name.startswith(".")]
    finally:
        shutil.rmtree(root, ignore_errors=True)

