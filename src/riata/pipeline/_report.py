"""A self-contained HTML report of one run directory.

The report is a single HTML file with inline CSS, figures embedded as base64 data
URIs and no JavaScript, so it can be mailed, archived or opened offline and shows
exactly what the run wrote. It is built with plain string formatting and
:func:`html.escape` rather than a template engine: jinja2 is not a dependency of
riata, and the page is simple enough not to need one.
"""

from __future__ import annotations

import base64
import html
import importlib.metadata
import json
import math
import os
import platform
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import atomic_write_text

__all__ = ["write_report"]

_EM_DASH = "\u2014"
_CHECK = "\u2713"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Only spellings that pandas itself writes for a missing number count as missing.
# pandas' default list also holds "None", "null" and "NA", which are plausible model,
# penalty or variable names (an unpenalized baseline with penalty "None") and would
# otherwise be shown as missing.
_NA_VALUES = ["", "nan", "NaN", "-nan", "<NA>"]

_CSS = """
body { font-family: Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
nav a { margin-right: 1em; }  .scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #f3f3f3; text-align: left; }  table.meta th { width: 12em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.mark { text-align: center; }
figure { margin: 1em 0 2em 0; }  figcaption { color: #555; font-size: 0.9em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
.bar { display: inline-block; width: 10em; height: 0.8em; background: #eee; }
.bar span { display: block; height: 100%; background: #4c78a8; }
.note { color: #666; font-size: 0.9em; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
"""


def _esc(value) -> str:
    return html.escape(str(value), quote=True)


# --------------------------------------------------------------------------- reading
def _stability_bounds(run_dir: Path) -> str:
    """One line per model: the error bound of stability selection, and whether it
    says anything (it is informative only below 1, when q^2 < (2 threshold - 1) p)."""
    path = run_dir / "metrics.json"
    models = (_read_json(path) or {}).get("models", {}) if path.is_file() else {}
    lines = []
    for key, entry in models.items():
        found = entry.get("stability_selection") if isinstance(entry, dict) else None
        if not found:
            continue
        bound = found["expected_false_stable_bound"]
        verdict = ("" if bound < 1 else " &mdash; uninformative: the model keeps too "
                   "many of its candidates per half-sample for the bound to limit "
                   "anything")
        lines.append(f"<li>{html.escape(key)}: on average {found['mean_selected_q']:.1f} "
                     f"of {found['n_candidates']} variables kept per half-sample; "
                     f"expected number of stable variables without signal "
                     f"&le; {bound:.2f}{verdict}</li>")
    return f"<ul>{''.join(lines)}</ul>" if lines else ""


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        # json's own message has no file name; a run directory holds several files.
        raise ValueError(f"{path} is not valid JSON: {exc}") from exc


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=_NA_VALUES)
    except pd.errors.EmptyDataError as exc:
        raise ValueError(f"{path} is empty; it needs at least a header row.") from exc


def _require_columns(frame: pd.DataFrame, columns, path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{path} lacks the column(s) {missing}; it has "
                         f"{list(frame.columns)}.")


def _as_bool(series: pd.Series, path: Path) -> pd.Series:
    """Accept booleans, 0/1 and the strings true/false (any case)."""
    if series.dtype == bool:
        return series
    text = series.astype(str).str.strip().str.lower()
    mapping = {"true": True, "1": True, "1.0": True,
               "false": False, "0": False, "0.0": False}
    bad = sorted(set(text[~text.isin(mapping)]))
    if bad:
        raise ValueError(f"{path}: column {series.name!r} must hold booleans or 0/1, "
                         f"found {bad[:5]}.")
    return text.map(mapping).astype(bool)


# ------------------------------------------------------------------------ formatting
def _format_float(x: float, integral: bool = False) -> str:
    """Three decimals, and at least three significant digits below 0.1.

    Metrics and timings read best with a fixed three decimals (0.812, 20.016), but
    alphas are small and two of them 10% apart (0.00354, 0.00312) must not both print
    as 0.003, so numbers below 0.1 keep three significant digits instead.
    """
    if math.isnan(x):
        return _EM_DASH
    if integral and math.isfinite(x):
        return str(int(x))
    if x != 0 and abs(x) < 0.1:
        return f"{x:#.3g}"
    return f"{x:.3e}" if abs(x) >= 1e6 else f"{x:.3f}"


def _format_json_scalar(value) -> str:
    # Configuration and ground truth are shown exactly, as JSON spells them, so that a
    # value can be copied back into a configuration; a list of scalars drops only the
    # quotes around strings, for legibility, and keeps its brackets so that a
    # one-element list still reads as a list.
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(
        isinstance(v, (str, int, float, bool)) or v is None for v in value
    ):
        return "[" + ", ".join(v if isinstance(v, str) else json.dumps(v)
                               for v in value) + "]"
    return json.dumps(value)


