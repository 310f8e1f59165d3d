"""The frame every chapter widget is built in: controls over one image of a figure.

A chapter builds its widget with ``figure_widget(draw, controls)`` and its controls with
``slider(...)``. The frame draws the figure for the default values when it is built (so the
executed notebook shows it), and redraws when a control moves.

The protocol
------------
``figure_widget(draw, controls, update=None, static=None)``

``draw(**values) -> Figure``
    Builds the figure for the controls' values (``values`` maps each key of ``controls`` to
    its value). Required. Called once when the widget is built, and on every change when
    there is no ``update``.
``update(fig, **values) -> None``  (optional: the fast path for dragging)
    Changes, in place, the artists of a figure that ``draw`` made so that it shows
    ``values``: ``line.set_data`` / ``set_ydata``, ``image.set_data``, ``text.set_text``,
    ``ax.set_ylim``, ... It must not add or remove axes. With ``update`` the frame keeps one
    figure, calls ``update`` on every change and re-renders that figure: no figure, axes or
    layout is built again, and the sliders follow a drag (``continuous_update``). Anything
    that a control does not change is best computed once, outside ``update`` (a closure
    over precomputed runs, or ``functools.lru_cache`` on the expensive call).
``static``  (what the built page shows)
    The page has no kernel, so at build time the frame precomputes the figure for a grid of
    values and the page's sliders switch between those images (plain JavaScript, offline).
    ``static={"step_size": [0.1, 1, 10]}`` names the grid: one list per control covered
    (the product of the lists, at most :data:`MAX_FRAMES` frames and :data:`MAX_BYTES` of
    PNG; a larger grid is thinned evenly). The default (``None``) covers the first control
    with :data:`DEFAULT_STEPS` values from its minimum to its maximum, plus its default;
    ``static={}`` covers none. Controls not covered are shown disabled at their default,
    with the note :data:`LIVE_NOTE`.

What the frame does for every widget, with or without ``update``:

- it renders the PNG itself, at a fixed :data:`DPI` and without ``bbox_inches="tight"``
  (one draw per render instead of two);
- it lays a figure out once: the first figure is laid out by its layout engine
  (constrained layout in the house style); a later figure from ``draw`` with the same
  axes takes those positions and no layout engine, and the figure kept for ``update``
  stops running its engine after its first render; a figure without a running engine is
  rendered in one draw (``savefig`` draws twice whenever a figure has a layout engine);
- it caches the PNG of every set of values already drawn (:data:`CACHE_SIZE` entries), so
  going back to a value, and every precomputed frame, costs nothing;
- it shows the PNG in an ``ipywidgets.Image`` whose value changes in place (no output area
  cleared and refilled, no flicker).

The static frames are computed only while the book is built (``ASSOCMEM_STATIC_WIDGETS=1``,
set by :mod:`assocmem.sphinxext.pages`); a live session never pays for them.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import math
import os
from collections import OrderedDict
from contextlib import contextmanager
from typing import Callable

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from .. import tiers

DPI = 100
CACHE_SIZE = 64
MAX_FRAMES = 30
MAX_BYTES = 2_000_000
DEFAULT_STEPS = 5
STATIC_VARIABLE = "ASSOCMEM_STATIC_WIDGETS"
LIVE_NOTE = "move this one in a live session (Binder, Colab, Live code)"
PAGE_MARK = {"assocmem": {"page": "static-widget"}}


def static_enabled() -> bool:
    """Whether widgets precompute their static frames (while the book is built)."""
    return os.environ.get(STATIC_VARIABLE, "") not in ("", "0")


def png(fig, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes at a fixed dpi, white background, no tight bounding box.

    A figure whose layout is frozen (no layout engine, or the placeholder that
    ``set_layout_engine("none")`` leaves) is drawn once; ``savefig`` would draw it twice
    (it draws once unrendered whenever the figure has any layout engine). A figure with a
    live layout engine goes through ``savefig``, whose first draw runs the engine.
    """
    buffer = io.BytesIO()
    engine = fig.get_layout_engine()
    if engine is not None and not isinstance(engine, PlaceHolderLayoutEngine):
        fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
        return buffer.getvalue()
    if fig.dpi != dpi:
        fig.set_dpi(dpi)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    facecolor = fig.get_facecolor()
    fig.set_facecolor("white")
    try:
        canvas.print_png(buffer)
    finally:
        fig.set_facecolor(facecolor)
    return buffer.getvalue()


