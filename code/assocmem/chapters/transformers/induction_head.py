"""Chapter "Inside a small Transformer: the induction head": its runs, figures, diagram and step-size widget."""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as w
import numpy as np
import torch
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..._checks import choice
from ...models.transformer import TransformerRun, run_experiment, tracked_tokens
from ...viz import gallery, style
from ...viz.widgets import figure_widget

CHAPTER = "transformers/induction_head"
SEEDS = (0, 1, 2)

# One run of the paper tier (seed 0) by benchmarks/paper_tier.py on the project's 2-core CPU machine (nearly
# idle while it ran); the page quotes it, benchmarks/README.md gives the details.
PAPER_TIER_RECORD = {
    "date": "2026-12-02",
    "speedup": "on the 2-core CPU, ×14.8 and ×16.3 in two runs at the paper size of (b) on a nearly idle machine "
               "(24.8 and 26.1 s against 1.7 and 1.6 s per step, measured 2026-12-02)",
    "summary": "experiment (a), rerun on 2026-12-02 on a nearly idle machine, ran its 300 steps in 2.1 min (0.43 s per step; "
               "60 min on 2026-12-01 with the older code on a shared machine) and ended "
               "with held-out losses 3.03, 2.74, 2.57 and 2.46 for η = 20, 50, 100, 200 (accuracies 0.30 to 0.43): with "
               "batches of 512 the largest rise of the held-out loss was at most 0.02 nats and the largest step ended "
               "lowest, the benign-spike picture that the CI tier's small batches do not show. Experiment (b) at d = 64, on "
               "a nearly idle machine, ran its 300 steps in 8.1 min (1.6 s per step) and ended with held-out losses 3.73, "
               "3.46, 3.19 and 2.88 for η = 2, 5, 10, 20 (from 4.20), in-context accuracies 0.16 to 0.33, W_K^2 recalling "
               "2 of the 5 triggers at every step size, and a layer-1 attention on the previous position of 0.02, where it "
               "started: within 300 steps at the authors' step sizes the head had not formed (the CI tier uses steps of "
               "100 and 200). Experiment (b) at d = 128, on the same CPU, ran its 300 steps in 17 min "
               "(3.4 s per step) and ended with held-out losses 3.69, 3.40, 3.09 and 2.72 (accuracies 0.17 to 0.36), the "
               "held-out loss falling at every logged step (no spike), W_K^2 recalling 2, 3, 3 and 4 of the 5 triggers, "
               "and the previous-position attention again at its starting 0.02: no head within 300 steps either.",
}


@lru_cache(maxsize=16)
def cached_run(experiment: str, tier: str = "ci", seed: int = 0) -> TransformerRun:
    """``run_experiment(experiment, tier, seed)``, computed once per session (the figures and the widget share it)."""
    return run_experiment(experiment, tier, seed=seed, show=False)


# ---------------------------------------------------------------- measurements the chapter quotes


def spike_heights(run: TransformerRun) -> torch.Tensor:
    """Largest rise of the held-out loss between consecutive logged steps, per step size: (S,)."""
    return (run.eval_loss[:, 1:] - run.eval_loss[:, :-1]).amax(1)


def formation_step(run: TransformerRun, step_index: int = -1, o2_fraction: float = 0.5, k2_count: int = 4,
                   previous: float = 0.5) -> dict[str, float]:
    """First logged step at which each memory of the induction head has formed (inf if never), for one step size.

    W_O^2: at least ``o2_fraction`` of the non-trigger tokens have a positive W_O^2 margin; W_K^1: the
    layer-1 attention puts on average at least ``previous`` of its weight on position t - 1; W_K^2: at
    least ``k2_count`` of the 5 triggers have a positive W_K^2 margin.
    """
    o2 = (run.margins_O2[step_index, :, 5:] > 0).double().mean(-1) >= o2_fraction
    k1 = run.previous_token[step_index] >= previous
    k2 = (run.margins_K2[step_index][:, tracked_tokens("W_K2")] > 0).sum(-1) >= k2_count
    first = lambda hit: float(run.steps[int(hit.nonzero()[0])]) if bool(hit.any()) else float("inf")  # noqa: E731
    return {"W_O2": first(o2), "W_K1": first(k1), "W_K2": first(k2)}


# ---------------------------------------------------------------- drawing


def _loss_style(s: int, highlight: int | None) -> tuple[float, float]:
    """Line width and opacity of step size s's held-out loss curve when ``highlight`` is highlighted (None: none)."""
    return (2.0 if highlight == s else 1.2), (1.0 if highlight in (None, s) else 0.35)