def _flatten(mapping: dict, prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(_flatten(value, prefix=f"{name}."))
        else:
            rows.append((name, _format_json_scalar(value)))
    return rows


def _frame_to_html(frame: pd.DataFrame) -> str:
    """Every column of ``frame`` as an HTML table, numbers right-aligned."""
    numeric, integral = {}, {}
    for col in frame.columns:
        kind = frame[col].dtype
        numeric[col] = pd.api.types.is_numeric_dtype(kind) and not pd.api.types.is_bool_dtype(kind)
        # A float column of whole numbers (best_epoch, n_*_kept with a missing entry,
        # which makes pandas store them as float) is printed as integers.
        values = frame[col].to_numpy(dtype=float) if numeric[col] else np.array([0.5])
        finite = values[np.isfinite(values)]
        integral[col] = bool(np.all(finite == np.round(finite)))
    head = "".join(
        ('<th class="num">' if numeric[c] else "<th>") + f"{_esc(c)}</th>"
        for c in frame.columns
    )
    body = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for col, value in zip(frame.columns, row):
            if numeric[col]:
                text = _format_float(float(value), integral[col])
                cells.append(f'<td class="num">{_esc(text)}</td>')
            else:  # an empty text cell is read as NaN (float) in an object column
                missing = isinstance(value, float) and math.isnan(value)
                cells.append(f"<td>{_EM_DASH if missing else _esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<div class="scroll"><table><thead><tr>' + head + "</tr></thead><tbody>"
        + "".join(body) + "</tbody></table></div>"
    )


def _key_value_table(rows: list[tuple[str, str]], css_class: str = "") -> str:
    attr = f' class="{css_class}"' if css_class else ""
    body = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows)
    return f"<table{attr}><tbody>{body}</tbody></table>"


def _truth_labels(truth) -> dict[str, str]:
    """Variable -> its role in truth.json ('signal', 'decoy of X', 'causal SNP')."""
    if not isinstance(truth, dict):
        return {}
    labels = {str(v): "causal SNP" for v in truth.get("causal_snps") or []}
    decoys = truth.get("decoys") or []
    # decoys is a dict (decoy -> the true variable it correlates with) or a list.
    for name in decoys:
        partner = decoys[name] if isinstance(decoys, dict) else None
        labels[str(name)] = f"decoy of {partner}" if partner else "decoy"
    labels.update({str(v): "signal" for v in truth.get("clinical_variables") or []})
    return labels


def _label(labels: dict[str, str], name: str) -> str:
    # Ground truth names clinical variables; selection tables may list their one-hot
    # columns, which the encoder names VARIABLE_level (``SEX_1.0``).
    return labels.get(name) or labels.get(name.rsplit("_", 1)[0], "")


# -------------------------------------------------------------------------- sections
def _figure_files(run_dir: Path) -> list[Path]:
    root = run_dir / "figures"
    if not root.is_dir():
        return []
    files = [
        p for p in root.rglob("*") if p.suffix.lower() == ".png" and p.is_file()
        # Hidden files are temporaries of an atomic write in progress.
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]
    # The weight heat maps are the figure the case study is about: put them first.
    return sorted(files, key=lambda p: (p.relative_to(root) != Path("heatmaps.png"),
                                        p.relative_to(root).as_posix()))


def _figures_section(run_dir: Path, files: list[Path]) -> str:
    root = run_dir / "figures"
    parts = []
    for path in files:
        rel = path.relative_to(root)
        caption = rel.with_suffix("").as_posix()
        data = path.read_bytes()
        if not data.startswith(_PNG_SIGNATURE):
            parts.append(f'<p class="note">{_esc(rel.as_posix())} is not a PNG file; '
                         "skipped.</p>")
            continue
        encoded = base64.b64encode(data).decode("ascii")
        parts.append(
            f'<figure><img src="data:image/png;base64,{encoded}" alt="{_esc(caption)}">'
            f"<figcaption>{_esc(caption)}</figcaption></figure>"
        )
    return "".join(parts)


