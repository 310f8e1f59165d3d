"""Builders for the chapters' interactive controls.

Each builder takes the same arguments as the static figure it controls, draws
that figure for its default values when it is built (so the executed notebook,
and hence the static HTML, shows the default figure), and redraws into the same
output area when a control moves.
"""

from __future__ import annotations

from typing import Callable

import ipywidgets as w
import matplotlib.pyplot as plt
from IPython.display import display

from . import data, gallery, memory, plots


def figure_widget(draw: Callable[..., object], controls: dict[str, w.ValueWidget]) -> w.VBox:
    """Controls above an output area; ``draw(**values)`` returns a matplotlib figure."""
    out = w.Output()

    def redraw(_change=None):
        fig = draw(**{name: control.value for name, control in controls.items()})
        with out:
            out.clear_output(wait=True)
            display(fig)
        plt.close(fig)

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    # Controls wrap onto several rows instead of overflowing a narrow page.
    return w.VBox([w.HBox(list(controls.values()), layout=w.Layout(flex_flow="row wrap")), out])


def slider(kind, description, value, **kwargs):
    return kind(value=value, description=description, continuous_update=False, style={"description_width": "initial"}, **kwargs)


def draw_one_step_margins(n: int, dim: int, exponent: float, step_size: float, seed: int = 0):
    """Margins of every token after one GD step from zero, with random embeddings (E and U)."""
    freqs = data.zipf(n, exponent)
    targets = data.targets(n)
    E, U = data.embedding_pair(n, n, dim, seed)
    W1 = memory.hebbian_step(E, U, freqs, targets, step_size)[0]
    m = memory.margins(W1, E, U, freqs, targets)
    fig, axes = plots.figure(ncols=2, width=9.5)
    plots.token_margins(axes[0, 0], m, freqs, title=f"after one step, N = {n}, d = {dim}, η = {step_size:g}")
    plots.error_by_frequency(axes[0, 1], m <= 0, freqs, title=f"Zipf exponent a = {exponent:g}")
    return fig


@gallery.register(
    "one-step-margins",
    chapter="foundations/associative_memory",
    alt="Margins of 100 tokens after one gradient step from zero in dimension 30, sorted by frequency, "
    "and the fraction misclassified in each fifth of the tokens.",
)
def one_step_margins_figure(tier: str = "ci"):
    return draw_one_step_margins(n=100, dim=30, exponent=1.0, step_size=1.0)


def one_step_margins(n: int = 100, dim: int = 30, exponent: float = 1.0, step_size: float = 1.0) -> w.VBox:
    """Sliders for N, d, Zipf exponent and step size over the one-step margins figure."""
    controls = {
        "n": slider(w.IntSlider, "tokens N", n, min=5, max=400, step=5),
        "dim": slider(w.IntSlider, "dimension d", dim, min=2, max=200, step=1),
        "exponent": slider(w.FloatSlider, "Zipf exponent a", exponent, min=0.0, max=2.5, step=0.1),
        "step_size": slider(w.FloatLogSlider, "step size η", step_size, base=10, min=-2, max=3, step=0.25),
    }
    return figure_widget(draw_one_step_margins, controls)
