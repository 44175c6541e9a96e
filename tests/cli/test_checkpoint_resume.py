"""``riata fit --checkpoint-dir``: a killed fit run again with the same command goes on
from its last saved alpha and writes the uninterrupted run's results (issue 13)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from riata.cli import main
from riata.io import FINGERPRINT_FILE, PathCheckpoint

#: Longer paths than the FAST options, so that a kill lands in the middle of one.
PATHS = ["--n-alphas", "4", "--epochs", "10"]
TIMES = ("fit_seconds", "seconds")


def _table(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    return frame.drop(columns=[c for c in frame.columns if c in TIMES])


def _same_results(a: Path, b: Path) -> None:
    for name in ("results.csv", "selected_variables.csv", "selected_snps.csv"):
        pd.testing.assert_frame_equal(_table(a / name), _table(b / name),
                                      check_exact=True)


def _saved_steps(root: Path) -> list:
    """The steps saved after whole alphas and half-samples (not the inner states of
    the fit in progress: ``alpha_NNN_epochs``, ``alpha_NNN_rounds``)."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("step_*")
                  if (p / ".metadata").is_file()
                  and not any(part.startswith("alpha_") for part in p.parts))


@pytest.mark.slow
def test_a_fit_stopped_after_an_alpha_resumes_to_the_same_results(cohort, monkeypatch):
    whole = cohort.root / "whole"
    assert main(["-q", *cohort.fit_args(whole, *PATHS)]) == 0
    ckpt = cohort.root / "ckpt"
    args = ["-q", *cohort.fit_args(cohort.root / "run", *PATHS, "--checkpoint-dir",
                                   str(ckpt))]
    saves = []
    original = PathCheckpoint.save_step

    def save_then_stop(self, index, item, **kw):
        original(self, index, item, **kw)
        if "keep_previous" in kw:  # the inner state of a fit, not a whole alpha
            return
        saves.append(self.directory)
        if len(saves) == 6:  # in the middle of the SNP network's SNP path
            raise KeyboardInterrupt

    monkeypatch.setattr(PathCheckpoint, "save_step", save_then_stop)
    assert main(args) != 0
    monkeypatch.undo()
    assert not (cohort.root / "run").exists()
    assert (ckpt / FINGERPRINT_FILE).is_file() and len(_saved_steps(ckpt)) == 6
    assert main(args) == 0
    _same_results(whole, cohort.root / "run")
    assert not ckpt.exists()  # deleted once the run directory is written


def test_another_commands_checkpoint_is_refused(cohort, refused):
    ckpt = cohort.root / "ckpt"
    PathCheckpoint(ckpt, {"riata": "another job"})
    out = cohort.root / "run"
    refused(cohort.fit_args(out, "--checkpoint-dir", str(ckpt)), out, cohort.root,
            f"Checkpoint directory '{ckpt}' holds the checkpoint of another job",
            "differs in:", "same command")
    assert (ckpt / FINGERPRINT_FILE).is_file()  # left as it was


def _refused_beside_a_checkpoint(capsys, args, out, fragment):
    """As the ``refused`` fixture, where the checkpoint's own hidden files
    (torch.distributed.checkpoint's ``.metadata``) are expected under the root."""
    assert main(args) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if ": error: " in line]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert fragment in lines[0], lines[0]
    assert not out.exists()


def test_a_changed_setting_names_what_differs(cohort, capsys, monkeypatch):
    ckpt = cohort.root / "ckpt"
    out = cohort.root / "run"
    original = PathCheckpoint.save_step

    def save_then_stop(self, index, item, **kw):
        original(self, index, item, **kw)
        if "keep_previous" not in kw:  # stopped after the first whole alpha
            raise KeyboardInterrupt

    monkeypatch.setattr(PathCheckpoint, "save_step", save_then_stop)
    assert main(["-q", *cohort.fit_args(out, "--checkpoint-dir", str(ckpt))]) != 0
    monkeypatch.undo()
    capsys.readouterr()
    _refused_beside_a_checkpoint(
        capsys, cohort.fit_args(out, "--checkpoint-dir", str(ckpt), "--seed", "5"), out,
        "(differs in: settings.seed (was 0, now 5))")
    cohort.clinical.write_text(cohort.clinical.read_text() + "\n")
    _refused_beside_a_checkpoint(
        capsys, cohort.fit_args(out, "--checkpoint-dir", str(ckpt)), out,
        f"(differs in: files.{cohort.clinical.resolve()} (was [")
    assert _saved_steps(ckpt)  # a refused run leaves the checkpoint as it was


