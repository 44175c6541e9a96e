"""The case study end to end at a small scale: selection, baselines, run directory."""

import json

import numpy as np
import pandas as pd
import pytest

from riata.data import DataError
from riata.pipeline import write_report
from riata.workflows import CASE_STUDY_MODELS, CaseStudyConfig, run_case_study

#: 800 patients, one 1 Mb chromosome (a few thousand SNPs): seconds per model.
#: Short paths (the 20-alpha grid's early stop): these tests check the workflow, the
#: defaults are measured by benchmarks/genetic_signal.py.
SMALL = dict(n_samples=800, chromosome_length=1_000_000, n_alphas=10,
             n_alphas_no_change=3)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cohorts"))


@pytest.fixture(scope="module")
def null_run(cache_dir):
    config = CaseStudyConfig(genetics="null", cache_dir=cache_dir,
                             models=("group_lasso_a", "group_lasso_snp"), **SMALL)
    return run_case_study(config, verbose=False)


def test_null_genetics_drops_the_genetic_block(null_run):
    """Under "null" the outcome ignores the genotypes: the right answer keeps no
    genetic unit and no SNP; the zeros are exact, the clinical signal survives."""
    table = null_run.table.set_index("model")
    fitted = null_run.models["group_lasso_a"]
    genetic = fitted.input_groups == "genetics"
    assert genetic.sum() == 20 and np.all(fitted.weights[genetic] == 0.0)
    assert table.loc["group_lasso_a", "n_genetic_kept"] == 0
    norms = dict(zip(fitted.input_names, fitted.norms))
    assert norms["AGE1"] > 0
    assert table.loc["group_lasso_snp", "snps_kept"] <= 1
    kept = set(table.loc["group_lasso_a", "decoys_kept_names"].split(";")) - {""}
    assert kept <= {"DIABP1", "PREVHYP", "CIGPDAY1", "GLUCOSE1"}


def test_the_chosen_model_is_never_worse_than_the_zero_start(null_run):
    for key in ("group_lasso_a", "group_lasso_snp"):
        path = null_run.models[key].paths["path"]
        assert path.best_record.valid_loss <= path.records[0].valid_loss + 1e-12
        assert null_run.table.set_index("model").loc[key, "alpha"] == pytest.approx(
            path.best_alpha)


def test_the_snp_network_finds_a_strong_causal_snp(cache_dir):
    """One causal SNP with a large effect: the SNP network finds it (LD-aware), as
    the lasso baseline does, and its zeros outside the working set are certified."""
    config = CaseStudyConfig(genetics="sparse", outcome="logistic_sparse", cache_dir=cache_dir,
                             models=("lasso_all_inputs", "group_lasso_snp"), **SMALL)
    from riata.data import make_framingham_like

    cohort = make_framingham_like(800, genetics="sparse", outcome="logistic_sparse",
                                  chromosome_length=1_000_000, random_state=0,
                                  cache_dir=cache_dir)
    assert cohort.truth.causal_snps.size == 1
    run = run_case_study(config, verbose=False)
    table = run.table.set_index("model")
    for key in ("lasso_all_inputs", "group_lasso_snp"):
        assert table.loc[key, "causal_snps_found"] == 1, key
    path = run.models["group_lasso_snp"].paths["path"]
    assert path.best_record.max_kkt_outside <= 1.05
    assert (pd.Series([r.working_set for r in path.records])
            >= pd.Series([r.n_snps for r in path.records])).all()


def test_the_snp_path_lets_snps_in_gradually(cache_dir):
    """Held deeper-layer norms (the default) keep the SNP path from bursting. Not
    held, this network grew its output weights from norm 0.6 to 16 at the first
    alpha below alpha_max and 97 SNPs entered there, uncertified after 5 working-set
    rounds; the 1-SE rule then kept no input at all (test AUROC 0.5). Held, the one
    causal SNP enters alone and is kept."""
    from riata.data import make_framingham_like
    from riata.pipeline import (
        KnownTruth,
        ModelSpec,
        PipelineSettings,
        fit_and_score,
        prepare_inputs,
    )

    cohort = make_framingham_like(800, chromosome_length=1_000_000, random_state=0,
                                  cache_dir=cache_dir)
    assert cohort.truth.causal_snps.size == 1
    snp = dict(kind="snp_network", penalty="group-lasso")
    specs = [ModelSpec("held", "held", **snp),
             ModelSpec("free", "not held", path=(("hold_hidden_norm", False),), **snp)]
    fitted = fit_and_score(specs, prepare_inputs(cohort.to_table(), seed=0, source="test"),
                           PipelineSettings(n_alphas_no_change=3),
                           truth=KnownTruth.from_cohort(cohort))
    table = fitted.table.set_index("model")
    entered = {key: np.diff([0] + [r.n_snps for r in fitted.models[key].paths["path"].records])
               for key in ("held", "free")}
    assert table.loc["held", "causal_snps_found"] == 1
    assert table.loc["held", "false_snps"] <= 2 and table.loc["held", "test_auroc"] > 0.8
    assert entered["held"].max() <= 15
    records = fitted.models["held"].paths["path"].records
    assert max(r.max_kkt_outside for r in records) <= 1.05
    assert entered["free"].max() >= 50 and table.loc["free", "snps_kept"] == 0


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, cache_dir):
    out = tmp_path_factory.mktemp("run") / "cs"
    config = CaseStudyConfig(
        models=("logistic_clinical", "lasso_all_inputs", "clinical", "genetic", "l1",
                "group_lasso_a", "group_lasso_b", "group_lasso_snp"),
        preset="blog_like", cache_dir=cache_dir, network={"max_epochs": 40},
        **{**SMALL, "n_samples": 600, "n_alphas": 5})
    return run_case_study(config, out_dir=out, verbose=False)


