"""Joining and leaving the process group of a torchrun job."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch.distributed as dist

__all__ = ["ProcessGroup", "join_process_group"]


@dataclass(frozen=True)
class ProcessGroup:
    """This process's place in the job: ``rank`` of ``world_size`` (0 of 1 alone)."""

    rank: int = 0
    world_size: int = 1
    backend: str | None = None
    joined_here: bool = False

    @property
    def is_writer(self) -> bool:
        """Whether this rank writes the outputs (rank 0)."""
        return self.rank == 0

    @property
    def shard(self) -> tuple[int, int] | None:
        """``(rank, world_size)`` for :func:`riata.data.read_table`; None alone."""
        return (self.rank, self.world_size) if self.world_size > 1 else None

    def barrier(self) -> None:
        if self.world_size > 1:
            dist.barrier()

    def leave(self) -> None:
        """Destroy the process group if :func:`join_process_group` created it."""
        if self.joined_here and dist.is_initialized():
            dist.destroy_process_group()


def join_process_group(environ=None) -> ProcessGroup:
    """Join the torch.distributed job this process was started in, if any.

    ``torchrun`` sets ``WORLD_SIZE``, ``RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``;
    with ``WORLD_SIZE`` > 1 the default process group is created with the gloo backend
    (env:// rendezvous), unless one exists already. Alone, nothing is done.

    Returns
    -------
    ProcessGroup
    """
    environ = os.environ if environ is None else environ
    size = int(environ.get("WORLD_SIZE", "1") or 1)
    if dist.is_available() and dist.is_initialized():
        return ProcessGroup(dist.get_rank(), dist.get_world_size(), dist.get_backend())
    if size <= 1:
        return ProcessGroup()
    if not dist.is_available():  # pragma: no cover - torch builds without it
        raise RuntimeError("This torch build has no torch.distributed; run riata in one "
                           "process (without torchrun).")
    dist.init_process_group("gloo", init_method="env://")
    return ProcessGroup(dist.get_rank(), dist.get_world_size(), "gloo", joined_here=True)
