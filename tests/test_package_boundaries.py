"""Packages talk through public names and documented hooks, never through privates.

Each subpackage of riata (``data``, ``estimators``, ``pipeline`` ...) may use its own
private modules and attributes; from another package it may only import public names
from public modules, and may not touch attributes whose names start with one
underscore. The root's own private helper module (``riata._files``) is shared by all.
The checks read the source with :mod:`ast`, so a new violation fails here with its
file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import riata

ROOT = Path(riata.__file__).resolve().parent
SOURCES = sorted(ROOT.rglob("*.py"))


def _package(path: Path) -> str:
    """The subpackage a file belongs to ("" for the root's own modules)."""
    parts = path.relative_to(ROOT).parts
    return parts[0] if len(parts) > 1 else ""


def _resolve(path: Path, node: ast.ImportFrom) -> list[str]:
    """The absolute module a ``from ... import`` reads, as its parts after ``riata``."""
    if node.level == 0:
        parts = (node.module or "").split(".")
        return parts[1:] if parts[0] == "riata" else []
    here = list(path.relative_to(ROOT).parts[:-1])
    base = here[: len(here) - (node.level - 1)]
    return base + ((node.module or "").split(".") if node.module else [])


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _defined_private_names() -> dict[str, set[str]]:
    """Private names each package defines (methods, attributes, functions)."""
    out: dict[str, set[str]] = {}
    for path in SOURCES:
        names = out.setdefault(_package(path), set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return {k: {n for n in v if _private(n)} for k, v in out.items()}


def _import_violations(path: Path) -> list[str]:
    own = _package(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        target = _resolve(path, node)
        if not target or target[0] in ("", own) or target == ["_files"]:
            continue
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        if any(_private(part) for part in target):
            found.append(f"{where} imports the private module riata.{'.'.join(target)}")
        found += [f"{where} imports the private name {alias.name} from "
                  f"riata.{'.'.join(target)}" for alias in node.names
                  if _private(alias.name)]
    return found


def test_no_package_imports_another_packages_privates():
    violations = [v for path in SOURCES for v in _import_violations(path)]
    assert violations == []


def test_no_package_touches_another_packages_private_attributes():
    defined = _defined_private_names()
    violations = []
    for path in SOURCES:
        own = _package(path)
        others = set().union(*(names for pkg, names in defined.items() if pkg != own))
        mine = defined.get(own, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute) or not _private(node.attr):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            if node.attr in others and node.attr not in mine:
                violations.append(f"{path.relative_to(ROOT)}:{node.lineno} reaches "
                                  f"{node.attr} of another package")
    assert violations == []


@pytest.mark.parametrize("source, expected", [
    ("from ..data._kernel import _values\n", 2),
    ("from riata.estimators._base import BaseSparseMLP\n", 1),
    ("from ..data import genotype_kernel\n", 0),
])
def test_the_import_check_finds_what_it_should(tmp_path, monkeypatch, source, expected):
    fake = ROOT / "pipeline" / "_probe_not_a_module.py"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source)
    assert len(_import_violations(fake)) == expected


def test_the_attribute_check_finds_what_it_should(monkeypatch):
    """A pipeline module calling an estimator's private method is caught."""
    defined = _defined_private_names()
    assert "_set_weight_attributes" in defined["estimators"]
    assert "_set_weight_attributes" not in defined["pipeline"]
