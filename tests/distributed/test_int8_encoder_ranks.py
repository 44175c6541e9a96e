"""The dense int8 encoder sharded by SNP over gloo ranks trains as one process does."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from riata.data import MISSING_GENOTYPE, snp_shard
from riata.io import PathCheckpoint
from riata.models import ENCODER_WEIGHT, MLP, Int8GenotypeEncoder
from riata.optim import ProxAdam
from riata.penalties import GroupLasso
from riata.training import train_module

from ._ranks import run_on_ranks

N, P, UNITS = 48, 23, 2


def _problem():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, size=(N, P), dtype=np.int8)
    X[rng.random((N, P)) < 0.05] = MISSING_GENOTYPE
    observed = X != MISSING_GENOTYPE
    mean = np.where(observed, X, 0).sum(0) / observed.sum(0)
    scale = np.sqrt(np.where(observed, (X - mean) ** 2, 0).sum(0) / observed.sum(0))
    clinical = rng.normal(size=(N, 3))
    Z = np.where(observed, (X - mean) / scale, 0.0)
    y = clinical[:, 0] + Z[:, 7] - Z[:, 15] + 0.1 * rng.normal(size=N)
    torch.manual_seed(0)
    start = MLP(3, 1, (5,), encoder=torch.nn.Linear(P, UNITS, bias=False)).double()
    return X, mean, scale, clinical, y, start.state_dict()


class Killed(Exception):
    """Stands for the job being killed in the middle of an epoch."""


def _train(X, mean, scale, clinical, y, start, columns, sharded, checkpoint=None,
           kill_at=None):
    """Train the MLP on the SNP ``columns`` of this process; its encoder weight and
    the replicated parameters after 8 epochs of minibatch ProxAdam + group lasso
    (checkpointed every 2 epochs, and killed after ``kill_at - 1`` epochs, if asked)."""
    torch.manual_seed(5)
    encoder = Int8GenotypeEncoder(X[:, columns], mean[columns], scale[columns], UNITS,
                                  block_size=4, snp_sharded=sharded)
    own_start = encoder.weight.detach().numpy().copy()
    net = MLP(3, 1, (5,), encoder=encoder).double()
    state = dict(start)
    state[ENCODER_WEIGHT] = start[ENCODER_WEIGHT][:, columns]
    net.load_state_dict(state, strict=False)  # the encoder's statistics are its own
    named = dict(net.named_parameters())
    rest = [p for name, p in named.items() if name != ENCODER_WEIGHT]
    opt = ProxAdam([{"params": [named[ENCODER_WEIGHT]], "penalty": GroupLasso(alpha=0.04)},
                    {"params": rest}], lr=0.02, fused=True)
    inputs = torch.tensor(np.hstack([clinical, np.arange(N)[:, None]]))
    epochs = []

    def penalty_value():
        epochs.append(1)
        if len(epochs) == kill_at:
            raise Killed
        return 0.0

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_epochs reached
        train_module(net, opt, torch.nn.functional.mse_loss, inputs,
                     torch.tensor(y)[:, None], max_epochs=8, batch_size=10,
                     n_iter_no_change=100, generator=torch.Generator().manual_seed(3),
                     penalty_value=penalty_value, checkpoint=checkpoint,
                     checkpoint_every=2)
    out = {name: p.detach().numpy().copy() for name, p in net.named_parameters()}
    out["epochs run"] = np.array(len(epochs))
    out["own start"] = own_start
    return out


def _on_rank(rank, world_size, problem, directory=None, kill_at=None):
    start, stop = snp_shard(P, rank, world_size, align=4)
    checkpoint = None if directory is None else PathCheckpoint(directory, {"job": "t"})
    try:
        return _train(*problem, slice(start, stop), sharded=True, checkpoint=checkpoint,
                      kill_at=kill_at)
    except Killed:
        return "killed"


@pytest.mark.parametrize("world_size", [2, pytest.param(3, marks=pytest.mark.slow)])
def test_a_snp_sharded_encoder_follows_the_single_process_trajectory(world_size):
    problem = _problem()
    alone = _train(*problem, slice(0, P), sharded=False)
    ranks = run_on_ranks(_on_rank, world_size, problem)
    # Seeded alike, the ranks' own starts are the one-process start, column for column.
    assert np.array_equal(np.hstack([r["own start"] for r in ranks]), alone["own start"])
    encoder = np.hstack([r[ENCODER_WEIGHT] for r in ranks])
    np.testing.assert_allclose(encoder, alone[ENCODER_WEIGHT], rtol=0, atol=1e-10)
    np.testing.assert_array_equal(encoder == 0, alone[ENCODER_WEIGHT] == 0)
    assert 0 < (np.abs(encoder).sum(0) == 0).sum() < P  # some SNPs dropped, not all
    for name, value in alone.items():
        if name not in (ENCODER_WEIGHT, "epochs run", "own start"):
            for r in ranks:  # replicated: the same on every rank
                np.testing.assert_allclose(r[name], value, rtol=0, atol=1e-10)


@pytest.mark.slow
def test_sharded_training_killed_mid_path_resumes_on_every_rank(tmp_path):
    """Each rank saves its own columns' state every 2 epochs; killed in epoch 5 and
    run again, the 2 ranks end bit for bit where an uninterrupted 2-rank run ends."""
    problem = _problem()
    whole = run_on_ranks(_on_rank, 2, problem)
    killed = run_on_ranks(_on_rank, 2, problem, str(tmp_path / "ckpt"), 5)
    assert killed == ["killed", "killed"]
    resumed = run_on_ranks(_on_rank, 2, problem, str(tmp_path / "ckpt"))
    for a, b in zip(resumed, whole):
        assert (int(a.pop("epochs run")), int(b.pop("epochs run"))) == (4, 8)  # 5..8 only
        a.pop("own start"), b.pop("own start")
        assert a.keys() == b.keys()
        assert all(np.array_equal(a[k], b[k]) for k in a)


def test_snp_sharded_needs_a_process_group():
    X = np.zeros((4, 3), dtype=np.int8)
    with pytest.raises(ValueError, match="process group"):
        Int8GenotypeEncoder(X, np.zeros(3), np.ones(3), 2, snp_sharded=True)