def freeze_layout(fig) -> bool:
    """Keep the axes where the layout engine put them and stop running it (later renders draw once)."""
    try:
        fig.set_layout_engine("none")
    except RuntimeError:  # an engine that colour bars cannot leave: keep it
        return False
    return True


def clear_data(ax) -> None:
    """Remove what was plotted on ``ax`` (lines, collections, patches, images, texts, legend), keep the axes.

    An ``update`` calls it and then plots again with the code that ``draw`` uses, so the
    redrawn axes look as a new one would: the data limits restart empty (as after ``cla``),
    labels, scales, ticks and the axes' position are kept (no new axes, no layout).
    """
    for container in list(ax.containers):  # bars, error bars, stems: their legend entries go with them
        container.remove()
    for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.images, *ax.texts, *ax.artists]:
        if artist in ax.get_children():  # a contour set takes its labels (texts) with it
            artist.remove()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    ax.dataLim.set_points(np.array([[np.inf, np.inf], [-np.inf, -np.inf]]))
    ax.ignore_existing_data_limits = True
    ax.set_autoscale_on(True)
    ax._request_autoscale_view()


@contextmanager
def unlaid_out(*axes):
    """Inside the block the axes sit where a new figure's axes sit before its layout runs.

    For an ``update`` whose artists depend on the axes' size in pixels when they are made
    (contour labels are placed along the lines where they fit): plotting inside this block
    places them as ``draw`` does. The laid-out positions come back after the block.
    """
    kept = [ax.get_position(original=False).frozen() for ax in axes]
    try:
        for ax in axes:
            ax.set_position(ax.get_subplotspec().get_position(ax.figure))
        yield
    finally:
        for ax, bounds in zip(axes, kept):
            ax.set_position(bounds)


class _Layout:
    """Axes positions of the first laid-out figure, applied to later figures with the same axes."""

    def __init__(self):
        self.signature = None
        self.positions = None

    @staticmethod
    def _signature(fig):
        return (tuple(np.round(fig.get_size_inches(), 3)), tuple((type(ax).__name__, ax.get_label()) for ax in fig.axes))

    def remember(self, fig) -> None:
        self.signature = self._signature(fig)
        self.positions = [ax.get_position().bounds for ax in fig.axes]

    def apply(self, fig) -> bool:
        """Give ``fig`` the remembered positions and no layout engine; False when its axes differ."""
        if self.positions is None or self._signature(fig) != self.signature:
            return False
        if not freeze_layout(fig):
            return False
        for ax, bounds in zip(fig.axes, self.positions):
            ax.set_position(bounds)
        return True


class Frame:
    """Renders the figure for a set of control values, with one layout, a PNG cache and ``update``."""

    def __init__(self, draw: Callable, update: Callable | None = None, cache_size: int = CACHE_SIZE):
        self.draw, self.update = draw, update
        self.cache: OrderedDict = OrderedDict()
        self.cache_size = cache_size
        self.layout = _Layout()
        self.figure = None  # the one figure kept when there is an update function

    @staticmethod
    def key(values: dict):
        return tuple(sorted((name, repr(value)) for name, value in values.items()))

    def render(self, values: dict) -> bytes:
        key = self.key(values)
        if key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        # One torch thread: a redraw's tensors are small, and a second thread only spins (measured
        # up to 100x the CPU time of a clustering-widget redraw on two cores).
        with tiers.threads(1):
            data = self._render(values)
        self.cache[key] = data
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        return data

    def _render(self, values: dict) -> bytes:
        if self.update is not None and self.figure is not None:
            self.update(self.figure, **values)
            data = png(self.figure)
        else:
            fig = self.draw(**values)
            plt.close(fig)  # out of pyplot: the inline backend must not show it a second time
            if not isinstance(fig.canvas, FigureCanvasAgg):
                # one Agg canvas for the figure's life: its renderer keeps the text metrics it measured,
                # so the first update does not measure every label again on a fresh renderer
                FigureCanvasAgg(fig)
            if not self.layout.apply(fig):
                data = png(fig)  # laid out by its engine during this draw
                self.layout.remember(fig)
            else:
                data = png(fig)
            if self.update is not None:
                self.figure = fig
                freeze_layout(fig)  # laid out once: an update changes artists, not the layout
        return data


