"""Tests of the self-contained HTML report of a run directory."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from riata.pipeline import _report
from riata.pipeline._report import write_report

EVIL = "<script>alert(1)</script>"


def _png(path: Path, color: str = "C0") -> None:
    fig = Figure(figsize=(1, 1), dpi=20)
    FigureCanvasAgg(fig)
    fig.add_subplot().plot([0, 1], [0, 1], color=color)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")


def _minimal(run: Path) -> Path:
    run.mkdir(parents=True, exist_ok=True)
    (run / "config.json").write_text(json.dumps({"seed": 0}))
    pd.DataFrame({"model": ["lasso"], "test_auroc": [0.71]}).to_csv(
        run / "results.csv", index=False)
    return run


@pytest.fixture
def run_dir(tmp_path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    config = {"seed": 7, "alpha": 1e-4, "model": {"hidden": [16, 8], "penalty": EVIL}}
    (run / "config.json").write_text(json.dumps(config))
    pd.DataFrame({
        "model": ["group_lasso", "mlp", EVIL],
        "penalty": ["GroupLasso", "None", "L1"],
        "seed": [0, 1, 2],
        "alpha": [0.0123, 0.0, 2e-5],
        "best_epoch": [12.0, np.nan, 30.0],
        "test_auroc": [0.81234, np.nan, 0.5],
        "fit_seconds": [1.5, 2.25, 10.0],
        "decoys_kept_names": ["DIABP1;PREVHYP", None, "GLUCOSE1"],
    }).to_csv(run / "results.csv", index=False)
    pd.DataFrame({
        "model": ["group_lasso"] * 4 + ["mlp"] * 4,
        "variable": ["AGE1", EVIL, "DIABP1", "SEX_1.0"] * 2,
        "selected": [True, True, False, False, True, False, False, True],
        "norm": [0.4, 0.2, 0.0, 0.0, 1.1, 0.0, 0.0, 0.3],
    }).to_csv(run / "selected_variables.csv", index=False)
    pd.DataFrame({"variable": ["AGE1", EVIL, "DIABP1"], "seed_a": [1, 1, 0],
                  "seed_b": [1, 0, 1]}).to_csv(run / "stability.csv", index=False)
    truth = {"clinical_variables": ["AGE1", EVIL, "SEX"],
             "decoys": {"DIABP1": "SYSBP1"}, "oracle_auroc": 0.88, "oracle_ap": 0.41}
    (run / "truth.json").write_text(json.dumps(truth))
    (run / "metrics.json").write_text(json.dumps({"group_lasso": {"kkt": 0.01}}))
    _png(run / "figures" / "path_group_lasso.png")
    _png(run / "figures" / "heatmaps.png", color="C1")
    (run / "logs").mkdir()
    (run / "logs" / "fit.log").write_text(EVIL)
    return run


def test_report_holds_every_section(run_dir):
    path = write_report(run_dir, title="Case <study>")
    assert path == run_dir / "report.html"
    text = path.read_text(encoding="utf-8")
    assert text.count("data:image/png;base64,") == 2
    # Heat maps first, whatever the alphabetical order.
    assert text.index('alt="heatmaps"') < text.index('alt="path_group_lasso"')
    headings = re.findall(r"<h2>(.*?)</h2>", text)
    assert headings == ["Results", "Figures", "Selected variables",
                        "Selection stability", "Ground truth", "Configuration",
                        "Extra metrics"]
    assert "Case &lt;study&gt;" in text
    for value in ("0.812", "0.500", "0.0123", "2.00e-05", "2.250", "GroupLasso",
                  "None", "DIABP1;PREVHYP"):
        assert value in text
    assert ">12<" in text  # a float column of whole numbers prints as integers
    results = text[text.index('id="results"'):text.index('id="figures"')]
    assert results.count("\u2014") == 3  # two missing numbers, one missing text
    assert ">nan<" not in results
    assert "model.hidden" in text and "[16, 8]" in text  # nested config flattened
    assert "decoy of SYSBP1" in text and "oracle_auroc" in text
    assert "1/2" in text and "2/2" in text  # stability counts
    assert "<details>" in text and "kkt" in text
    assert "Generated (UTC)" in text and "torch" in text


def test_report_is_self_contained_and_escaped(run_dir):
    text = write_report(run_dir).read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert 'src="http' not in text and 'href="http' not in text
    assert "<link" not in text  # CSS is inline
    # Only in-page anchors.
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', text))


def test_selected_table_lists_only_kept_variables(run_dir):
    text = write_report(run_dir).read_text(encoding="utf-8")
    section = text[text.index('id="selected"'):text.index('id="stability"')]
    assert "AGE1" in section and "DIABP1" not in section
    assert section.count("\u2713") == 4
    assert "1 variable(s) selected by no model" in section
    # A one-hot column takes the label of its variable from the ground truth.
    assert re.search(r"<th>SEX_1\.0</th><td>signal</td>", section)


def test_optional_files_absent(tmp_path):
    run = _minimal(tmp_path / "bare")
    text = write_report(run).read_text(encoding="utf-8")
    assert re.findall(r"<h2>(.*?)</h2>", text) == ["Results", "Configuration"]
    assert "0.710" in text
    assert "data:image" not in text


def test_non_png_and_hidden_files_are_not_embedded(tmp_path):
    run = _minimal(tmp_path / "run")
    _png(run / "figures" / "sub" / "nested.png")
    _png(run / "figures" / ".heatmaps.png.abc.tmp.png")
    (run / "figures" / "broken.png").write_bytes(b"not a png")
    text = write_report(run).read_text(encoding="utf-8")
    assert text.count("data:image/png;base64,") == 1
    assert "sub/nested" in text and "not a PNG file" in text


@pytest.mark.parametrize("missing", ["config.json", "results.csv"])
def test_missing_required_file(tmp_path, missing):
    run = _minimal(tmp_path / "run")
    (run / missing).unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        write_report(run)
    assert not (run / "report.html").exists()


def test_missing_run_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        write_report(tmp_path / "nowhere")


@pytest.mark.parametrize("name", ["", "..", "sub/report.html"])
def test_output_name_must_be_a_file_name(tmp_path, name):
    with pytest.raises(ValueError, match="output_name"):
        write_report(_minimal(tmp_path / "run"), output_name=name)


def test_malformed_optional_file_raises_clearly(tmp_path):
    run = _minimal(tmp_path / "run")
    pd.DataFrame({"model": ["a"], "name": ["x"]}).to_csv(
        run / "selected_variables.csv", index=False)
    with pytest.raises(ValueError, match="selected_variables.csv.*variable"):
        write_report(run)
    (run / "selected_variables.csv").unlink()
    (run / "metrics.json").write_text("{not json")
    with pytest.raises(ValueError, match="metrics.json"):
        write_report(run)
    assert not (run / "report.html").exists()


def test_failure_while_replacing_leaves_nothing(run_dir, monkeypatch):
    before = sorted(os.listdir(run_dir))

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(_report.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_report(run_dir)
    assert sorted(os.listdir(run_dir)) == before  # no report, no temporary file


def test_failure_keeps_the_old_report(run_dir, monkeypatch):
    old = write_report(run_dir).read_bytes()
    before = sorted(os.listdir(run_dir))

    def boom(data, *args, **kwargs):
        raise RuntimeError("cannot encode")

    monkeypatch.setattr(_report.base64, "b64encode", boom)
    with pytest.raises(RuntimeError, match="cannot encode"):
        write_report(run_dir)
    assert (run_dir / "report.html").read_bytes() == old
    assert sorted(os.listdir(run_dir)) == before


def test_failure_while_writing_removes_temporary(run_dir, monkeypatch):
    def boom(fd):
        raise OSError("fsync failed")

    monkeypatch.setattr(_report.os, "fsync", boom)
    with pytest.raises(OSError, match="fsync failed"):
        write_report(run_dir)
    assert not (run_dir / "report.html").exists()
    assert not [p for p in os.listdir(run_dir) if p.endswith(".tmp")]


def test_custom_output_name(tmp_path):
    run = _minimal(tmp_path / "run")
    path = write_report(run, output_name="summary.html")
    assert path.name == "summary.html" and path.is_file()
    assert not (run / "report.html").exists()


def test_format_float():
    fmt = _report._format_float
    assert fmt(float("nan")) == "\u2014"
    assert fmt(0.81234) == "0.812"
    assert fmt(1e-4) == "0.000100"
    assert fmt(0.0035412) == "0.00354"  # small alphas keep 3 significant digits
    assert fmt(20.01634) == "20.016"
    assert fmt(0.0) == "0.000"
    assert fmt(12.0, integral=True) == "12"
    assert fmt(float("inf")) == "inf"


@pytest.mark.parametrize("q, n, bound, informative", [(2.0, 40, 0.5, True),
                                                       (9.1, 15, 27.6, False)])
def test_stability_bound_is_shown_and_flagged_when_it_limits_nothing(tmp_path, q, n,
                                                                     bound, informative):
    """Meinshausen & Buhlmann's bound q^2 / ((2 pi - 1) p) is only worth reading below
    1; at q = 9.1 of p = 15 (riata fit on framingham.csv) it was 27.6, shown as is."""
    run = _minimal(tmp_path / "run")
    pd.DataFrame({"model": ["network"], "variable": ["age"], "frequency": [1.0],
                  "stable": [True]}).to_csv(run / "stability_selection.csv", index=False)
    entry = {"n_subsamples": 20, "threshold": 0.6, "mean_selected_q": q,
             "n_candidates": n, "expected_false_stable_bound": bound}
    (run / "metrics.json").write_text(json.dumps(
        {"models": {"network": {"stability_selection": entry}}}))
    text = write_report(run).read_text()
    assert f"on average {q:.1f} of {n} variables" in text
    assert f"&le; {bound:.2f}" in text
    assert ("uninformative" in text) is (not informative)
