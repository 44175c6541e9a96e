"""The weight heat maps of riata.plotting: exact zeros in black, labels, scales, panels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before pyplot: the test suite must never need a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from riata.plotting import (  # noqa: E402  # noqa: E402
    _heatmap,
    plot_heatmap_panels,
    plot_weight_heatmap,
)

from ._helpers import _heatmap_axes, _pixel, _tick_texts  # noqa: E402


# -- plot_weight_heatmap ------------------------------------------------------------
def test_heatmap_masks_exactly_the_zero_weights(weights, labels):
    ax = plot_weight_heatmap(weights, labels)
    drawn = ax.images[0].get_array()
    assert np.ma.isMaskedArray(drawn)
    np.testing.assert_array_equal(np.ma.getmaskarray(drawn), weights == 0.0)
    assert not drawn.mask[5, 3], "a 1e-6 weight must not be treated as zero"
    np.testing.assert_array_equal(drawn.data, weights)


def test_heatmap_renders_zero_black_and_tiny_weight_light(weights, labels):
    ax = plot_weight_heatmap(weights, labels)
    zero = _pixel(ax, col=2, row=4)
    tiny = _pixel(ax, col=3, row=5)
    assert np.all(zero[:3] < 0.05), zero
    # The centre of the diverging map: near white, far from the zero colour.
    assert np.all(tiny[:3] > 0.85), tiny
    assert np.abs(zero[:3] - tiny[:3]).sum() > 2.4


def test_heatmap_zero_color_is_the_bad_color(weights, labels):
    ax = plot_weight_heatmap(weights, labels, zero_color="magenta")
    assert ax.images[0].cmap.get_bad() == pytest.approx(to_rgba("magenta"))
    np.testing.assert_allclose(_pixel(ax, col=0, row=1), to_rgba("magenta"), atol=0.02)


def test_heatmap_row_and_column_labels(weights, labels):
    ax = plot_weight_heatmap(weights, labels, title="group lasso")
    assert _tick_texts(ax.get_yticklabels()) == labels
    np.testing.assert_array_equal(ax.get_yticks(), np.arange(len(labels)))
    np.testing.assert_array_equal(ax.get_xticks(), np.arange(weights.shape[1]))
    assert ax.get_title() == "group lasso"
    assert ax.get_xlabel() == "hidden unit"


def test_heatmap_scale_is_symmetric(weights, labels):
    ax = plot_weight_heatmap(weights, labels)
    largest = np.abs(weights).max()
    assert ax.images[0].get_clim() == pytest.approx((-largest, largest))
    ax = plot_weight_heatmap(weights, labels, vmax=0.5)
    assert ax.images[0].get_clim() == pytest.approx((-0.5, 0.5))


def test_heatmap_of_all_zero_matrix_is_all_masked():
    ax = plot_weight_heatmap(np.zeros((3, 2)), ["a", "b", "c"])
    assert ax.images[0].get_array().mask.all()
    assert ax.images[0].get_clim() == pytest.approx((-1.0, 1.0))


def test_heatmap_colorbar_and_zero_legend(weights, labels):
    ax = plot_weight_heatmap(weights, labels)
    assert len(ax.figure.axes) == 2  # heat map and colour bar
    assert _tick_texts(ax.get_legend().get_texts()) == ["exactly zero"]

    bare = plot_weight_heatmap(weights, labels, colorbar=False, zero_legend=False)
    assert len(bare.figure.axes) == 1
    assert bare.get_legend() is None


def test_heatmap_draws_on_given_axes_without_pyplot_state(weights, labels):
    before = plt.get_fignums()
    ax = plot_weight_heatmap(weights, labels)
    assert isinstance(ax.figure, Figure)
    assert plt.get_fignums() == before, "no figure may be registered with pyplot"

    fig, given = plt.subplots()
    assert plot_weight_heatmap(weights, labels, ax=given) is given
    assert given.images


def test_heatmap_labels_a_subset_of_many_rows():
    n = 500
    names = [f"snp_{i}" for i in range(n)]
    ax = plot_weight_heatmap(np.ones((n, 3)), names, colorbar=False)
    texts = _tick_texts(ax.get_yticklabels())
    assert 50 <= len(texts) <= 120
    assert texts[0] == "snp_0"
    ticks = ax.get_yticks().astype(int)
    assert texts == [names[i] for i in ticks]


@pytest.mark.parametrize(
    ("weights", "row_labels", "match"),
    [
        (np.ones(3), ["a", "b", "c"], "weights must be 2-dimensional"),
        (np.ones((2, 2, 2)), ["a", "b"], "weights must be 2-dimensional"),
        (np.ones((3, 2)), ["a", "b"], "row_labels has 2 labels.*weights has 3 rows"),
        (np.ones((3, 2)), "abc", "row_labels"),
        (np.ones((3, 2)), None, "row_labels"),
        (np.array([[1.0, np.nan]]), ["a"], "weights contains 1 non-finite"),
        (np.ones((0, 2)), [], "weights is empty"),
    ],
)
def test_heatmap_rejects_bad_input(weights, row_labels, match):
    with pytest.raises(ValueError, match=match):
        plot_weight_heatmap(weights, row_labels)


def test_heatmap_points_out_a_transposed_torch_weight(labels):
    torch_layout = np.ones((5, len(labels)))  # (out_features, in_features)
    with pytest.raises(ValueError, match="row_labels.*transposed.*weight.T"):
        plot_weight_heatmap(torch_layout, labels)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"vmax": 0}, "vmax"),
        ({"vmax": float("nan")}, "vmax"),
        ({"cmap": "not_a_colormap"}, "cmap"),
        ({"zero_color": "not_a_color"}, "zero_color"),
    ],
)
def test_heatmap_rejects_bad_options(weights, labels, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_weight_heatmap(weights, labels, **kwargs)


# -- plot_heatmap_panels ------------------------------------------------------------
def _study_panels(weights):
    return {
        "none": weights,
        "L1": np.where(np.abs(weights) < 0.5, 0.0, weights),
        "L2": 0.01 * weights,
        "elastic net": np.where(np.abs(weights) < 0.3, 0.0, weights),
        "group lasso seed a": np.where(np.arange(7)[:, None] % 2 == 0, 0.0, weights),
        "group lasso seed b": np.where(np.arange(7)[:, None] % 3 == 0, 0.0, weights),
    }


def test_panels_are_lettered_and_titled(weights, labels):
    panels = _study_panels(weights)
    fig = plot_heatmap_panels(panels, labels, suptitle="first layer")
    heat = _heatmap_axes(fig)
    assert len(heat) == 6
    assert [ax.get_title(loc="left") for ax in heat] == list("ABCDEF")
    assert [ax.get_title() for ax in heat] == list(panels)
    assert len(fig.axes) == 12  # one colour bar per panel
    assert fig.get_suptitle() == "first layer"
    for ax, matrix in zip(heat, panels.values()):
        np.testing.assert_array_equal(ax.images[0].get_array().mask, matrix == 0.0)


def test_panels_label_rows_on_left_column_only(weights, labels):
    fig = plot_heatmap_panels(_study_panels(weights), labels, ncols=3)
    heat = _heatmap_axes(fig)
    for index, ax in enumerate(heat):
        visible = [t.label1.get_visible() for t in ax.yaxis.get_major_ticks()]
        if index % 3 == 0:
            assert all(visible)
            assert _tick_texts(ax.get_yticklabels()) == labels
        else:
            assert not any(visible)
        # All panels keep aligned row ticks.
        np.testing.assert_array_equal(ax.get_yticks(), np.arange(len(labels)))


def test_panels_shared_scale_has_one_colorbar_and_one_range(weights, labels):
    panels = _study_panels(weights)
    fig = plot_heatmap_panels(panels, labels, shared_scale=True, ncols=2)
    heat = _heatmap_axes(fig)
    assert len(heat) == 6 and len(fig.axes) == 7
    largest = max(np.abs(w).max() for w in panels.values())
    for ax in heat:
        assert ax.images[0].get_clim() == pytest.approx((-largest, largest))

    own = _heatmap_axes(plot_heatmap_panels(panels, labels))
    assert own[2].images[0].get_clim() == pytest.approx(
        (-np.abs(panels["L2"]).max(), np.abs(panels["L2"]).max())
    )


def test_panels_drop_unused_grid_cells(weights, labels):
    panels = dict(list(_study_panels(weights).items())[:5])
    fig = plot_heatmap_panels(panels, labels, ncols=3)
    assert len(_heatmap_axes(fig)) == 5
    assert sum(1 for ax in fig.axes if ax.images) == 5


def test_panel_letters_continue_past_z():
    assert [_heatmap._panel_letter(i) for i in (0, 5, 25, 26, 27)] == [
        "A", "F", "Z", "AA", "AB",
    ]


def test_panels_reject_bad_input(weights, labels):
    with pytest.raises(ValueError, match="panels must be a non-empty mapping"):
        plot_heatmap_panels({}, labels)
    with pytest.raises(ValueError, match=r"panels\['L1'\]"):
        plot_heatmap_panels({"none": weights, "L1": weights[:-1]}, labels)
    with pytest.raises(ValueError, match="ncols"):
        plot_heatmap_panels({"none": weights}, labels, ncols=0)
