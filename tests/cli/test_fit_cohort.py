"""``riata.workflows.fit_cohort`` called directly, without the command line.

It lives beside the command-line tests to share their cohort fixtures (``conftest``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from riata.data import DataError, DataWarning, assemble_features
from riata.io import load_model
from riata.pipeline import cohort_specs, deployable_model, fit_model, prepare_inputs
from riata.workflows import CohortFitConfig, CohortFitResult, fit_cohort

#: Tiny network and short path: about a second per fit.
NETWORK = {"hidden_layer_sizes": (4,), "max_epochs": 4, "batch_size": 64,
           "n_iter_no_change": 2}


def small_config(cohort, **changes) -> CohortFitConfig:
    settings = {"clinical": cohort.clinical, "genotypes": cohort.genotypes,
                "target": "chd", "id_column": "pid", "n_alphas": 3, "network": NETWORK,
                "encoder_dim": 2, "cv": None, "stability": 0}
    return CohortFitConfig(**{**settings, **changes})


def test_fit_cohort_returns_the_fit_and_writes_the_run_directory(cohort, leftovers):
    out = cohort.root / "runs" / "chd"
    messages = []
    result = fit_cohort(small_config(cohort), out, on_warning=messages.append)

    assert isinstance(result, CohortFitResult)
    assert result.run_dir == out and result.task == "classification"
    assert {p.name for p in out.iterdir()} == {
        "config.json", "results.csv", "results.md", "metrics.json",
        "selected_variables.csv", "selected_snps.csv", "figures", "paths", "model",
        "report.html"}
    assert leftovers(cohort.root) == []
    # The network first, then the baselines on the same split (issue 9).
    written = pd.read_csv(out / "results.csv")
    assert written["model"].tolist() == result.table["model"].tolist() == [
        "network", "logistic_clinical", "lasso_all_inputs"]
    assert written["kind"].tolist() == ["snp_network", "logistic", "lasso"]
    assert set(result.baseline_scores) == {"logistic_clinical", "lasso_all_inputs"}
    assert result.test_scores["auroc"] == pytest.approx(written.loc[0, "test_auroc"])
    assert result.to_markdown() == (out / "results.md").read_text()
    # The clinical path, then the SNP path chose the alpha of the network.
    paths = result.network.paths
    assert set(paths) == {"clinical_path", "path"}
    assert result.alpha == paths["path"].best_alpha
    assert (out / "paths" / "network.csv").is_file()
    assert (out / "paths" / "network_clinical.csv").is_file()
    # Selection: clinical variables with a nonzero first-layer column.
    selected = pd.read_csv(out / "selected_variables.csv")
    kept = selected[(selected["model"] == "network") & selected["selected"]]
    assert set(result.selected_variables) <= set(kept["group"])
    # Warnings go to on_warning as they arise and into the result and config.json.
    assert any("3 missing genotype call(s)" in m for m in messages)
    config = json.loads((out / "config.json").read_text())
    assert config["workflow"] == "fit"
    assert messages == result.notes == config["warnings"]
    assert config["settings"]["id"] == "pid" and config["settings"]["n_alphas"] == 3
    assert config["options_given"]["n_alphas"] == 3
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
    assert first.network.paths == {} and first.alpha == 0.001
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
    ({"alpha_rule": "min"}, "'alpha_rule' must be one of"),
    ({"network": {"max_epoch": 3}}, "unknown estimator parameter(s) ['max_epoch']"),
    ({"network": {"hidden_layer_sizes": [0]}}, "'hidden_layer_sizes'"),
    ({"network": {"learning_rate_init": "fast"}}, "learning_rate_init"),
    ({"network": {"encoder": None}}, "unknown estimator parameter(s) ['encoder']"),
    ({"penalty": "hierarchical", "network": {"solver": "adam"}},
     "not 'adam''s per-coordinate steps; use solver 'fista'"),
    ({"penalty": "hierarchical", "network": {"hidden_layer_sizes": []}},
     "penalty 'hierarchical' needs a hidden layer"),
    ({"penalty": "hierarchical", "network": {"skip_connection": False}},
     "remove skip_connection = false"),
])
def test_config_refuses_bad_settings_before_reading_anything(change, message):
    settings = {"clinical": "nowhere.csv", "target": "y", "id_column": "id", **change}
    with pytest.raises(ValueError) as info:
        CohortFitConfig(**settings)
    assert message in str(info.value)


def test_config_holds_overrides_only():
    """One home per default: the config passes on what it was given, nothing else."""
    config = CohortFitConfig(clinical="c.csv", target="y", id_column="id", seed=4,
                             network={"hidden_layer_sizes": [3, 2], "max_epochs": 5},
                             categorical=["a"])
    settings = config.settings()
    assert dict(settings.network) == {"hidden_layer_sizes": (3, 2), "max_epochs": 5}
    assert settings.n_alphas is None and settings.path_kwargs() == {}
    assert config.categorical == ("a",)
    assert "penalty" not in CohortFitConfig.network_parameter_names()
    network = cohort_specs("group-lasso", has_genotypes=False, task="classification",
                           seed=4)[0]
    assert network.seed == 4 and network.kind == "network"


@pytest.mark.parametrize("penalty", ["l2", "group-lasso", "hierarchical"])
def test_the_saved_model_computes_what_the_network_trained(cohort, penalty):
    """A kernel network is saved as one weight per SNP, a SNP network keeps its SNPs:
    both predict the test rows as the trained network does."""
    config = small_config(cohort, penalty=penalty)
    inputs = prepare_inputs(_table(config), seed=0)
    spec = cohort_specs(penalty, has_genotypes=True, task="classification")[0]
    fitted = fit_model(spec, inputs, config.settings())
    assert fitted.kernel == (penalty == "l2")
    saved, stats = deployable_model(fitted, inputs)
    test = inputs.rows("test")
    snps = [list(inputs.snp_names).index(s) for s in stats["snp_names"]]
    X = assemble_features(inputs.clinical, inputs.genotypes.subset(np.arange(
        inputs.y.size)), test, inputs.genotype_mean, inputs.genotype_scale)
    X = np.hstack([X[:, :inputs.n_clinical], X[:, inputs.n_clinical:][:, snps]])
    assert saved.n_features_in_ == inputs.n_clinical + len(snps)
    np.testing.assert_allclose(saved.predict_proba(X),
                               fitted.predict(inputs, "test")["proba"], rtol=0,
                               atol=1e-5)


@pytest.mark.parametrize("genotypes", [True, False])
def test_the_hierarchical_penalty_gets_the_network_it_needs(cohort, genotypes):
    """LassoNet's penalty needs a skip path and full-batch steps; riata fit sets both
    (pipeline.PENALTY_PARAMS) instead of failing in the middle of the fit."""
    from riata.penalties import HierarchicalLasso

    config = small_config(cohort, penalty="hierarchical",
                          genotypes=cohort.genotypes if genotypes else None)
    inputs = prepare_inputs(_table(config), seed=0)
    spec = cohort_specs("hierarchical", has_genotypes=genotypes,
                        task="classification")[0]
    fitted = fit_model(spec, inputs, config.settings())
    est = fitted.estimator
    assert est.skip_connection and est.solver == "fista"
    weight = torch.as_tensor(est.first_layer_weights_).T
    assert HierarchicalLasso.feasible(weight, hierarchy=est.penalty.hierarchy,
                                      rtol=1e-5)


def _table(config):
    from riata.data import read_table

    return read_table(config.clinical, target=config.target, id_column=config.id_column,
                      plink_prefix=config.genotypes)


def test_clinical_baseline_sees_the_clinical_columns_only(cohort):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    result = fit_cohort(small_config(cohort, alpha=0.001), cohort.root / "base")
    inputs = result.run.inputs
    model = LogisticRegression(C=np.inf, max_iter=5000).fit(
        inputs.design("train"), inputs.target("train"))
    auroc = roc_auc_score(inputs.target("test") == model.classes_[1],
                          model.predict_proba(inputs.design("test"))[:, 1])
    assert result.baseline_scores["logistic_clinical"]["auroc"] == pytest.approx(auroc)


def test_defaults_cross_validate_polish_and_measure_stability(cohort):
    """Issue 10: alpha by K-fold CV with the 1-SE rule, certified zeros, intervals,
    a threshold on the validation rows, and stability selection on half-samples."""
    config = small_config(cohort, genotypes=None, cv=3, stability=4,
                          network={"hidden_layer_sizes": (4,), "max_epochs": 30})
    result = fit_cohort(config, cohort.root / "defaults", on_warning=lambda m: None)
    out = result.run_dir
    table = pd.read_csv(out / "results.csv").set_index("model")
    path = result.network.paths["path"]
    assert path.cv_losses.shape[0] == 3 and path.rule == "1se"
    assert len(path.records) == path.best_index + 1
    # Every zero of the polished network is a KKT point.
    assert bool(table.loc["network", "zeros_certified"])
    ratios = result.estimator.kkt_violation_
    assert np.all(ratios[np.isfinite(ratios)] <= 1 + 1e-3)
    for column in ("test_auroc_low", "test_auroc_high", "test_threshold",
                   "test_majority_rate", "test_sensitivity", "test_specificity",
                   "test_brier", "auroc_minus_logistic_clinical_low"):
        assert table[column].notna().any(), column
    assert (table["test_auroc_low"] <= table["test_auroc"]).all()
    assert (table["test_auroc"] <= table["test_auroc_high"]).all()
    assert table.loc["network", "test_threshold_rule"] == "youden (validation)"
    stability = pd.read_csv(out / "stability_selection.csv")
    assert set(stability["variable"]) >= {"age", "sex"}
    assert stability["frequency"].between(0, 1).all()
    for name in ("test_curves.png", "stability_network.png", "validation_network.png"):
        assert (out / "figures" / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    bound = metrics["models"]["network"]["stability_selection"]
    assert bound["n_subsamples"] == 4 and bound["expected_false_stable_bound"] >= 0
    html = (out / "report.html").read_text()
    assert "Stability selection" in html


def test_predict_labels_at_the_saved_threshold_or_the_given_one(cohort, tmp_path):
    from riata.workflows import predict_cohort

    result = fit_cohort(small_config(cohort, genotypes=None, alpha=0.001),
                        cohort.root / "thr")
    saved = result.run.scores["network"]["threshold"]
    pred = predict_cohort(result.run_dir, cohort.clinical).table
    assert (pred["threshold"] == saved).all()
    assert (pred["threshold_rule"] == "youden (validation)").all()
    expected = np.where(pred["probability_1"] >= saved, 1, 0)
    assert (pred["prediction"].astype(int) == expected).all()
    given = predict_cohort(result.run_dir, cohort.clinical, threshold=0.9).table
    assert (given["prediction"].astype(int)
            == (given["probability_1"] >= 0.9).astype(int)).all()
    assert (given["threshold_rule"] == "given (--threshold)").all()