def draw_losses(ax, run: TransformerRun, title: str | None = None, highlight: int | None = None, held_out: bool = True) -> None:
    """Loss against the step t, one line per step size: the fixed held-out batch (solid) over the training batches (faint)."""
    for s, eta in enumerate(run.step_sizes.tolist()):
        width, alpha = _loss_style(s, highlight)
        colour = style.PALETTE[s % 8]
        if held_out and run.eval_loss is not None:
            ax.plot(run.steps, style.to_numpy(run.loss[s]), color=colour, lw=0.6, alpha=0.25 * alpha)
            ax.plot(run.steps, style.to_numpy(run.eval_loss[s]), color=colour, lw=width, alpha=alpha, label=f"η = {eta:g}")
        else:
            ax.plot(run.steps, style.to_numpy(run.loss[s]), color=colour, lw=width, alpha=alpha, label=f"η = {eta:g}")
    ax.set_xlabel("SGD step t")
    ax.set_ylabel("loss at trigger repeats (nats)")
    ax.legend(loc="upper right")
    if title:
        ax.set_title(title)


def draw_accuracy(ax, run: TransformerRun, title: str | None = None) -> None:
    """Held-out in-context accuracy (next token after a repeated trigger) against t, per step size."""
    values = run.eval_accuracy if run.eval_accuracy is not None else run.accuracy
    for s, eta in enumerate(run.step_sizes.tolist()):
        ax.plot(run.steps, style.to_numpy(values[s]), color=style.PALETTE[s % 8], lw=1.2, label=f"η = {eta:g}")
    ax.set_ylim(0, 1)
    ax.set_xlabel("SGD step t")
    ax.set_ylabel("held-out in-context accuracy")
    ax.legend(loc="lower right")
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
    ax.set_ylabel(f"{_memory_label(memory)} margin (logits)")
    ax.set_title(title or _margins_title(run, step_index, memory))
    ax.legend(loc="upper left", ncols=2)


def _memory_label(memory: str) -> str:
    return r"$W_O^2$" if memory == "W_O2" else r"$W_K^2$"


def _margins_title(run: TransformerRun, step_index: int, memory: str) -> str:
    return f"{_memory_label(memory)} memory, η = {run.step_sizes[step_index].item():g}"


def draw_spikes(ax, runs) -> None:
    """Largest rise of the held-out loss between consecutive steps against the step size, one line per seed."""
    for i, run in enumerate(runs):
        ax.plot(run.step_sizes.numpy(), style.to_numpy(spike_heights(run)), marker="o", color=style.PALETTE[i % 8], label=f"seed {i}")
    ax.axhline(0.0, color="#333333", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("step size η")
    ax.set_ylabel("largest held-out loss rise (nats)")
    ax.set_title("spike height")
    ax.legend(loc="upper left")


def figure_a(runs):
    """Experiment (a): seed-0 losses, spike height against η for every seed, seed-0 W_O^2 margins at the largest step."""
    runs = list(runs) if isinstance(runs, (list, tuple)) else [runs]
    fig, axes = style.figure(ncols=3, width=13.0, height=3.6)
    draw_losses(axes[0, 0], runs[0], title=r"(a) training $W_O^2$ only")
    draw_spikes(axes[0, 1], runs)
    draw_margins(axes[0, 2], runs[0], runs[0].step_sizes.numel() - 1, "W_O2")
    return fig


def figure_b(run: TransformerRun):
    """Experiment (b): held-out loss, held-out in-context accuracy, W_K^2 margins of the triggers at the largest step."""
    fig, axes = style.figure(ncols=3, width=13.0, height=3.6)
    draw_losses(axes[0, 0], run, title=r"(b) training $W_K^1, W_K^2, W_O^2$")
    draw_accuracy(axes[0, 1], run, title="next token after a repeated trigger")
    draw_margins(axes[0, 2], run, run.step_sizes.numel() - 1, "W_K2")
    return fig


def figure_formation(runs, step_index: int = -1):
    """For each seed (one panel), the three memories forming against t at one step size of experiment (b)."""
    runs = list(runs)
    fig, axes = style.figure(ncols=len(runs), width=4.3 * len(runs), height=3.4)
    for ax, (seed, run) in zip(axes[0], enumerate(runs)):
        o2 = (run.margins_O2[step_index, :, 5:] > 0).double().mean(-1)
        k2 = (run.margins_K2[step_index][:, tracked_tokens("W_K2")] > 0).double().mean(-1)
        ax.plot(run.steps, style.to_numpy(o2), color=style.PALETTE[0], label=r"$W_O^2$: outputs recalled")
        ax.plot(run.steps, style.to_numpy(run.previous_token[step_index]), color=style.PALETTE[1], label=r"$W_K^1$: attention on $t-1$")
        ax.plot(run.steps, style.to_numpy(k2), color=style.PALETTE[2], label=r"$W_K^2$: triggers recalled")
        ax.plot(run.steps, style.to_numpy(run.eval_accuracy[step_index]), color="#333333", lw=0.9, ls="--", label="held-out accuracy")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("SGD step t")
        ax.set_ylabel("fraction")
        ax.set_title(f"seed {seed}, η = {run.step_sizes[step_index].item():g}")
    axes[0, 0].legend(loc="center right", fontsize=8)
    return fig


def _box(ax, xy, text, colour, width=2.2, height=0.62):
    x, y = xy
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.04",
                                facecolor=colour, edgecolor="#333333", lw=1.0, alpha=0.9))
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def _arrow(ax, start, end, **kw):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color="#333333", lw=1.0, **kw))


