"""Resume files of long fits: one torch.distributed.checkpoint per finished step.

A path walks its alphas in order, each warm-started from the one before, so the
state after alpha ``i`` (the fitted model and, for a genotype path, its working set)
is all a restarted job needs to go on with alpha ``i + 1``; stability selection's
half-samples are steps the same way. :class:`PathCheckpoint` keeps that state on disk
as the job goes: one directory per step, written with
:func:`torch.distributed.checkpoint.save` under a temporary name and renamed into
place, so a job killed at any moment leaves only whole steps behind. A walk given a
checkpoint first reads the steps already there and continues after them; the fits
are deterministic, so the resumed walk ends where an uninterrupted one would.

Layout::

    DIR/fingerprint.json          what the job was (settings, input files, versions)
    DIR/<model>/<stage>/<walk>/step_000/   .metadata + *.distcp (alpha 1 of a walk)

In a torchrun job every rank walks the same path with the same (replicated) model,
so every rank calls :meth:`PathCheckpoint.save_step` and
:func:`torch.distributed.checkpoint.save` writes each item once; ``DIR`` must then be
on a file system every node sees. These files resume a job of the same riata
version; they are not a model format (a fitted model is saved with
:func:`riata.io.save_model`). Their estimators are pickled: load only checkpoints you
wrote.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from ..data import DataError

# torch.distributed.checkpoint is imported where it is used: it adds ~0.6 s to every
# start of riata, and only a run with --checkpoint-dir needs it.

__all__ = ["PathCheckpoint", "CheckpointError", "FINGERPRINT_FILE", "FINISHED_FILE",
           "delete_checkpoint_directory"]

logger = logging.getLogger("riata")

#: The file that says which job a checkpoint directory belongs to.
FINGERPRINT_FILE = "fingerprint.json"
#: Written by :meth:`PathCheckpoint.mark_finished` just before the run directory is
#: moved into place.
FINISHED_FILE = "finished.json"
_STEP = re.compile(r"^step_(\d{3,})$")
_PARTIAL = ".partial"
_DELETING = ".deleting-"


class CheckpointError(DataError):
    """A checkpoint directory cannot be used for this job (another job's, not a
    checkpoint at all, or a step that cannot be read); the message names the directory
    and what differs."""


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def _is_writer() -> bool:
    return not _distributed() or dist.get_rank() == 0


def _barrier() -> None:
    if _distributed():
        dist.barrier()


class PathCheckpoint:
    """The resume files of a job's paths, under one directory.

    Parameters
    ----------
    directory : str or path-like
        Created if missing. An existing directory must be empty or hold a checkpoint
        of the same job (its ``fingerprint.json`` equal to ``fingerprint``).
    fingerprint : dict
        JSON data that identifies the job: its settings, the size and modification
        time of its input files, riata's version. A resumed job must give the same.

    Raises
    ------
    CheckpointError
        If ``directory`` exists and is neither empty nor a checkpoint, or holds the
        checkpoint of another job (the message lists the entries that differ).

    Notes
    -----
    Each part of a job is one :meth:`child` (e.g. ``checkpoint.child("network")``);
    :func:`riata.estimators.fit_alpha_path` and
    :func:`riata.estimators.fit_genotype_path` take it as ``checkpoint=`` and keep
    one sub-directory per walk (``fold0``..., ``path``), one step per alpha;
    :func:`riata.pipeline.stability_selection` one step per half-sample. Every rank of a torchrun
    job must construct it with the same arguments (it is a collective call).
    """

    def __init__(self, directory, fingerprint: dict, *, _parts: tuple = ()):
        self.root = Path(os.fspath(directory))
        self.fingerprint = json.loads(json.dumps(fingerprint, default=str))
        self._parts = _parts
        if not _parts:
            self._open()

    # -- the job ------------------------------------------------------------------------
    def _open(self) -> None:
        if _is_writer() and self.root.parent.is_dir():
            for stale in self.root.parent.glob(f".{self.root.name}{_DELETING}*"):
                shutil.rmtree(stale, ignore_errors=True)  # a deletion that was killed
        found = self.root / FINGERPRINT_FILE
        if self.root.exists() and not self.root.is_dir():
            raise CheckpointError(f"Checkpoint directory '{self.root}' is a file; pass a "
                                  "directory (it is created if missing).")
        if found.is_file():
            try:
                saved = json.loads(found.read_text())
            except (OSError, ValueError) as exc:
                raise CheckpointError(
                    f"Checkpoint directory '{self.root}': its {FINGERPRINT_FILE} cannot "
                    f"be read ({exc}); delete the directory to start afresh.") from exc
            if saved == self.fingerprint:
                logger.info("checkpoint '%s' found: finished steps are read, not "
                            "refitted", self.root)
            else:
                raise CheckpointError(
                    f"Checkpoint directory '{self.root}' holds the checkpoint of another "
                    f"job (differs in: {', '.join(_differences(saved, self.fingerprint))})"
                    ". Run the same command on the same files to resume it, or pass "
                    "another checkpoint directory (or delete this one) to start afresh.")
        elif self.root.is_dir() and any(self.root.iterdir()):
            raise CheckpointError(
                f"Checkpoint directory '{self.root}' exists, is not empty and holds no "
                f"{FINGERPRINT_FILE}: it is not a riata checkpoint. Pass a new or empty "
                "directory.")
        else:
            logger.info("saving a checkpoint after every step to '%s'", self.root)
            _barrier()  # every rank has looked before rank 0 writes
            if _is_writer():
                self.root.mkdir(parents=True, exist_ok=True)
                _write_atomically(found, json.dumps(self.fingerprint, indent=2,
                                                    sort_keys=True))
        _barrier()

    @property
    def directory(self) -> Path:
        return self.root.joinpath(*self._parts)

    def child(self, name: str) -> PathCheckpoint:
        """The checkpoint of one part of the job (a model, a stage, a walk)."""
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name in (".", ".."):
            raise ValueError(f"A checkpoint part is a plain name; got {name!r}.")
        other = object.__new__(PathCheckpoint)
        other.root, other.fingerprint = self.root, self.fingerprint
        other._parts = self._parts + (name,)
        return other

    def remove(self) -> None:
        """Delete the whole checkpoint directory (the job has finished); rank 0 does.

        The directory is first renamed to a hidden sibling, so that a job killed
        while deleting leaves either the whole checkpoint or none (a leftover hidden
        sibling is deleted by the next job that opens a checkpoint beside it). A
        symbolic link is removed with the directory it points to.
        """
        _barrier()
        if _is_writer() and self.root.exists():
            target = self.root.resolve()
            if self.root.is_symlink():
                self.root.unlink()
            doomed = target.with_name(f".{target.name}{_DELETING}{os.getpid()}")
            os.replace(target, doomed)
            delete_checkpoint_directory(doomed)
        _barrier()

    def clear(self) -> None:
        """Delete this part's directory (rank 0): e.g. one alpha's epoch states once
        the alpha itself is saved. Every rank calls it."""
        _barrier()
        if _is_writer() and self._parts and self.directory.is_dir():
            shutil.rmtree(self.directory, ignore_errors=True)
        _barrier()

    def mark_finished(self, run_directory) -> None:
        """Record, before the run directory is moved into place, that the job has
        finished and where its run directory is (``finished.json``): a job killed
        between that move and :meth:`remove` is then recognised as finished
        (:func:`riata.workflows.finished_before`). Every rank calls it."""
        _barrier()
        if _is_writer():
            # The fingerprint too: deleted last, this file alone says whose run it was.
            _write_atomically(self.root / FINISHED_FILE, json.dumps(
                {"run_directory": str(Path(os.fspath(run_directory)).resolve()),
                 "fingerprint": self.fingerprint}))
        _barrier()

    # -- one walk -----------------------------------------------------------------------
    def saved_steps(self) -> list:
        """The items saved by :meth:`save_step`, in order: step 0, 1, ... up to the
        first one missing (a half-written step is never read)."""
        where = self.directory
        if not where.is_dir():
            return []
        present = {int(m.group(1)) for p in where.iterdir()
                   if (m := _STEP.match(p.name)) and (p / ".metadata").is_file()}
        items = []
        while len(items) in present:
            items.append(_load(where / _step_name(len(items))))
        if items:
            logger.info("  resumed %d step(s) from checkpoint '%s'", len(items), where)
        return items

    def latest_step(self) -> tuple[int, dict] | None:
        """``(index, item)`` of the highest complete step saved here, or None.

        For walks that keep only their latest state (``save_step(...,
        keep_previous=False)``, as :func:`riata.training.train_module`'s epoch
        checkpoints do): only that step is read.
        """
        where = self.directory
        if not where.is_dir():
            return None
        present = [int(m.group(1)) for p in where.iterdir()
                   if (m := _STEP.match(p.name)) and (p / ".metadata").is_file()]
        if not present:
            return None
        index = max(present)
        logger.info("  resumed step %d from checkpoint '%s'", index + 1, where)
        return index, _load(where / _step_name(index))

    def save_step(self, index: int, item: dict, *, keep_previous: bool = True) -> None:
        """Save what a walk needs after its step ``index`` (alpha ``index + 1``): a
        flat dict whose numpy arrays become tensors and whose other values are
        pickled (not dicts). Every rank calls it. With ``keep_previous=False`` the
        steps before ``index`` are deleted once it is in place (read it back with
        :meth:`latest_step`)."""
        where = self.directory
        final = where / _step_name(index)
        partial = where / (_step_name(index) + _PARTIAL)
        if _is_writer():
            where.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(partial, ignore_errors=True)
        _barrier()
        state = {k: (torch.from_numpy(np.ascontiguousarray(v))
                     if isinstance(v, np.ndarray) and v.dtype != object else v)
                 for k, v in item.items()}
        state["__arrays__"] = sorted(k for k, v in item.items()
                                     if isinstance(v, np.ndarray) and v.dtype != object)
        import torch.distributed.checkpoint as dcp

        with _alone_is_fine(), _unwrapped(f"Writing step {index + 1} to '{where}'"):
            dcp.save(state, checkpoint_id=partial, no_dist=not _distributed())
        if _is_writer():
            shutil.rmtree(final, ignore_errors=True)
            os.replace(partial, final)
            if not keep_previous:
                for p in where.iterdir():
                    if (m := _STEP.match(p.name)) and int(m.group(1)) < index:
                        shutil.rmtree(p, ignore_errors=True)
        _barrier()


def delete_checkpoint_directory(path) -> None:
    """Delete a checkpoint directory, its two marker files last (the fingerprint, then
    ``finished.json``): a deletion killed half-way leaves a directory that still says
    whose run it was, or an empty one."""
    path = Path(os.fspath(path))
    for entry in path.iterdir() if path.is_dir() else ():
        if entry.name in (FINGERPRINT_FILE, FINISHED_FILE):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    for name in (FINGERPRINT_FILE, FINISHED_FILE):
        (path / name).unlink(missing_ok=True)
    shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _alone_is_fine():
    """Silence DCP's warning that one process saves alone: that is meant here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="torch.distributed is disabled",
                                category=UserWarning)
        yield


