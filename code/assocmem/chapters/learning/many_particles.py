"""Chapter "Many particles": GD runs of five tokens in dimensions 3, 5 and 10 (the authors' exp_learning_rates.py setup), figures and widget."""

from __future__ import annotations

import math

import ipywidgets as w
import numpy as np
import torch

from ... import _checks, data, memory, train
from ...tiers import threads
from ...viz import gallery, style
from ...viz.widgets import figure_widget, slider

CHAPTER = "learning/many_particles"

FC_DIMS = (3, 5, 10)
FC_STEP_SIZES = (3.0, 10.0, 20.0)


def many_particles_problem(d: int, seed: int = 43, n: int = 5):
    """N = M = n tokens, f*(x) = x, Zipf a = 1, E then U drawn after one ``manual_seed(seed)`` in R^d."""
    d = _checks.count("d", d, minimum=1)
    E, U = data.embedding_pair(n, n, d, seed)
    return E, U, data.zipf(n, 1.0), data.targets(n)


def many_particles_runs(dims=FC_DIMS, step_sizes=FC_STEP_SIZES, steps: int = 100, seed: int = 43) -> dict:
    """Full-batch GD from W_0 = 0 for every d (all step sizes batched, iterates stored); {d: (run, sharpness at 0)}."""
    with threads(1):
        runs = {}
        for d in dims:
            E, U, p, t = many_particles_problem(d, seed)
            run = train.gd(E, U, p, t, list(step_sizes), steps, store_W=True, show_progress=False)
            sharp = float(memory.sharpness(torch.zeros(d, d, dtype=torch.float64), E, U, p, t))
            runs[d] = (run, sharp)
        return runs


def draw_many_particles_losses(runs: dict, shown: int = 30):
    """One panel per d: L(W_t) for each step size over the first ``shown`` steps, log N dashed."""
    fig, axes = style.figure(ncols=len(runs), width=3.3 * len(runs) + 0.4, height=3.2)
    for ax, (d, (run, sharp)) in zip(axes[0], runs.items()):
        N = run.margins.shape[-1]
        for s, eta in enumerate(style.to_numpy(run.step_sizes)):
            ax.plot(np.arange(shown), style.to_numpy(run.loss[s, :shown]), label=f"η = {eta:g}", color=style.PALETTE[s])
        ax.axhline(math.log(N), color="#333333", linestyle="--", linewidth=0.8, label=f"log {N}")
        ax.set_yscale("log")
        ax.set_xlabel("step t")
        ax.set_ylabel(r"loss $L(W_t)$")
        ax.set_title(f"d = {d}  (2 / sharpness at 0 = {2 / sharp:.1f})")
        ax.legend(loc="lower left")
    return fig


def draw_many_particles_margins(runs: dict, shown: int = 30):
    """A grid (rows d, columns eta) of the margins m_{W_t}(x) of every token over the first ``shown`` steps."""
    dims = list(runs)
    S = runs[dims[0]][0].step_sizes.shape[0]
    fig, axes = style.figure(ncols=S, nrows=len(dims), width=3.2 * S + 0.6, height=2.5 * len(dims) + 1.0, sharex=True)
    for row, d in enumerate(dims):
        run, _ = runs[d]
        for s in range(S):
            ax = axes[row, s]
            m = style.to_numpy(run.margins[s, :shown])
            for x in range(m.shape[1]):
                ax.plot(np.arange(shown), m[:, x], color=style.PALETTE[x % len(style.PALETTE)], linewidth=1.0, label=f"x = {x + 1}")
            ax.axhline(0.0, color="#333333", linewidth=0.8)
            ax.set_title(f"d = {d}, η = {float(run.step_sizes[s]):g}")
            if s == 0:
                ax.set_ylabel(r"margin $m_{W_t}(x)$")
            if row == len(dims) - 1:
                ax.set_xlabel("step t")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), title="token x (1 = most frequent)")
    return fig


def draw_many_particles(d: int = 10, step_size: float = 20.0, seed: int = 43, steps: int = 30):
    """Loss and margins of one run (the widget's figure), with the step size against 2 / sharpness at 0."""
    with threads(1):
        E, U, p, t = many_particles_problem(d, seed)
        step_size = _checks.positive("step_size", step_size)
        steps = _checks.count("steps", steps, minimum=1)
        run = train.gd(E, U, p, t, step_size, steps, show_progress=False)
        sharp = float(memory.sharpness(torch.zeros(d, d, dtype=torch.float64), E, U, p, t))
        fig, axes = style.figure(ncols=2, width=9.0, height=3.2)
        ax = axes[0, 0]
        ax.plot(style.to_numpy(run.loss[0]), color=style.PALETTE[0], label=r"$L(W_t)$")
        ax.plot(style.to_numpy(run.zero_one[0]), color=style.PALETTE[1], label=r"$L_{01}(W_t)$")
        ax.axhline(math.log(len(p)), color="#333333", linestyle="--", linewidth=0.8, label="log N")
        ax.set_xlabel("step t")
        ax.set_ylabel("loss")
        ax.set_title(f"d = {d}, η = {step_size:g}, seed {seed}: η · sharpness(0) / 2 = {step_size * sharp / 2:.2f}")
        ax.legend()
        ax = axes[0, 1]
        m = style.to_numpy(run.margins[0])
        for x in range(m.shape[1]):
            ax.plot(m[:, x], color=style.PALETTE[x % len(style.PALETTE)], label=f"x = {x + 1}")
        ax.axhline(0.0, color="#333333", linewidth=0.8)
        ax.set_xlabel("step t")
        ax.set_ylabel(r"margin $m_{W_t}(x)$")
        ax.legend(fontsize=7)
        return fig


@gallery.register_widget("many-particles-run", chapter=CHAPTER)
def widget(d: int = 10, step_size: float = 20.0, seed: int = 43, steps: int = 30) -> w.VBox:
    """Sliders for the dimension, the step size, the embedding seed and the number of steps over ``draw_many_particles``."""
    steps = _checks.count("steps", steps, minimum=1)
    controls = {
        "d": slider(w.IntSlider, "dimension d", d, min=2, max=12, step=1),
        "step_size": slider(w.FloatLogSlider, "step size η", step_size, base=10, min=-1, max=2, step=0.05),
        "seed": slider(w.IntSlider, "embedding seed", seed, min=0, max=100, step=1),
        "steps": slider(w.IntSlider, "steps", steps, min=10, max=max(300, steps), step=10),
    }
    return figure_widget(draw_many_particles, controls)


@gallery.register("many-particles-losses", chapter=CHAPTER,
                  alt="Loss against step for three step sizes in dimensions 3, 5 and 10; in dimension 10 all curves fall, "
                  "in dimension 3 the largest step size oscillates with spikes above log 5.")
def many_particles_losses_figure():
    return draw_many_particles_losses(many_particles_runs())


@gallery.register("many-particles-margins", chapter=CHAPTER,
                  alt="Margins of the five tokens against step, one panel per dimension and step size.")
def many_particles_margins_figure():
    return draw_many_particles_margins(many_particles_runs())


