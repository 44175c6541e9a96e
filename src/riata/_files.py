"""Atomic file writes: readers see the old file or the whole new one, never half."""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "atomic_write_text", "atomic_directory", "json_text"]


def _fsync_directory(directory: Path) -> None:
    """Persist the rename itself (POSIX); a no-op where directories cannot be opened."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(handle)`` on a hidden temporary file, then move it over ``path``.

    The temporary file lives in the destination's directory (so ``os.replace`` is an
    atomic rename), is flushed to disk before the rename, and is removed on any error,
    including KeyboardInterrupt: an interrupted run leaves the previous file (or none)
    and no temporary file. Missing parent directories are created.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(os.fspath(path))
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{path.name}.{secrets.token_hex(6)}.tmp"
    # os.open with O_EXCL and 0o666 (masked by the umask) rather than mkstemp, whose
    # 0o600 mode would otherwise end up on the published file.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)
    return path


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`atomic_write`."""
    data = text.encode("utf-8")
    return atomic_write(path, lambda handle: handle.write(data))


@contextlib.contextmanager
def atomic_directory(path) -> Iterator[Path]:
    """Fill a directory under a hidden temporary name, then move it to ``path`` whole.

    Yields ``<parent>/.<name>.XXXX/<name>`` (not yet created): the directory already
    has its final name while it is filled, so files that mention it (a report's
    title, relative links) need no rewriting, and one rename publishes it. On a
    normal exit an existing ``path`` is moved aside, the new directory renamed into
    place and the old one deleted (it is put back if the rename fails); callers
    decide beforehand whether an existing ``path`` may be replaced. On any error,
    KeyboardInterrupt included, the temporary is removed, ``path`` is left as it was,
    and parent directories that this call created are removed again.

    Raises
    ------
    OSError
        If the parent directory or the temporary cannot be created, or the rename
        fails.
    """
    path = Path(os.fspath(path))
    parent = path.parent
    created = []  # parents this call makes, innermost first
    for folder in [parent, *parent.parents]:
        if folder.exists():
            break
        created.append(folder)
    try:
        parent.mkdir(parents=True, exist_ok=True)
        holder = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=parent))
        try:
            yield holder / path.name
            _replace_directory(holder / path.name, path)
        finally:
            shutil.rmtree(holder, ignore_errors=True)
    finally:
        if not path.exists():
            for folder in created:
                try:
                    folder.rmdir()
                except OSError:
                    break


def _replace_directory(new: Path, path: Path) -> None:
    """Move ``new`` to ``path``, replacing (and deleting) an existing directory."""
    old = None
    if path.exists():
        old = new.parent / (path.name + ".old")
        os.replace(path, old)
    try:
        os.replace(new, path)
    except BaseException:
        if old is not None:
            os.replace(old, path)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    _fsync_directory(path.parent)


def _plain(value):
    """``value`` as plain JSON data, for reading rather than for a round trip.

    Tuples and arrays become lists, numpy scalars Python numbers, non-finite floats
    null (JSON has no NaN), an estimator-like object with ``get_params`` (a penalty)
    ``{"class": name, "params": {...}}`` and anything else its text.
    (``riata.io.save_model`` keeps types exactly instead, with tagged values.)
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return _plain(value.item())
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if hasattr(value, "get_params"):
        return {"class": type(value).__name__,
                "params": _plain(value.get_params(deep=False))}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def json_text(data) -> str:
    """Readable, valid JSON of ``data`` (see ``_plain`` for the conversions)."""
    return json.dumps(_plain(data), indent=2, allow_nan=False) + "\n"
