"""Tests of `riata fit`, `riata predict` and `riata report` on a small cohort."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from riata.cli import main
from riata.io import load_model

RUN_FILES = {"config.json", "results.csv", "results.md", "metrics.json",
             "selected_variables.csv", "figures", "model", "report.html"}


# ---------------------------------------------------------------------------- help
@pytest.mark.parametrize("command", [[], ["fit"], ["predict"], ["report"]])
def test_help_is_complete_and_exits_zero(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    if not command:
        for name in ("fit", "predict", "report", "casestudy"):
            assert name in text
    elif command == ["fit"]:
        for option in ("--clinical", "--genotypes", "--target", "--id", "--penalty",
                       "--alpha", "--n-alphas", "--out", "--config", "--test-size",
                       "--valid-size", "--seed", "--missing", "--min-samples",
                       "--task", "--hidden", "--epochs", "--learning-rate",
                       "--batch-size", "--encoder-dim", "--overwrite", "exit status"):
            assert option in text, option
        for penalty in ("none", "l1", "l2", "elastic-net", "group-lasso",
                        "sparse-group-lasso"):
            assert penalty in text
    elif command == ["predict"]:
        for option in ("--model", "--clinical", "--genotypes", "--out", "probability"):
            assert option in text
    else:
        assert "RUN" in text and "report.html" in text


def test_unknown_option_exits_non_zero(capsys):
    with pytest.raises(SystemExit) as info:
        main(["fit", "--bogus"])
    assert info.value.code != 0


# ------------------------------------------------------------------------- fit runs
def test_fit_with_genotypes_writes_the_case_study_layout(cohort, capsys, leftovers):
    out = cohort.root / "run"
    assert main(cohort.fit_args(out)) == 0
    captured = capsys.readouterr()
    assert RUN_FILES | {"paths", "selected_snps.csv"} <= {p.name for p in out.iterdir()}
    assert {p.name for p in (out / "figures").iterdir()} >= {
        "heatmap_network.png", "path_network_clinical.png", "validation_network.png",
        "snps_network.png", "snps_lasso_all_inputs.png"}
    assert (out / "paths" / "network.csv").is_file()
    results = pd.read_csv(out / "results.csv")
    assert results["model"].tolist() == ["network", "logistic_clinical",
                                         "lasso_all_inputs"]
    assert {"test_accuracy", "test_auroc", "test_ap", "snps_kept"} <= set(results.columns)
    assert results["test_auroc"].between(0, 1).all()
    assert "riata network (group-lasso)" in captured.out
    assert "run directory" in captured.out
    # Missing genotype calls are imputed, counted and reported.
    assert "3 missing genotype call(s)" in captured.err
    metrics = json.loads((out / "metrics.json").read_text())
    assert sum(metrics["genotypes"]["missing_calls"].values()) == 3
    records = metrics["models"]["network"]["paths"]["path"]["records"]
    assert records and {"n_snps", "working_set", "max_kkt_outside"} <= set(records[0])
    config = json.loads((out / "config.json").read_text())
    assert config["settings"]["penalty"] == "group-lasso"
    assert config["data"]["n_snps"] == 12
    assert config["data"]["n_train"] + config["data"]["n_valid"] + \
        config["data"]["n_test"] == 200
    selected = pd.read_csv(out / "selected_variables.csv")
    network = selected[selected["model"] == "network"]
    assert {"sex_F", "sex_M", "site_east", "age"} <= set(network["variable"])
    assert "riata fit: chd in clinical.csv" in (out / "report.html").read_text()
    assert leftovers(cohort.root) == []


def test_predict_reproduces_the_saved_model(cohort, tmp_path, capsys):
    out = cohort.root / "run"
    assert main(cohort.fit_args(out)) == 0
    predictions = tmp_path / "pred.csv"
    assert main(["predict", "--model", str(out), "--clinical", str(cohort.clinical),
                 "--genotypes", str(cohort.genotypes), "--out", str(predictions)]) == 0
    table = pd.read_csv(predictions, dtype={"pid": str})
    assert list(table.columns) == ["pid", "prediction", "probability_0",
                                   "probability_1", "threshold", "threshold_rule"]
    assert table["pid"].tolist() == cohort.frame["pid"].tolist()
    np.testing.assert_allclose(table[["probability_0", "probability_1"]].sum(axis=1), 1)
    # The same numbers as the reloaded estimator on the features riata fit built.
    estimator, extras = load_model(out / "model")
    from riata.data import assemble_features, read_plink

    encoded = extras["clinical_encoder"].transform(
        cohort.frame.set_index("pid")[["age", "sex", "site", "smoker", "bmi"]]
        .astype({"sex": "category", "site": "category"}))
    stats = extras["genotype_stats"]
    genotypes = read_plink(cohort.genotypes)
    columns = [list(genotypes.snp_names).index(s) for s in stats["snp_names"]]
    X = assemble_features(encoded, None, np.arange(200))
    if columns:
        X = np.hstack([X, assemble_features(None, genotypes.subset(np.arange(200)),
                                            np.arange(200), genotypes.mean_and_scale()[0],
                                            genotypes.mean_and_scale()[1])[:, columns]])
    np.testing.assert_allclose(table["probability_1"], estimator.predict_proba(X)[:, 1],
                               rtol=0, atol=1e-12)
    # The label is the positive class where the probability reaches the saved
    # threshold (Youden's J on the validation rows), not at 0.5.
    threshold = extras["metadata"]["threshold"]
    assert 0 < threshold < 1 and set(table["threshold"]) == {threshold}
    np.testing.assert_array_equal(table["prediction"],
                                  (table["probability_1"] >= threshold).astype(int))
    # A second run of predict refuses to overwrite unless asked.
    assert main(["predict", "--model", str(out / "model"), "--clinical",
                 str(cohort.clinical), "--genotypes", str(cohort.genotypes), "--out",
                 str(predictions)]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_clinical_only_fixed_alpha_and_parquet(cohort, tmp_path, capsys):
    parquet = tmp_path / "clinical.parquet"
    cohort.frame.to_parquet(parquet, index=False)
    out = tmp_path / "run"
    args = ["fit", "--clinical", str(parquet), "--target", "chd", "--id", "pid",
            "--out", str(out), "--penalty", "l1", "--alpha", "0.001",
            "--epochs", "3", "--hidden", "3"]
    assert main(args) == 0
    results = pd.read_csv(out / "results.csv")
    assert results["model"].tolist() == ["network", "logistic_clinical",
                                         "lasso_all_inputs"]
    assert results.loc[0, "alpha"] == 0.001
    assert not (out / "paths" / "network.csv").exists()  # no path at a fixed alpha
    assert (out / "paths" / "lasso_all_inputs.csv").exists()  # the baseline's own
    predictions = tmp_path / "pred.csv"
    new = cohort.frame.drop(columns=["chd"]).head(5)
    new.to_csv(tmp_path / "new.csv", index=False)
    assert main(["predict", "--model", str(out), "--clinical", str(tmp_path / "new.csv"),
                 "--out", str(predictions)]) == 0
    assert len(pd.read_csv(predictions)) == 5


@pytest.mark.parametrize("penalty", ["none", "l2", "elastic-net", "sparse-group-lasso"])
def test_every_penalty_runs(cohort, tmp_path, penalty):
    out = tmp_path / penalty
    extra = [] if penalty == "none" else ["--alpha", "0.001"]
    assert main(["-q", *cohort.fit_args(out, "--penalty", penalty, "--epochs", "2",
                                        *extra, genotypes=False)]) == 0
    assert pd.read_csv(out / "results.csv").loc[0, "penalty"] == penalty


def test_regression_task_and_prediction_scale(cohort, tmp_path):
    out = tmp_path / "run"
    args = ["-q", "fit", "--clinical", str(cohort.clinical), "--target", "bmi", "--id",
            "pid", "--out", str(out), "--alpha", "0.001", "--epochs", "30",
            "--hidden", "4", "--drop", "chd"]
    assert main(args) == 0
    results = pd.read_csv(out / "results.csv")
    assert {"test_r2", "test_mse"} <= set(results.columns)
    assert results["model"].tolist()[1:] == ["linear_clinical", "lasso_all_inputs"]
    predictions = tmp_path / "pred.csv"
    assert main(["predict", "--model", str(out), "--clinical", str(cohort.clinical),
                 "--out", str(predictions)]) == 0
    # Back on the target's scale (BMI around 27), not the standardized one.
    assert abs(pd.read_csv(predictions)["prediction"].mean() - 27) < 3


def test_config_file_sets_estimator_parameters(cohort, tmp_path):
    config = tmp_path / "fit.toml"
    config.write_text(
        'clinical = "clinical.csv"\n'  # relative to the config file
        f'genotypes = "{cohort.genotypes}"\n'
        'target = "chd"\nid = "pid"\nout = "from_config"\n'
        'penalty = "group-lasso"\nalpha = 0.002\nseed = 3\n'
        'hidden_layer_sizes = [3]\nmax_epochs = 2\nlearning_rate_init = 0.01\n'
        'activation = "tanh"\nencoder_dim = 2\ncategorical = ["smoker"]\n')
    (tmp_path / "clinical.csv").write_bytes(cohort.clinical.read_bytes())
    # The command line wins over the file.
    assert main(["-q", "fit", "--config", str(config), "--encoder-dim", "3"]) == 0
    out = tmp_path / "from_config"
    document = json.loads((out / "config.json").read_text())
    params = document["estimator"]["params"]
    assert params["activation"] == "tanh" and params["hidden_layer_sizes"] == [3]
    assert document["settings"]["encoder_dim"] == 3 and params["random_state"] == 3
    assert params["penalty"]["params"]["alpha"] == 0.002
    selected = pd.read_csv(out / "selected_variables.csv")
    assert {"smoker_0.0", "smoker_1.0"} <= set(selected["variable"])


def test_overwrite_replaces_an_existing_run(cohort, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old")
    args = cohort.fit_args(out, "--alpha", "0.001", "--epochs", "1", genotypes=False)
    assert main(args) == 2
    assert "not empty" in capsys.readouterr().err
    assert (out / "old.txt").read_text() == "old"  # untouched
    assert main([*args, "--overwrite"]) == 0
    assert not (out / "old.txt").exists() and (out / "report.html").is_file()


def test_report_rewrites_the_html(cohort, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(cohort.fit_args(out, "--alpha", "0.001", "--epochs", "1",
                                genotypes=False)) == 0
    (out / "report.html").unlink()
    assert main(["report", str(out), "--title", "again"]) == 0
    assert "<title>again</title>" in (out / "report.html").read_text()
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_regression_with_genotypes_trains_on_the_kernel_and_predicts_from_snps(cohort,
                                                                              tmp_path):
    out = tmp_path / "run"
    args = cohort.fit_args(out, "--alpha", "0.001", "--epochs", "20", "--hidden", "4")
    args[args.index("chd")] = "bmi"  # the target
    assert main(["-q", *args, "--drop", "chd"]) == 0
    predictions = tmp_path / "pred.csv"
    assert main(["predict", "--model", str(out), "--clinical", str(cohort.clinical),
                 "--genotypes", str(cohort.genotypes), "--out", str(predictions)]) == 0
    assert abs(pd.read_csv(predictions)["prediction"].mean() - 27) < 3
