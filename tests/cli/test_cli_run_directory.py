"""Nothing lost, nothing stale: inputs are never deleted, and `riata fit`, `riata
predict` and `riata casestudy` leave a complete run or none, whatever signal ends
them (issue #12, items 9-11).

Signals are sent to a real ``riata`` process, paused in the middle of writing its
run directory: the run is started by a small script that slows down the report
step and announces, through a marker file, that it got there.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from riata._files import atomic_directory, clean_stale_temporaries
from riata.cli import main

CASESTUDY = ["casestudy", "--scale", "tiny", "--patients", "300", "--chromosomes", "1"]


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def hidden(root: Path) -> list[str]:
    return sorted(p.name for p in Path(root).rglob(".*"))


# ------------------------------------------------------ 9. inputs inside --out
def test_overwrite_never_deletes_a_clinical_file_inside_out(cohort, capsys):
    run = cohort.root / "run"
    run.mkdir()
    inside = run / "clin.csv"
    shutil.copy(cohort.clinical, inside)
    before = inside.read_bytes()
    args = cohort.fit_args(run, "--overwrite", genotypes=False)
    args[args.index("--clinical") + 1] = str(inside)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "run directory" in err and "contains the clinical file" in err
    assert "clin.csv" in err and "would delete it" in err
    assert inside.read_bytes() == before and files_under(run) == ["clin.csv"]


@pytest.mark.parametrize("which", ["genotypes", "config"])
def test_overwrite_never_deletes_genotypes_or_a_config_file_inside_out(cohort, capsys,
                                                                       which):
    run = cohort.root / "run"
    run.mkdir()
    extra = []
    if which == "genotypes":
        for ext in (".bed", ".bim", ".fam"):
            shutil.copy(cohort.genotypes.with_suffix(ext), run / f"geno{ext}")
        args = cohort.fit_args(run, "--overwrite", genotypes=False)
        args += ["--genotypes", str(run / "geno")]
        what = "contains the PLINK fileset"
    else:
        config = run / "fit.toml"
        config.write_text("max_epochs = 1\n")
        extra = ["--config", str(config)]
        args = [*cohort.fit_args(run, "--overwrite"), *extra]
        what = "contains the settings file"
    kept = files_under(run)
    assert main(args) == 2
    assert what in capsys.readouterr().err
    assert files_under(run) == kept


def test_predict_never_writes_over_an_input_or_into_the_model(cohort, trained, refused):
    before = cohort.clinical.read_bytes()
    for out, fragment in ((cohort.clinical, "is the input file --clinical"),
                          (trained / "model" / "model.json", "inside the model "
                                                              "directory")):
        args = ["predict", "--model", str(trained), "--clinical", str(cohort.clinical),
                "--genotypes", str(cohort.genotypes), "--out", str(out), "--overwrite"]
        refused(args, None, cohort.root, fragment)
    assert cohort.clinical.read_bytes() == before
    assert sorted(p.name for p in (trained / "model").iterdir()) == ["model.json",
                                                                       "model.safetensors"]


# ------------------------------------------------------------ 10. the case study
@pytest.fixture(scope="module")
def cohort_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("casestudy-cache")


def casestudy(out, cache, *models, extra=()):
    return ["-q", *CASESTUDY, "--out", str(out), "--cache-dir", str(cache),
            "--models", *models, *extra]


def test_casestudy_that_fails_while_writing_leaves_nothing(tmp_path, cohort_cache,
                                                           monkeypatch, capsys):
    from riata.pipeline import _rundir

    def broken(*args, **kwargs):
        raise ValueError("report failed on purpose")

    monkeypatch.setattr(_rundir, "write_report", broken)
    out = tmp_path / "runs" / "cs"
    assert main(casestudy(out, cohort_cache, "logistic_clinical")) == 2
    assert "report failed on purpose" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_casestudy_rerun_with_fewer_models_leaves_no_stale_file(tmp_path, cohort_cache,
                                                                capsys):
    out, fresh = tmp_path / "cs", tmp_path / "fresh"
    assert main(casestudy(out, cohort_cache, "logistic_clinical", "l1")) == 0
    assert "figures/path_l1.png" in files_under(out)
    assert main(casestudy(out, cohort_cache, "logistic_clinical")) == 2
    assert "exists and is not empty" in capsys.readouterr().err
    assert main(casestudy(out, cohort_cache, "logistic_clinical",
                          extra=["--overwrite"])) == 0
    assert main(casestudy(fresh, cohort_cache, "logistic_clinical")) == 0
    assert files_under(out) == files_under(fresh)
    # No trace of the dropped model outside the embedded images' base64 text.
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", (out / "report.html")
                  .read_text())
    assert "l1" not in text
    assert hidden(tmp_path) == []


# -------------------------------------------------------------- 11. interruptions
_PAUSED = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from riata.pipeline import _rundir
    from riata.cli import main

    marker = Path(sys.argv[1])
    original = _rundir.write_report

    def slow_report(*args, **kwargs):
        marker.write_text("writing")
        time.sleep(60)
        return original(*args, **kwargs)

    _rundir.write_report = slow_report
    sys.exit(main(sys.argv[2:]))
""")