def test_results_table_has_one_schema(small_run):
    table = pd.read_csv(small_run.run_dir / "results.csv")
    expected = {
        "model", "label", "kind", "penalty", "seed", "alpha", "best_epoch",
        "test_accuracy", "test_auroc", "test_ap", "n_clinical_kept", "n_genetic_kept",
        "snps_kept", "causal_snps_found", "false_snps", "precision", "recall", "f1",
        "decoys_kept", "kkt_max", "oracle_auroc", "oracle_ap", "fit_seconds"}
    assert expected <= set(table.columns)
    assert list(table["model"]) == ["logistic_clinical", "lasso_all_inputs", "clinical",
                                    "genetic", "l1", "group_lasso_a", "group_lasso_b",
                                    "group_lasso_snp"]
    networks = table[table["kind"].isin(["network", "snp_network"])]
    assert list(networks["seed"]) == [0, 0, 0, 0, 1, 0]
    # Unpenalized models have no alpha; penalized ones an alpha from their path.
    assert table.loc[table.penalty == "none", "alpha"].isna().all()
    assert (table.loc[table.penalty != "none", "alpha"] > 0).all()
    # SNP counts only where SNPs are selected.
    assert table.set_index("model").loc[["lasso_all_inputs", "group_lasso_snp"],
                                        "snps_kept"].notna().all()
    assert table.set_index("model").loc[["l1", "clinical"], "snps_kept"].isna().all()
    # The oracle is the true risk on the same test split: one value for all rows.
    assert table["oracle_auroc"].nunique() == 1
    assert 0.6 < table["oracle_auroc"].iloc[0] <= 1.0
    assert "oracle_auroc" in (small_run.run_dir / "results.md").read_text()


def test_heatmap_rows_are_genetic_units_then_clinical_columns(small_run):
    fitted = small_run.models["group_lasso_a"]
    labels = list(fitted.input_names)
    assert labels[:20] == [f"genetic_{k}" for k in range(20)]
    assert "SEX_1.0" in labels and "AGE1" in labels
    assert list(small_run.models["clinical"].input_names) == labels[20:]
    assert list(small_run.models["genetic"].input_names) == labels[:20]
    assert fitted.weights.shape == (len(labels), 20)
    selected = pd.read_csv(small_run.run_dir / "selected_variables.csv")
    rows = selected[selected.model == "group_lasso_a"]
    assert list(rows["variable"]) == labels
    assert set(rows.loc[rows.variable.str.startswith("SEX_"), "group"]) == {"SEX"}


def test_run_directory_is_complete(small_run):
    run = small_run.run_dir
    for name in ("config.json", "results.csv", "results.md", "metrics.json",
                 "truth.json", "selected_variables.csv", "selected_snps.csv",
                 "stability.csv", "report.html", "figures/heatmap_group_lasso_a.png",
                 "figures/path_l1.png", "figures/validation_l1.png",
                 "figures/snps_group_lasso_snp.png", "paths/l1.csv",
                 "paths/group_lasso_snp.csv", "paths/group_lasso_snp_clinical.csv"):
        assert (run / name).is_file(), name
    assert not list(run.parent.rglob(".*"))
    config = json.loads((run / "config.json").read_text())
    assert config["workflow"] == "casestudy"
    assert config["settings"]["preset"] == "blog_like" and config["data"]["n_snps"] > 0
    path = pd.read_csv(run / "paths" / "group_lasso_snp.csv")
    assert {"alpha", "valid_loss", "n_snps", "working_set", "rounds",
            "max_kkt_outside"} <= set(path.columns)
    snps = pd.read_csv(run / "selected_snps.csv")
    assert {"model", "snp", "chromosome", "position", "norm", "causal_match"} <= set(
        snps.columns)
    truth = json.loads((run / "truth.json").read_text())
    assert set(snps["causal_match"].dropna()) <= set(truth["causal_snps"])
    html = (run / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 6
    # riata report rebuilds the report of a case-study directory too.
    (run / "report.html").unlink()
    write_report(run)
    assert (run / "report.html").is_file()


def test_an_existing_run_directory_is_replaced_only_when_asked(tmp_path, cache_dir):
    out = tmp_path / "cs"
    out.mkdir()
    (out / "stale.txt").write_text("from an earlier run")
    config = CaseStudyConfig(models=("logistic_clinical",), cache_dir=cache_dir, **SMALL)
    with pytest.raises(DataError, match="not empty"):
        run_case_study(config, out_dir=out, verbose=False)
    assert (out / "stale.txt").is_file()
    run_case_study(config, out_dir=out, overwrite=True, verbose=False)
    assert not (out / "stale.txt").exists() and (out / "results.csv").is_file()


def test_unknown_model_is_rejected():
    with pytest.raises(ValueError, match="models"):
        CaseStudyConfig(models=("ridge",))
    assert "lasso_all_inputs" in CASE_STUDY_MODELS
    assert "logistic_clinical" in CASE_STUDY_MODELS