def _snap(control, value):
    if isinstance(control, w.IntSlider):
        step = control.step or 1
        return int(min(control.max, control.min + round((value - control.min) / step) * step))
    if isinstance(control, w.FloatLogSlider):
        step = control.step or 0
        exponent = math.log(value, control.base)
        if step:
            exponent = control.min + round((exponent - control.min) / step) * step
        return float(control.base ** exponent)
    step = getattr(control, "step", None)
    if step:
        value = control.min + round((value - control.min) / step) * step
    return float(np.round(value, 12))


def default_values(control, count: int = DEFAULT_STEPS) -> list:
    """``count`` values of a control from its minimum to its maximum, and its default (sorted, unique)."""
    if isinstance(control, w.Checkbox) or isinstance(control, w.ToggleButton):
        return [False, True]
    options = getattr(control, "options", None)
    if options is not None and not hasattr(control, "min"):
        labels = getattr(control, "_options_values", None) or [o[1] if isinstance(o, tuple) else o for o in options]
        return list(labels)[: max(count, 2) + 3]
    if isinstance(control, w.FloatLogSlider):
        grid = [control.base ** e for e in np.linspace(control.min, control.max, count)]
    else:
        grid = list(np.linspace(control.min, control.max, count))
    values = {_snap(control, v) for v in grid} | {control.value}
    return sorted(values)


def _thin(values: list, keep: int, default) -> list:
    """``keep`` values spread evenly over ``values``, the default among them."""
    if len(values) <= keep:
        return values
    picks = {int(round(i)) for i in np.linspace(0, len(values) - 1, max(keep, 2))}
    chosen = [values[i] for i in sorted(picks)]
    if default in values and default not in chosen:
        chosen[min(range(len(chosen)), key=lambda i: abs(values.index(chosen[i]) - values.index(default)))] = default
    return sorted(set(chosen), key=values.index)


def _label(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.3g}"
    return str(value)


def _description(control, name: str) -> str:
    return getattr(control, "description", "") or name


