"""``riata.experiments.fit_cohort`` called directly, without the command line.

It lives beside the command-line tests to share their cohort fixtures (``conftest``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from riata.data import DataError, DataWarning
from riata.experiments import CohortFitConfig, CohortFitResult, fit_cohort
from riata.io import load_model

#: Tiny network and short path: about a second per fit.
NETWORK = {"hidden_layer_sizes": (4,), "max_epochs": 4, "encoder_dim": 2,
           "batch_size": 64, "n_iter_no_change": 2}


def small_config(cohort, **changes) -> CohortFitConfig:
    settings = {"clinical": cohort.clinical, "genotypes": cohort.genotypes,
                "target": "chd", "id_column": "pid", "n_alphas": 2, "network": NETWORK}
    return CohortFitConfig(**{**settings, **changes})


def test_fit_cohort_returns_the_fit_and_writes_the_run_directory(cohort, leftovers):
    out = cohort.root / "runs" / "chd"
    messages = []
    result = fit_cohort(small_config(cohort), out, on_warning=messages.append)

    assert isinstance(result, CohortFitResult)
    assert result.run_dir == out and result.task == "classification"
    assert {p.name for p in out.iterdir()} == {
        "config.json", "results.csv", "results.md", "metrics.json",
        "selected_variables.csv", "figures", "paths", "model", "report.html"}
    assert leftovers(cohort.root) == []
    # The table returned is the one written, the riata row first.
    written = pd.read_csv(out / "results.csv")
    assert written["model"].tolist() == result.table["model"].tolist() == [
        "riata MLP (group-lasso)", "logistic regression (clinical)",
        "logistic regression (clinical + genotypes)"]
    pd.testing.assert_frame_equal(written, result.table, check_dtype=False)
    assert set(result.baseline_scores) == set(result.table["model"][1:])
    assert result.test_scores == {k.removeprefix("test_"): result.table.loc[0, k]
                                  for k in ("test_accuracy", "test_auroc", "test_ap")}
    assert 0 <= result.test_scores["auroc"] <= 1
    assert result.to_markdown() == (out / "results.md").read_text()
    # The path chose the alpha of the estimator returned.
    assert len(result.path.records) == 2
    assert result.alpha == result.path.best_alpha == result.estimator.penalty.alpha
    # Selection: clinical variables with a nonzero first-layer row.
    selected = pd.read_csv(out / "selected_variables.csv")
    kept = selected[selected["selected"] & (selected["group"] != "genetics")]
    assert result.selected_variables == sorted(set(kept["group"]))
    # Warnings go to on_warning as they arise and into the result and config.json.
    assert any("3 missing genotype call(s)" in m for m in messages)
    config = json.loads((out / "config.json").read_text())
    assert messages == result.notes == config["warnings"]
    assert config["settings"]["id"] == "pid" and config["settings"]["n_alphas"] == 2
    assert config["settings"]["out"] == str(out.resolve())
    # Without options_given, config.json records the settings given to the config.
    assert config["options_given"]["n_alphas"] == 2
    assert "missing" not in config["options_given"]
    # The saved model predicts as the estimator returned.
    loaded, extras = load_model(out / "model")
    assert extras["metadata"]["id_column"] == "pid"
    X = np.random.default_rng(0).normal(size=(5, loaded.n_features_in_))
    np.testing.assert_allclose(loaded.predict_proba(X),
                               result.estimator.predict_proba(X), rtol=0, atol=1e-12)


def test_fit_cohort_warns_by_default_and_keeps_an_existing_run(cohort):
    out = cohort.root / "run"
    frame = cohort.frame.copy()
    frame.loc[3, "bmi"] = np.nan
    frame.to_csv(cohort.clinical, index=False)
    config = small_config(cohort, genotypes=None, alpha=0.001, penalty="l1")
    with pytest.warns(DataWarning) as caught:
        first = fit_cohort(config, out)
    assert any("'bmi' (1)" in str(w.message) for w in caught)
    assert first.path is None and first.alpha == 0.001
    with pytest.raises(DataError, match="not empty"):
        fit_cohort(config, out)
    assert (out / "report.html").is_file()  # untouched
    again = fit_cohort(config, out, overwrite=True, on_warning=lambda message: None)
    assert again.notes == first.notes


@pytest.mark.parametrize("change, message", [
    ({"eps": 2}, "'eps' must be a number in (0, 1); got 2."),
    ({"penalty": "lasso"}, "'penalty' must be one of"),
    ({"penalty": "none", "alpha": 0.1}, "penalty 'none'"),
    ({"categorical": "age"}, "'categorical' must be a list of column names"),
    ({"test_size": 0.5, "valid_size": 0.5}, "test_size + valid_size"),
    ({"network": {"max_epoch": 3}}, "unknown estimator parameter(s) ['max_epoch']"),
    ({"network": {"hidden_layer_sizes": [0]}}, "'hidden_layer_sizes'"),
    ({"network": {"learning_rate_init": "fast"}}, "learning_rate_init"),
])
def test_config_refuses_bad_settings_before_reading_anything(change, message):
    settings = {"clinical": "nowhere.csv", "target": "y", "id_column": "id", **change}
    with pytest.raises(ValueError) as info:
        CohortFitConfig(**settings)
    assert message in str(info.value)


def test_config_merges_network_defaults():
    config = CohortFitConfig(clinical="c.csv", target="y", id_column="id", seed=4,
                             network={"hidden_layer_sizes": [3, 2], "max_epochs": 5},
                             categorical=["a"])
    params = config.estimator_params()
    assert params["hidden_layer_sizes"] == (3, 2) and params["max_epochs"] == 5
    assert params["encoder_dim"] == 20 and params["random_state"] == 4
    assert config.categorical == ("a",)
    assert "penalty" not in CohortFitConfig.network_parameter_names()


def test_the_saved_per_snp_model_computes_what_the_kernel_model_trained(cohort):
    """riata fit trains on the genotype kernel and saves one weight per SNP instead."""
    from riata.experiments._cohort_data import Notes, prepare_cohort
    from riata.experiments._cohort_fit import _fit_network
    from riata.io import assemble_features

    config = small_config(cohort, alpha=0.001)
    params = config.estimator_params()
    data = prepare_cohort(config, Notes(), params["encoder_dim"])
    assert data.X["train"].shape[1] == data.n_clinical + data.train.size  # the kernel
    result, _, trained = _fit_network(config, params, data)
    assert trained.encoder_kernel == "precomputed"
    explicit = result.estimator
    assert explicit.encoder_kernel is None and explicit.n_encoded_features == data.n_snps
    stats = data.genotype_stats
    snps = assemble_features(data.encoder.transform(data.table.clinical),
                             data.table.genotypes, data.test, stats["mean"],
                             stats["scale"])
    np.testing.assert_allclose(explicit.predict_proba(snps),
                               trained.predict_proba(data.X["test"]), rtol=0, atol=1e-5)


def test_genotype_baseline_on_kernel_features_equals_the_one_on_snps(cohort):
    """The baseline's kernel features stand in exactly for the standardized SNPs."""
    from sklearn.linear_model import LogisticRegression

    from riata.experiments._cohort_data import Notes, prepare_cohort
    from riata.experiments._cohort_fit import _linear_kernel_features
    from riata.io import assemble_features

    config = small_config(cohort)
    data = prepare_cohort(config, Notes(), 2)
    stats = data.genotype_stats
    clinical = data.encoder.transform(data.table.clinical)
    dense = {name: assemble_features(clinical, data.table.genotypes, rows, stats["mean"],
                                     stats["scale"], dtype=np.float64)
             for name, rows in data.rows()}
    f_train, f_test = _linear_kernel_features(data.X["train"], data.X["test"],
                                              data.n_clinical, data.n_snps)
    y = data.y[data.train]
    fit = lambda X: LogisticRegression(tol=1e-10, max_iter=10_000).fit(X, y)  # noqa: E731
    np.testing.assert_allclose(fit(f_train).predict_proba(f_test),
                               fit(dense["train"]).predict_proba(dense["test"]),
                               rtol=0, atol=1e-4)


def test_clinical_baseline_sees_the_clinical_columns_only(cohort):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from riata.experiments._cohort_data import Notes, prepare_cohort

    result = fit_cohort(small_config(cohort, alpha=0.001), cohort.root / "base")
    data = prepare_cohort(small_config(cohort), Notes(), 2)
    clin = slice(0, data.n_clinical)
    model = LogisticRegression(max_iter=2000).fit(data.X["train"][:, clin],
                                                  data.y[data.train])
    auroc = roc_auc_score(data.y[data.test] == model.classes_[1],
                          model.predict_proba(data.X["test"][:, clin])[:, 1])
    assert result.baseline_scores["logistic regression (clinical)"]["auroc"] == (
        pytest.approx(auroc))
