"""Atomic file writes: readers see the old file or the whole new one, never half.

Temporaries are hidden names in the destination's directory that carry their owner
(``.NAME.riata-HOST-PID-XXXX``): a run killed where no clean-up can run (SIGKILL, a
power cut) leaves one behind, and the next write to the same destination removes the
temporaries of processes of this host that no longer exist (restoring a previous
directory that was moved aside, if the new one never reached its place).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import logging
import math
import os
import re
import secrets
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "atomic_write_text", "atomic_directory", "json_text",
           "clean_stale_temporaries", "is_inside"]

logger = logging.getLogger("riata")

_OWNER_TAG = ".riata-"


def _host() -> str:
    """This machine's name with only letters, digits and ``_`` (no ``-``, no ``.``)."""
    return re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:40] or "host"


def _owner_prefix(name: str) -> str:
    return f".{name}{_OWNER_TAG}{_host()}-{os.getpid()}-"


def _process_exists(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process (EPERM), or a platform without kill
        return True
    return True


def clean_stale_temporaries(path) -> list[Path]:
    """Remove what dead writers of ``path`` left beside it; return what was removed.

    A temporary is stale when its name says it belongs to a process of this host
    that no longer runs (temporaries of other hosts, on a shared file system, are
    left alone: their process cannot be checked from here). Where ``path`` is
    missing and a stale temporary holds the previous directory moved aside while a
    replacement was published (``NAME.old``), that directory is put back first, so
    an interrupted ``--overwrite`` never loses the old run.
    """
    path = Path(os.fspath(path))
    parent, prefix = path.parent, f".{path.name}{_OWNER_TAG}"
    try:
        entries = [e for e in os.scandir(parent) if e.name.startswith(prefix)]
    except OSError:
        return []
    removed = []
    for entry in entries:
        fields = entry.name[len(prefix):].split("-")
        if len(fields) < 3 or fields[0] != _host() or not fields[1].isdigit():
            continue
        if _process_exists(int(fields[1])):
            continue
        stale = Path(entry.path)
        old = stale / (path.name + ".old")
        if not path.exists() and old.is_dir():
            os.replace(old, path)
            logger.warning("restored '%s', which an interrupted replacement had moved "
                           "aside", path)
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                stale.unlink()
        removed.append(stale)
    if removed:
        logger.info("removed %d temporary file(s) left by interrupted runs beside '%s'",
                    len(removed), path)
    return removed


def is_inside(path, directory) -> bool:
    """Whether ``path`` is ``directory`` or lies under it (links resolved)."""
    path = Path(os.path.realpath(os.fspath(path)))
    directory = Path(os.path.realpath(os.fspath(directory)))
    return path == directory or directory in path.parents


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
    and no temporary file. Missing parent directories are created. Temporaries of
    dead writers of the same ``path`` are removed first
    (:func:`clean_stale_temporaries`).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(os.fspath(path))
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(path)
    tmp = directory / f"{_owner_prefix(path.name)}{secrets.token_hex(6)}.tmp"
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

    Yields ``<parent>/.<name>.riata-HOST-PID-XXXX/<name>`` (not yet created): the
    directory already has its final name while it is filled, so files that mention
    it (a report's title, relative links) need no rewriting, and one rename
    publishes it. An existing ``path`` is replaced by exchanging the two directories
    in one atomic step where the system can (Linux ``renameat2``), so that ``path``
    holds the old run or the new one at every instant; elsewhere the old one is moved
    aside first and put back if the rename fails (or, after a kill, by the next
    write: :func:`clean_stale_temporaries`). Callers decide beforehand whether an
    existing ``path`` may be replaced. On any error, KeyboardInterrupt and signals
    turned into exceptions included, the temporary is removed, ``path`` is left as
    it was, and parent directories that this call created are removed again.

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
        clean_stale_temporaries(path)
        holder = Path(tempfile.mkdtemp(prefix=_owner_prefix(path.name), dir=parent))
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


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically (Linux renameat2 RENAME_EXCHANGE).

    Returns False where the system or file system cannot (then nothing changed).
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    at_cwd, exchange = -100, 2  # AT_FDCWD, RENAME_EXCHANGE
    if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _replace_directory(new: Path, path: Path) -> None:
    """Move ``new`` to ``path``, replacing (and deleting) an existing directory."""
    if path.exists() and path.is_dir() and not path.is_symlink() and _exchange(new,
                                                                                path):
        shutil.rmtree(new, ignore_errors=True)  # the old run, now at the temporary name
        _fsync_directory(path.parent)
        return
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
