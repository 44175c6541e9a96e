"""The case study end to end at a small scale: selection, table, figures, report."""

import json

import numpy as np
import pandas as pd
import pytest

from riata.experiments import MODELS, CaseStudyConfig, run_case_study

SMALL = dict(n_samples=1000, chromosome_length=1_000_000, n_alphas=6, max_epochs=30)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cohorts"))


def test_null_genetics_group_lasso_drops_every_genetic_unit(cache_dir):
    # Under "null" the outcome ignores the genotypes: the right answer keeps no
    # genetic_k row. The zeros must be exact (proximal updates), and the true
    # clinical signal must survive: age and systolic pressure carry most of it.
    result = run_case_study(
        CaseStudyConfig(genetics="null", models=("group_lasso_a",), cache_dir=cache_dir,
                        **SMALL),
        verbose=False,
    )
    est = result.estimators["group_lasso_a"]
    labels = result.row_labels["group_lasso_a"]
    genetic = np.array([name.startswith("genetic_") for name in labels])
    assert genetic.sum() == 20
    assert np.all(est.first_layer_weights_[genetic] == 0.0)
    kept = set(result.table.loc[0, "decoys_kept_names"].split(";")) - {""}
    norms = dict(zip(labels, est.feature_importances_))
    assert norms["AGE1"] > 0 and norms["SYSBP1"] > 0
    assert result.table.loc[0, "n_genetic_kept"] == 0
    assert result.table.loc[0, "recall"] > 0
    assert kept <= {"DIABP1", "PREVHYP", "CIGPDAY1", "GLUCOSE1"}
    # The chosen point is on the path and its zeros are certified optimal.
    path = result.paths["group_lasso_a"]
    assert result.table.loc[0, "alpha"] == pytest.approx(path.best_alpha)
    zero_ratios = est.kkt_violation_[~np.isnan(est.kkt_violation_)]
    assert zero_ratios.size >= 20


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, cache_dir):
    out = tmp_path_factory.mktemp("run") / "cs"
    config = CaseStudyConfig(
        n_samples=600, chromosome_length=500_000, n_alphas=3, max_epochs=8,
        models=("clinical", "genetic", "none", "l1", "group_lasso_a", "group_lasso_b"),
        preset="blog_like", cache_dir=cache_dir,
    )
    return run_case_study(config, out_dir=out, verbose=False)


def test_results_table_has_the_documented_columns(small_run):
    table = pd.read_csv(small_run.run_dir / "results.csv")
    expected = {
        "model", "label", "penalty", "seed", "alpha", "best_epoch", "test_accuracy",
        "test_auroc", "test_ap", "n_clinical_kept", "n_genetic_kept", "precision",
        "recall", "f1", "decoys_kept", "oracle_auroc", "oracle_ap", "fit_seconds",
    }
    assert expected <= set(table.columns)
    assert list(table["model"]) == ["clinical", "genetic", "none", "l1",
                                    "group_lasso_a", "group_lasso_b"]
    assert list(table["seed"]) == [0, 0, 0, 0, 0, 1]
    # Unpenalized models have no alpha; penalized ones an alpha from their path.
    assert table.loc[table.penalty == "none", "alpha"].isna().all()
    assert (table.loc[table.penalty != "none", "alpha"] > 0).all()
    # The oracle is the true risk on the same test split: one value for all rows.
    assert table["oracle_auroc"].nunique() == 1
    assert 0.6 < table["oracle_auroc"].iloc[0] <= 1.0
    assert "oracle_auroc" in (small_run.run_dir / "results.md").read_text()


def test_heatmap_rows_are_genetic_units_then_clinical_columns(small_run):
    labels = small_run.row_labels["group_lasso_a"]
    assert labels[:20] == [f"genetic_{k}" for k in range(20)]
    assert labels[20] == "SYSBP1"
    assert "SEX_1.0" in labels and labels[-1] == "DIAB_1.0"
    assert small_run.row_labels["clinical"] == labels[20:]
    assert small_run.row_labels["genetic"] == labels[:20]
    est = small_run.estimators["group_lasso_a"]
    assert est.first_layer_weights_.shape == (len(labels), 20)
    selected = pd.read_csv(small_run.run_dir / "selected_variables.csv")
    rows = selected[selected.model == "group_lasso_a"]
    assert list(rows["variable"]) == labels
    assert set(rows.loc[rows.variable.str.startswith("SEX_"), "group"]) == {"SEX"}


def test_run_directory_is_complete(small_run):
    run = small_run.run_dir
    for name in ("config.json", "results.csv", "results.md", "metrics.json",
                 "truth.json", "selected_variables.csv", "stability.csv", "report.html",
                 "figures/heatmaps.png", "figures/heatmap_group_lasso_a.png",
                 "figures/path_l1.png", "figures/validation_l1.png", "paths/l1.csv"):
        assert (run / name).is_file(), name
    assert not list(run.rglob(".*.tmp"))
    config = json.loads((run / "config.json").read_text())
    assert config["preset"] == "blog_like" and config["n_snps"] > 0
    html = (run / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 6
    stability = pd.read_csv(run / "stability.csv")
    assert list(stability.columns) == ["variable", "group_lasso_a", "group_lasso_b"]


def test_unknown_model_is_rejected():
    with pytest.raises(ValueError, match="models"):
        CaseStudyConfig(models=("ridge",))


def test_every_model_has_a_label():
    assert all(len(spec) == 5 for spec in MODELS.values())


def test_snp_model_runs_on_working_sets_and_records_its_certificates(tmp_path, cache_dir):
    config = CaseStudyConfig(
        n_samples=600, chromosome_length=500_000, n_alphas=3, max_epochs=8,
        models=("group_lasso_snp", "group_lasso_a"), cache_dir=cache_dir)  # any order
    result = run_case_study(config, out_dir=tmp_path / "snp", verbose=False)
    row = result.table.set_index("model").loc["group_lasso_snp"]
    # The first-layer alpha is group lasso seed a's.
    assert row["alpha"] == result.table.set_index("model").loc["group_lasso_a", "alpha"]
    path = pd.read_csv(tmp_path / "snp" / "paths" / "group_lasso_snp_encoder.csv")
    assert list(path.columns) == ["alpha", "valid_score", "best_epoch", "n_snps",
                                  "working_set", "rounds", "max_kkt_outside",
                                  "fit_seconds"]
    assert len(path) == 3 and (path["alpha"].diff().dropna() < 0).all()
    assert (path["working_set"] >= path["n_snps"]).all()
    best = result.paths["group_lasso_snp_encoder"]
    assert row["n_snps_kept"] == best.records[best.best_index]["n_snps"]
    assert row["test_auroc"] > 0.5


def test_snp_model_needs_group_lasso_a():
    with pytest.raises(ValueError, match="group_lasso_a"):
        CaseStudyConfig(models=("group_lasso_snp",))