def _selected_section(path: Path, labels: dict[str, str]) -> str:
    frame = _read_csv(path)
    _require_columns(frame, ["model", "variable", "selected"], path)
    frame = frame.assign(model=frame["model"].astype(str),
                         variable=frame["variable"].astype(str),
                         selected=_as_bool(frame["selected"], path))
    models = list(dict.fromkeys(frame["model"]))
    chosen = frame[frame["selected"]]
    # Only variables kept by at least one model: a genomic run has thousands of
    # candidates and the point of the table is what survived.
    variables = list(dict.fromkeys(chosen["variable"]))
    n_never = frame["variable"].nunique() - len(variables)
    norms = {}
    if "norm" in frame.columns:
        norms = {(m, v): n for m, v, n in chosen[["model", "variable", "norm"]]
                 .itertuples(index=False, name=None)}
    keys = set(zip(chosen["model"], chosen["variable"]))
    truth_col = bool(labels)
    head = "<th>variable</th>" + ("<th>truth</th>" if truth_col else "") + "".join(
        f"<th>{_esc(m)}</th>" for m in models)
    rows = []
    for var in variables:
        cells = [f"<th>{_esc(var)}</th>"]
        if truth_col:
            cells.append(f"<td>{_esc(_label(labels, var))}</td>")
        for model in models:
            if (model, var) in keys:
                norm = norms.get((model, var))
                title = ("" if norm is None else
                         f' title="norm {_esc(_format_float(float(norm)))}"')
                cells.append(f'<td class="mark"{title}>{_CHECK}</td>')
            else:
                cells.append('<td class="mark"></td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    counts = chosen.groupby("model").size()
    foot = "<th>selected</th>" + ("<td></td>" if truth_col else "") + "".join(
        f'<td class="num">{int(counts.get(m, 0))}</td>' for m in models)
    note = (f'<p class="note">{n_never} variable(s) selected by no model are not '
            "listed." + (" Hover over a check mark for the norm of the variable's "
                         "first-layer weights." if norms else "") + "</p>")
    return ('<div class="scroll"><table><thead><tr>' + head + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody><tfoot><tr>" + foot + "</tr></tfoot></table>"
            "</div>" + note)


def _stability_section(path: Path, labels: dict[str, str]) -> str:
    frame = _read_csv(path)
    _require_columns(frame, ["variable"], path)
    runs = [c for c in frame.columns if c != "variable"]
    if not runs:
        raise ValueError(f"{path} has no run columns besides 'variable'.")
    selected = pd.DataFrame({c: _as_bool(frame[c], path) for c in runs})
    counts = selected.sum(axis=1).to_numpy()
    order = np.argsort(-counts, kind="stable")  # most stable first, ties in file order
    rows = []
    for i in order:
        if counts[i] == 0:
            continue
        var = str(frame["variable"].iloc[i])
        share = counts[i] / len(runs)
        label = f" ({_label(labels, var)})" if _label(labels, var) else ""
        rows.append(
            f"<tr><th>{_esc(var)}{_esc(label)}</th>"
            f'<td class="num">{int(counts[i])}/{len(runs)}</td>'
            f'<td class="num">{share:.2f}</td>'
            f'<td><span class="bar"><span style="width:{100 * share:.1f}%"></span>'
            "</span></td></tr>"
        )
    n_never = int(np.sum(counts == 0))
    return (f"<p>Selection frequency over {len(runs)} run(s).</p>"
            '<table><thead><tr><th>variable</th><th class="num">runs</th>'
            '<th class="num">frequency</th><th></th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>"
            f'<p class="note">{n_never} variable(s) never selected are not listed.</p>')


def _versions() -> list[tuple[str, str]]:
    try:
        # Imported here, not at module load: riata/__init__ imports the estimators.
        from riata import __version__ as riata_version
    except Exception:  # noqa: BLE001 - a broken install must not stop the report
        riata_version = "unknown"
    try:
        # Read from the installed metadata rather than importing torch (seconds).
        torch_version = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        torch_version = "not installed"
    return [("riata", str(riata_version)), ("Python", platform.python_version()),
            ("torch", torch_version)]


# ---------------------------------------------------------------------- public API
def _build_html(run_dir: Path, title: str) -> str:
    sections: list[tuple[str, str, str]] = []  # (anchor, heading, body)
    if (run_dir / "summary.csv").is_file():
        summary = _read_csv(run_dir / "summary.csv")
        sections.append(("summary", "Over repeats (mean and SD)",
                         _frame_to_html(summary)))
    results = _read_csv(run_dir / "results.csv")
    heading = "Results (first repeat)" if (run_dir / "summary.csv").is_file() else "Results"
    sections.append(("results", heading, _frame_to_html(results) if len(results)
                     else '<p class="note">results.csv has no rows.</p>'))
    figures = _figure_files(run_dir)
    if figures:
        sections.append(("figures", "Figures", _figures_section(run_dir, figures)))
    truth = None
    if (run_dir / "truth.json").is_file():
        truth = _read_json(run_dir / "truth.json")
    labels = _truth_labels(truth)
    if (run_dir / "selected_variables.csv").is_file():
        body = _selected_section(run_dir / "selected_variables.csv", labels)
        sections.append(("selected", "Selected variables", body))
    if (run_dir / "selection_frequency.csv").is_file():
        frequency = _read_csv(run_dir / "selection_frequency.csv")
        sections.append(("frequency", "Selection frequency over repeats",
                         _frame_to_html(frequency)))
    if (run_dir / "stability_selection.csv").is_file():
        frame = _read_csv(run_dir / "stability_selection.csv")
        sections.append(("stability_selection", "Stability selection (half-samples)",
                         '<p class="note">How often each variable was kept when the '
                         "model was refitted at its alpha on random halves of the "
                         "training rows (Meinshausen &amp; B&uuml;hlmann 2010).</p>"
                         + _stability_bounds(run_dir) + _frame_to_html(frame)))
    if (run_dir / "stability.csv").is_file():
        body = _stability_section(run_dir / "stability.csv", labels)
        sections.append(("stability", "Selection stability", body))
    if truth is not None:
        rows = _flatten(truth if isinstance(truth, dict) else {"value": truth})
        sections.append(("truth", "Ground truth", _key_value_table(rows, "meta")))
    config = _read_json(run_dir / "config.json")
    if not isinstance(config, dict):
        raise ValueError(f"{run_dir / 'config.json'} must hold a JSON object, got "
                         f"{type(config).__name__}.")
    sections.append(("config", "Configuration", _key_value_table(_flatten(config),
                                                                 "meta")))
    if (run_dir / "metrics.json").is_file():
        pretty = json.dumps(_read_json(run_dir / "metrics.json"), indent=2,
                            sort_keys=True)
        sections.append(("metrics", "Extra metrics",
                         "<details><summary>metrics.json</summary>"
                         f"<pre>{_esc(pretty)}</pre></details>"))

    generated = datetime.now(timezone.utc).isoformat(timespec="seconds")
    meta = [("Run", run_dir.name), ("Generated (UTC)", generated), *_versions()]
    nav = " ".join(f'<a href="#{a}">{_esc(h)}</a>' for a, h, _ in sections)
    body = "".join(f'<section id="{a}"><h2>{_esc(h)}</h2>{b}</section>'
                   for a, h, b in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_esc(title)}</h1>{_key_value_table(meta, 'meta')}<nav>{nav}</nav>"
        f"{body}</body></html>\n"
    )


