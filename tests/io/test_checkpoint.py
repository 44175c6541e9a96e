"""Checkpoints of alpha paths: a walk killed after any alpha and resumed from its
checkpoint ends exactly where the uninterrupted walk does."""

import json

import numpy as np
import pytest
import torch

from riata import L1, GroupLasso, SparseMLPClassifier
from riata.data import genotype_statistics
from riata.estimators import fit_alpha_path, fit_genotype_path
from riata.io import FINGERPRINT_FILE, CheckpointError, PathCheckpoint

JOB = {"job": "test", "files": {"a.csv": [10, 1]}}


class Killed(Exception):
    """Stands for the job being killed after an alpha was saved."""


def _kill_after(n):
    def callback(i, record):
        if i + 1 == n:
            raise Killed
    return callback


def _weights(est):
    return {k: v.detach().clone() for k, v in est.model_.state_dict().items()}


def _assert_same_path(a, b):
    assert a.best_index == b.best_index
    assert np.array_equal(a.alphas, b.alphas)
    assert [r.valid_loss for r in a.records] == [r.valid_loss for r in b.records]
    assert [r.objective for r in a.records] == [r.objective for r in b.records]
    assert np.array_equal(a.group_norms, b.group_norms)
    wa, wb = _weights(a.best_estimator), _weights(b.best_estimator)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


@pytest.fixture(scope="module")
def clinical():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 6))
    y = (rng.random(300) < 1 / (1 + np.exp(-(X[:, 0] - X[:, 1])))).astype(int)
    return X, y


def _network():
    return SparseMLPClassifier((4,), penalty=GroupLasso(), solver="fista",
                               max_epochs=300, dtype="float64", random_state=0)


@pytest.mark.parametrize("chooser", ["validation", "cv"])
def test_an_alpha_path_killed_and_resumed_equals_the_uninterrupted_one(clinical, tmp_path,
                                                                       chooser):
    X, y = clinical
    kwargs = (dict(validation_data=(X[200:], y[200:])) if chooser == "validation"
              else dict(cv=3))
    Xt, yt = (X[:200], y[:200]) if chooser == "validation" else (X, y)
    whole = fit_alpha_path(_network(), Xt, yt, n_alphas=6, **kwargs)
    ckpt = PathCheckpoint(tmp_path / "ckpt", JOB)
    # Killed in the final walk (with cv: after the folds were saved).
    kill_at = 2 if chooser == "validation" else 1
    with pytest.raises(Killed):
        fit_alpha_path(_network(), Xt, yt, n_alphas=6, checkpoint=ckpt,
                       callback=_kill_after(kill_at), **kwargs)
    assert len(ckpt.child("path").saved_steps()) == kill_at
    if chooser == "cv":
        assert all(ckpt.child(f"fold{k}").saved_steps() for k in range(3))
    resumed = fit_alpha_path(_network(), Xt, yt, n_alphas=6,
                             checkpoint=PathCheckpoint(tmp_path / "ckpt", JOB), **kwargs)
    _assert_same_path(whole, resumed)


def test_a_minibatch_path_killed_inside_an_alpha_resumes_at_its_last_epoch(
        clinical, tmp_path, monkeypatch):
    """Adam fits save every epoch of the alpha being fitted: killed after the 7th
    epoch save (inside the second alpha), the path resumes there and ends equal."""
    X, y = clinical

    def adam():
        return SparseMLPClassifier((4,), penalty=GroupLasso(), max_epochs=5,
                                   n_iter_no_change=100, dtype="float64", random_state=0)

    kwargs = dict(validation_data=(X[200:], y[200:]), n_alphas=3)
    with pytest.warns(Warning):
        whole = fit_alpha_path(adam(), X[:200], y[:200], **kwargs)
    ckpt = PathCheckpoint(tmp_path / "ckpt", JOB)
    saves, kill_at, real_save = [], [7], PathCheckpoint.save_step

    def save_then_die(self, index, item, **kw):
        real_save(self, index, item, **kw)
        if self.directory.name.endswith("_epochs"):
            saves.append(self.directory.name)
            if len(saves) == kill_at[0]:
                raise Killed

    monkeypatch.setattr(PathCheckpoint, "save_step", save_then_die)
    with pytest.raises(Killed), pytest.warns(Warning):
        fit_alpha_path(adam(), X[:200], y[:200], checkpoint=ckpt, **kwargs)
    assert saves[-1] == "alpha_001_epochs"  # alpha 1 saved, alpha 2 at epoch 2 of 5
    assert not (ckpt.directory / "path" / "alpha_000_epochs").exists()  # cleared
    saves.clear()
    kill_at[0] = None
    with pytest.warns(Warning):
        resumed = fit_alpha_path(adam(), X[:200], y[:200], checkpoint=ckpt, **kwargs)
    _assert_same_path(whole, resumed)
    # Epochs 3-5 of alpha 2 and 1-5 of alpha 3 were trained; alpha 1 was read back.
    assert saves == ["alpha_001_epochs"] * 3 + ["alpha_002_epochs"] * 5
    assert not list((ckpt.directory / "path").glob("alpha_*"))


