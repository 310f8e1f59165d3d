"""Every chapter widget with an ``update``: updating a figure drawn for values A to values B gives the
same image as ``draw(**B)`` laid out like the first figure (the frame's path without ``update``),
so the fast path cannot drift from the figure the chapter defines."""

from __future__ import annotations

import functools
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from assocmem.viz import gallery, widgets  # noqa: E402

#: widget name -> moves to values B (changes from the defaults), towards the controls' extremes
MOVES = {
    "hopfield-load": [{"load": 0.3, "flip_prob": 0.4}],
    "many-particles-run": [{"d": 3, "step_size": 100.0, "steps": 300}],
    "particle-margins": [{"step_size": 1000.0, "exponent": 0.0, "num_classes": 2}],
    "induction-step-size": [{"step_size": "FIRST"}, {"step_size": 50.0}],
    "scaling-capacity": [{"dim": 16, "num_samples": 1000000, "exponent": 1.2, "estimator": "threshold"}],
    "sequence-recall": [{"dim": 300, "length": 400, "interaction": "exp"}],
    "one-step-margins": [{"n": 400, "dim": 2, "exponent": 2.5, "step_size": 1000.0}],
    "two-particle-gd": [{"alpha": -0.95, "p1": 0.95, "step_size": 100.0}, {"step_size": 0.1}],
    "diffusion-attractors": [{"K": 8, "sigma": 0.2}],
    "random-features-slice": [{"num_features": 64, "beta": 8.0}],
    "modern-beta": [{"beta": 64.0, "M": 10}],
    "clustering-beta": [{"beta": 100.0, "model": "FIRST"}],
    "sdm-k": [{"k": 1}, {"k": 100}],
}

#: widgets still redrawn by ``draw`` alone (no ``update`` yet): they switch precomputed results
NO_UPDATE = {"energy-transformer-steps", "spherical-codes"}

#: widget name -> its chapter, the xdist group of its tests
CHAPTERS = {name: entry.chapter for name, entry in gallery.widget_entries().items()}


@functools.cache
def _widget(name):
    return gallery.widgets()[name]()


def _differ(updated, fresh) -> float:
    assert updated.shape == fresh.shape
    return float((np.abs(updated - fresh).max(-1) > 0).mean())


def _image(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def _update_and_draw(widget, values):
    frame = widget.frame
    first = frame.draw(**widget.values())
    plt.close(first)
    widgets.png(first)  # laid out by its engine, as the frame's first render
    layout = widgets._Layout()
    layout.remember(first)
    widgets.freeze_layout(first)
    frame.update(first, **widget.values())  # back and forth: an update must leave what the next one needs
    frame.update(first, **values)
    updated = _image(widgets.png(first))
    fresh = frame.draw(**values)
    plt.close(fresh)
    assert layout.apply(fresh), "draw made different axes for the new values"
    return updated, _image(widgets.png(fresh))


def test_every_widget_has_moves():
    assert set(MOVES) >= set(gallery.widgets()) - NO_UPDATE


# grouped by chapter with the chapter's figure tests (tests/test_cli.py), which share its cached runs
@pytest.mark.parametrize("name, index", [pytest.param(n, i, marks=pytest.mark.xdist_group(CHAPTERS.get(n, n)))
                                         for n, moves in MOVES.items() for i in range(len(moves))])
def test_update_gives_the_figure_draw_gives(name, index):
    widget = _widget(name)
    assert widget.frame.update is not None, f"{name} has no update function"
    values = widget.values() | MOVES[name][index]
    for key, value in values.items():
        if value == "FIRST":  # the first option of a selection
            values[key] = widget.controls[key].options[0]
    differ = _differ(*_update_and_draw(widget, values))
    assert differ == 0, f"{name}: {100 * differ:.2f} % of the pixels differ between update and draw for {values}"


def test_the_comparison_sees_an_update_that_drifts():
    widget = gallery.widgets()["hopfield-load"]()
    right = widget.frame.update

    def drifted(fig, **values):  # forgets the new title: a plausible bug
        title = fig.axes[0].get_title()
        right(fig, **values)
        fig.axes[0].set_title(title)

    widget.frame.update = drifted
    assert _differ(*_update_and_draw(widget, widget.values() | {"load": 0.3})) > 0
