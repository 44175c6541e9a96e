"""``riata report``: (re)write the HTML report of a run directory."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    p = sub.add_parser(
        "report", help="(re)write report.html of a run directory",
        description="Write RUN/report.html, a self-contained HTML page (results, "
                    "figures, selected variables, configuration, metrics) from the "
                    "files of a run directory written by `riata fit` or `riata "
                    "casestudy`. Exit status: 0 on success, 2 on any error.")
    p.add_argument("run_dir", metavar="RUN", help="run directory (holds config.json "
                                                  "and results.csv)")
    p.add_argument("--title", default=None,
                   help="page title (default: from the run's configuration)")
    p.set_defaults(func=run)


def _default_title(run_dir: Path) -> str:
    try:
        config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
        if config.get("workflow") == "casestudy":
            return "riata case study"
        settings = config["settings"]
        return f"riata fit: {settings['target']} in {Path(settings['clinical']).name}"
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return "riata report"


def run(args) -> int:
    """Run ``riata report``; return the exit code."""
    from ..data import DataError
    from ..pipeline import write_report

    run_dir = Path(args.run_dir)
    title = args.title if args.title is not None else _default_title(run_dir)
    try:
        path = write_report(run_dir, title=title)
    except OSError as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise DataError(f"Cannot write the report of '{run_dir}': {err}.") from err
    if not args.quiet:
        print(f"report: {path}")
    return 0