def write_report(run_dir, *, title: str = "riata report",
                 output_name: str = "report.html") -> Path:
    """Write a self-contained HTML report of a run directory.

    The report shows, in this order and where the files exist: the summary over
    repeats (``summary.csv``), the results table (``results.csv``, every column;
    floats to three decimals, or three significant digits below 0.1; missing values
    as an em dash), every PNG under ``figures/`` (``heatmaps.png`` first), the
    variables each model selected (``selected_variables.csv``), the selection
    frequency over repeats (``selection_frequency.csv``), on half-samples
    (``stability_selection.csv``) and across a run's networks (``stability.csv``),
    the ground truth (``truth.json``), the configuration
    (``config.json``, nested keys joined with dots) and extra metrics
    (``metrics.json``, collapsed). A header gives the generation time (UTC) and the
    riata, Python and torch versions.

    Parameters
    ----------
    run_dir : str or path-like
        The run directory. It must hold ``config.json`` and ``results.csv``; every
        other file is optional.
    title : str, default="riata report"
        Page title and heading.
    output_name : str, default="report.html"
        File name of the report inside ``run_dir``.

    Returns
    -------
    path : pathlib.Path
        The report written, ``run_dir / output_name``.

    Raises
    ------
    FileNotFoundError
        If ``run_dir``, ``config.json`` or ``results.csv`` is missing.
    ValueError
        If ``output_name`` is not a plain file name, or a file is malformed (invalid
        JSON, a CSV without its required columns).

    Notes
    -----
    The page has inline CSS, embeds figures as base64 ``data:`` URIs and has no
    JavaScript or external link: one file to archive or send. All text read from the
    run is HTML-escaped. The file is written to a temporary file in ``run_dir`` and
    moved into place with :func:`os.replace`; on any error the previous report, if
    any, is left unchanged and no temporary file remains.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     run = pathlib.Path(tmp)
    ...     _ = (run / "config.json").write_text(json.dumps({"seed": 0}))
    ...     _ = (run / "results.csv").write_text("model,test_auroc\\nmlp,0.81234\\n")
    ...     path = write_report(run)
    ...     "0.812" in path.read_text(encoding="utf-8")
    True
    """
    run_dir = Path(os.fspath(run_dir))
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run directory {str(run_dir)!r} does not exist.")
    for required in ("config.json", "results.csv"):
        if not (run_dir / required).is_file():
            raise FileNotFoundError(
                f"run directory {str(run_dir)!r} has no {required}; a run directory "
                "needs config.json and results.csv."
            )
    name = str(output_name)
    if not name or name in (".", "..") or Path(name).name != name or "/" in name:
        raise ValueError(f"output_name must be a plain file name, got {output_name!r}.")
    # Build the whole page before touching the disk: a failure while reading the run
    # then never even creates the temporary file.
    text = _build_html(run_dir, str(title))
    path = run_dir / name
    atomic_write_text(path, text)
    return path
