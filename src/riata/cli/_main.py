"""Entry point and subcommand registry of the ``riata`` command."""

from __future__ import annotations

import argparse
import logging
import sys

from . import _casestudy, _fit, _predict, _report

__all__ = ["main", "build_parser", "SUBCOMMANDS"]

#: Modules that each contribute one subcommand through ``add_parser(subparsers)``; the
#: parser's ``func`` default runs it and returns the exit code.
SUBCOMMANDS = [_casestudy, _fit, _predict, _report]


class CLIError(Exception):
    """An error the command line reports in one line, with exit code 2."""


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


def main(argv=None) -> int:
    """Run the command line; return the exit code (0 success, non-zero on error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, ImportError, CLIError) as exc:
        # riata's own errors (DataError is a ValueError) carry actionable messages:
        # print them without a traceback.
        print(f"riata {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover - interactive
        print(f"riata {args.command}: interrupted", file=sys.stderr)
        return 130
