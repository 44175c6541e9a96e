"""Entry point and subcommand registry of the ``riata`` command.

Every way a command can end is one line on stderr and an exit status:

- 0: success;
- 2: the input or the settings cannot be used (riata's :class:`~riata.data.DataError`
  and other ``ValueError``), a file cannot be read or written (``OSError``), the run
  needs more memory than there is (``MemoryError``), or training diverged
  (``FloatingPointError``): the message names the culprit and how to fix it;
- 1: an unexpected error, which is a bug in riata: the line says so and names a log
  file that holds the traceback;
- 128 + N: stopped by signal N (SIGINT, or SIGTERM, SIGHUP, SIGUSR1, SIGUSR2,
  SIGXCPU as batch schedulers send them). The signal is turned into an exception,
  so the clean-up of every atomic write runs: no partial output, no temporaries.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import time
import traceback

from . import _casestudy, _fit, _predict, _report

__all__ = ["main", "build_parser", "SUBCOMMANDS", "Stopped"]

#: Modules that each contribute one subcommand through ``add_parser(subparsers)``; the
#: parser's ``func`` default runs it and returns the exit code.
SUBCOMMANDS = [_casestudy, _fit, _predict, _report]

#: Signals that end a run cleanly (those a batch scheduler or a closed terminal send).
_STOP_SIGNALS = tuple(getattr(signal, name) for name in
                      ("SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGXCPU")
                      if hasattr(signal, name))
#: Exit status of an unexpected error (a bug); errors in the input exit with 2.
EXIT_BUG = 1
EXIT_ERROR = 2


class Stopped(BaseException):
    """A stop signal arrived; raised in the main thread so that clean-ups run.

    A ``BaseException`` (as ``KeyboardInterrupt``), so that ``except Exception``
    blocks in libraries do not swallow it.
    """

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="riata",
        description="Sparse, interpretable neural networks for clinical and genomic data.",
    )
    parser.add_argument("--version", action="version", version=f"riata {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print only errors (no progress bars or log lines)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    return parser


def _install_stop_handlers() -> dict:
    """Turn the stop signals into :class:`Stopped`; return the previous handlers.

    Only the first signal raises: a second one, arriving while the clean-up of the
    first runs, is ignored so that the clean-up finishes.
    """
    previous = {}
    received = []

    def stop(signum, frame):
        if received:
            return
        received.append(signum)
        raise Stopped(signum)

    for signum in _STOP_SIGNALS:
        try:
            previous[signum] = signal.signal(signum, stop)
        except (ValueError, OSError):  # not the main thread, or not settable here
            continue
    return previous


def _restore_handlers(previous: dict) -> None:
    for signum, handler in previous.items():
        try:
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        except (ValueError, OSError, TypeError):
            continue


def _bug_report(command: str, exc: BaseException) -> str:
    """Write the traceback of an unexpected error to a log file; return its path."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        fd, path = tempfile.mkstemp(prefix=f"riata-{command}-error-{stamp}-",
                                    suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"riata {command}: {' '.join(sys.argv)}\n{text}")
        return path
    except OSError as err:  # pragma: no cover - an unwritable temporary directory
        return f"(the traceback could not be written: {err})"


def _one_line(exc: BaseException) -> str:
    """The exception's message on one line (messages never span lines)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def _error(text: str, *, input_error: bool = False) -> None:
    """Print an error line. In a torchrun job an input error is printed by rank 0 only
    (every rank reads the same files and meets the same error); any other error, which
    may be one rank's own (memory, a disk), by every rank, naming it."""
    rank = os.environ.get("RANK", "0") or "0"
    if rank == "0":
        print(text, file=sys.stderr)
    elif not input_error:
        print(f"[rank {rank}] {text}", file=sys.stderr)


def main(argv=None) -> int:
    """Run the command line; return the exit code (0 success, non-zero on error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    name = f"riata {args.command}"
    previous = _install_stop_handlers()
    try:
        if args.command != "fit" and int(os.environ.get("WORLD_SIZE", "1") or 1) > 1:
            # Every process would write the same outputs: refuse rather than race.
            raise ValueError(f"{name} runs in one process; under torchrun only riata "
                             "fit splits its work (docs/scale.md). Run it without "
                             "torchrun.")
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, ImportError) as exc:
        # riata's own errors (DataError is a ValueError) carry actionable messages:
        # print them without a traceback.
        _error(f"{name}: error: {_one_line(exc)}", input_error=True)
        return EXIT_ERROR
    except OSError as exc:  # permissions, a full disk, a vanished file
        _error(f"{name}: error: {_one_line(exc)}")
        return EXIT_ERROR
    except FloatingPointError as exc:  # training diverged; its text says what to do
        _error(f"{name}: error: {_one_line(exc)}")
        return EXIT_ERROR
    except MemoryError:
        _error(f"{name}: error: ran out of memory. Free memory, run on a machine with "
               "more, or reduce the input (fewer SNPs, e.g. plink --extract, or fewer "
               "samples).")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error(f"{name}: interrupted (SIGINT); temporary files were removed and no "
               "partial output was left.")
        return 128 + signal.SIGINT
    except Stopped as stop:
        _error(f"{name}: stopped by {signal.Signals(stop.signum).name}; temporary "
               "files were removed and no partial output was left.")
        return 128 + stop.signum
    except Exception as exc:  # anything else is riata's fault, not the user's
        if _lost_a_peer(exc):
            _error(f"{name}: error: another process of this torchrun job stopped "
                   f"({_one_line(exc)}). Run the same command again; with "
                   "--checkpoint-dir it resumes from the last saved step.")
            return EXIT_ERROR
        log = _bug_report(args.command, exc)
        _error(f"{name}: internal error (a bug in riata): {type(exc).__name__}: "
               f"{_one_line(exc)}. Please report it with the log {log}")
        return EXIT_BUG
    finally:
        _restore_handlers(previous)


def _lost_a_peer(exc: BaseException) -> bool:
    """Whether ``exc`` is a collective call failing because another rank of a torchrun
    job died (gloo reports a closed or reset connection): not a bug in riata."""
    text = str(exc)
    return (int(os.environ.get("WORLD_SIZE", "1") or 1) > 1 and isinstance(exc, RuntimeError)
            and "gloo" in text.lower()
            and any(s in text for s in ("Connection reset", "Connection closed",
                                        "connection closed", "Broken pipe",
                                        "Connection refused")))
