"""How many cross-validation folds a run can use (issue 10: the property tests once
asked for 5 stratified folds of a class with 3 training rows)."""

import numpy as np
import pandas as pd
import pytest

from riata.data import Table
from riata.pipeline import Notes, PipelineSettings, feasible_folds, prepare_inputs


def _inputs(n_minority: int, n: int = 60):
    rng = np.random.default_rng(0)
    y = np.array([1] * n_minority + [0] * (n - n_minority))
    clinical = pd.DataFrame({"x": rng.normal(size=n)},
                            index=pd.Index([f"p{i}" for i in range(n)]))
    table = Table(clinical=clinical, y=y, sample_ids=clinical.index.to_numpy(),
                  target_name="y")
    return prepare_inputs(table, seed=0, notes=Notes(on_warning=lambda m: None))


@pytest.mark.parametrize("n_minority, expected", [(30, 5), (8, 4), (5, 3)])
def test_folds_are_lowered_to_the_smallest_training_class(n_minority, expected):
    inputs = _inputs(n_minority)
    smallest = np.unique(inputs.target("train"), return_counts=True)[1].min()
    notes = Notes(on_warning=lambda m: None)
    settings = feasible_folds(PipelineSettings(cv=5), inputs, notes)
    assert settings.cv == min(5, smallest) == expected
    assert bool(notes) == (expected < 5)
    if notes:
        assert f"the smallest class has {smallest} training row(s)" in notes[0]


def test_no_cross_validation_is_left_alone():
    inputs = _inputs(3)
    assert feasible_folds(PipelineSettings(cv=None), inputs, Notes()).cv is None
