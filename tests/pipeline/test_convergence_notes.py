"""Estimators' ConvergenceWarnings reach the run's notes (config.json, the CLI's
one-line warnings), one note per model, not as raw Python warnings (issue 12)."""

import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning

from riata.data import Table
from riata.pipeline import ModelSpec, Notes, PipelineSettings, fit_and_score, prepare_inputs


def test_fits_stopped_early_become_one_note_per_model():
    rng = np.random.default_rng(0)
    n = 300
    clinical = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)},
                            index=[f"p{i}" for i in range(n)])
    table = Table(clinical=clinical, y=rng.integers(0, 3, n),
                  sample_ids=clinical.index.to_numpy(), target_name="y")
    seen = []
    notes = Notes(on_warning=seen.append)
    inputs = prepare_inputs(table, notes=notes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # none may escape
        fit_and_score([ModelSpec("network", "n", "network", penalty="group-lasso")],
                      inputs, PipelineSettings(network=(("max_epochs", 3),), n_alphas=3),
                      notes=notes)
    stopped = [m for m in seen if "stopped before converging" in m]
    assert len(stopped) == 1
    assert stopped[0].startswith("model 'network': 3 of its fits")
    assert "max_epochs=3" in stopped[0]
