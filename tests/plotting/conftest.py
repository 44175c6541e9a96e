"""Fixtures of the plotting tests: no display, figures closed, a weight matrix."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before pyplot: the test suite must never need a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_pyplot_figures():
    yield
    plt.close("all")


@pytest.fixture
def labels():
    return [f"genetic_{i}" for i in range(4)] + ["SYSBP1", "SEX_1.0", "DIAB_1.0"]


@pytest.fixture
def weights(labels):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(len(labels), 5))
    w[1] = 0.0  # a variable removed by the group lasso
    w[4, 2] = 0.0  # one exact zero
    w[5, 3] = 1e-6  # a tiny but nonzero weight
    w[6, 0] = -0.0  # negative zero is still exactly zero
    return w
