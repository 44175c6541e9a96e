"""train_module's epoch checkpoints: killed and resumed, it ends as if never stopped."""

import warnings

import pytest
import torch

from riata.io import PathCheckpoint
from riata.models import MLP
from riata.optim import ProxAdam
from riata.penalties import L1
from riata.training import train_module

JOB = {"job": "epoch-checkpoint-test"}


class Killed(Exception):
    """Stands for the job being killed in the middle of an epoch."""


def _data():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(80, 4, generator=gen)
    y = X[:, :1] - X[:, 1:2] + 0.3 * torch.randn(80, 1, generator=gen)
    return X[:60], y[:60], (X[60:], y[60:])


def _train(checkpoint=None, kill_at=None, every=2, patience=100, max_epochs=9):
    torch.manual_seed(0)  # the start and the dropout masks
    net = MLP(4, 1, (6,), dropout=0.2)
    opt = ProxAdam([{"params": [net.input_layer.weight], "penalty": L1(alpha=0.05)},
                    {"params": [p for n, p in net.named_parameters()
                                if n != "input_layer.weight"]}], lr=0.02)
    epochs_seen = []

    def penalty_value():  # called once per epoch, after its batches
        epochs_seen.append(len(epochs_seen) + 1)
        if kill_at is not None and len(epochs_seen) == kill_at:
            raise Killed
        return 0.0

    X, y, validation = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_epochs reached
        result = train_module(net, opt, torch.nn.functional.mse_loss, X, y,
                              validation=validation, penalty_value=penalty_value,
                              max_epochs=max_epochs, batch_size=16,
                              n_iter_no_change=patience,
                              generator=torch.Generator().manual_seed(1),
                              checkpoint=checkpoint, checkpoint_every=every)
    return net, result, epochs_seen


def _same(a, b):
    (net_a, res_a, _), (net_b, res_b, _) = a, b
    sa, sb = net_a.state_dict(), net_b.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert res_a.history == res_b.history
    assert (res_a.best_epoch, res_a.stopped_early) == (res_b.best_epoch, res_b.stopped_early)


def test_killed_mid_training_and_resumed_it_ends_bit_for_bit_as_uninterrupted(tmp_path):
    whole = _train()
    ckpt = PathCheckpoint(tmp_path / "ckpt", JOB).child("network")
    with pytest.raises(Killed):
        _train(ckpt, kill_at=6)  # epochs 1-5 ran, epoch 4 was the last saved
    assert [p.name for p in ckpt.directory.iterdir()] == ["step_003"]  # only the latest
    resumed = _train(ckpt)
    assert resumed[2] == [1, 2, 3, 4, 5]  # epochs 5..9 only: 4 were read back
    _same(resumed, whole)


def test_a_finished_run_is_read_back_not_retrained(tmp_path):
    whole = _train(patience=2, max_epochs=60)
    assert whole[1].stopped_early
    ckpt = PathCheckpoint(tmp_path / "ckpt", JOB)
    first = _train(ckpt, every=5, patience=2, max_epochs=60)
    again = _train(ckpt, every=5, patience=2, max_epochs=60)
    assert again[2] == []  # nothing trained
    _same(first, whole)
    _same(again, whole)


def test_checkpoint_every_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="checkpoint_every"):
        _train(PathCheckpoint(tmp_path / "c", JOB), every=0)


def test_a_run_ended_by_max_epochs_is_saved_even_between_checkpoints(tmp_path):
    ckpt = PathCheckpoint(tmp_path / "ckpt", JOB)
    first = _train(ckpt, every=50, max_epochs=3)
    again = _train(ckpt, every=50, max_epochs=3)
    assert again[2] == []  # the last epoch was saved: nothing retrained
    _same(first, again)


def test_a_resume_with_other_settings_is_refused(tmp_path):
    ckpt = PathCheckpoint(tmp_path / "ckpt", JOB)
    with pytest.raises(Killed):
        _train(ckpt, kill_at=3)
    X, y, validation = _data()
    net = MLP(4, 1, (6,), dropout=0.2)
    with pytest.raises(ValueError, match=r"batch_size \(was 16, now 8\)"):
        train_module(net, ProxAdam(net.parameters()), torch.nn.functional.mse_loss, X, y,
                     validation=validation, batch_size=8, n_iter_no_change=100,
                     generator=torch.Generator().manual_seed(1), checkpoint=ckpt)
