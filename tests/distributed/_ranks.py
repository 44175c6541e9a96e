"""Run a function on several gloo CPU ranks (one thread each) and collect rank 0's
result, as a test's reference single-process run is compared with."""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def _entry(rank: int, world_size: int, init_file: str, out_dir: str, fn, args) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=world_size)
    try:
        result = fn(rank, world_size, *args)
        with open(Path(out_dir) / f"rank{rank}.pkl", "wb") as handle:
            pickle.dump(result, handle)
        # Leave together: a rank that destroys the group while another is still in
        # gloo's last exchange can make that one abort ("terminate called without an
        # active exception", seen once in CI).
        dist.barrier()
    finally:
        dist.destroy_process_group()


def run_on_ranks(fn, world_size: int, *args) -> list:
    """``fn(rank, world_size, *args)`` on ``world_size`` spawned processes; the
    results of every rank, in rank order. ``fn`` must be importable (module level)."""
    with tempfile.TemporaryDirectory() as tmp:
        init_file = os.path.join(tmp, "init")
        mp.spawn(_entry, args=(world_size, init_file, tmp, fn, args), nprocs=world_size,
                 join=True)
        results = []
        for rank in range(world_size):
            with open(Path(tmp) / f"rank{rank}.pkl", "rb") as handle:
                results.append(pickle.load(handle))
        return results
