"""Chapter "An induction head": the figures of experiments (a) and (b) and the step-size widget."""

from __future__ import annotations

import ipywidgets as w

from ..._checks import choice
from ...models.transformer import TransformerRun, run_experiment, tracked_tokens
from ...viz import gallery, style
from ...viz.widgets import figure_widget

CHAPTER = "transformers/induction_head"


def draw_losses(ax, run: TransformerRun, title: str | None = None, highlight: int | None = None) -> None:
    """Training loss against the step t, one line per step size (``highlight`` drawn thicker)."""
    for s, eta in enumerate(run.step_size.tolist()):
        width = 2.0 if highlight == s else 1.0
        alpha = 1.0 if highlight in (None, s) else 0.35
        ax.plot(run.steps, style.to_numpy(run.loss[s]), color=style.PALETTE[s % 8], lw=width, alpha=alpha, label=f"η = {eta:g}")
    ax.set_xlabel("SGD step t")
    ax.set_ylabel("loss at trigger repeats (nats)")
    ax.legend(loc="upper right")
    if title:
        ax.set_title(title)


def draw_accuracy(ax, run: TransformerRun, title: str | None = None) -> None:
    """In-context accuracy (next token after a repeated trigger) against t, per step size."""
    for s, eta in enumerate(run.step_size.tolist()):
        ax.plot(run.steps, style.to_numpy(run.accuracy[s]), color=style.PALETTE[s % 8], lw=1.0, label=f"η = {eta:g}")
    ax.set_ylim(0, 1)
    ax.set_xlabel("SGD step t")
    ax.set_ylabel("in-context accuracy")
    ax.legend(loc="upper left")
    if title:
        ax.set_title(title)


def draw_margins(ax, run: TransformerRun, step_index: int, memory: str = "W_O2", tokens=None, title: str | None = None) -> None:
    """Probe margins of a few tokens against t for one step size (a memory recalls a token when > 0)."""
    choice("memory", memory, ("W_O2", "W_K2"))
    margins = run.margins_O2 if memory == "W_O2" else run.margins_K2
    tokens = tracked_tokens(memory) if tokens is None else list(tokens)
    for i, z in enumerate(tokens):
        ax.plot(run.steps, style.to_numpy(margins[step_index, :, z]), color=style.PALETTE[i % 8], lw=1.0, label=f"token {z}")
    ax.axhline(0.0, color="#333333", lw=0.8)
    ax.set_xlabel("SGD step t")
    label = r"$W_O^2$" if memory == "W_O2" else r"$W_K^2$"
    ax.set_ylabel(f"{label} margin (logits)")
    ax.set_title(title or f"{label} memory, η = {run.step_size[step_index].item():g}")
    ax.legend(loc="upper left", ncols=2)


def figure_a(run: TransformerRun):
    """Experiment (a): losses for all step sizes, and W_O^2 margins of 5 tokens for the two largest."""
    fig, axes = style.figure(ncols=3, width=13.0, height=3.6)
    draw_losses(axes[0, 0], run, title=r"(a) training $W_O^2$ only")
    for j, s in enumerate((-2, -1)):
        draw_margins(axes[0, 1 + j], run, run.step_size.numel() + s, "W_O2")
    return fig


def figure_b(run: TransformerRun):
    """Experiment (b): losses, in-context accuracy, and W_K^2 margins of the triggers for the largest step."""
    fig, axes = style.figure(ncols=3, width=13.0, height=3.6)
    draw_losses(axes[0, 0], run, title=r"(b) training $W_K^1, W_K^2, W_O^2$")
    draw_accuracy(axes[0, 1], run, title="next token after a repeated trigger")
    draw_margins(axes[0, 2], run, run.step_size.numel() - 1, "W_K2")
    return fig


def draw_step_size(run: TransformerRun, step_size: float):
    """The widget's figure: every loss curve with the chosen one highlighted, and its W_O^2 and W_K^2 margins."""
    values = run.step_size.tolist()
    if step_size not in values:
        raise ValueError(f"step_size must be one of the precomputed {values}, got {step_size!r}.")
    s = values.index(step_size)
    fig, axes = style.figure(ncols=3, width=13.0, height=3.6)
    draw_losses(axes[0, 0], run, title=f"η = {step_size:g} highlighted", highlight=s)
    draw_margins(axes[0, 1], run, s, "W_O2")
    draw_margins(axes[0, 2], run, s, "W_K2")
    return fig


@gallery.register_widget("induction-step-size", chapter=CHAPTER)
def widget(run: TransformerRun | None = None, step_size: float | None = None):
    """A step-size picker that redraws the precomputed curves of ``run`` (no training in the callback).

    Without ``run``, trains experiment (a) at the CI tier first (what the chapter shows).
    """
    run = run_experiment("a") if run is None else run
    values = run.step_size.tolist()
    control = w.SelectionSlider(options=values, value=values[-1] if step_size is None else step_size,
                                description="step size η", continuous_update=False, style={"description_width": "initial"})
    return figure_widget(lambda step_size: draw_step_size(run, step_size), {"step_size": control})


@gallery.register("induction-wo2-only", chapter=CHAPTER,
                  alt="Loss against SGD step, one curve per step size, when only the output matrix of the second attention "
                  "layer is trained, and the margins of a few tokens in that memory for the two largest step sizes.")
def figure_a_build(tier: str = "ci"):
    return figure_a(run_experiment("a", tier))


@gallery.register("induction-all-memories", chapter=CHAPTER,
                  alt="Loss and in-context accuracy against SGD step, one curve per step size, when both key matrices and the "
                  "second output matrix are trained, and the key-memory margins of the trigger tokens.")
def figure_b_build(tier: str = "ci"):
    return figure_b(run_experiment("b", tier))
