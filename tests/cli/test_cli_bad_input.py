"""Bad input through the command line: a clear message, exit code 2, no output left.

One test per case of issue #4, each through ``riata.cli.main``: the message must name
the file and the column / row / sample where it applies, and neither the run
directory nor a temporary must remain. The property-based tests over random
malformed tables and PLINK filesets are in test_cli_properties.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from riata.cli import main


def fails(capsys, args, out, root, leftovers, *fragments):
    """Run ``args``; assert exit 2, each fragment in the one-line message, no output."""
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    message = [line for line in err.splitlines() if ": error: " in line]
    assert len(message) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert str(fragment) in message[0], (fragment, message[0])
    assert not Path(out).exists()
    assert leftovers(root) == []
    return message[0]


def edit_csv(cohort, change):
    frame = cohort.frame.astype(object).copy()
    change(frame)
    frame.to_csv(cohort.clinical, index=False)
    return cohort.clinical


# -------------------------------------------------------------- missing / empty file
def test_missing_clinical_file(cohort, capsys, leftovers):
    out = cohort.root / "run"
    cohort.clinical.unlink()
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "clinical.csv", "does not exist")


def test_empty_clinical_file(cohort, capsys, leftovers):
    out = cohort.root / "run"
    cohort.clinical.write_bytes(b"")
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "clinical.csv", "is empty")


def test_clinical_file_with_header_only(cohort, capsys, leftovers):
    out = cohort.root / "run"
    cohort.clinical.write_text("pid,age,chd\n")
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "clinical.csv", "no data rows")


def test_missing_plink_file(cohort, capsys, leftovers):
    out = cohort.root / "run"
    cohort.genotypes.with_suffix(".bim").unlink()
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "geno", "geno.bim not found")


def test_empty_fam_file(cohort, capsys, leftovers):
    out = cohort.root / "run"
    cohort.genotypes.with_suffix(".fam").write_bytes(b"")
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "geno.fam", "is empty")


def test_missing_config_file(cohort, capsys, leftovers):
    out = cohort.root / "run"
    fails(capsys, [*cohort.fit_args(out), "--config", str(cohort.root / "no.toml")],
          out, cohort.root, leftovers, "no.toml", "does not exist")


# ------------------------------------------------------------------ columns and rows
def test_missing_target_column(cohort, capsys, leftovers):
    out = cohort.root / "run"
    args = cohort.fit_args(out)
    args[args.index("chd")] = "outcome"
    fails(capsys, args, out, cohort.root, leftovers,
          "clinical.csv", "no column 'outcome'", "target", "Available columns")


def test_missing_id_column(cohort, capsys, leftovers):
    out = cohort.root / "run"
    args = cohort.fit_args(out)
    args[args.index("pid")] = "patient"
    fails(capsys, args, out, cohort.root, leftovers,
          "clinical.csv", "no column 'patient'", "id_column")


def test_non_numeric_value_in_numeric_column(cohort, capsys, leftovers):
    out = cohort.root / "run"
    edit_csv(cohort, lambda f: f.__setitem__("age", f["age"].where(f.index != 17, "5O")))
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "clinical.csv", "column 'age'", "'5O'", "'P0017'", "looks numeric")


def test_non_numeric_value_in_declared_numeric_column(cohort, capsys, leftovers):
    out = cohort.root / "run"
    edit_csv(cohort, lambda f: f.__setitem__("bmi", f["bmi"].where(f.index < 190,
                                                                   "n.d.")))
    fails(capsys, cohort.fit_args(out, "--numeric", "bmi"), out, cohort.root,
          leftovers, "clinical.csv", "column 'bmi'", "declared numeric", "'n.d.'",
          "'P0190'")


@pytest.mark.parametrize("kind, reason", [("all missing", "all values missing"),
                                          ("constant", "constant")])
def test_all_missing_or_constant_column_is_dropped_and_reported(cohort, capsys, kind,
                                                                reason):
    out = cohort.root / "run"
    value = "" if kind == "all missing" else "7"
    edit_csv(cohort, lambda f: f.__setitem__("lab", value))
    assert main(cohort.fit_args(out, "--alpha", "0.001", "--epochs", "1")) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "clinical.csv" in err and "'lab'" in err
    assert reason in err
    config = json.loads((out / "config.json").read_text())
    assert reason in config["data"]["dropped_columns"]["lab"]
    assert "lab" not in config["data"]["clinical_columns"]
    assert any("'lab'" in w for w in config["warnings"])


def test_target_with_one_class(cohort, capsys, leftovers):
    out = cohort.root / "run"
    edit_csv(cohort, lambda f: f.__setitem__("chd", 1))
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "clinical.csv", "target column 'chd'", "single value")


def test_target_with_more_classes_than_classification_allows(cohort, capsys, leftovers):
    out = cohort.root / "run"
    edit_csv(cohort, lambda f: f.__setitem__("chd", np.arange(len(f)) % 40))
    fails(capsys, cohort.fit_args(out, "--task", "classification"), out, cohort.root,
          leftovers, "clinical.csv", "target column 'chd'", "40 distinct values",
          "at most 10 classes", "--task regression")


def test_target_with_a_class_too_rare_to_split(cohort, capsys, leftovers):
    out = cohort.root / "run"
    edit_csv(cohort, lambda f: f.__setitem__("chd", f["chd"].where(f.index != 5, 2)))
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "clinical.csv", "target column 'chd'", "2 (1 sample)")


def test_text_target_for_regression(cohort, capsys, leftovers):
    out = cohort.root / "run"
    args = cohort.fit_args(out, "--task", "regression")
    args[args.index("chd")] = "sex"
    fails(capsys, args, out, cohort.root, leftovers,
          "clinical.csv", "target column 'sex'", "text values")


def test_duplicate_ids(cohort, capsys, leftovers):
    out = cohort.root / "run"
    edit_csv(cohort, lambda f: f.__setitem__("pid", f["pid"].where(f.index != 9,
                                                                   "P0003")))
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "clinical.csv", "'pid'", "'P0003'", "more than once")


def test_duplicate_ids_in_fam(cohort, capsys, leftovers):
    out = cohort.root / "run"
    fam = cohort.genotypes.with_suffix(".fam")
    lines = fam.read_text().splitlines()
    lines[1] = lines[0]
    fam.write_text("\n".join(lines) + "\n")
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "geno.fam", "'P0000'", "more than once")


# ------------------------------------------------------------------------- PLINK
def test_bed_with_wrong_magic_bytes(cohort, capsys, leftovers):
    out = cohort.root / "run"
    bed = cohort.genotypes.with_suffix(".bed")
    data = bytearray(bed.read_bytes())
    data[:3] = b"\x00\x00\x00"
    bed.write_bytes(bytes(data))
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "geno.bed", "00 00 00", "not 6c 1b 01")


def test_bed_whose_size_does_not_match_bim_and_fam(cohort, capsys, leftovers):
    out = cohort.root / "run"
    bed = cohort.genotypes.with_suffix(".bed")
    bed.write_bytes(bed.read_bytes()[:-7])
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "geno.bed", "bytes", "12 SNPs", "200 samples", "truncated")


def test_bim_with_more_lines_than_the_bed_holds(cohort, capsys, leftovers):
    out = cohort.root / "run"
    bim = cohort.genotypes.with_suffix(".bim")
    bim.write_text(bim.read_text() + "1\trs99\t0\t999\tA\tG\n")
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "geno.bed", "13 SNPs", "200 samples")


def test_fam_and_bim_line_counts_disagree(cohort, capsys, leftovers):
    out = cohort.root / "run"
    fam = cohort.genotypes.with_suffix(".fam")
    fam.write_text(fam.read_text() + "X1 X1 0 0 0 -9\n")  # 201 samples: 51 bytes a SNP
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "geno.bed", "201 samples", "12 SNPs")


# ---------------------------------------------------------------- NaN and infinity
def test_nan_in_the_target(cohort, capsys, leftovers):
    out = cohort.root / "run"
    edit_csv(cohort, lambda f: f.__setitem__("chd", f["chd"].where(f.index != 12,
                                                                   "NaN")))
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "clinical.csv", "target column 'chd'", "missing", "'P0012'")


def test_nan_in_a_feature_with_missing_error(cohort, capsys, leftovers):
    out = cohort.root / "run"
    edit_csv(cohort, lambda f: f.__setitem__("bmi", f["bmi"].where(
        ~f.index.isin([3, 150]), "nan")))
    fails(capsys, cohort.fit_args(out, "--missing", "error"), out, cohort.root,
          leftovers, "clinical.csv", "Column 'bmi'", "missing value", "missing='error'")


def test_nan_in_a_feature_is_imputed_and_reported(cohort, capsys):
    out = cohort.root / "run"
    edit_csv(cohort, lambda f: f.__setitem__("bmi", f["bmi"].where(
        ~f.index.isin([3, 150]), "NaN")))
    assert main(cohort.fit_args(out, "--alpha", "0.001", "--epochs", "1")) == 0
    err = capsys.readouterr().err
    assert "'bmi' (2)" in err and "training median" in err
    config = json.loads((out / "config.json").read_text())
    assert config["data"]["missing_values"] == {"bmi": 2}


@pytest.mark.parametrize("spelling", ["inf", "-Infinity"])
def test_infinity_in_a_feature(cohort, capsys, leftovers, spelling):
    out = cohort.root / "run"
    edit_csv(cohort, lambda f: f.__setitem__("age", f["age"].where(f.index != 42,
                                                                   spelling)))
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "clinical.csv", "column 'age'", "infinite", "'P0042'")


# ----------------------------------------------------------------- sample matching
def test_ids_that_match_nothing(cohort, capsys, leftovers, write_plink):
    out = cohort.root / "run"
    write_plink(cohort.genotypes, [f"S{i}" for i in range(200)])
    fails(capsys, cohort.fit_args(out), out, cohort.root, leftovers,
          "clinical.csv", "geno.fam", "match nothing", "'P0000'", "'S0'")


def test_too_few_samples_remain_after_matching(cohort, capsys, leftovers, write_plink):
    out = cohort.root / "run"
    write_plink(cohort.genotypes, list(cohort.frame["pid"][:30]) + ["X1", "X2"])
    fails(capsys, cohort.fit_args(out, "--min-samples", "50"), out, cohort.root,
          leftovers, "Only 30 sample(s)", "clinical.csv", "geno.fam",
          "at least 50")


def test_samples_in_one_input_only_are_reported(cohort, capsys, write_plink):
    out = cohort.root / "run"
    write_plink(cohort.genotypes, list(cohort.frame["pid"][:180]) + ["X1", "X2"])
    assert main(cohort.fit_args(out, "--alpha", "0.001", "--epochs", "1")) == 0
    err = capsys.readouterr().err
    assert "Matched 180 samples" in err
    assert "20 only in column 'pid'" in err and "'P0180'" in err
    assert "2 only in" in err and "'X1'" in err
    matching = json.loads((out / "config.json").read_text())["data"]["sample_matching"]
    assert matching["only_clinical"] == 20 and matching["only_genotype"] == 2


# ------------------------------------------------------------------ config and run
def test_unknown_config_key(cohort, capsys, leftovers):
    out = cohort.root / "run"
    config = cohort.root / "fit.toml"
    config.write_text('max_epoch = 3\n')
    fails(capsys, [*cohort.fit_args(out), "--config", str(config)], out, cohort.root,
          leftovers, "fit.toml", "unknown key(s) ['max_epoch']", "max_epochs",
          "Accepted keys")


def test_invalid_config_value(cohort, capsys, leftovers):
    out = cohort.root / "run"
    config = cohort.root / "fit.toml"
    config.write_text('learning_rate_init = "fast"\n')
    fails(capsys, [*cohort.fit_args(out), "--config", str(config)], out, cohort.root,
          leftovers, "fit.toml", "learning_rate_init")


def test_malformed_toml(cohort, capsys, leftovers):
    out = cohort.root / "run"
    config = cohort.root / "fit.toml"
    config.write_text('penalty = \n')
    fails(capsys, [*cohort.fit_args(out), "--config", str(config)], out, cohort.root,
          leftovers, "fit.toml", "not valid TOML")


def test_required_option_missing(cohort, capsys, leftovers):
    out = cohort.root / "run"
    args = cohort.fit_args(out)
    index = args.index("--target")
    del args[index:index + 2]
    fails(capsys, args, out, cohort.root, leftovers, "--target")


def test_error_late_in_the_run_leaves_no_partial_output(cohort, capsys, leftovers,
                                                        monkeypatch):
    from riata.pipeline import _rundir

    def broken(*args, **kwargs):
        raise ValueError("report failed on purpose")

    monkeypatch.setattr(_rundir, "write_report", broken)
    out = cohort.root / "deeper" / "run"
    fails(capsys, cohort.fit_args(out, "--alpha", "0.001", "--epochs", "1"), out,
          cohort.root, leftovers, "report failed on purpose")
    assert not (cohort.root / "deeper").exists()  # the parent this run created


# --------------------------------------------------------------------------- predict
@pytest.fixture
def trained(cohort):
    out = cohort.root / "run"
    assert main(["-q", *cohort.fit_args(out, "--alpha", "0.001", "--epochs", "1")]) == 0
    return out


def test_predict_without_a_column_the_model_needs(cohort, trained, capsys, leftovers):
    new = cohort.root / "new.csv"
    cohort.frame.drop(columns=["bmi"]).to_csv(new, index=False)
    out = cohort.root / "pred.csv"
    fails(capsys, ["predict", "--model", str(trained), "--clinical", str(new),
                   "--genotypes", str(cohort.genotypes), "--out", str(out)],
          out, cohort.root, leftovers, "new.csv", "['bmi']", "the model needs")


def test_predict_with_a_non_numeric_value(cohort, trained, capsys, leftovers):
    new = cohort.root / "new.csv"
    frame = cohort.frame.astype(object)
    frame.loc[4, "age"] = "old"
    frame.to_csv(new, index=False)
    out = cohort.root / "pred.csv"
    fails(capsys, ["predict", "--model", str(trained), "--clinical", str(new),
                   "--genotypes", str(cohort.genotypes), "--out", str(out)],
          out, cohort.root, leftovers, "new.csv", "column 'age'", "'old'", "'P0004'")


def test_predict_without_genotypes_for_a_genotype_model(cohort, trained, capsys,
                                                        leftovers):
    out = cohort.root / "pred.csv"
    fails(capsys, ["predict", "--model", str(trained), "--clinical",
                   str(cohort.clinical), "--out", str(out)],
          out, cohort.root, leftovers, "12 SNPs", "--genotypes")


def test_predict_with_a_missing_model(cohort, capsys, leftovers):
    out = cohort.root / "pred.csv"
    fails(capsys, ["predict", "--model", str(cohort.root / "nope"), "--clinical",
                   str(cohort.clinical), "--out", str(out)],
          out, cohort.root, leftovers, "nope", "does not exist")
