"""The example scripts run end to end at a tiny size."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_dense_int8_example_trains_checkpoints_and_cleans_up(tmp_path):
    example = _load("dense_int8_encoder")
    ckpt = tmp_path / "ckpt"
    summary = example.main(["--samples", "300", "--snps", "700", "--causal", "3",
                            "--epochs", "4", "--every", "1", "--alpha", "0.05",
                            "--checkpoint-dir", str(ckpt)])
    assert summary["ranks"] == 1 and summary["epochs"] == 4
    assert 0 <= summary["causal_kept"] <= 3 and summary["snps_kept"] <= 700
    assert summary["valid_loss"] > 0
    assert not ckpt.exists()  # removed once the run finished