def _step_name(index: int) -> str:
    return f"step_{index:03d}"


def _load(path: Path) -> dict:
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint import FileSystemReader

    try:
        with _alone_is_fine(), _unwrapped(f"Reading checkpoint step '{path}'"):
            metadata = FileSystemReader(path).read_metadata().state_dict_metadata
            state = {}
            for key, meta in metadata.items():
                state[key] = (torch.empty(meta.size, dtype=meta.properties.dtype)
                              if hasattr(meta, "size") else None)
            dcp.load(state, checkpoint_id=path, no_dist=not _distributed())
        arrays = set(state.pop("__arrays__"))
    except (OSError, EOFError, RuntimeError, KeyError, ValueError) as err:
        reason = (str(err).split(" failed: ", 1)[-1] if isinstance(err, CheckpointError)
                  else f"{type(err).__name__}: {err}")
        raise CheckpointError(
            f"Checkpoint step '{path}' cannot be read ({reason}); it was damaged after "
            "it was written. Delete the checkpoint directory to start afresh.") from None
    return {k: (v.numpy() if k in arrays else v) for k, v in state.items()}


@contextlib.contextmanager
def _unwrapped(doing: str):
    """Re-raise what a :class:`CheckpointException` wraps: a stop (Ctrl-C, a signal)
    as itself, a file system error as an ``OSError``, anything else as a
    :class:`CheckpointError` (DCP's own exception is a ``BaseException``)."""
    from torch.distributed.checkpoint.api import CheckpointException

    try:
        yield
    except CheckpointException as wrapped:
        errors = [pair[0] if isinstance(pair, tuple) else pair
                  for pair in wrapped.failures.values()]
        for err in errors:
            if not isinstance(err, Exception):
                raise err from None  # KeyboardInterrupt, a stop signal
        for err in errors:
            if isinstance(err, OSError):
                raise err from None
        first = errors[0] if errors else wrapped
        raise CheckpointError(f"{doing} failed: {type(first).__name__}: {first}") \
            from None


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + _PARTIAL)
    partial.write_text(text)
    os.replace(partial, path)


def _differences(saved, wanted) -> list:
    """Dotted names of the entries that differ between two JSON documents."""
    def walk(a, b, prefix):
        if isinstance(a, dict) and isinstance(b, dict):
            return [name for key in sorted(set(a) | set(b), key=str)
                    for name in walk(a.get(key), b.get(key), f"{prefix}{key}.")]
        if a == b:
            return []
        return [f"{prefix.rstrip('.')} (was {json.dumps(a)}, now {json.dumps(b)})"]
    return walk(saved, wanted, "") or ["the fingerprint"]
