"""Reusable panels: each draws one kind of plot onto a given matplotlib axes.

A panel serves more than one chapter (a chapter's own figures live in
``assocmem.chapters``); it takes an ``ax`` and data, labels the axes with symbols and
units, and returns what a caller may want to adjust (the artists, or the numbers drawn).
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection

from .style import PALETTE, to_numpy


def _bars(ax, x, heights, color, label: str):
    """Bars of width 1 centred on ``x`` from 0 to ``heights``, as one PolyCollection.

    Looks as ``ax.bar(x, heights, width=1.0, color=color, label=label)`` (the same rectangles,
    no edges, y = 0 sticky for the autoscale) but is one artist: making and drawing it does not
    cost a Python object per bar, so a panel of hundreds of bars redraws quickly.
    """
    x, heights = np.asarray(x, float), np.asarray(heights, float)
    left, right = x - 0.5, x + 0.5
    zero = np.zeros_like(x)
    verts = np.stack([np.stack([left, zero], -1), np.stack([right, zero], -1),
                      np.stack([right, heights], -1), np.stack([left, heights], -1)], axis=1)  # (n, 4, 2)
    bars = PolyCollection(verts, facecolors=color, edgecolors="none", linewidths=0.0, label=label)
    bars.sticky_edges.y.append(0.0)
    ax.add_collection(bars, autolim=True)
    ax._request_autoscale_view()
    return bars


def token_margins(ax, margins, freqs, title: str | None = None) -> None:
    """Per-token margins against token rank (tokens sorted by frequency), misclassified ones highlighted."""
    m, p = to_numpy(margins), to_numpy(freqs)
    order = np.argsort(-p, kind="stable")
    m, rank = m[order], np.arange(1, len(m) + 1)
    ok = m > 0
    _bars(ax, rank[ok], m[ok], PALETTE[0], "correct (margin > 0)")
    _bars(ax, rank[~ok], m[~ok], PALETTE[1], "misclassified (margin ≤ 0)")
    ax.axhline(0.0, color="#333333", linewidth=0.8)
    ax.set_xlabel("token rank x (1 = most frequent)")
    ax.set_ylabel("margin $m_{W_1}(x)$ (logits)")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper right")


def error_by_frequency(ax, misclassified, freqs, groups: int = 5, title: str | None = None) -> np.ndarray:
    """Fraction of misclassified tokens in frequency groups (quantiles of rank); returns the fractions."""
    wrong, p = to_numpy(misclassified).astype(float), to_numpy(freqs)
    order = np.argsort(-p, kind="stable")
    fractions = np.array([chunk.mean() for chunk in np.array_split(wrong[order], groups)])
    labels = [f"{100 * i // groups}–{100 * (i + 1) // groups}%" for i in range(groups)]
    ax.bar(labels, fractions, color=PALETTE[1])
    ax.set_ylim(0, 1)
    ax.set_xlabel("tokens by frequency rank (most frequent first)")
    ax.set_ylabel("fraction misclassified")
    if title:
        ax.set_title(title)
    return fractions


def landscape(ax, land, scale: float = 1.0, levels: int = 15, title: str | None = None, colorbar: bool = True):
    """Loss contours (times ``scale``) over the 0-1 loss shaded in grey, on a ``landscape.Landscape``."""
    g0, g1 = to_numpy(land.g0), to_numpy(land.g1)
    shade = ax.pcolormesh(g0, g1, to_numpy(land.zero_one), cmap="Greys", vmin=0, vmax=1, shading="auto", alpha=0.55, rasterized=True)
    lines = ax.contour(g0, g1, scale * to_numpy(land.loss), levels=levels, cmap="viridis", linewidths=0.9)
    ax.clabel(lines, fontsize=6, fmt="%.2g")
    ax.set_xlabel(r"$\gamma_0$")
    ax.set_ylabel(r"$\gamma_1$")
    ax.grid(False)
    if colorbar:
        ax.figure.colorbar(shade, ax=ax, label="0-1 loss (shade)", shrink=0.8)
    if title:
        ax.set_title(title)
    return lines


def trajectory(ax, gammas, label: str | None = None, color=None, marker: str = "o"):
    """A path of gamma points (T, 2), start marked with a square and end with a star."""
    g = to_numpy(gammas)
    (line,) = ax.plot(g[:, 0], g[:, 1], marker=marker, markersize=2.5, linewidth=1.0, label=label, color=color)
    ax.plot(g[0, 0], g[0, 1], "s", color=line.get_color(), markersize=5)
    ax.plot(g[-1, 0], g[-1, 1], "*", color=line.get_color(), markersize=9)
    return line
