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

# Set (to "1") by assocmem.sphinxext.pages for the kernels that execute the chapters for the built
# page: only then does glue_figure render the stacked (phone) variant of a figure; a live session
# never does (one figure per call, no extra render time). The same variable as
# assocmem.viz.widgets.STATIC_VARIABLE: both mean "this kernel runs for the page".
PAGE_VARIABLE = "ASSOCMEM_STATIC_WIDGETS"

# The stacked variant: at least this many panels in one row; this width (inches), which at the house
# 150 dpi and a phone's ~360 px column shows the 10 pt text at about 12 px; each panel's height
# keeps its wide aspect ratio within these bounds (inches).
STACK_MIN_PANELS = 3
STACK_WIDTH = 4.2
STACK_PANEL_HEIGHT = (2.4, 3.6)
STACK_LEGEND_COLUMNS = 2


def _is_colorbar(ax) -> bool:
    return ax.get_label() == "<colorbar>" or hasattr(ax, "_colorbar") or hasattr(ax, "_colorbar_info")


def _row_panels(fig) -> list[list] | None:
    """The panels of ``fig`` left to right when its axes form one row of >= STACK_MIN_PANELS, else None.

    A panel is the axes that share one grid cell (a twin axis counts with its host); colour bars are
    not panels (constrained layout keeps each next to its parent axes). Axes placed by hand
    (``fig.add_axes``), subfigures or a grid of more than one row: None.
    """
    if getattr(fig, "subfigs", None):
        return None
    cells: dict = {}
    gridspec = None
    for ax in fig.axes:
        if _is_colorbar(ax):
            continue
        spec = ax.get_subplotspec()
        if spec is None:
            return None
        grid = spec.get_topmost_subplotspec().get_gridspec()
        if gridspec is None:
            gridspec = grid
        elif grid is not gridspec:
            return None
        cells.setdefault((spec.rowspan.start, spec.rowspan.stop, spec.colspan.start, spec.colspan.stop), []).append(ax)
    if len(cells) < STACK_MIN_PANELS or len({key[:2] for key in cells}) != 1:
        return None
    return [cells[key] for key in sorted(cells, key=lambda key: key[2])]


def _narrow_legends(fig, ncols: int = STACK_LEGEND_COLUMNS) -> None:
    """Figure-level legends of more than ``ncols`` columns made again with ``ncols`` (same entries,
    place, font size and title): a row of six entries under a phone-wide figure would set its width."""
    from matplotlib.legend import Legend

    names = {code: name for name, code in Legend.codes.items()}
    for legend in list(fig.legends):
        if legend._ncols <= ncols or not legend.texts:
            continue
        loc = names.get(legend._loc, legend._loc)
        if legend._outside_loc and isinstance(loc, str):
            loc = f"outside {loc}"
        title = legend.get_title().get_text() or None
        handles, labels = list(legend.legend_handles), [text.get_text() for text in legend.texts]
        fontsize = legend.texts[0].get_fontsize()
        legend.remove()
        fig.legend(handles, labels, loc=loc, ncols=ncols, fontsize=fontsize, title=title)


