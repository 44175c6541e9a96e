"""Behaviour of riata.plotting: what is drawn, not only that drawing runs (paths,
curves, stability, SNP weights, saving; the heat maps: test_heatmaps.py)."""

from __future__ import annotations

import doctest
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: the test suite must never need a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import riata.plotting as plotting  # noqa: E402
from riata.plotting import (  # noqa: E402  # noqa: E402
    _curves,
    _heatmap,
    _io,
    _manhattan,
    _paths,
    _stability,
    plot_heatmap_panels,
    plot_regularization_path,
    plot_selection_stability,
    plot_snp_weights,
    plot_training_history,
    plot_validation_curve,
    plot_weight_heatmap,
    save_figure,
)

from ._helpers import _tick_texts  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# -- plot_regularization_path -------------------------------------------------------
@pytest.fixture
def path_data():
    alphas = np.geomspace(1.0, 1e-3, 7)
    norms = np.zeros((7, 4))
    norms[2:, 0] = np.arange(1, 6)  # enters 3rd
    norms[1:, 2] = np.arange(1, 7) * 0.5  # enters 2nd
    norms[5:, 3] = [0.1, 0.2]  # enters 6th
    # group 1 never enters
    return alphas, norms, ["age", "never", "SYSBP1", "late"]


def test_path_axis_is_log_and_decreasing(path_data):
    alphas, norms, names = path_data
    ax = plot_regularization_path(alphas[::-1], norms[::-1], names)
    assert ax.get_xscale() == "log"
    assert ax.xaxis_inverted()
    left, right = ax.get_xlim()
    assert left > right
    line = next(line for line in ax.get_lines() if line.get_label() == "age")
    # Sorted by decreasing alpha whatever the input order.
    np.testing.assert_allclose(line.get_xdata(), alphas)
    np.testing.assert_allclose(line.get_ydata(), norms[:, 0])


def test_path_highlights_groups_in_order_of_entry(path_data):
    alphas, norms, names = path_data
    ax = plot_regularization_path(alphas, norms, names, highlight=2)
    assert _tick_texts(ax.get_legend().get_texts()) == ["SYSBP1", "age"]
    ax = plot_regularization_path(alphas, norms, names)
    # Default: the first five to enter; a group that never enters is not named.
    assert _tick_texts(ax.get_legend().get_texts()) == ["SYSBP1", "age", "late"]
    assert len(ax.get_lines()) == 4


def test_path_highlight_by_name_and_chosen_alpha(path_data):
    alphas, norms, names = path_data
    ax = plot_regularization_path(
        alphas, pd.DataFrame(norms, columns=names), highlight=["late"], chosen_alpha=0.01
    )
    texts = _tick_texts(ax.get_legend().get_texts())
    assert texts == ["late", "chosen alpha = 0.01"]
    vline = next(line for line in ax.get_lines() if line.get_label().startswith("chosen"))
    assert vline.get_xdata()[0] == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([1.0, 0.1], np.zeros((3, 2))), {}, "group_norms has 3 rows.*alphas has 2"),
        (([1.0, 0.0], np.zeros((2, 2))), {}, "alphas must be finite and > 0"),
        (([1.0, 0.1], np.zeros(2)), {}, "group_norms must be 2-dimensional"),
        (([1.0, 0.1], -np.ones((2, 2))), {}, "group_norms must be >= 0"),
        (([1.0, 0.1], np.zeros((2, 2)), ["a"]), {}, "labels has 1 labels"),
        (([1.0, 0.1], np.zeros((2, 2)), ["a", "b"]), {"highlight": ["c"]}, "highlight"),
        (([1.0, 0.1], np.zeros((2, 2))), {"chosen_alpha": -1.0}, "chosen_alpha"),
    ],
)
def test_path_rejects_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_regularization_path(*args, **kwargs)


