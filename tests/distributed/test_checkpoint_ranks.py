"""Checkpoints of a SNP path over gloo ranks: saved by every rank (each item once),
resumed by the ranks or by one process, ending with the uninterrupted path."""

from __future__ import annotations

import numpy as np
import pytest

from riata.io import PathCheckpoint

from ._ranks import run_on_ranks
from .test_sharded_genotypes import _path, _problem, _shard

JOB = {"job": "ranks"}


class Killed(Exception):
    pass


def _kill_after(n):
    def callback(i, record):
        if i + 1 == n:
            raise Killed
    return callback


def _killed_then_resumed(rank, world_size, where):
    g, clinical, y, train, valid = _problem()
    shard = _shard(g, rank, world_size)
    ckpt = PathCheckpoint(where, JOB)
    try:
        _path(shard, clinical, y, train, valid, checkpoint=ckpt, callback=_kill_after(4))
    except Killed:
        pass
    saved = len(ckpt.child("path").saved_steps())
    resumed = _path(shard, clinical, y, train, valid, checkpoint=PathCheckpoint(where, JOB))
    return saved, resumed


def _killed(rank, world_size, where):
    g, clinical, y, train, valid = _problem()
    try:
        _path(_shard(g, rank, world_size), clinical, y, train, valid,
              checkpoint=PathCheckpoint(where, JOB), callback=_kill_after(3))
    except Killed:
        return "killed"
    return "finished"


def _same(got, single):
    np.testing.assert_array_equal(got["alphas"], single["alphas"])
    assert got["records"] == single["records"]
    np.testing.assert_array_equal(got["columns"], single["columns"])
    np.testing.assert_array_equal(got["importances"], single["importances"])


@pytest.mark.slow  # spawns 2 ranks (9 s); the mechanism is in tests/io in make test
def test_two_ranks_resume_their_checkpoint_bitwise(tmp_path):
    g, clinical, y, train, valid = _problem()
    single = _path(g, clinical, y, train, valid)
    for saved, resumed in run_on_ranks(_killed_then_resumed, 2, str(tmp_path / "c")):
        assert saved == 4
        _same(resumed, single)


@pytest.mark.slow
def test_a_two_rank_checkpoint_resumes_in_one_process(tmp_path):
    """The state is replicated (the model on the working set), not sharded: another
    number of processes can resume it."""
    where = tmp_path / "c"
    assert run_on_ranks(_killed, 2, str(where)) == ["killed", "killed"]
    g, clinical, y, train, valid = _problem()
    ckpt = PathCheckpoint(where, JOB)
    assert len(ckpt.child("path").saved_steps()) == 3
    _same(_path(g, clinical, y, train, valid, checkpoint=ckpt),
          _path(g, clinical, y, train, valid))


def _killed_inside_a_fit(rank, world_size, where):
    """Killed (on every rank) right after the 3rd save of a working-set fit."""
    g, clinical, y, train, valid = _problem()
    real_save, saves = PathCheckpoint.save_step, []

    def save_then_die(self, index, item, **kw):
        real_save(self, index, item, **kw)
        if self.directory.name.endswith("_fit"):
            saves.append(sorted(k for k in item if k.startswith("state")))
            if len(saves) == 3:
                raise Killed

    PathCheckpoint.save_step = save_then_die
    try:
        _path(_shard(g, rank, world_size), clinical, y, train, valid,
              checkpoint=PathCheckpoint(where, JOB))
    except Killed:
        return saves
    finally:
        PathCheckpoint.save_step = real_save
    return "finished"


@pytest.mark.slow
def test_a_two_rank_checkpoint_taken_inside_a_fit_resumes_in_one_process(tmp_path):
    """The ranks' fit states agree (a replicated working-set model): each is saved
    once, as 'state', and one process goes on from the iteration they reached."""
    where = tmp_path / "c"
    for saves in run_on_ranks(_killed_inside_a_fit, 2, str(where)):
        assert saves == [["state"]] * 3
    g, clinical, y, train, valid = _problem()
    assert list((where / "path").glob("alpha_*_rounds"))
    _same(_path(g, clinical, y, train, valid, checkpoint=PathCheckpoint(where, JOB)),
          _path(g, clinical, y, train, valid))