def draw_network():
    """A diagram of the two-layer network: the residual stream, the two attention layers, and what each memory stores."""
    fig, axes = style.figure(width=11.0, height=5.2)
    ax = axes[0, 0]
    ax.set_xlim(0, 11)
    ax.set_ylim(0, 6.2)
    ax.set_axis_off()
    frozen, trained, stream = "#DDDDDD", "#F6C89F", "#CFE3F3"
    x_stream = 1.6
    _box(ax, (x_stream, 0.5), r"tokens $z_1 \ldots z_t$", "#FFFFFF")
    _box(ax, (x_stream, 1.6), r"$x_t = e_{z_t} + \rho_t$", stream)
    _box(ax, (x_stream, 3.3), r"$h^1_t$", stream)
    _box(ax, (x_stream, 5.0), r"$h^2_t$", stream)
    _box(ax, (x_stream + 3.1, 5.0), r"logits $u_y^\top h^2_t$", frozen, width=2.0)
    for a, b in (((x_stream, 0.82), (x_stream, 1.28)), ((x_stream, 1.92), (x_stream, 2.98)), ((x_stream, 3.62), (x_stream, 4.68))):
        _arrow(ax, a, b)
    _arrow(ax, (x_stream + 1.1, 5.0), (x_stream + 2.1, 5.0))
    # the two layers read the stream and add to it
    for y_layer, y_in, y_out, text in (
        (2.45, 1.6, 3.3, "layer 1: causal attention\n" r"query $x_t$, key $W_K^1 x_s$" "\n" r"value $W_O^1 W_V^1 x_s$"),
        (4.15, 3.3, 5.0, "layer 2: causal attention\n" r"query $h^1_t$, key $W_K^2 h^1_s$" "\n" r"value $W_O^2 W_V^2 h^1_s$"),
    ):
        _box(ax, (4.75, y_layer), text, "#FFFFFF", width=3.0, height=1.0)
        _arrow(ax, (x_stream + 1.1, y_in + 0.1), (3.25, y_layer - 0.3))
        _arrow(ax, (3.25, y_layer + 0.3), (x_stream + 1.1, y_out - 0.1))
        ax.plot([6.25, 6.75], [y_layer, y_layer], color="#8A4B14", lw=1.0, ls=":")
    notes = [
        (2.45, r"$W_K^1 \approx \sum_t \rho_t\,\rho_{t-1}^\top$: position $t$ attends to $t-1$," "\n"
         r"so $h^1_t$ carries the previous token $W_O^1 W_V^1 e_{z_{t-1}}$", trained),
        (4.15, r"$W_K^2 \approx \sum_z e_z\,(W_O^1 W_V^1 e_z)^\top$: the query $z$ finds" "\n"
         r"the position whose previous token was $z$" "\n" r"$W_O^2 \approx \sum_z u_z (W_V^2 e_z)^\top$: predict what is there", trained),
        (0.9, r"frozen random: $e_z, \rho_t, u_y, W_V^1, W_O^1, W_V^2$ (variance $1/d$)", frozen),
    ]
    for y, text, colour in notes:
        _box(ax, (8.85, y), text, colour, width=4.1, height=1.0 if y > 1 else 0.55)
    ax.text(8.85, 5.0, "trained memories (start at 0)", ha="center", fontsize=9, color="#8A4B14")
    ax.set_title("Two attention layers on one residual stream: the three memories of an induction head", fontsize=10)
    return fig


