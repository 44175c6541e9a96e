"""``torchrun --standalone --nproc-per-node N -m riata fit`` writes the run directory of
``riata fit``: the same selections and the same numbers, rank 0 alone writing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("bed_reader")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "cli"))

ARGS = ["--target", "chd", "--id", "pid", "--cv", "0", "--stability", "0",
        "--n-alphas", "6", "--hidden", "4"]
#: Columns that are timings, not results.
TIMES = ("fit_seconds", "seconds")


def _cohort(root: Path, make_frame, write_plink) -> list[str]:
    frame = make_frame(400)
    snps = write_plink(root / "geno", frame["pid"], n_snps=200, missing=5)
    rng = np.random.default_rng(3)
    dose = np.nan_to_num(snps[:, [7, 170]], nan=1.0)  # on the first and the last rank
    logit = (0.1 * (frame.age - 55) + 0.9 * (frame.sex == "M")
             + 1.5 * (dose - 1).sum(axis=1) - 0.3)
    frame["chd"] = (rng.random(len(frame)) < 1 / (1 + np.exp(-logit))).astype(int)
    frame.to_csv(root / "clinical.csv", index=False)
    return ["--clinical", str(root / "clinical.csv"), "--genotypes", str(root / "geno"),
            *ARGS]


def _run(command, cwd):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _table(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    return frame.drop(columns=[c for c in frame.columns if c in TIMES])


@pytest.mark.slow
@pytest.mark.parametrize("n_ranks", [2, 3])
def test_torchrun_fit_equals_one_process(tmp_path, n_ranks, make_frame, write_plink):
    args = _cohort(tmp_path, make_frame, write_plink)
    _run([sys.executable, "-m", "riata", "fit", *args, "--out", "single"], tmp_path)
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent))
    assert torchrun, "torchrun is installed with torch"
    # With a checkpoint directory (saved by every rank, deleted at the end).
    done = _run([torchrun, "--standalone", "--nproc-per-node", str(n_ranks), "-m",
                 "riata", "fit", *args, "--out", "ranks", "--checkpoint-dir", "ckpt"],
                tmp_path)
    assert not (tmp_path / "ckpt").exists()
    assert done.stdout.count("run directory:") == 1  # rank 0 alone speaks
    single, ranks = tmp_path / "single", tmp_path / "ranks"
    assert sorted(p.name for p in single.iterdir()) == sorted(p.name for p in
                                                              ranks.iterdir())
    a, b = _table(single / "results.csv"), _table(ranks / "results.csv")
    numeric = a.select_dtypes("number").columns
    pd.testing.assert_frame_equal(a.drop(columns=numeric), b.drop(columns=numeric))
    # SNP ranges aligned to riata.data.SNP_CHUNK: the same computations as one process
    np.testing.assert_array_equal(a[numeric].to_numpy(float), b[numeric].to_numpy(float))
    for name in ("selected_variables.csv", "selected_snps.csv"):
        pd.testing.assert_frame_equal(_table(single / name), _table(ranks / name),
                                      check_exact=True)
    assert _table(single / "selected_snps.csv").shape[0] >= 1  # SNPs were selected
    config = json.loads((ranks / "config.json").read_text())["distributed"]
    assert config["world_size"] == n_ranks and config["backend"] == "gloo"
    ranges = config["snp_ranges"]
    assert ranges[0][0] == 0 and ranges[-1][1] == 200 and ranges[1][0] < 200
    assert all(r[1] == s[0] for r, s in zip(ranges, ranges[1:]))
    assert not list(tmp_path.glob(".*"))  # no staging directory left behind


@pytest.mark.parametrize("rank, speaks", [("0", True), ("1", False)])
def test_only_rank_0_prints_an_input_error(tmp_path, monkeypatch, capsys, rank, speaks):
    """Every rank of a torchrun job meets the same input error; one message is enough
    (each rank still exits with riata's code, 2)."""
    from riata.cli import main

    monkeypatch.setenv("RANK", rank)
    code = main(["fit", "--clinical", str(tmp_path / "missing.csv"), "--target", "y",
                 "--id", "id", "--out", str(tmp_path / "run")])
    assert code == 2
    assert ("missing.csv" in capsys.readouterr().err) is speaks


def test_other_commands_refuse_to_run_under_torchrun(tmp_path, monkeypatch, capsys):
    from riata.cli import main

    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    assert main(["casestudy", "--out", str(tmp_path / "cs")]) == 2
    assert "only riata fit splits its work" in capsys.readouterr().err
    assert not (tmp_path / "cs").exists()
