"""Atomic writes: a reader sees the old output or the whole new one."""

from __future__ import annotations

import pytest

from riata._files import atomic_directory


def test_atomic_directory_publishes_with_one_rename(tmp_path):
    out = tmp_path / "new" / "run"
    with atomic_directory(out) as stage:
        assert stage.name == "run" and stage.parent.name.startswith(".run.")
        stage.mkdir()
        (stage / "a.txt").write_text("a")
        assert not out.exists()
    assert (out / "a.txt").read_text() == "a"
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["run"]


def test_atomic_directory_replaces_an_existing_directory(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with atomic_directory(out) as stage:
        stage.mkdir()
        (stage / "new.txt").write_text("new")
    assert [p.name for p in out.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_atomic_directory_leaves_nothing_after_an_error(tmp_path):
    old = tmp_path / "kept"
    old.mkdir()
    (old / "old.txt").write_text("old")
    for out in (tmp_path / "deeper" / "still" / "run", old):
        with pytest.raises(RuntimeError), atomic_directory(out) as stage:
            stage.mkdir()
            (stage / "half.txt").write_text("half")
            raise RuntimeError("failed on purpose")
    assert [p.name for p in tmp_path.iterdir()] == ["kept"]  # parents made are gone
    assert [p.name for p in old.iterdir()] == ["old.txt"]


def test_json_text_is_valid_json_without_nan():
    """JSON has no NaN or Infinity: they become null, arrays lists, penalties dicts."""
    import json

    import numpy as np

    from riata import GroupLasso
    from riata._files import json_text

    text = json_text({"a": float("nan"), "b": np.array([1.0, np.inf]),
                      "c": np.float32(0.5), "p": GroupLasso(alpha=0.1)})
    data = json.loads(text)
    assert data == {"a": None, "b": [1.0, None], "c": 0.5,
                    "p": {"class": "GroupLasso",
                          "params": {"alpha": 0.1, "groups": None, "penalty_factor": None,
                                     "weights": None}}}