class FigureWidget(w.VBox):
    """The widget a chapter returns: controls over the figure image; on the page, its static version."""

    frame: Frame
    controls: dict
    static_grid: dict

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def _grid(self) -> dict:
        grid = {}
        for name, values in self.static_grid.items():
            if name not in self.controls:
                raise ValueError(f"static names the control {name!r}, which this widget does not have; "
                                 f"its controls are {', '.join(map(repr, self.controls))}")
            values = list(values)
            default = self.controls[name].value
            if default not in values:
                values = sorted(values + [default]) if all(isinstance(v, (int, float)) for v in values) else values + [default]
            grid[name] = values
        while grid and math.prod(len(v) for v in grid.values()) > MAX_FRAMES:
            longest = max(grid, key=lambda n: len(grid[n]))
            grid[longest] = _thin(grid[longest], len(grid[longest]) - 1, self.controls[longest].value)
        return grid

    def static_html(self) -> str:
        """The page's version: one image per grid point, range inputs that switch between them (see pages.py)."""
        grid = self._grid()
        defaults = self.values()
        names = list(grid)
        frames, total = [], 0
        for indices in itertools.product(*(range(len(grid[n])) for n in names)):
            values = dict(defaults) | {n: grid[n][i] for n, i in zip(names, indices)}
            data = self.frame.render(values)
            if total + len(data) > MAX_BYTES and frames:
                frames = None  # over the budget: fall back to a coarser grid below
                break
            total += len(data)
            frames.append((indices, values, data))
        if frames is None:
            longest = max(grid, key=lambda n: len(grid[n]))
            self.static_grid = {**grid, longest: _thin(grid[longest], max(2, len(grid[longest]) // 2), defaults[longest])}
            return self.static_html()
        rows = []
        for name, control in self.controls.items():
            label = html.escape(_description(control, name))
            if name in grid:
                values = grid[name]
                index = values.index(defaults[name]) if defaults[name] in values else 0
                labels = html.escape(json.dumps([_label(v) for v in values]))
                rows.append(
                    f'<div class="assocmem-static-control"><label>{label} '
                    f'<input type="range" min="0" max="{len(values) - 1}" step="1" value="{index}" '
                    f'data-control="{html.escape(name)}" data-labels="{labels}" aria-label="{label}"></label> '
                    f'<output>{html.escape(_label(values[index]))}</output></div>')
            else:
                rows.append(
                    f'<div class="assocmem-static-control assocmem-static-disabled"><label>{label} '
                    f'<input type="range" min="0" max="1" value="0" disabled aria-label="{label} (fixed on this page)"></label> '
                    f'<output>{html.escape(_label(defaults[name]))}</output> '
                    f'<span class="assocmem-static-note">{html.escape(LIVE_NOTE)}</span></div>')
        images = []
        default_key = ",".join(str(grid[n].index(defaults[n])) for n in names)
        for indices, values, data in frames:
            key = ",".join(map(str, indices))
            shown = ", ".join(f"{_description(self.controls[n], n)} = {_label(values[n])}" for n in self.controls)
            alt = html.escape(f"Figure drawn by the controls above, precomputed for {shown}.")
            hidden = "" if key == default_key else " hidden"
            images.append(f'<img src="data:image/png;base64,{base64.b64encode(data).decode()}" data-key="{key}" alt="{alt}"{hidden}>')
        note = ("the sliders switch between figures precomputed when the book was built"
                if names else "this page shows the figure for the default values")
        return (f'<div class="assocmem-static-widget" data-frames="{len(frames)}">'
                f'<div class="assocmem-static-controls">{"".join(rows)}</div>'
                f'<div class="assocmem-static-frames">{"".join(images)}</div>'
                f'<p class="assocmem-static-caption">Static page: {note}; in a live session every control redraws the figure.</p>'
                '</div>')

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        if data is None or not static_enabled():
            return data
        data["text/html"] = self.static_html()
        return data, PAGE_MARK


def figure_widget(draw: Callable[..., object], controls: dict[str, w.ValueWidget], update: Callable | None = None,
                  static: dict | None = None) -> FigureWidget:
    """Controls above the figure ``draw(**values)`` (see the module docstring for ``update`` and ``static``)."""
    frame = Frame(draw, update)
    image = w.Image(format="png", layout=w.Layout(max_width="100%", height="auto"))
    status = w.HTML()
    widget = FigureWidget([w.HBox(list(controls.values()), layout=w.Layout(flex_flow="row wrap")), image, status])
    widget.frame, widget.controls = frame, dict(controls)
    first = next(iter(controls), None)
    widget.static_grid = ({first: default_values(controls[first])} if first is not None else {}) if static is None else dict(static)

    def redraw(_change=None):
        try:
            image.value = frame.render(widget.values())
            status.value = ""
        except Exception as error:  # shown under the figure: a live reader sees why it did not change
            status.value = f"<code>{html.escape(type(error).__name__)}: {html.escape(str(error))}</code>"
            raise

    if update is not None:
        for control in controls.values():
            if hasattr(control, "continuous_update"):
                control.continuous_update = True
    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    return widget


def slider(kind, description, value, **kwargs):
    """An ipywidgets slider that updates on release, with its label shown in full.

    (The frame turns on ``continuous_update`` for a widget with an ``update`` function,
    which redraws fast enough to follow a drag.)
    """
    return kind(value=value, description=description, continuous_update=False, style={"description_width": "initial"}, **kwargs)


__all__ = ["figure_widget", "slider", "Frame", "FigureWidget", "default_values", "png", "static_enabled",
           "freeze_layout", "clear_data", "unlaid_out", "DPI", "MAX_FRAMES", "MAX_BYTES", "LIVE_NOTE"]
