"""The docstring examples are tests too: a wrong example misleads every reader."""

import doctest
import importlib
import pkgutil

import pytest

import riata

# riata.__main__ runs the command line when imported.
MODULES = sorted(name for _, name, _ in pkgutil.walk_packages(riata.__path__, "riata.")
                 if name != "riata.__main__")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run_as_written(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} failing example(s) in {name}"