@pytest.mark.parametrize("where", ["inside_out", "holds_out", "not_a_checkpoint"])
def test_a_checkpoint_directory_that_would_lose_files_is_refused(cohort, refused, where):
    out = cohort.root / "run"
    ckpt = {"inside_out": out / "ckpt", "holds_out": cohort.root / "c",
            "not_a_checkpoint": cohort.root / "mine"}[where]
    if where == "holds_out":
        out = ckpt / "run"
    if where == "not_a_checkpoint":
        ckpt.mkdir()
        (ckpt / "notes.txt").write_text("keep me")
    fragment = {"inside_out": "lie one inside the other",
                "holds_out": "lie one inside the other",
                "not_a_checkpoint": "not a riata checkpoint"}[where]
    refused(cohort.fit_args(out, "--checkpoint-dir", str(ckpt)), out, cohort.root,
            fragment)
    if where == "not_a_checkpoint":
        assert (ckpt / "notes.txt").read_text() == "keep me"


@pytest.mark.slow
@pytest.mark.parametrize("when", ["path", "stability"])
def test_a_fit_killed_with_sigkill_resumes_to_the_same_results(cohort, when):
    """A real ``kill -9`` of the process between (or while writing) steps: in the
    middle of the cross-validated paths, or of stability selection."""
    whole = cohort.root / "whole"
    more = [*PATHS, "--cv", "3", "--stability", "4"]
    assert main(["-q", *cohort.fit_args(whole, *more)]) == 0
    ckpt = cohort.root / "ckpt"
    command = [sys.executable, "-m", "riata", "-q",
               *cohort.fit_args(cohort.root / "run", *more, "--checkpoint-dir", str(ckpt))]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    def far_enough():
        steps = _saved_steps(ckpt)
        if when == "stability":
            return any(s.startswith("stability/") for s in steps)
        return len(steps) >= 12

    while not far_enough() and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert process.poll() is None, "the fit ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (cohort.root / "run").exists()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    _same_results(whole, cohort.root / "run")
    pd.testing.assert_frame_equal(
        _table(whole / "stability_selection.csv"),
        _table(cohort.root / "run" / "stability_selection.csv"), check_exact=True)
    assert not ckpt.exists()


@pytest.mark.parametrize("left", ["checkpoint", "hidden copy", "half-deleted hidden copy"])
def test_a_job_killed_after_its_run_directory_was_written_ends_with_the_same_command(
        cohort, capsys, monkeypatch, left):
    """The run directory is in place but the checkpoint was not yet deleted (or only
    renamed to its hidden '.deleting' name): the same command finishes, exit 0."""
    ckpt, out = cohort.root / "ckpt", cohort.root / "run"
    args = ["-q", *cohort.fit_args(out, "--checkpoint-dir", str(ckpt))]

    def killed(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(PathCheckpoint, "remove", killed)
    assert main(args) == 130
    monkeypatch.undo()
    assert (out / "results.csv").is_file() and (ckpt / FINGERPRINT_FILE).is_file()
    before = (out / "results.csv").read_bytes()
    if left != "checkpoint":
        ckpt.rename(cohort.root / ".ckpt.deleting-1")
    if left == "half-deleted hidden copy":  # the steps and the fingerprint were gone
        for entry in (cohort.root / ".ckpt.deleting-1").iterdir():
            if entry.name != "finished.json":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    capsys.readouterr()
    # Another job's command (another seed) is not taken for this one: refused, and
    # what the killed job left stays for its own command.
    assert main(["-q", *cohort.fit_args(out, "--checkpoint-dir", str(ckpt),
                                        "--seed", "3")]) == 2
    assert ckpt.exists() or list(cohort.root.glob(".ckpt.deleting-*"))
    assert main(args) == 0
    assert not ckpt.exists() and not list(cohort.root.glob(".ckpt*"))
    assert (out / "results.csv").read_bytes() == before


def test_a_job_killed_before_its_run_directory_moved_into_an_empty_out_resumes(
        cohort, monkeypatch):
    """An empty --out exists before the run and finished.json is written just before
    the move: the rerun must not take the empty directory for the finished run."""
    import riata.workflows._cohort as cohort_workflow

    ckpt, out = cohort.root / "ckpt", cohort.root / "run"
    out.mkdir()
    args = ["-q", *cohort.fit_args(out, "--checkpoint-dir", str(ckpt))]

    def killed(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(cohort_workflow, "write_run_directory", killed)
    assert main(args) == 130
    monkeypatch.undo()
    assert (ckpt / "finished.json").is_file() and not any(out.iterdir())
    assert main(args) == 0
    assert (out / "results.csv").is_file() and not ckpt.exists()
