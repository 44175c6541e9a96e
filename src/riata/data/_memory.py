"""Memory checked before it is spent: estimates of what reading an input needs.

The limit is the smallest of what the system has available (``MemAvailable`` in
``/proc/meminfo``), what the process's cgroup still allows (v2 ``memory.max`` minus
``memory.current``, or v1 ``memory.limit_in_bytes`` minus ``memory.usage_in_bytes``:
the limit of a batch job or a container) and the address-space limit of
``ulimit -v``. Where none of them can be read, nothing is refused.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

from ._errors import DataError

__all__ = ["available_memory", "check_memory", "format_bytes"]

_CGROUP_ROOT = Path("/sys/fs/cgroup")


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'``: a size for a message."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover - the loop returns


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _cgroup_room() -> int | None:
    """What the cgroup of this process may still use, or None when unlimited."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    rooms = []
    for line in lines:
        _, controllers, group = line.split(":", 2)
        group = group.lstrip("/")
        if controllers == "":  # cgroup v2
            base = _CGROUP_ROOT / group
            limit, used = _read_int(base / "memory.max"), _read_int(base / "memory.current")
        elif "memory" in controllers.split(","):
            base = _CGROUP_ROOT / "memory" / group
            limit = _read_int(base / "memory.limit_in_bytes")
            used = _read_int(base / "memory.usage_in_bytes")
            if limit is not None and limit >= 1 << 60:  # v1 writes "unlimited" so
                limit = None
        else:
            continue
        if limit is not None:
            rooms.append(limit - (used or 0))
    return min(rooms) if rooms else None


def _mem_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def available_memory() -> tuple[int | None, str]:
    """The memory this process can still allocate, and where that limit comes from.

    Returns
    -------
    nbytes : int or None
        None when no limit could be read (then nothing is refused).
    source : str
        ``"available system memory"``, ``"the memory limit of this job (cgroup)"``
        or ``"ulimit -v"``.
    """
    candidates = []
    available = _mem_available()
    if available is not None:
        candidates.append((available, "available system memory"))
    room = _cgroup_room()
    if room is not None:
        candidates.append((max(room, 0), "the memory limit of this job (cgroup)"))
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft not in (resource.RLIM_INFINITY, -1):
        used = 0
        try:
            used = int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf(
                "SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
        candidates.append((max(soft - used, 0), "ulimit -v"))
    if not candidates:
        return None, "unknown"
    return min(candidates)


def check_memory(needed: int, what: str, *, hint: str = "") -> None:
    """Refuse up front to read something that cannot fit in memory.

    Parameters
    ----------
    needed : int
        Estimated bytes.
    what : str
        What would be read, for the message (``"PLINK .bed file 'x.bed' (4,240
        samples x 2,000,000 SNPs as int8)"``).
    hint : str, default=""
        How to need less.

    Raises
    ------
    DataError
        If ``needed`` exceeds the available memory; the message gives both.
    """
    limit, source = available_memory()
    if limit is not None and needed > limit:
        raise DataError(f"Reading {what} needs about {format_bytes(needed)}, more than "
                        f"the {format_bytes(limit)} left ({source}). {hint}".rstrip())
