"""Every failure ends with one line that names the culprit; an unexpected one says it
is a bug and where its traceback is; memory is checked before it is spent; a model
directory is self-contained (issue #12, items 12-15).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from riata.cli import main


def predict_args(model, clinical, out, genotypes=None):
    args = ["predict", "--model", str(model), "--clinical", str(clinical), "--out",
            str(out)]
    return args + (["--genotypes", str(genotypes)] if genotypes is not None else [])


def edit_model_json(model_dir, change):
    path = model_dir / "model.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


# ------------------------------------------------------------- 12. one line, always
def test_plain_csv_named_gz_blames_the_input_not_the_output(cohort, refused):
    path = cohort.root / "clinical.csv.gz"
    shutil.copy(cohort.clinical, path)
    out = cohort.root / "run"
    args = cohort.fit_args(out)
    args[args.index("--clinical") + 1] = str(path)
    message = refused(args, out, cohort.root, "clinical.csv.gz",
                      "is named .gz but is not a valid gzip file", "remove the .gz")
    assert "run directory" not in message


def test_truncated_gzip_is_named(cohort, refused):
    data = gzip.compress(cohort.clinical.read_bytes())
    path = cohort.root / "clinical.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    out = cohort.root / "run"
    args = cohort.fit_args(out)
    args[args.index("--clinical") + 1] = str(path)
    refused(args, out, cohort.root, "clinical.csv.gz", "truncated gzip file")


def test_text_that_is_not_utf8_is_named(cohort, refused):
    text = cohort.clinical.read_text().replace("north", "nörth")
    cohort.clinical.write_bytes(text.encode("latin-1"))
    out = cohort.root / "run"
    refused(cohort.fit_args(out), out, cohort.root, "clinical.csv", "not UTF-8 text",
            "iconv")


def test_huge_learning_rate_ends_with_one_line(cohort, refused):
    out = cohort.root / "run"
    refused(cohort.fit_args(out, "--learning-rate", "1e30", genotypes=False), out,
            cohort.root, "learning")


def test_divergence_at_a_finite_loss_warns(cohort, capsys):
    runs = {}
    for rate in ("1e3", "0.001"):
        out = cohort.root / f"run_{rate}"
        args = cohort.fit_args(out, "--learning-rate", rate, "--alpha", "0.001",
                               genotypes=False)
        assert main(args) == 0
        runs[rate] = (capsys.readouterr().err,
                      json.loads((out / "config.json").read_text())["warnings"])
    err, warnings = runs["1e3"]
    assert "riata fit: warning: The network's" in err
    assert "training probably diverged" in err and "Lower --learning-rate" in err
    assert any("diverged" in w for w in warnings)
    assert "diverged" not in runs["0.001"][0]


def test_model_json_nested_too_deeply(cohort, trained, refused):
    (trained / "model" / "model.json").write_text("[" * 200_000 + "]" * 200_000)
    out = cohort.root / "pred.csv"
    refused(predict_args(trained, cohort.clinical, out, cohort.genotypes), out,
            cohort.root, "model.json", "too deeply")


def test_encoder_scale_of_zero_is_refused(cohort, trained, refused):
    def zero(document):
        spec = next(c for c in document["clinical_encoder"]["columns"]
                    if c["name"] == "age")
        spec["scale"] = 0.0

    edit_model_json(trained / "model", zero)
    out = cohort.root / "pred.csv"
    refused(predict_args(trained, cohort.clinical, out, cohort.genotypes), out,
            cohort.root, "model.json", "column 'age' has scale 0.0",
            "a finite number above 0")


@pytest.mark.parametrize("key, value, fragment", [
    ("scale", 0.0, "genotypes.scale of SNP 'rs0' is 0.0"),
    ("mean", "nan", "genotypes.mean of SNP 'rs0' is nan"),
])
def test_genotype_statistics_that_divide_by_zero_are_refused(cohort, trained, refused,
                                                             key, value, fragment):
    def change(document):
        document["genotypes"][key][0] = value

    edit_model_json(trained / "model", change)
    out = cohort.root / "pred.csv"
    refused(predict_args(trained, cohort.clinical, out, cohort.genotypes), out,
            cohort.root, "model.json", fragment)


@pytest.mark.parametrize("value", ["abc", 0.0, None])
def test_broken_target_scale_of_a_regression_model_is_refused(cohort, refused, value):
    run = cohort.root / "reg"
    args = ["-q", "fit", "--clinical", str(cohort.clinical), "--target", "bmi", "--id",
            "pid", "--out", str(run), "--alpha", "0.001", "--epochs", "1", "--hidden",
            "2", "--drop", "chd"]
    assert main(args) == 0
    edit_model_json(run / "model",
                    lambda d: d["metadata"].__setitem__("target_scale", value))
    out = cohort.root / "pred.csv"
    refused(predict_args(run, cohort.clinical, out), out, cohort.root, "model.json",
            "metadata.target_scale", "finite number above 0")


def test_running_out_of_memory_is_one_line(cohort, refused, monkeypatch):
    from riata.workflows import _cohort

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(_cohort, "read_table", exhausted)
    out = cohort.root / "run"
    refused(cohort.fit_args(out), out, cohort.root, "ran out of memory")


def test_an_unexpected_error_is_called_a_bug_with_its_log(cohort, refused, monkeypatch):
    from riata.workflows import _cohort

    def bug(*args, **kwargs):
        raise KeyError("an internal key")

    monkeypatch.setattr(_cohort, "prepare_inputs", bug)
    out = cohort.root / "run"
    message = refused(cohort.fit_args(out), out, cohort.root,
                      "internal error (a bug in riata): KeyError: 'an internal key'",
                      "Please report it with the log ", code=1)
    log = message.split("with the log ")[1].strip()
    try:
        text = open(log, encoding="utf-8").read()
        assert "Traceback (most recent call last)" in text and "an internal key" in text
    finally:
        os.unlink(log)


def test_unwritable_out_is_one_line(cohort, refused):
    blocker = cohort.root / "file"
    blocker.write_text("not a directory")
    out = blocker / "run"
    refused(cohort.fit_args(out, "--alpha", "0.001", "--epochs", "1"), out,
            cohort.root, "Cannot write the run directory", str(out))


# ------------------------------------------------------- 13. ids in a Parquet index
def test_parquet_with_ids_as_its_named_index(cohort, tmp_path):
    path = tmp_path / "cohort.parquet"
    cohort.frame.set_index("pid").to_parquet(path)
    out = tmp_path / "run"
    args = cohort.fit_args(out, "--alpha", "0.001", "--epochs", "1", genotypes=False)
    args[args.index("--clinical") + 1] = str(path)
    assert main(["-q", *args]) == 0
    assert json.loads((out / "config.json").read_text())["data"]["n_samples"] == 200
    predictions = tmp_path / "pred.csv"
    assert main(["-q", *predict_args(out, path, predictions)]) == 0
    assert pd.read_csv(predictions)["pid"].tolist() == cohort.frame["pid"].tolist()


def test_parquet_with_integer_ids_as_a_named_range_index(cohort, tmp_path):
    frame = cohort.frame.drop(columns="pid")
    frame.index = pd.RangeIndex(len(frame), name="pid")
    path = tmp_path / "cohort.parquet"
    frame.to_parquet(path)
    out = tmp_path / "run"
    args = cohort.fit_args(out, "--alpha", "0.001", "--epochs", "1", genotypes=False)
    args[args.index("--clinical") + 1] = str(path)
    assert main(["-q", *args]) == 0
    assert json.loads((out / "config.json").read_text())["data"]["n_samples"] == 200


def test_parquet_with_ids_in_an_unnamed_index_says_so(cohort, tmp_path, refused):
    path = tmp_path / "cohort.parquet"
    cohort.frame.set_index("pid").rename_axis(None).to_parquet(path)
    out = tmp_path / "run"
    args = cohort.fit_args(out, genotypes=False)
    args[args.index("--clinical") + 1] = str(path)
    refused(args, out, tmp_path, "cohort.parquet", "no column 'pid'",
            "unnamed pandas index ('P0000', 'P0001', 'P0002')",
            "rename_axis('pid')")


# --------------------------------------------------------- 14. memory, up front
@pytest.fixture
def memory_limit(monkeypatch):
    """``memory_limit(nbytes)``: pretend that only this much memory is left."""
    from riata.data import _memory

    def set_limit(nbytes):
        monkeypatch.setattr(_memory, "available_memory",
                            lambda: (nbytes, "the test's limit"))

    return set_limit


@pytest.fixture
def wide_fileset(cohort, write_bed):
    """The cohort's 12 SNPs after 4,000 others (the model reads 12 columns)."""
    ids = cohort.frame["pid"]
    values = np.nan_to_num(cohort.snps, nan=-1).astype(int)
    others = np.random.default_rng(9).integers(0, 3, size=(len(ids), 4000))
    names = [f"x{j}" for j in range(4000)] + [f"rs{j}" for j in range(12)]
    return write_bed(cohort.root / "wide", np.hstack([others, values]), ids, names)