def _separate_rows(fig, panels, tries: int = 3, gap_px: float = 8.0) -> None:
    """More space between the stacked rows while one panel's outer parts (a legend under its axes,
    anchored at a fraction of the axes' height) reach into the next: constrained layout's own pass
    can leave them overlapping when the anchored offset changes with the height it assigns."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from matplotlib.transforms import Bbox

    engine = fig.get_layout_engine()
    if not isinstance(engine, ConstrainedLayoutEngine):
        return
    for _ in range(tries):
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        boxes = [Bbox.union([ax.get_tightbbox(renderer) for ax in axes]) for axes in panels]
        overlap = max(lower.y1 - upper.y0 for upper, lower in zip(boxes, boxes[1:]))
        if overlap <= 0:
            return
        engine.set(hspace=engine.get()["hspace"] + (overlap + gap_px) / fig.bbox.height)


def stacked_figure(fig, copy: bool = True):
    """The phone variant of a one-row figure of >= 3 panels: the same panels one above another.

    Returns a figure ``STACK_WIDTH`` inches wide with the panels in an (n, 1) grid, top to bottom
    in their left-to-right order, each with every title, label, legend, colour bar and inset it had (a figure legend of
    more than two columns is set in two);
    the layout engine (constrained layout) places them again. Returns None for a figure that is not
    one row of >= STACK_MIN_PANELS panels (it reads well on a phone as it is, or stacking it would
    not be what its author meant). ``copy=True`` restacks a copy (pickle) and leaves ``fig`` as it
    is; ``copy=False`` restacks ``fig`` itself (glue_figure, after its wide PNG is made).
    """
    import pickle

    from matplotlib.gridspec import GridSpec

    if _row_panels(fig) is None:
        return None
    if copy:
        fig = pickle.loads(pickle.dumps(fig))
    panels = _row_panels(fig)
    n = len(panels)
    width, height = fig.get_size_inches()
    panel_width = width / n
    panel_height = float(np.clip(height * STACK_WIDTH / panel_width, *STACK_PANEL_HEIGHT))
    grid = GridSpec(n, 1, figure=fig)
    for row, axes in enumerate(panels):
        for ax in axes:
            ax.set_subplotspec(grid[row, 0])
            # Shared y axes in a row hide the tick labels of all but the first panel: stacked, each
            # panel stands alone and shows its own.
            if len(ax.get_shared_y_axes().get_siblings(ax)) > 1:
                ax.tick_params(axis="y", labelleft=True)
    _narrow_legends(fig)
    fig.set_size_inches(STACK_WIDTH, n * panel_height + 0.2)
    if fig.get_layout_engine() is None:
        fig.set_layout_engine("constrained")
    _separate_rows(fig, panels)
    return fig


def _png(fig):
    from IPython.core.formatters import format_display_data

    bundle, metadata = format_display_data(fig)
    return bundle.get("image/png"), bundle.get("text/plain"), metadata


def glue_figure(name: str, fig, stacked: bool | None = None) -> None:
    """Glue ``fig`` for a ``{glue:figure}`` directive, show it in the cell that made it, and close it.

    One output does both: the PNG is rendered once, carries myst-nb's glue key (``scrapbook``)
    so ``{glue:figure} name`` finds it, and the :data:`NOTEBOOK_ONLY` mark so the book's
    renderer leaves it out of the cell's output on the page (no figure twice). In Jupyter the
    output is an ordinary ``image/png`` display: the figure shows where the code made it.

    For the page (``stacked=None``: when :data:`PAGE_VARIABLE` is set) a figure of one row of
    three or more panels also gets its stacked variant (:func:`stacked_figure`), a second PNG in
    the output's metadata (``assocmem.stacked``, base64) that Jupyter ignores and
    :mod:`assocmem.sphinxext.render` turns into the image a phone shows (a ``<picture>`` source).
    """
    import os

    from IPython.display import display

    if stacked is None:
        stacked = os.environ.get(PAGE_VARIABLE, "") not in ("", "0")
    png, text, metadata = _png(fig)
    bundle = {mime: data for mime, data in (("image/png", png), ("text/plain", text)) if data is not None}
    mark = dict(NOTEBOOK_ONLY["assocmem"])
    if stacked and png is not None and stacked_figure(fig, copy=False) is not None:
        mark["stacked"] = _png(fig)[0]
    metadata = dict(metadata or {}) | {"scrapbook": {"name": name, "mime_prefix": ""}, "assocmem": mark}
    display(bundle, raw=True, metadata=metadata)
    plt.close(fig)


__all__ = ["PALETTE", "STYLE", "use_style", "style", "to_numpy", "figure", "glue_figure", "NOTEBOOK_ONLY",
           "PAGE_VARIABLE", "stacked_figure"]