# -- plot_validation_curve ----------------------------------------------------------
def test_validation_curve_mean_band_and_chosen_alpha():
    alphas = np.array([0.01, 1.0, 0.1])  # unsorted on purpose
    scores = np.array([[0.70, 0.72], [0.50, 0.52], [0.80, 0.84]])
    train = scores + 0.1
    ax = plot_validation_curve(
        alphas, scores, chosen_alpha=0.1, train_scores=train, metric_name="AP"
    )
    assert ax.get_xscale() == "log" and ax.xaxis_inverted()
    assert ax.get_ylabel() == "AP"
    valid = next(line for line in ax.get_lines() if line.get_label() == "validation")
    np.testing.assert_allclose(valid.get_xdata(), [1.0, 0.1, 0.01])
    np.testing.assert_allclose(valid.get_ydata(), [0.51, 0.82, 0.71])
    training = next(line for line in ax.get_lines() if line.get_label() == "training")
    np.testing.assert_allclose(training.get_ydata(), [0.61, 0.92, 0.81])
    assert len(ax.collections) == 2  # one +-1 sd band per curve
    star = next(line for line in ax.get_lines() if line.get_marker() == "*")
    assert (star.get_xdata()[0], star.get_ydata()[0]) == pytest.approx((0.1, 0.82))


def test_validation_curve_standard_error_band():
    """band="se": mean +- SD / sqrt(runs), the band of cv.glmnet's plot and of the
    1-SE rule; at 4 folds half the SD band."""
    scores = np.array([[0.1, 0.3, 0.2, 0.4], [0.5, 0.5, 0.5, 0.5]])
    ax = plot_validation_curve([1.0, 0.1], scores, band="se", label="cross-validation")
    vertices = ax.collections[0].get_paths()[0].vertices
    band = vertices[np.isclose(vertices[:, 0], 1.0), 1]
    sd = np.std([0.1, 0.3, 0.2, 0.4], ddof=1)
    assert band.max() == pytest.approx(0.25 + sd / 2)
    assert band.min() == pytest.approx(0.25 - sd / 2)
    assert any(line.get_label() == "cross-validation" for line in ax.get_lines())
    with pytest.raises(ValueError, match="band"):
        plot_validation_curve([1.0, 0.1], scores, band="iqr")


def test_validation_curve_single_run_and_nan_gap():
    ax = plot_validation_curve([1.0, 0.1, 0.01], [0.6, np.nan, 0.7])
    assert not ax.collections
    valid = ax.get_lines()[0]
    assert np.isnan(valid.get_ydata()[1])


def test_validation_curve_rejects_bad_input():
    with pytest.raises(ValueError, match="scores has 2 rows but alphas has 3"):
        plot_validation_curve([1.0, 0.1, 0.01], [0.5, 0.6])
    with pytest.raises(ValueError, match="train_scores"):
        plot_validation_curve([1.0, 0.1], [0.5, 0.6], train_scores=[0.5])
    with pytest.raises(ValueError, match="alphas"):
        plot_validation_curve([1.0, -0.1], [0.5, 0.6])


# -- plot_training_history ----------------------------------------------------------
@pytest.fixture
def history():
    return [
        {"epoch": e, "train_loss": 1.0 / e, "valid_loss": 1.0 / e + 0.02 * e,
         "valid_score": 0.5 + 0.05 * e}
        for e in range(1, 8)
    ]


def test_history_curves_axes_and_best_epoch(history):
    ax = plot_training_history(history, best_epoch=5)
    assert len(ax.figure.axes) == 2  # losses left, score on a twin right axis
    score_ax = next(a for a in ax.figure.axes if a is not ax)
    by_label = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(by_label["train_loss"].get_xdata(), range(1, 8))
    np.testing.assert_allclose(
        by_label["valid_loss"].get_ydata(), [r["valid_loss"] for r in history]
    )
    (score_line,) = score_ax.get_lines()
    np.testing.assert_allclose(score_line.get_ydata(), [r["valid_score"] for r in history])
    best = by_label["best epoch = 5"]
    assert best.get_xdata()[0] == 5
    assert _tick_texts(score_ax.get_legend().get_texts()) == [
        "train_loss", "valid_loss", "valid_score", "best epoch = 5",
    ]


def test_history_without_epoch_key_and_with_gaps():
    history = [{"train_loss": 0.9}, {"train_loss": 0.8, "valid_score": 0.6},
               {"train_loss": 0.7, "valid_score": None}]
    ax = plot_training_history(history, metrics=("train_loss", "valid_score"))
    lines = [line for a in ax.figure.axes for line in a.get_lines()]
    np.testing.assert_allclose(lines[0].get_xdata(), [1, 2, 3])
    score = next(line for line in lines if line.get_label() == "valid_score")
    assert np.isnan(score.get_ydata()[[0, 2]]).all()
    assert score.get_ydata()[1] == pytest.approx(0.6)

    only_losses = plot_training_history(history, metrics=("train_loss",))
    assert len(only_losses.figure.axes) == 1