def draw_step_size(run: TransformerRun, step_size: float):
    """The widget's figure: every loss curve with the chosen one highlighted, and its W_O^2 and W_K^2 margins."""
    values = run.step_sizes.tolist()
    if step_size not in values:
        raise ValueError(f"step_size must be one of the precomputed {values}, got {step_size!r}.")
    fig, axes = style.figure(ncols=3, width=13.0, height=3.6)
    _plot_step_size(axes[0], run, values.index(step_size))
    return fig


def _plot_step_size(axes, run: TransformerRun, s: int) -> None:
    draw_losses(axes[0], run, title=_step_size_title(run, s), highlight=s)
    draw_margins(axes[1], run, s, "W_O2")
    draw_margins(axes[2], run, s, "W_K2")


def _step_size_title(run: TransformerRun, s: int) -> str:
    return f"η = {run.step_sizes[s].item():g} highlighted"


def update_step_size(fig, run: TransformerRun, step_size: float) -> None:
    """``draw_step_size`` in place: the loss curves (and their legend keys) change width and opacity, the margin
    curves take the chosen step size's values and rescale their y axes, the titles change."""
    values = run.step_sizes.tolist()
    if step_size not in values:
        raise ValueError(f"step_size must be one of the precomputed {values}, got {step_size!r}.")
    s = values.index(step_size)
    losses, *margin_axes = fig.axes[:3]
    held_out = run.eval_loss is not None
    curves = losses.lines[1::2] if held_out else losses.lines
    for r, (line, key) in enumerate(zip(curves, losses.get_legend().legend_handles)):
        width, alpha = _loss_style(r, s)
        for artist in (line, key):
            artist.set_linewidth(width)
            artist.set_alpha(alpha)
        if held_out:
            losses.lines[2 * r].set_alpha(0.25 * alpha)
    losses.title.set_text(_step_size_title(run, s))
    for ax, memory in zip(margin_axes, ("W_O2", "W_K2")):
        margins = run.margins_O2 if memory == "W_O2" else run.margins_K2
        for line, z in zip(ax.lines, tracked_tokens(memory)):  # the tokens' curves, then the zero line
            line.set_ydata(style.to_numpy(margins[s, :, z]))
        ax.relim()
        ax.autoscale_view()
        ax.title.set_text(_margins_title(run, s, memory))


@gallery.register_widget("induction-step-size", chapter=CHAPTER)
def widget(run: TransformerRun | None = None, step_size: float | None = None):
    """A step-size picker that redraws the precomputed curves of ``run`` (no training in the callback).

    Without ``run``, uses experiment (a) at the CI tier, seed 0 (trained once per session and cached).
    """
    run = cached_run("a") if run is None else run
    values = run.step_sizes.tolist()
    control = w.SelectionSlider(options=values, value=values[-1] if step_size is None else step_size,
                                description="step size η", continuous_update=False, style={"description_width": "initial"})
    return figure_widget(lambda step_size: draw_step_size(run, step_size), {"step_size": control},
                         update=lambda fig, step_size: update_step_size(fig, run, step_size))


@gallery.register("induction-network", chapter=CHAPTER,
                  alt="Diagram of the two-layer attention-only Transformer: tokens embedded into a residual stream, two causal "
                  "attention layers adding to it, the unembedding, and what each trained key or output matrix stores.")
def network_figure():
    return draw_network()


@gallery.register("induction-wo2-only", chapter=CHAPTER,
                  alt="Left, held-out loss against SGD step, one curve per step size, when only the output matrix of the second "
                  "attention layer is trained; middle, the largest rise of that loss against the step size for three seeds; right, "
                  "the margins of a few tokens in that memory for the largest step size.")
def figure_a_build(tier: str = "ci"):
    return figure_a([cached_run("a", tier, seed) for seed in SEEDS])


@gallery.register("induction-all-memories", chapter=CHAPTER,
                  alt="Held-out loss and in-context accuracy against SGD step, one curve per step size, when both key matrices "
                  "and the second output matrix are trained, and the key-memory margins of the trigger tokens.")
def figure_b_build(tier: str = "ci"):
    return figure_b(cached_run("b", tier, 0))


@gallery.register("induction-formation", chapter=CHAPTER,
                  alt="For three seeds, the fraction of output tokens recalled by W_O^2, the layer-1 attention on the previous "
                  "position, the fraction of triggers recalled by W_K^2 and the held-out accuracy against SGD step.")
def formation_build(tier: str = "ci"):
    return figure_formation([cached_run("b", tier, seed) for seed in SEEDS])
