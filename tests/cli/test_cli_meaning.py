"""Inputs that used to give a silent wrong answer (exit 0, wrong result) now stop the
run with a message that names the file, the column, the line or the sample, or are
read as the user says they are written (issue #12, items 1-8).

Each case of the issue is a test, with at least one further case of its kind.
"""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest

from riata.cli import main


def fam_lines(prefix):
    return prefix.with_suffix(".fam").read_text().splitlines()


def predict_args(model, clinical, out, genotypes=None, *extra):
    args = ["predict", "--model", str(model), "--clinical", str(clinical), "--out",
            str(out), *extra]
    return args + (["--genotypes", str(genotypes)] if genotypes is not None else [])


def results(out):
    return pd.read_csv(out / "results.csv").set_index("model")


# ------------------------------------------------------------ 1. repeated SNP ids
def test_fit_refuses_two_variants_with_one_id(cohort, refused):
    bim = cohort.genotypes.with_suffix(".bim")
    lines = bim.read_text().splitlines()
    lines[11] = lines[11].replace("rs11", "rs10")  # lines 11 and 12 both rs10
    bim.write_text("\n".join(lines) + "\n")
    out = cohort.root / "run"
    refused(cohort.fit_args(out), out, cohort.root, "geno.bim", "'rs10' at lines '11', "
            "'12'", "plink2 --bfile", "--set-all-var-ids")


def test_fit_refuses_plinks_placeholder_id_on_several_variants(cohort, refused):
    bim = cohort.genotypes.with_suffix(".bim")
    rows = [line.split("\t") for line in bim.read_text().splitlines()]
    for row in rows[2:5]:
        row[1] = "."
    bim.write_text("\n".join("\t".join(r) for r in rows) + "\n")
    out = cohort.root / "run"
    refused(cohort.fit_args(out), out, cohort.root, "geno.bim",
            "'.' at lines '3', '4', '5'", "placeholder for an unnamed variant")


def test_predict_refuses_a_model_snp_named_twice(cohort, trained, refused, write_bed):
    ids = cohort.frame["pid"]
    values = np.nan_to_num(cohort.snps, nan=-1).astype(int)
    names = [f"rs{j}" for j in range(12)]
    names[7] = "rs3"  # the model's rs3 now names two columns
    new = write_bed(cohort.root / "new", values, ids, snp_names=names)
    out = cohort.root / "pred.csv"
    refused(predict_args(trained, cohort.clinical, out, new), out, cohort.root,
            "new.bim", "'rs3' at lines '4', '8'")


def test_predict_ignores_repeated_ids_of_snps_the_model_does_not_use(cohort, trained,
                                                                   write_bed):
    """The issue's wrong answer: predictions must equal those of unique names."""
    ids = cohort.frame["pid"]
    values = np.nan_to_num(cohort.snps, nan=-1).astype(int)
    extra = np.random.default_rng(5).integers(0, 3, size=(len(ids), 3))
    both = np.hstack([extra, values])
    names = [".", ".", "."] + [f"rs{j}" for j in range(12)]
    new = write_bed(cohort.root / "wide", both, ids, snp_names=names)
    assert main(["-q", *predict_args(trained, cohort.clinical, cohort.root / "a.csv",
                                     cohort.genotypes)]) == 0
    assert main(["-q", *predict_args(trained, cohort.clinical, cohort.root / "b.csv",
                                     new)]) == 0
    a, b = (pd.read_csv(cohort.root / f"{x}.csv") for x in "ab")
    pd.testing.assert_frame_equal(a, b)


# ---------------------------------------------------- 2. numbers in another notation
@pytest.fixture
def european(cohort):
    """The cohort as a TSV with decimal commas (58,0) in age and bmi."""
    frame = cohort.frame.copy()
    for column in ("age", "bmi"):
        frame[column] = frame[column].map(lambda v: f"{v:.1f}".replace(".", ","))
    path = cohort.root / "european.tsv"
    frame.to_csv(path, sep="\t", index=False)
    return path


def fit_args(cohort, clinical, out, *extra):
    args = cohort.fit_args(out, "--alpha", "0.001", "--epochs", "1", *extra,
                           genotypes=False)
    args[args.index("--clinical") + 1] = str(clinical)
    return args