def test_history_rejects_bad_input(history):
    with pytest.raises(ValueError, match="history is empty"):
        plot_training_history([])
    with pytest.raises(ValueError, match=r"history\[0\]"):
        plot_training_history([0.5])
    with pytest.raises(ValueError, match="'valid_auroc'.*available keys"):
        plot_training_history(history, metrics=("valid_auroc",))
    with pytest.raises(ValueError, match="best_epoch=99"):
        plot_training_history(history, best_epoch=99)
    with pytest.raises(ValueError, match=r"history\[1\]\['train_loss'\]"):
        plot_training_history(
            [{"train_loss": 1.0}, {"train_loss": "high"}], metrics=("train_loss",)
        )


# -- plot_selection_stability -------------------------------------------------------
@pytest.fixture
def selection():
    return pd.DataFrame(
        {
            "seed 0": [True, False, True, False, True],
            "seed 1": [True, False, False, False, True],
            "seed 2": [True, True, False, False, False],
            "seed 3": [True, False, True, False, True],
        },
        index=["SYSBP1", "genetic_3", "AGE1", "DIAB_1.0", "genetic_0"],
    )


def _bars_by_label(ax):
    names = _tick_texts(ax.get_yticklabels())
    positions = ax.get_yticks()
    bars = ax.containers[0]
    by_y = {round(bar.get_y() + bar.get_height() / 2): bar for bar in bars}
    return {name: by_y[round(y)] for name, y in zip(names, positions)}


def test_stability_bar_lengths_are_selection_frequencies(selection):
    ax = plot_selection_stability(selection)
    bars = _bars_by_label(ax)
    expected = selection.mean(axis=1)
    assert {name: bar.get_width() for name, bar in bars.items()} == pytest.approx(
        expected.to_dict()
    )
    # Sorted: most often selected on top (the y axis is inverted); ties keep order.
    assert _tick_texts(ax.get_yticklabels()) == [
        "SYSBP1", "genetic_0", "AGE1", "genetic_3", "DIAB_1.0",
    ]
    assert ax.yaxis_inverted()
    assert [t.get_text() for t in ax.texts] == ["4/4", "3/4", "2/4", "1/4", "0/4"]


def test_stability_highlights_true_variables(selection):
    ax = plot_selection_stability(selection, truth={"SYSBP1", "DIAB_1.0"}, sort=False)
    assert _tick_texts(ax.get_yticklabels()) == list(selection.index)
    bars = _bars_by_label(ax)
    true_color = bars["SYSBP1"].get_facecolor()
    assert bars["DIAB_1.0"].get_facecolor() == true_color
    for name in ("genetic_3", "AGE1", "genetic_0"):
        assert bars[name].get_facecolor() != true_color
    assert _tick_texts(ax.get_legend().get_texts()) == ["true variable", "other variable"]


def test_stability_accepts_zero_one_integers(selection):
    ax = plot_selection_stability(selection.astype(int))
    widths = sorted(bar.get_width() for bar in ax.containers[0])
    assert widths == pytest.approx(sorted(selection.mean(axis=1)))


def test_stability_rejects_bad_input(selection):
    with pytest.raises(ValueError, match="selection must be a pandas DataFrame"):
        plot_selection_stability(selection.to_numpy())
    with pytest.raises(ValueError, match="booleans"):
        plot_selection_stability(selection.astype(int) * 2)
    with pytest.raises(ValueError, match="missing values"):
        plot_selection_stability(selection.where(selection, np.nan))
    with pytest.raises(ValueError, match="truth.*'BMI1'"):
        plot_selection_stability(selection, truth={"SYSBP1", "BMI1"})
    with pytest.raises(ValueError, match="duplicate"):
        plot_selection_stability(selection.rename(index={"AGE1": "SYSBP1"}))


# -- save_figure --------------------------------------------------------------------
@pytest.fixture
def figure():
    return plot_weight_heatmap(np.eye(3), ["a", "b", "c"]).figure


