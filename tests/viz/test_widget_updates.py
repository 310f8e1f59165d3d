"""Every chapter widget with an ``update``: updating a figure drawn for values A to values B gives the
same image as ``draw(**B)`` laid out like the first figure (the frame's path without ``update``),
so the fast path cannot drift from the figure the chapter defines."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from assocmem.viz import gallery, widgets  # noqa: E402

#: widget name -> (values B as changes from the defaults); one or more moves per widget
MOVES = {
    "hopfield-load": [{"load": 0.3, "flip_prob": 0.4}, {"load": 0.025}],
    "many-particles-run": [{"d": 3, "step_size": 100.0, "steps": 300}, {"seed": 7}],
    "particle-margins": [{"step_size": 1000.0, "exponent": 0.0, "num_classes": 2}, {"step_size": 0.01}],
    "induction-step-size": [{"step_size": "FIRST"}],
    "scaling-capacity": [{"dim": 16, "num_samples": 1000000, "exponent": 1.2, "estimator": "threshold"}, {"estimator": "seen"}],
    "sequence-recall": [{"dim": 300, "length": 400, "interaction": "exp"}, {"dim": 20, "length": 2, "seed": 9}],
    "one-step-margins": [{"n": 400, "dim": 2, "exponent": 2.5, "step_size": 1000.0}, {"n": 5, "dim": 200, "exponent": 0.0}],
    "two-particle-gd": [{"alpha": -0.95, "p1": 0.95, "step_size": 100.0}, {"alpha": 0.99, "p1": 0.5, "step_size": 0.1}],
    "diffusion-attractors": [{"K": 8, "sigma": 0.2}, {"sigma": 0.02}],
    "random-features-slice": [{"num_features": 64, "beta": 8.0}, {"beta": 0.25}],
    "modern-beta": [{"beta": 64.0, "M": 10}, {"beta": 1.0, "M": 1000}],
}


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
    frame.update(first, **values)
    updated = _image(widgets.png(first))
    fresh = frame.draw(**values)
    plt.close(fresh)
    assert layout.apply(fresh), "draw made different axes for the new values"
    return updated, _image(widgets.png(fresh))


@pytest.mark.parametrize("name, index", [(n, i) for n, moves in MOVES.items() for i in range(len(moves))])
def test_update_gives_the_figure_draw_gives(name, index):
    widget = gallery.widgets()[name]()
    assert widget.frame.update is not None, f"{name} has no update function"
    values = widget.values() | MOVES[name][index]
    for key, value in values.items():
        if value == "FIRST":  # the first option of a selection
            values[key] = widget.controls[key].options[0]
    updated, fresh = _update_and_draw(widget, values)
    assert updated.shape == fresh.shape
    differ = (np.abs(updated - fresh).max(-1) > 0).mean()
    assert differ == 0, f"{name}: {100 * differ:.2f} % of the pixels differ between update and draw for {values}"
