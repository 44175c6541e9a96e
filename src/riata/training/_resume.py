"""One checkpoint item for a training loop's whole state, and reading it back.

Both loops (:func:`riata.training.train_module`'s epochs and
:func:`riata.training.train_full_batch`'s iterations) save their state as one
``torch.save`` blob per process: the states are nested (an optimizer's state dict), which
a :class:`riata.io.PathCheckpoint` item may not be, and under torchrun each rank keeps
its own when the ranks' states differ (an SNP-sharded encoder holds other weights on
every rank).
"""

from __future__ import annotations

import hashlib
import io

import torch


def _rank_and_world() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def pack_state(step: int, state: dict) -> dict:
    """The checkpoint item of ``state`` (which holds the loop's ``settings``).

    Under torchrun the ranks compare digests of their states: equal states (a
    replicated model, as on riata's working sets) are saved once, as ``state``, and
    resume with any number of processes; different ones (an SNP-sharded encoder) are
    saved per rank, as ``state_rankN``, and resume with as many processes.
    """
    buffer = io.BytesIO()
    torch.save(state, buffer)
    blob = buffer.getvalue()
    rank, world = _rank_and_world()
    if world > 1:
        digests = [None] * world
        torch.distributed.all_gather_object(digests, hashlib.sha256(blob).hexdigest())
        if len(set(digests)) > 1:
            return {"epoch": step, f"state_rank{rank}": blob}
    return {"epoch": step, "state": blob}


def unpack_state(item: dict, settings: dict) -> dict:
    """The state saved by :func:`pack_state`, checked against this run's ``settings``.

    Raises
    ------
    RuntimeError
        If the item was saved by another number of processes.
    ValueError
        If it was saved with other settings (each named, with both values).
    """
    rank, world = _rank_and_world()
    per_rank = sorted(k for k in item if k.startswith("state_rank"))
    if "state" in item:
        key = "state"
    elif len(per_rank) == world and f"state_rank{rank}" in item:
        key = f"state_rank{rank}"
    else:
        raise RuntimeError(
            f"The training checkpoint holds the states of {len(per_rank)} processes, "
            f"which differ (e.g. SNP-sharded weights); this job has {world}. Resume it "
            "with as many processes as saved it, or start afresh in another checkpoint "
            "directory.")
    state = torch.load(io.BytesIO(item[key]), weights_only=False)
    changed = [f"{k} (was {state['settings'].get(k)!r}, now {v!r})"
               for k, v in settings.items() if state["settings"].get(k) != v]
    if changed:
        raise ValueError(
            f"The training checkpoint was saved with other settings: {', '.join(changed)}. "
            "Resume it with the same ones, or start afresh in another checkpoint directory.")
    return state
