"""Helpers shared by the benchmark scripts: the machine line and atomic CSV output."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import torch

import riata
from riata.pipeline import atomic_write_text

__all__ = ["package_version", "machine_description", "write_csv"]


def package_version(name: str) -> str:
    """Installed version of ``name``, or "missing"."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def machine_description(packages: Sequence[str] = ("numpy", "scikit-learn")) -> str:
    """One line naming the machine, its load, the thread settings and the versions.

    The load average is printed because the second core of this machine is shared and
    its throughput varies: a figure means little without it.
    """
    processor = platform.processor() or platform.machine()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    versions = " ".join(f"{name}={package_version(name)}" for name in packages)
    return (f"processor={processor!r} cpu_count={os.cpu_count()} load_average={load} "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')} "
            f"torch={torch.__version__} torch_threads={torch.get_num_threads()} "
            f"python={platform.python_version()} riata={riata.__version__} {versions} "
            f"platform={platform.platform()}")


def write_csv(rows, path, columns: Sequence[str] | None = None) -> Path:
    """Write rows (list of dicts or a DataFrame) as CSV atomically; return the path."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=columns)
    return atomic_write_text(Path(path), frame.to_csv(index=False))
