"""Intervals, thresholds and stability selection: the numbers a statistician signs."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from riata.pipeline import bootstrap_intervals, threshold_scores, youden_threshold
from riata.pipeline._stability import StabilitySelection


def test_a_model_that_does_not_discriminate_gets_the_conventional_threshold():
    """A constant score has J = 0 at every cut; roc_curve's first cut is +inf, which
    once became a threshold of 1.0 (every patient negative, whatever the prevalence)."""
    positive = np.array([1, 0, 1, 1, 0, 1])
    assert youden_threshold(positive, np.full(6, 0.67)) == 0.5
    assert youden_threshold(np.ones(4), np.linspace(0, 1, 4)) == 0.5


def test_youden_threshold_separates_a_clean_split():
    positive = np.array([False] * 5 + [True] * 5)
    score = np.array([0.1, 0.2, 0.25, 0.3, 0.35, 0.6, 0.7, 0.8, 0.9, 0.95])
    assert youden_threshold(positive, score) == pytest.approx(0.6)
    # J = sensitivity + specificity - 1 is largest there: 1 + 1 - 1 = 1.
    scores = threshold_scores(positive, score, 0.6)
    assert scores["sensitivity"] == 1 and scores["specificity"] == 1
    assert scores["accuracy_at_threshold"] == 1


def test_threshold_scores_show_the_majority_rate():
    positive = np.array([True] + [False] * 9)
    score = np.linspace(0.05, 0.5, 10)
    scores = threshold_scores(positive, score, 0.5)
    assert scores["prevalence"] == pytest.approx(0.1)
    assert scores["majority_rate"] == pytest.approx(0.9)
    assert scores["accuracy_at_threshold"] == pytest.approx(0.8)  # 1 FP + 1 FN
    assert scores["brier"] == pytest.approx(np.mean((score - positive) ** 2))


def test_bootstrap_intervals_cover_the_point_estimate_and_pair_the_difference():
    rng = np.random.default_rng(0)
    positive = rng.random(400) < 0.3
    good = positive * 0.5 + rng.random(400)
    weak = positive * 0.1 + rng.random(400)
    out = bootstrap_intervals(positive, {"good": good, "weak": weak}, reference="weak",
                              n_boot=300)
    for key, score in (("good", good), ("weak", weak)):
        point = roc_auc_score(positive, score)
        assert out[key]["auroc_low"] < point < out[key]["auroc_high"]
        assert 0.02 < out[key]["auroc_high"] - out[key]["auroc_low"] < 0.2
    diff = out["good"]
    assert diff["auroc_diff_low"] < diff["auroc_diff"] < diff["auroc_diff_high"]
    assert diff["auroc_diff_low"] > 0  # the better model is better beyond the noise
    assert "auroc_diff" not in out["weak"]


def _sklearn_intervals(positive, scores, reference, n_boot, seed=0):
    """The reference: scikit-learn's scores of each resample, one call at a time (the
    resamples drawn as bootstrap_intervals draws them)."""
    rng = np.random.default_rng(seed)
    cases, controls = np.flatnonzero(positive), np.flatnonzero(~positive)
    boots = {k: ([], []) for k in scores}
    for _ in range(n_boot):
        rows = np.concatenate([rng.choice(cases, cases.size),
                               rng.choice(controls, controls.size)])
        for k, s in scores.items():
            boots[k][0].append(roc_auc_score(positive[rows], s[rows]))
            boots[k][1].append(average_precision_score(positive[rows], s[rows]))
    out = {}
    for k, (auroc, ap) in boots.items():
        auroc, ap = np.array(auroc), np.array(ap)
        out[k] = {"auroc_low": np.percentile(auroc, 2.5), "auroc_high": np.percentile(auroc, 97.5),
                  "ap_low": np.percentile(ap, 2.5), "ap_high": np.percentile(ap, 97.5)}
        if k != reference:
            diff = auroc - np.array(boots[reference][0])
            out[k]["auroc_diff_low"] = np.percentile(diff, 2.5)
            out[k]["auroc_diff_high"] = np.percentile(diff, 97.5)
    return out


@pytest.mark.parametrize("n, prevalence, decimals", [(150, 0.3, 1), (60, 0.1, 2),
                                                     (300, 0.5, 6)])
def test_bootstrap_intervals_equal_scikit_learns_score_of_every_resample(n, prevalence,
                                                                        decimals):
    """Rounded scores make many ties (1 decimal: ten distinct values)."""
    rng = np.random.default_rng(n)
    positive = rng.random(n) < prevalence
    positive[:2] = [True, False]
    scores = {"a": np.round(positive * 0.3 + rng.random(n), decimals),
              "b": np.round(rng.random(n), decimals), "constant": np.full(n, 0.4)}
    ours = bootstrap_intervals(positive, scores, reference="b", n_boot=200)
    reference = _sklearn_intervals(positive, scores, "b", 200)
    for key, entry in reference.items():
        for name, value in entry.items():
            assert ours[key][name] == pytest.approx(value, abs=1e-12), (key, name)


def test_stability_selection_bound_is_meinshausen_buhlmanns():
    selection = pd.DataFrame({f"half {b}": [True, b % 2 == 0, False, False]
                              for b in range(10)}, index=["a", "b", "c", "d"])
    found = StabilitySelection(selection=selection,
                               frequency=selection.mean(axis=1), q=1.5, n_candidates=4,
                               threshold=0.6)
    assert found.error_bound == pytest.approx(1.5 ** 2 / ((2 * 0.6 - 1) * 4))
    table = found.table("network")
    assert table.set_index("variable").loc["a", "stable"]
    assert not table.set_index("variable").loc["b", "stable"]  # kept in half of them