@pytest.fixture(scope="module")
def genotypes():
    rng = np.random.default_rng(0)
    n, p = 400, 300
    values = rng.binomial(2, rng.uniform(0.1, 0.5, p), size=(n, p)).astype(np.int8)
    train, valid = np.arange(280), np.arange(280, n)
    mean, scale = genotype_statistics(values, train)
    z = (values - mean) / scale
    clinical = rng.normal(size=(n, 2))
    signal = z[:, [3, 50, 200]].sum(axis=1) + clinical[:, 0]
    y = (rng.random(n) < 1 / (1 + np.exp(-signal))).astype(int)
    return dict(values=values, clinical=clinical, y=y, train=train, valid=valid,
                mean=mean, scale=scale)


def _genotype_path(g, est, **kwargs):
    tr, va = g["train"], g["valid"]
    return fit_genotype_path(est, g["clinical"][tr], g["y"][tr],
                             validation_data=(g["clinical"][va], g["y"][va]),
                             valid_rows=va, genotypes=g["values"], train_rows=tr,
                             mean=g["mean"], scale=g["scale"], n_alphas=8,
                             n_alphas_no_change=None, dtype=np.float64, **kwargs)


@pytest.mark.parametrize("hidden", [(), (4,)])
def test_a_genotype_path_killed_and_resumed_equals_the_uninterrupted_one(genotypes,
                                                                          tmp_path, hidden):
    """The working set, the model and the critical alphas come back: the same SNPs
    enter at the same alphas and the chosen model is bitwise the same."""
    def est():
        return SparseMLPClassifier(hidden, penalty=GroupLasso(), skip_connection=bool(hidden),
                                   solver="fista", max_epochs=500, dtype="float64",
                                   random_state=0)

    whole = _genotype_path(genotypes, est())
    ckpt = PathCheckpoint(tmp_path / "ckpt", JOB)
    for kill_at in (3, 5):  # killed twice: each run resumes the one before
        with pytest.raises(Killed):
            _genotype_path(genotypes, est(), checkpoint=ckpt,
                           callback=_kill_after(kill_at))
        assert len(ckpt.child("path").saved_steps()) == kill_at
    resumed = _genotype_path(genotypes, est(), checkpoint=ckpt)
    _assert_same_path(whole, resumed)
    assert [r.working_set for r in whole.records] == [r.working_set
                                                      for r in resumed.records]
    assert [r.n_snps for r in whole.records] == [r.n_snps for r in resumed.records]
    assert np.array_equal(whole.best_columns, resumed.best_columns)
    assert whole.records[-1].n_snps > 0


def test_a_half_written_alpha_is_ignored_and_rewritten(clinical, tmp_path):
    X, y = clinical
    kwargs = dict(validation_data=(X[200:], y[200:]), n_alphas=5)
    whole = fit_alpha_path(_network(), X[:200], y[:200], **kwargs)
    ckpt = PathCheckpoint(tmp_path / "ckpt", JOB)
    with pytest.raises(Killed):
        fit_alpha_path(_network(), X[:200], y[:200], checkpoint=ckpt,
                       callback=_kill_after(2), **kwargs)
    walk = ckpt.child("path").directory
    (walk / "step_002.partial").mkdir()  # killed while writing alpha 3
    (walk / "step_002.partial" / "__0_0.distcp").write_bytes(b"half")
    (walk / "step_004").mkdir()  # a stray directory without its metadata
    assert len(ckpt.child("path").saved_steps()) == 2
    resumed = fit_alpha_path(_network(), X[:200], y[:200], checkpoint=ckpt, **kwargs)
    _assert_same_path(whole, resumed)