def test_predict_reads_only_the_snps_of_the_model(cohort, trained, wide_fileset,
                                                  memory_limit):
    memory_limit(400_000)  # the clinical file fits; 200 x 4,012 int8 calls do not
    out = cohort.root / "pred.csv"
    assert main(["-q", *predict_args(trained, cohort.clinical, out, wide_fileset)]) == 0
    reference = cohort.root / "reference.csv"
    memory_limit(None)
    assert main(["-q", *predict_args(trained, cohort.clinical, reference,
                                     cohort.genotypes)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(reference))


def test_fit_refuses_a_fileset_larger_than_memory_with_the_estimate(cohort, refused,
                                                                    wide_fileset,
                                                                    memory_limit):
    memory_limit(400_000)
    out = cohort.root / "run"
    args = cohort.fit_args(out, genotypes=False) + ["--genotypes", str(wide_fileset)]
    refused(args, out, cohort.root, "wide.bed", "200 samples x 4,012 SNPs as int8",
            "needs about 783.6 KiB, more than the 390.6 KiB left (the test's limit)",
            "plink --extract")


def test_wide_table_is_refused_before_it_is_read(cohort, refused, memory_limit):
    memory_limit(100_000)
    out = cohort.root / "run"
    refused(cohort.fit_args(out), out, cohort.root, "clinical file",
            "200 rows x 7 columns as text", "more than the 97.7 KiB left")


def test_available_memory_reads_the_cgroup_limit(tmp_path, monkeypatch):
    from riata.data import _memory

    lines = open("/proc/self/cgroup").read().splitlines()
    group = next((line.split(":", 2)[2] for line in lines if line.startswith("0::")),
                 None)
    if group is None:
        pytest.skip("no cgroup v2 on this machine")
    base = tmp_path / group.lstrip("/")
    base.mkdir(parents=True, exist_ok=True)
    (base / "memory.max").write_text(str(5 << 20))
    (base / "memory.current").write_text(str(2 << 20))
    monkeypatch.setattr(_memory, "_CGROUP_ROOT", tmp_path)
    assert _memory.available_memory() == (3 << 20,
                                          "the memory limit of this job (cgroup)")


# ------------------------------------------------ 15. model directories stand alone
@pytest.mark.parametrize("name", ["model.safetensors", "model.json"])
def test_links_that_leave_the_model_directory_are_refused(cohort, trained, refused,
                                                          name):
    inside = trained / "model" / name
    outside = cohort.root / f"outside-{name}"
    shutil.move(inside, outside)
    inside.symlink_to(outside)  # same bytes: the hash still matches
    out = cohort.root / "pred.csv"
    refused(predict_args(trained, cohort.clinical, out, cohort.genotypes), out,
            cohort.root, f"'{inside}' is a link to '{outside}'",
            "outside the model directory")


def test_links_inside_the_model_directory_are_followed(cohort, trained):
    model = trained / "model"
    shutil.move(model / "model.json", model / "saved.json")
    (model / "model.json").symlink_to("saved.json")
    out = cohort.root / "pred.csv"
    assert main(["-q", *predict_args(trained, cohort.clinical, out,
                                     cohort.genotypes)]) == 0