def start_paused(tmp_path: Path, args) -> tuple[subprocess.Popen, Path]:
    """A riata process that pauses while writing its run directory."""
    script = tmp_path / "paused.py"
    script.write_text(_PAUSED)
    marker = tmp_path / "marker"
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    process = subprocess.Popen([sys.executable, str(script), str(marker), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    deadline = time.monotonic() + 240
    while not marker.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the run did not reach the report step: "
                                 f"{process.communicate()}")
        time.sleep(0.1)
    return process, marker


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1])
def test_fit_stopped_by_a_signal_leaves_no_partial_run(cohort, signum):
    out = cohort.root / "runs" / "run"
    process, marker = start_paused(cohort.root, ["-q", *cohort.fit_args(out)])
    assert list((cohort.root / "runs").glob(".run.riata-*"))  # the stage exists
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, err
    assert f"stopped by {signal.Signals(signum).name}" in err
    assert "Traceback" not in err
    assert not (cohort.root / "runs").exists()
    assert hidden(cohort.root) == []


def test_overwrite_stopped_by_sigterm_keeps_the_old_run(cohort):
    out = cohort.root / "run"
    assert main(["-q", *cohort.fit_args(out, "--alpha", "0.001", "--epochs", "1")]) == 0
    before = {name: (out / name).read_bytes() for name in files_under(out)}
    process, _ = start_paused(cohort.root, ["-q", *cohort.fit_args(
        out, "--alpha", "0.01", "--epochs", "1", "--overwrite")])
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert {name: (out / name).read_bytes() for name in files_under(out)} == before
    assert hidden(cohort.root) == []


def test_casestudy_stopped_by_sigterm_leaves_nothing(tmp_path, cohort_cache):
    out = tmp_path / "cs"
    process, _ = start_paused(tmp_path, casestudy(out, cohort_cache,
                                                  "logistic_clinical"))
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert not out.exists() and hidden(tmp_path) == []


def test_stage_of_a_killed_run_is_removed_by_the_next_run(cohort, capsys):
    """SIGKILL cannot be handled: the stage stays until the next run into --out."""
    out = cohort.root / "run"
    args = cohort.fit_args(out, "--alpha", "0.001", "--epochs", "1")
    process, _ = start_paused(cohort.root, ["-q", *args])
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    stale = [p.name for p in cohort.root.glob(".run.riata-*")]
    assert len(stale) == 1 and f"-{process.pid}-" in stale[0]
    assert not out.exists()
    assert main(["-q", *args]) == 0
    assert hidden(cohort.root) == [] and (out / "report.html").is_file()


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _stage_name(name: str, pid: int) -> str:
    from riata import _files

    return f".{name}.riata-{_files._host()}-{pid}-abc123"


def test_replacement_cut_between_its_two_renames_is_undone(tmp_path):
    """Without an atomic exchange, the old run is moved aside before the new one is
    moved in; a kill between the two leaves it aside, and the next write to the
    same place puts it back rather than losing it."""
    out = tmp_path / "run"
    stage = tmp_path / _stage_name("run", _dead_pid())
    (stage / "run.old").mkdir(parents=True)
    (stage / "run.old" / "results.csv").write_text("old run")
    (stage / "run").mkdir()
    (stage / "run" / "half.csv").write_text("half of the new run")
    removed = clean_stale_temporaries(out)
    assert removed == [stage] and not stage.exists()
    assert (out / "results.csv").read_text() == "old run"


def test_temporaries_of_live_or_foreign_processes_are_left_alone(tmp_path):
    live = tmp_path / _stage_name("run", os.getpid())
    foreign = tmp_path / ".run.riata-otherhost-1-abc123"
    for folder in (live, foreign):
        folder.mkdir()
    assert clean_stale_temporaries(tmp_path / "run") == []
    assert live.exists() and foreign.exists()


def test_exchange_keeps_a_run_at_the_path_at_every_step(tmp_path, monkeypatch):
    """The replacement is one atomic exchange: no moment without a run at ``out``."""
    import riata._files as files

    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old")
    seen = []
    original = files._exchange

    def watched(a, b):
        seen.append(out.exists())
        done = original(a, b)
        seen.append(out.exists())
        return done

    monkeypatch.setattr(files, "_exchange", watched)
    with atomic_directory(out) as stage:
        stage.mkdir()
        (stage / "new.txt").write_text("new")
    assert seen == [True, True]
    assert files_under(out) == ["new.txt"] and hidden(tmp_path) == []


def test_fallback_replacement_restores_the_old_run_when_the_rename_fails(tmp_path,
                                                                         monkeypatch):
    import riata._files as files

    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old")
    monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    real_replace = os.replace

    def failing(src, dst):
        if Path(src).name == "run" and Path(dst) == out:
            raise OSError("disk gone")
        return real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", failing)
    with pytest.raises(OSError, match="disk gone"), atomic_directory(out) as stage:
        stage.mkdir()
    assert files_under(out) == ["old.txt"] and hidden(tmp_path) == []
