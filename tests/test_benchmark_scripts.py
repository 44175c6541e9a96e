"""The benchmark scripts run end to end at a tiny size and report what they promise."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    """Import ``benchmarks/<name>.py`` (a script folder, not a package)."""
    path = BENCHMARKS / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_benchmark_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look modules up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def penalty_modes():
    return _load("compare_penalty_modes")


@pytest.fixture(scope="module")
def tiny_run(penalty_modes, tmp_path_factory):
    """Adam only, one seed, a few epochs, a strong group lasso: a few seconds."""
    out = tmp_path_factory.mktemp("bench") / "results.csv"
    # --threads 0: leave torch's thread count alone for the rest of the test session.
    argv = ["--seeds", "0", "--solvers", "adam", "--max-epochs", "4", "--alpha", "0.05",
            "--threads", "0", "--out", str(out), "--quiet"]
    return penalty_modes.main(argv), out


def test_compare_penalty_modes_writes_every_column(penalty_modes, tiny_run):
    results, out = tiny_run
    assert list(results.columns) == penalty_modes.COLUMNS
    assert list(results["mode"]) == list(penalty_modes.MODES)
    assert (results["n_weights"] == 30 * 20).all()
    # 60 / 20 / 20 of the 569 samples.
    assert results[["n_train", "n_valid", "n_test"]].iloc[0].tolist() == [341, 114, 114]
    written = pd.read_csv(out)
    assert list(written.columns) == penalty_modes.COLUMNS
    assert len(written) == len(results) == 4
    # The atomic write leaves no temporary file beside the CSV, and the CSV gets the
    # usual permissions rather than mkstemp's owner-only ones.
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    # The objective is the loss plus the penalty, both at the returned weights.
    pd.testing.assert_series_equal(
        written["train_objective"], written["train_loss"] + written["penalty_value"],
        check_names=False,
    )


def test_compare_penalty_modes_proximal_has_more_exact_zeros(tiny_run):
    results, _ = tiny_run
    by_mode = results.set_index("mode")
    assert by_mode.loc["proximal", "n_exact_zero"] > by_mode.loc["autograd", "n_exact_zero"]
    assert by_mode.loc["proximal", "n_selected"] < 30
    # Zeros only count as selection when a whole input column is zero: every zero
    # column of the proximal fit carries a KKT ratio, the dense fits none.
    assert by_mode.loc["proximal", "max_kkt_ratio"] >= 0
    assert pd.isna(by_mode.loc["autograd", "max_kkt_ratio"])


def test_compare_penalty_modes_markdown_table(penalty_modes, tiny_run):
    results, _ = tiny_run
    table = penalty_modes.markdown_table(results).splitlines()
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    assert header == (["solver", "mode"] + [h for h, _, _ in penalty_modes.TABLE]
                      + ["max KKT ratio"])
    assert len(table) == 2 + len(results)


def test_compare_penalty_modes_rejects_unknown_dataset(penalty_modes):
    with pytest.raises(SystemExit):
        penalty_modes.parse_args(["--dataset", "iris"])
    with pytest.raises(ValueError, match="breast_cancer"):
        penalty_modes.load_split("iris", 0)


def test_distributed_path_runs_on_one_and_two_ranks_and_selects_alike():
    # A subprocess: the spawned ranks import the script by its own name.
    import subprocess

    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "distributed_path.py"), "--samples", "400",
         "--snps", "3000", "--causal", "3", "--quick", "--configs", "1x1", "2x1"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    table = [line for line in done.stdout.splitlines() if line.startswith("| ")][1:]
    assert [row.split("|")[1].strip() for row in table] == ["1", "2"]
    assert all(row.rstrip(" |").endswith("True") for row in table)
    # one rank exchanges nothing; two exchange one number per SNP per KKT pass
    assert float(table[0].split("|")[6]) == 0.0
    assert abs(float(table[1].split("|")[6]) - 3000 * 8 / 2**20) < 0.001
