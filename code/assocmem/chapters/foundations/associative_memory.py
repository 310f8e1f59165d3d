"""Chapter "An associative memory": the one-step-margins figure and its widget."""

from __future__ import annotations

import ipywidgets as w

from ... import data, memory
from ...viz import gallery, panels, style, widgets

CHAPTER = "foundations/associative_memory"


def draw_one_step_margins(n: int, dim: int, exponent: float, step_size: float, seed: int = 0):
    """Margins of every token after one GD step from zero, with random embeddings (E and U)."""
    freqs = data.zipf(n, exponent)
    targets = data.targets(n)
    E, U = data.embedding_pair(n, n, dim, seed)
    W1 = memory.hebbian_step(E, U, freqs, targets, step_size)[0]
    m = memory.margins(W1, E, U, freqs, targets)
    fig, axes = style.figure(ncols=2, width=9.5)
    panels.token_margins(axes[0, 0], m, freqs, title=f"after one step, N = {n}, d = {dim}, η = {step_size:g}")
    panels.error_by_frequency(axes[0, 1], m <= 0, freqs, title=f"Zipf exponent a = {exponent:g}")
    return fig


@gallery.register(
    "one-step-margins",
    chapter=CHAPTER,
    alt="Margins of 100 tokens after one gradient step from zero in dimension 30, sorted by frequency, "
    "and the fraction misclassified in each fifth of the tokens.",
)
def one_step_margins_figure():
    return draw_one_step_margins(n=100, dim=30, exponent=1.0, step_size=1.0)


@gallery.register_widget("one-step-margins", chapter=CHAPTER)
def widget(n: int = 100, dim: int = 30, exponent: float = 1.0, step_size: float = 1.0) -> w.VBox:
    """Sliders for N, d, Zipf exponent and step size over the one-step margins figure."""
    controls = {
        "n": widgets.slider(w.IntSlider, "tokens N", n, min=5, max=400, step=5),
        "dim": widgets.slider(w.IntSlider, "dimension d", dim, min=2, max=200, step=1),
        "exponent": widgets.slider(w.FloatSlider, "Zipf exponent a", exponent, min=0.0, max=2.5, step=0.1),
        "step_size": widgets.slider(w.FloatLogSlider, "step size η", step_size, base=10, min=-2, max=3, step=0.25),
    }
    return widgets.figure_widget(draw_one_step_margins, controls)