def test_decimal_commas_are_refused_naming_the_column(cohort, european, refused):
    out = cohort.root / "run"
    refused(fit_args(cohort, european, out), out, cohort.root, "european.tsv",
            "column 'age'", "'56,0' at line 2 (id 'P0000')", "--decimal ,")


def test_decimal_commas_read_with_decimal_option_give_the_same_run(cohort, european):
    """503 inputs instead of 10 before: now the same encoding and scores as with '.'."""
    dot, comma = cohort.root / "dot", cohort.root / "comma"
    assert main(["-q", *fit_args(cohort, cohort.clinical, dot)]) == 0
    assert main(["-q", *fit_args(cohort, european, comma, "--decimal", ",")]) == 0
    data = [json.loads((d / "config.json").read_text())["data"] for d in (dot, comma)]
    assert data[0]["n_encoded_clinical_features"] == data[1][
        "n_encoded_clinical_features"] == 8  # age, sex x2, site x3, smoker, bmi
    columns = ["test_auroc", "test_ap", "test_accuracy", "alpha"]
    pd.testing.assert_frame_equal(results(dot)[columns], results(comma)[columns])
    assert data[1]["table_format"] == {"separator": None, "decimal": ",",
                                       "na_values": []}


def test_semicolon_separated_csv_is_refused_then_read(cohort, refused):
    """Excel in a European locale: ';' between fields, ',' in numbers."""
    frame = cohort.frame.copy()
    frame["age"] = frame["age"].astype(int)  # whole numbers need no decimal mark
    frame["bmi"] = frame["bmi"].map(lambda v: f"{v:.1f}".replace(".", ","))
    path = cohort.root / "excel.csv"
    frame.to_csv(path, sep=";", index=False)
    out = cohort.root / "run"
    refused(fit_args(cohort, path, out), out, cohort.root, "excel.csv",
            "separated by ';'", "--separator ';'")
    assert main(["-q", *fit_args(cohort, path, out, "--separator", ";",
                                 "--decimal", ",")]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["data"]["n_encoded_clinical_features"] == 8


@pytest.mark.parametrize("cell, fragment", [
    ("1,234.5", "written with a comma"),  # a thousands separator
    ("27.5", "written with a point"),  # a point in a file read with decimal commas
])
def test_other_number_notations_are_refused(cohort, european, refused, cell, fragment):
    frame = pd.read_csv(european, sep="\t", dtype=str)
    if cell == "27.5":
        args_extra = ["--decimal", ","]
    else:
        frame = cohort.frame.astype(object)
        args_extra = []
    frame.loc[9, "bmi"] = cell
    path = cohort.root / "cells.tsv"
    frame.to_csv(path, sep="\t", index=False)
    out = cohort.root / "run"
    refused(fit_args(cohort, path, out, *args_extra), out, cohort.root, "cells.tsv",
            "column 'bmi'", f"{cell!r} at line 11 (id 'P0009')", fragment)


# ------------------------------------------------------------ 3. missing markers
def with_marker(cohort, column, marker, every=3, name="marked.csv"):
    frame = cohort.frame.astype(object)
    frame.loc[frame.index % every == 0, column] = marker
    path = cohort.root / name
    frame.to_csv(path, index=False)
    return path, int((frame.index % every == 0).sum())


def test_question_marks_among_numbers_are_refused_with_their_count(cohort, refused):
    path, n = with_marker(cohort, "smoker", "?")  # 34 % of the column
    out = cohort.root / "run"
    refused(fit_args(cohort, path, out), out, cohort.root, "marked.csv",
            "column 'smoker'", f"'?' ({n}x)", "--na-values '?'")


def test_question_marks_declared_missing_are_imputed_and_reported(cohort, capsys):
    path, n = with_marker(cohort, "smoker", "?")
    out = cohort.root / "run"
    assert main(fit_args(cohort, path, out, "--na-values", "?")) == 0
    err = capsys.readouterr().err
    assert f"'smoker' ({n})" in err and "training median" in err
    config = json.loads((out / "config.json").read_text())
    assert config["data"]["missing_values"] == {"smoker": n}
    encoder = json.loads((out / "model" / "model.json").read_text())["clinical_encoder"]
    assert "smoker_?" not in encoder["feature_names_out"]
    assert {c["name"]: c["kind"] for c in encoder["columns"]}["smoker"] == "numeric"


def test_dot_marker_under_missing_error_is_refused_with_its_count(cohort, refused):
    path, _ = with_marker(cohort, "bmi", ".", every=10)
    out = cohort.root / "run"
    refused(fit_args(cohort, path, out), out, cohort.root, "column 'bmi'",
            "marker(s) '.' (20x)")
    refused(fit_args(cohort, path, out, "--na-values", ".", "--missing", "error"), out,
            cohort.root, "Column 'bmi'", "missing value(s)", "missing='error'")


def test_minus_nine_is_reported_and_read_as_missing_where_declared(cohort, capsys):
    path, n = with_marker(cohort, "bmi", "-9", every=20)
    out = cohort.root / "run"
    assert main(fit_args(cohort, path, out)) == 0
    err = capsys.readouterr().err
    assert "numeric column 'bmi' has the value -9 10 times" in err
    assert "--na-values -9" in err
    out2 = cohort.root / "run2"
    assert main(fit_args(cohort, path, out2, "--na-values", "-9")) == 0
    config = json.loads((out2 / "config.json").read_text())
    assert config["data"]["missing_values"] == {"bmi": n}


def test_marker_level_of_a_text_column_is_reported(cohort, capsys):
    path, _ = with_marker(cohort, "site", "unknown", every=7)
    out = cohort.root / "run"
    assert main(fit_args(cohort, path, out)) == 0
    err = capsys.readouterr().err
    assert "categorical column 'site' has the level(s) 'unknown' (29x)" in err
    assert "--na-values 'unknown'" in err


# ----------------------------------------------------------- 4. the target's labels
def relabel(cohort, change, name="labels.csv"):
    frame = cohort.frame.astype(object)
    frame["chd"] = change(frame)
    path = cohort.root / name
    frame.to_csv(path, index=False)
    return path


def test_target_mixing_numbers_and_words_is_refused(cohort, refused):
    path = relabel(cohort, lambda f: f["chd"].where(
        f.index % 2 == 1, f["chd"].map({0: "no", 1: "yes"})))
    out = cohort.root / "run"
    refused(fit_args(cohort, path, out), out, cohort.root, "labels.csv",
            "target column 'chd' mixes numbers", "'yes'", "'no'", "line 2")


@pytest.mark.parametrize("spellings, fragment", [
    (("yes", "Yes", "no"), "'Yes' / 'yes'"),
    (("y", "yes", "no"), "'y' and 'yes', which mean the same (positive)"),
])
def test_target_spelling_one_class_two_ways_is_refused(cohort, refused, spellings,
                                                       fragment):
    def change(f):
        positive = np.where(f.index % 2 == 0, spellings[0], spellings[1])
        return np.where(f["chd"] == 1, positive, spellings[2])

    path = relabel(cohort, change)
    out = cohort.root / "run"
    refused(fit_args(cohort, path, out), out, cohort.root, "labels.csv",
            "target column 'chd'", fragment)


@pytest.fixture
def case_control(cohort):
    return relabel(cohort, lambda f: f["chd"].map({0: "control", 1: "case"}),
                   name="cc.csv")


def _test_scores(cohort, path, positive=None):
    from sklearn.metrics import average_precision_score, roc_auc_score

    from riata.workflows import CohortFitConfig, fit_cohort

    config = CohortFitConfig(clinical=path, target="chd", id_column="pid",
                             alpha=0.001, positive_class=positive,
                             network={"max_epochs": 2, "hidden_layer_sizes": (4,)})
    result = fit_cohort(config, cohort.root / f"run_{positive}", on_warning=lambda m: 0)
    inputs = result.run.inputs
    proba = result.network.predict(inputs, "test")["proba"]
    classes = list(result.network.estimator.classes_)
    return result, inputs, proba, classes, roc_auc_score, average_precision_score


def test_case_is_the_positive_class_of_case_control_labels(cohort, case_control, capsys):
    """Before: test_ap was the AP of 'control' (sorted second)."""
    result, inputs, proba, classes, auroc, ap = _test_scores(cohort, case_control)
    assert inputs.positive_class == "case"
    is_case = inputs.target("test") == "case"
    column = proba[:, classes.index("case")]
    assert result.test_scores["ap"] == pytest.approx(ap(is_case, column))
    assert result.test_scores["auroc"] == pytest.approx(auroc(is_case, column))
    config = json.loads((result.run_dir / "config.json").read_text())
    assert config["data"]["positive_class"]["label"] == "case"
    model = json.loads((result.run_dir / "model" / "model.json").read_text())
    assert model["metadata"]["positive_class"] == "case"
    out = cohort.root / "cli"
    assert main(fit_args(cohort, case_control, out)) == 0
    assert "positive class: 'case' ('case' names the positive class)" in (
        capsys.readouterr().out)


def test_positive_class_option_chooses_the_other_class(cohort, case_control):
    result, inputs, proba, classes, _, ap = _test_scores(cohort, case_control,
                                                         positive="control")
    assert (inputs.positive_class, inputs.positive_reason) == ("control", "requested")
    is_control = inputs.target("test") == "control"
    assert result.test_scores["ap"] == pytest.approx(
        ap(is_control, proba[:, classes.index("control")]))


def test_unknown_positive_class_is_refused_and_an_arbitrary_one_is_stated(
        cohort, case_control, refused, capsys):
    out = cohort.root / "run"
    refused(fit_args(cohort, case_control, out, "--positive-class", "cases"), out,
            cohort.root, "positive class 'cases'", "'case', 'control'")
    path = relabel(cohort, lambda f: f["chd"].map({0: "A", 1: "B"}), name="ab.csv")
    assert main(fit_args(cohort, path, out)) == 0
    err = capsys.readouterr().err
    assert "positive class 'B' (the second in sorted order" in err
    assert "--positive-class" in err


def test_positive_class_of_a_regression_target_is_refused(cohort, refused):
    out = cohort.root / "run"
    args = fit_args(cohort, cohort.clinical, out, "--positive-class", "1", "--task",
                    "regression")
    refused(args, out, cohort.root, "--positive-class 1 applies to a binary target",
            "regression target")


# ---------------------------------------------------------- 5. a row one field short
def test_row_one_field_short_is_refused_with_its_line(cohort, refused):
    lines = cohort.clinical.read_text().splitlines()
    lines[41] = lines[41].rsplit(",", 1)[0]  # data row 41 loses its last field
    cohort.clinical.write_text("\n".join(lines) + "\n")
    out = cohort.root / "run"
    refused(cohort.fit_args(out), out, cohort.root, "clinical.csv",
            "line 42 has 6 field(s) but the header has 7", "write an empty field")


@pytest.mark.parametrize("change, fragment", [
    (lambda line: line + "\t7", "line 10 has 8 field(s)"),
    (lambda line: line.replace("\tM\t", '\t"M\t', 1).replace("\tF\t", '\t"F\t', 1),
     "the row starting at line 10 cannot be parsed"),
])
def test_ragged_or_unquoted_lines_of_a_tsv_are_refused(cohort, refused, change,
                                                       fragment):
    path = cohort.root / "table.tsv"
    cohort.frame.to_csv(path, sep="\t", index=False)
    lines = path.read_text().splitlines()
    lines[9] = change(lines[9])
    path.write_text("\n".join(lines) + "\n")
    out = cohort.root / "run"
    refused(fit_args(cohort, path, out), out, cohort.root, "table.tsv", fragment)


def test_short_row_inside_a_gzip_file_is_refused_with_its_line(cohort, refused):
    import gzip

    lines = cohort.frame.to_csv(index=False).splitlines()
    lines[150] = lines[150].rsplit(",", 1)[0]
    path = cohort.root / "clinical.csv.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    out = cohort.root / "run"
    refused(fit_args(cohort, path, out), out, cohort.root, "clinical.csv.gz",
            "line 151 has 6 field(s)")


# ------------------------------------------------------------------ 6. huge values
@pytest.mark.parametrize("cells", [{3: "1.7e308", 4: "-1.7e308"}, {3: "1e308"},
                                   {3: "-2.5e200"}])
def test_values_that_overflow_standardization_are_refused(cohort, refused, cells):
    frame = cohort.frame.astype(object)
    for row, cell in cells.items():
        frame.loc[row, "bmi"] = cell
    frame.to_csv(cohort.clinical, index=False)
    out = cohort.root / "run"
    refused(cohort.fit_args(out), out, cohort.root, "clinical.csv", "column 'bmi'",
            "at line 5 (id 'P0003')", "too large to standardize")


def test_huge_regression_target_is_refused(cohort, refused):
    frame = cohort.frame.astype(object)
    frame.loc[7, "bmi"] = "1e308"
    frame.to_csv(cohort.clinical, index=False)
    out = cohort.root / "run"
    args = fit_args(cohort, cohort.clinical, out, "--drop", "chd")
    args[args.index("chd")] = "bmi"
    refused(args, out, cohort.root, "the target column 'bmi'", "1e+308",
            "line 9 (id 'P0007')")


def test_number_beyond_float_range_is_refused_as_infinite(cohort, refused):
    frame = cohort.frame.astype(object)
    frame.loc[11, "age"] = "1e400"
    frame.to_csv(cohort.clinical, index=False)
    out = cohort.root / "run"
    refused(cohort.fit_args(out), out, cohort.root, "column 'age'", "infinite value",
            "line 13 (id 'P0011')")


def test_predict_refuses_a_huge_value_in_a_new_file(cohort, trained, refused):
    frame = cohort.frame.astype(object)
    frame.loc[20, "age"] = "3e200"
    new = cohort.root / "new.csv"
    frame.to_csv(new, index=False)
    out = cohort.root / "pred.csv"
    refused(predict_args(trained, new, out, cohort.genotypes), out, cohort.root,
            "new.csv", "column 'age'", "line 22 (id 'P0020')", "too large")


# ------------------------------------------------- 7. .fam lines missing or too many
@pytest.fixture
def fileset_240(cohort, write_plink, make_frame):
    """240 samples (60 bytes a SNP), 80 SNPs, and their clinical table."""
    frame = make_frame(240, seed=3)
    frame.to_csv(cohort.clinical, index=False)
    write_plink(cohort.genotypes, frame["pid"], n_snps=80, seed=4, missing=0)
    return cohort


def test_fam_line_missing_in_the_middle_is_detected(fileset_240, refused):
    cohort = fileset_240
    lines = fam_lines(cohort.genotypes)
    del lines[100]  # 239 lines: still 60 bytes a SNP, so the size matches
    cohort.genotypes.with_suffix(".fam").write_text("\n".join(lines) + "\n")
    out = cohort.root / "run"
    refused(cohort.fit_args(out, "--min-samples", "10"), out, cohort.root, "geno.bed",
            "beyond the 239 samples", "unused bits after the last sample",
            "probably missing a line")


def test_fam_line_too_many_in_the_middle_is_detected(cohort, refused, make_frame,
                                                     write_bed):
    frame = make_frame(239, seed=3)
    frame.to_csv(cohort.clinical, index=False)
    values = np.random.default_rng(4).integers(0, 3, size=(239, 80))
    write_bed(cohort.genotypes, values, frame["pid"])
    lines = fam_lines(cohort.genotypes)
    lines.insert(50, "X1 X1 0 0 0 -9")  # 240 lines: the last reads the padding
    cohort.genotypes.with_suffix(".fam").write_text("\n".join(lines) + "\n")
    out = cohort.root / "run"
    refused(cohort.fit_args(out, "--min-samples", "10"), out, cohort.root, "geno.fam",
            "last sample 'P0238'", "homozygous for allele 1 at every one of 80 SNPs",
            "a line too many")


def test_complete_fileset_of_240_samples_is_read_exactly(fileset_240):
    from riata.data import read_plink

    cohort = fileset_240
    genotypes = read_plink(cohort.genotypes)
    assert genotypes.values.shape == (240, 80)


# ------------------------------------------------------ 8. NaN or infinite weights
def _poison_weights(model_dir, value, tensor_index=0):
    from safetensors.torch import load_file, save_file

    weights = model_dir / "model.safetensors"
    tensors = load_file(str(weights))
    name = sorted(tensors)[tensor_index]
    tensors[name].view(-1)[0] = value
    save_file(tensors, str(weights))
    document = json.loads((model_dir / "model.json").read_text())
    document["weights"]["sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()
    (model_dir / "model.json").write_text(json.dumps(document))
    return name


@pytest.mark.parametrize("value, index", [(math.nan, 0), (math.inf, 1), (-math.inf, 2)])
def test_non_finite_weights_are_refused_even_with_a_matching_hash(cohort, trained,
                                                                  refused, value, index):
    name = _poison_weights(trained / "model", value, index)
    out = cohort.root / "pred.csv"
    refused(predict_args(trained, cohort.clinical, out, cohort.genotypes), out,
            cohort.root, "model.safetensors", f"['{name}']", "NaN or infinite")
