"""Helpers shared by the plotting tests."""

from __future__ import annotations

import numpy as np


def _tick_texts(labels):
    return [t.get_text() for t in labels]


def _pixel(ax, col, row):
    """RGBA (0-1) of the rendered pixel at the centre of heat-map cell (row, col)."""
    fig = ax.figure
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    x, y = ax.transData.transform((col, row))
    return rgba[int(round(rgba.shape[0] - y)), int(round(x))] / 255.0


def _heatmap_axes(fig):
    return [ax for ax in fig.axes if ax.images and ax.get_title(loc="left")]
