"""The ``riata`` command line: subcommands that only call the public library."""

from ._main import build_parser, main

__all__ = ["main", "build_parser"]