def test_another_jobs_checkpoint_is_refused_with_what_differs(tmp_path):
    PathCheckpoint(tmp_path / "ckpt", JOB)
    other = {"job": "test", "files": {"a.csv": [11, 1]}}
    with pytest.raises(CheckpointError, match=r"another job \(differs in: files\.a\.csv "
                       r"\(was \[10, 1\], now \[11, 1\]\)\)"):
        PathCheckpoint(tmp_path / "ckpt", other)
    assert json.loads((tmp_path / "ckpt" / FINGERPRINT_FILE).read_text()) == JOB


def test_a_directory_that_is_not_a_checkpoint_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CheckpointError, match="not a riata checkpoint"):
        PathCheckpoint(tmp_path, JOB)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    (tmp_path / "file").write_text("x")
    with pytest.raises(CheckpointError, match="is a file"):
        PathCheckpoint(tmp_path / "file", JOB)


def _killed_after_two_alphas(clinical, tmp_path) -> PathCheckpoint:
    """A 5-alpha path's checkpoint, killed after its second alpha."""
    X, y = clinical
    ckpt = PathCheckpoint(tmp_path / "ckpt", JOB)
    with pytest.raises(Killed):
        fit_alpha_path(_network(), X[:200], y[:200], validation_data=(X[200:], y[200:]),
                       n_alphas=5, checkpoint=ckpt, callback=_kill_after(2))
    return ckpt


def test_a_checkpoint_of_another_grid_is_refused(clinical, tmp_path):
    X, y = clinical
    ckpt = _killed_after_two_alphas(clinical, tmp_path)
    with pytest.raises(ValueError, match="another alpha grid"):
        fit_alpha_path(_network(), X[:200], y[:200], validation_data=(X[200:], y[200:]),
                       n_alphas=5, eps=0.1, checkpoint=ckpt)


def test_remove_deletes_the_checkpoint(tmp_path):
    ckpt = PathCheckpoint(tmp_path / "ckpt", JOB)
    ckpt.child("m").child("path").save_step(0, {"x": np.arange(3.0), "y": "text"})
    item = ckpt.child("m").child("path").saved_steps()[0]
    assert np.array_equal(item["x"], np.arange(3.0)) and item["y"] == "text"
    with pytest.raises(ValueError, match="plain name"):
        ckpt.child("../up")
    ckpt.remove()
    assert not (tmp_path / "ckpt").exists()


def test_l1_linear_path_resumes(clinical, tmp_path):
    """A linear model (no hidden layer) resumes as well."""
    X, y = clinical
    est = SparseMLPClassifier((), penalty=L1(), solver="fista", max_epochs=500,
                              dtype="float64", random_state=0)
    kwargs = dict(validation_data=(X[200:], y[200:]), n_alphas=6)
    whole = fit_alpha_path(est, X[:200], y[:200], **kwargs)
    ckpt = PathCheckpoint(tmp_path / "c", JOB)
    with pytest.raises(Killed):
        fit_alpha_path(est, X[:200], y[:200], checkpoint=ckpt, callback=_kill_after(4),
                       **kwargs)
    _assert_same_path(whole, fit_alpha_path(est, X[:200], y[:200], checkpoint=ckpt,
                                            **kwargs))


class _Raises:
    """An item whose pickling raises ``error`` (a stop signal, a full disk)."""

    def __init__(self, error):
        self.error = error

    def __reduce__(self):
        raise self.error


@pytest.mark.parametrize("error", [KeyboardInterrupt(), OSError(28, "No space left")])
def test_a_stop_or_a_disk_error_while_saving_is_raised_as_itself(tmp_path, error):
    """torch.distributed.checkpoint wraps every failure in a BaseException; a Ctrl-C or
    a stop signal must stay a stop, a full disk an OSError (riata's one-line errors),
    and no step is left half-written."""
    ckpt = PathCheckpoint(tmp_path / "ckpt", JOB).child("path")
    with pytest.raises(type(error)):
        ckpt.save_step(0, {"x": _Raises(error)})
    assert ckpt.saved_steps() == []


