"""Fixtures shared by the optimizer suites."""

from __future__ import annotations

import pytest

from .registry import LeastSquares, make_problem


@pytest.fixture(scope="module")
def problem() -> LeastSquares:
    """Linear regression, float64: 20 features of which 3 are relevant, n = 200, two
    outputs (so that a group of columns holds several rows of ``W``)."""
    return make_problem(0)
