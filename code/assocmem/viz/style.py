"""One house style for every figure of the book.

Figures have an opaque white background so that they read the same on the light
and the dark theme, labelled axes, and a colour-blind-safe palette (Okabe-Ito).
"""

from __future__ import annotations

from contextlib import contextmanager

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch

PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#111111",
    "text.color": "#111111",
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "font.size": 10,
    "axes.titlesize": 10,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "figure.constrained_layout.use": True,
}


def use_style() -> None:
    """Apply the house style to every later figure (chapters call this once)."""
    mpl.rcParams.update(STYLE)


@contextmanager
def style():
    """Apply the house style inside a ``with`` block only."""
    with mpl.rc_context(STYLE):
        yield


def to_numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def figure(ncols: int = 1, nrows: int = 1, width: float | None = None, height: float | None = None, **kwargs):
    """A figure in the house style with an (nrows, ncols) grid of axes."""
    size = (width or 3.4 * ncols + 0.6, height or 3.0 * nrows + 0.4)
    with style():
        return plt.subplots(nrows, ncols, figsize=size, squeeze=False, **kwargs)


# Output metadata that marks a figure shown in a notebook cell but not on the built page: the
# page shows it once, where its ``{glue:figure}`` directive places it (assocmem.sphinxext.render
# drops marked outputs from the page; Jupyter, Colab and Binder show them in the cell).
NOTEBOOK_ONLY = {"assocmem": {"page": "notebook-only"}}


def glue_figure(name: str, fig) -> None:
    """Glue ``fig`` for a ``{glue:figure}`` directive, show it in the cell that made it, and close it.

    One output does both: the PNG is rendered once, carries myst-nb's glue key (``scrapbook``)
    so ``{glue:figure} name`` finds it, and the :data:`NOTEBOOK_ONLY` mark so the book's
    renderer leaves it out of the cell's output on the page (no figure twice). In Jupyter the
    output is an ordinary ``image/png`` display: the figure shows where the code made it.
    """
    from IPython.core.formatters import format_display_data
    from IPython.display import display

    bundle, metadata = format_display_data(fig)
    bundle = {mime: data for mime, data in bundle.items() if mime in ("image/png", "text/plain")}
    metadata = dict(metadata or {}) | {"scrapbook": {"name": name, "mime_prefix": ""}} | NOTEBOOK_ONLY
    display(bundle, raw=True, metadata=metadata)
    plt.close(fig)


__all__ = ["PALETTE", "STYLE", "use_style", "style", "to_numpy", "figure", "glue_figure", "NOTEBOOK_ONLY"]