def test_save_figure_writes_png_atomically(figure, tmp_path):
    target = tmp_path / "weights.png"
    out = save_figure(figure, target)
    assert out == target
    assert target.read_bytes()[:8] == PNG_MAGIC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.png"]

    # Overwriting replaces the file and still leaves nothing else behind.
    save_figure(figure, str(target), dpi=50)
    assert target.read_bytes()[:8] == PNG_MAGIC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.png"]


def test_save_figure_format_from_extension_and_parents(figure, tmp_path):
    save_figure(figure, tmp_path / "run" / "plots" / "weights.PDF")
    assert (tmp_path / "run" / "plots" / "weights.PDF").read_bytes()[:5] == b"%PDF-"
    save_figure(figure, tmp_path / "weights.svg")
    assert b"<svg" in (tmp_path / "weights.svg").read_bytes()[:2000]


def test_save_figure_gives_ordinary_permissions(figure, tmp_path):
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    old = os.umask(0o022)
    try:
        target = save_figure(figure, tmp_path / "weights.png")
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644


def test_failed_save_leaves_no_file(figure, tmp_path, monkeypatch):
    def broken_savefig(handle, **kwargs):
        handle.write(PNG_MAGIC + b"half a picture")
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        save_figure(figure, tmp_path / "weights.png")
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_previous_file(figure, tmp_path, monkeypatch):
    target = tmp_path / "weights.png"
    target.write_bytes(b"previous")

    def broken_savefig(handle, **kwargs):
        handle.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(figure, "savefig", broken_savefig)
    with pytest.raises(KeyboardInterrupt):
        save_figure(figure, target)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["weights.png"]


def test_save_figure_rejects_bad_input(figure, tmp_path):
    with pytest.raises(ValueError, match="no extension"):
        save_figure(figure, tmp_path / "weights")
    with pytest.raises(ValueError, match="cannot write 'docx'"):
        save_figure(figure, tmp_path / "weights.docx")
    with pytest.raises(ValueError, match="dpi"):
        save_figure(figure, tmp_path / "weights.png", dpi=0)
    with pytest.raises(TypeError, match="ax.figure"):
        save_figure(figure.axes[0], tmp_path / "weights.png")
    assert list(tmp_path.iterdir()) == []


# -- package ------------------------------------------------------------------------
def test_public_api_is_explicit():
    assert sorted(plotting.__all__) == sorted(
        [
            "plot_weight_heatmap",
            "plot_heatmap_panels",
            "plot_regularization_path",
            "plot_validation_curve",
            "plot_training_history",
            "plot_selection_stability",
            "plot_snp_weights",
            "plot_test_curves",
            "save_figure",
        ]
    )
    for name in plotting.__all__:
        assert callable(getattr(plotting, name))


@pytest.mark.parametrize("module", [_heatmap, _paths, _stability, _io, _manhattan,
                                    _curves])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


def test_calls_leave_pyplot_untouched(weights, labels, selection, history, tmp_path):
    before = plt.get_fignums()
    plot_heatmap_panels({"a": weights}, labels)
    plot_regularization_path([1.0, 0.1], np.ones((2, 2)))
    plot_validation_curve([1.0, 0.1], [0.5, 0.6])
    plot_training_history(history)
    plot_snp_weights(["1", "2"], [10, 20], [0.0, 1.0])
    ax = plot_selection_stability(selection)
    save_figure(ax.figure, tmp_path / "stability.png")
    assert plt.get_fignums() == before
    assert Path(tmp_path / "stability.png").exists()


# -- SNP weights (Manhattan-style) -----------------------------------------------------
def test_snp_weights_lay_chromosomes_in_genome_order():
    ax = plot_snp_weights(["10", "2", "X", "2", "1"], [5, 100, 7, 300, 9],
                          [0.0, 0.5, 0.0, 0.2, 0.1], causal=[False, True, False, False,
                                                            True])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "10", "X"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["causal SNP"]


@pytest.mark.parametrize("norms, match", [([0.1, -1.0], ">= 0"), ([0.1], "same length")])
def test_snp_weights_refuse_bad_input(norms, match):
    with pytest.raises(ValueError, match=match):
        plot_snp_weights(["1", "1"], [1, 2], norms)
