"""Chapter "Hopfield networks, dense memories and attention": the recall figure and its widget."""

from __future__ import annotations

import ipywidgets as w
import torch

from ...models.hopfield import recall_curve
from ...viz import gallery, style
from ...viz.widgets import figure_widget, slider

CHAPTER = "beyond/hopfield"


def draw_recall(n: int = 100, flip_prob: float = 0.1, power: int = 3, beta: float = 0.1, max_load: float = 2.0, seed: int = 0):
    """Mean overlap after retrieval against the load P / n for the three memories."""
    loads = torch.linspace(0.02, max_load, 12).tolist()
    fig, axes = style.figure(width=6.4, height=3.6)
    ax = axes[0, 0]
    for rule, label in (("classical", "classical (Hebbian)"), ("dense", f"dense, $F(z) = z^{power}$"), ("modern", f"modern, β = {beta:g}")):
        curve = recall_curve(rule, n, loads, flip_prob, seed=seed, power=power, beta=beta)
        ax.plot(loads, style.to_numpy(curve), marker="o", markersize=3, label=label)
    ax.axvline(0.138, color="#555555", linestyle=":", linewidth=1)
    ax.text(0.16, 0.05, "0.138 n", color="#555555", fontsize=8)
    ax.set_xlabel("load P / n (stored patterns per neuron)")
    ax.set_ylabel("mean overlap after retrieval")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"n = {n} neurons, cues with {100 * flip_prob:.0f} % of bits flipped")
    ax.legend(loc="lower left")
    return fig


@gallery.register(
    "hopfield-recall",
    chapter=CHAPTER,
    alt="Mean overlap after retrieval against the number of stored patterns per neuron for the classical, "
    "dense and modern Hopfield memories; the classical curve collapses near 0.14 while the other two stay at 1.",
)
def recall_figure():
    return draw_recall()


@gallery.register_widget("hopfield-recall", chapter=CHAPTER)
def widget(n: int = 100, flip_prob: float = 0.1, power: int = 3, beta: float = 0.1):
    """Sliders for the cue noise, the dense power and the modern inverse temperature."""
    controls = {
        "flip_prob": slider(w.FloatSlider, "flipped bits", flip_prob, min=0.0, max=0.45, step=0.05),
        "power": slider(w.IntSlider, "dense power", power, min=2, max=5),
        "beta": slider(w.FloatLogSlider, "modern β", beta, base=10, min=-2.5, max=0.5, step=0.25),
    }
    return figure_widget(lambda **values: draw_recall(n=n, **values), controls)