def test_a_damaged_step_is_a_clear_error(clinical, tmp_path):
    ckpt = _killed_after_two_alphas(clinical, tmp_path)
    data = next((ckpt.child("path").directory / "step_001").glob("*.distcp"))
    data.write_bytes(data.read_bytes()[:20])
    with pytest.raises(CheckpointError, match="step_001' cannot be read .*Delete the "
                                              "checkpoint directory"):
        ckpt.child("path").saved_steps()


def test_remove_takes_a_link_and_its_directory_and_leaves_no_sibling(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    ckpt = PathCheckpoint(tmp_path / "link", JOB)
    ckpt.child("path").save_step(0, {"x": 1})
    ckpt.remove()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_deletion_killed_halfway_is_finished_by_the_next_job(tmp_path):
    """remove() renames the directory before deleting it: a kill then leaves a hidden
    sibling (never a half-deleted checkpoint), which the next job deletes."""
    leftover = tmp_path / ".ckpt.deleting-123"
    (leftover / "path" / "step_000").mkdir(parents=True)
    PathCheckpoint(tmp_path / "ckpt", JOB)
    assert not leftover.exists() and (tmp_path / "ckpt" / FINGERPRINT_FILE).is_file()


def test_a_genotype_path_killed_inside_a_fit_resumes_its_round_and_iteration(
        genotypes, tmp_path, monkeypatch, caplog):
    """Killed after the 4th save of a working-set fit (every 50 FISTA iterations and
    at its end), the path resumes in that alpha's round, at that iteration."""
    def est():
        return SparseMLPClassifier((4,), penalty=GroupLasso(), skip_connection=True,
                                   solver="fista", max_epochs=500, dtype="float64",
                                   random_state=0)

    whole = _genotype_path(genotypes, est())
    ckpt = PathCheckpoint(tmp_path / "ckpt", JOB)
    saves, real_save = [], PathCheckpoint.save_step

    def save_then_die(self, index, item, **kw):
        real_save(self, index, item, **kw)
        if self.directory.name.endswith("_fit"):
            saves.append(self.directory.parent.name)
            if len(saves) == 4:
                raise Killed

    monkeypatch.setattr(PathCheckpoint, "save_step", save_then_die)
    with pytest.raises(Killed):
        _genotype_path(genotypes, est(), checkpoint=ckpt)
    monkeypatch.undo()
    alpha_dir = ckpt.directory / "path" / saves[-1]
    # The start of the round that was killed (step_000 for round 1, step_001 for 2...).
    assert len(list(alpha_dir.glob("step_*"))) == 1
    with caplog.at_level("INFO", logger="riata"):
        resumed = _genotype_path(genotypes, est(), checkpoint=ckpt)
    assert "resumed full-batch training after iteration" in caplog.text
    _assert_same_path(whole, resumed)
    assert not list((ckpt.directory / "path").glob("alpha_*"))  # cleared per alpha


def test_a_resumed_path_raises_the_convergence_warnings_of_the_alphas_it_reads_back(
        clinical, tmp_path):
    """The run's note counts the fits that stopped before converging: alphas read
    back from a checkpoint raise their saved warnings again."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    X, y = clinical

    def run(**kwargs):
        est = SparseMLPClassifier((4,), penalty=GroupLasso(), max_epochs=3,
                                  n_iter_no_change=100, dtype="float64", random_state=0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit_alpha_path(est, X[:200], y[:200], validation_data=(X[200:], y[200:]),
                           n_alphas=4, **kwargs)
        return [str(w.message) for w in caught if w.category is ConvergenceWarning]

    whole = run()
    assert len(whole) == 4  # one per alpha: 3 epochs never settle
    ckpt = PathCheckpoint(tmp_path / "ckpt", JOB)
    with pytest.raises(Killed), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run(checkpoint=ckpt, callback=_kill_after(2))
    assert run(checkpoint=ckpt) == whole
