"""Chapter "Sparse distributed memory as a continual learner": runs, figures and the widget.

Serves book/systems/sparse_distributed_memory.py. Every run is one call of
:func:`assocmem.models.sdm.run`, which trains a whole batch of models and seeds side by side;
the runs are cached per tier so that the chapter, its figures and the widget share them.
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as w
import numpy as np
import torch

from ... import tiers
from ...models import sdm
from ...viz import gallery, style
from ...viz.widgets import figure_widget, slider

CHAPTER = "systems/sparse_distributed_memory"

#: The models of the main comparison and the ablation table, in the order of the table.
MODELS = ("relu", "relu_tiled", "topk", "sdm", "sdm_no_l2", "sdm_bias", "sdm_bias_hidden", "sdm_bias_out", "sdm_relu",
          "sdm_random_init", "sdm_nonneg")

LABELS = {
    "relu": "ReLU MLP",
    "relu_tiled": "ReLU MLP, data-tiled init",
    "topk": "Top-K MLP (biases, no L2), data-tiled",
    "sdm": "SDMLP",
    "sdm_no_l2": "SDMLP without L2 renormalisation",
    "sdm_bias": "SDMLP with biases (both layers)",
    "sdm_bias_hidden": "SDMLP with a hidden bias",
    "sdm_bias_out": "SDMLP with an output bias",
    "sdm_relu": "SDMLP with a ReLU after the top-k",
    "sdm_random_init": "SDMLP with random init",
    "sdm_nonneg": "SDMLP with non-negative weights",
}

#: The four models whose task-by-task curves the chapter draws.
CURVES = ("relu", "topk", "sdm_bias", "sdm")

COLOURS = dict(zip(range(5), style.PALETTE))

#: Kanerva's read weights: n-bit addresses, read = write radius.
BITS, RADIUS = 64, 20


def sizes(tier: str | None = None) -> dict:
    """Sizes of the chapter's runs: the CI tier runs in seconds on one CPU thread; the paper tier uses more seeds and epochs."""
    if tiers.current(tier) == "paper":
        return {"seeds": tuple(range(10)), "epochs": 20, "neurons": 1000, "k": 10, "lr": 0.1,
                "ks": (1, 2, 5, 10, 20, 50, 100, 200, 500), "k_seeds": (0, 1, 2), "lrs": (0.003, 0.01, 0.03, 0.1, 0.3),
                # the small step keeps step x epochs as in the CI tier: the weights drift about as far from the sphere
                "small_lr": 0.003, "mid_lr": 0.03}
    return {"seeds": (0, 1, 2), "epochs": 3, "neurons": 1000, "k": 10, "lr": 0.1,
            "ks": (1, 2, 5, 10, 20, 50, 100), "k_seeds": (0,), "lrs": (0.01, 0.03, 0.1),
            "small_lr": 0.01, "mid_lr": 0.03}


def _options(size: dict) -> dict:
    return {"epochs": size["epochs"], "neurons": size["neurons"], "show_progress": None}


# ---------------------------------------------------------------- runs (cached per tier)


def main_runs(tier: str | None = None):
    """See :func:`_main_runs`; ``tier`` defaults to the current tier (``$ASSOCMEM_TIER``)."""
    return _main_runs(tiers.current(tier))


@lru_cache(maxsize=None)
def _main_runs(tier: str) -> sdm.Result:
    """Every model of :data:`MODELS` on every seed of the tier, trained class-incrementally on the digits."""
    size = sizes(tier)
    with tiers.threads(1):
        return sdm.run(MODELS, size["seeds"], k=size["k"], lr=size["lr"], **_options(size))


def step_size_runs(tier: str | None = None):
    """See :func:`_step_size_runs`; ``tier`` defaults to the current tier (``$ASSOCMEM_TIER``)."""
    return _step_size_runs(tiers.current(tier))


@lru_cache(maxsize=None)
def _step_size_runs(tier: str) -> dict:
    """{lr: (final accuracy of the SDMLP (S,), of the SDMLP without L2 renormalisation (S,))} for each step size."""
    size = sizes(tier)
    others = [lr for lr in size["lrs"] if lr != size["lr"]]
    with tiers.threads(1):
        result = sdm.run(["sdm", "sdm_no_l2"], size["seeds"], k=size["k"], lr=others, **_options(size))
    main = main_runs(tier)
    out = {}
    for lr in size["lrs"]:
        source, step = (main, None) if lr == size["lr"] else (result, lr)
        out[lr] = (source.final[source.select("sdm", lr=step)], source.final[source.select("sdm_no_l2", lr=step)])
    return out


def k_runs(tier: str | None = None):
    """See :func:`_k_runs`; ``tier`` defaults to the current tier (``$ASSOCMEM_TIER``)."""
    return _k_runs(tiers.current(tier))


@lru_cache(maxsize=None)
def _k_runs(tier: str) -> sdm.Result:
    """The SDMLP for every k of the tier (the widget's frames)."""
    size = sizes(tier)
    with tiers.threads(1):
        return sdm.run(["sdm"], size["k_seeds"], k=list(size["ks"]), lr=size["lr"], **_options(size))


def summary(result: sdm.Result, kinds=MODELS) -> dict:
    """{kind: (final accuracy per seed (S,), lowest final per-task accuracy per seed (S,))}."""
    return {kind: (result.final[result.select(kind)], result.accuracy[result.select(kind), -1].min(-1).values) for kind in kinds}


def table(result: sdm.Result, kinds=MODELS) -> str:
    """The ablation table as aligned text: final accuracy on each seed and the lowest per-task accuracy."""
    rows = summary(result, kinds)
    seeds = result.seeds[: len(next(iter(rows.values()))[0])]
    head = f"{'model':<40} " + " ".join(f"seed {s:<2}" for s in seeds) + "   worst task"
    lines = [head, "-" * len(head)]
    for kind, (final, worst) in rows.items():
        lines.append(f"{LABELS[kind]:<40} " + " ".join(f"{v:7.3f}" for v in final.tolist()) + f"   {worst.min().item():10.3f}")
    return "\n".join(lines)


def off_diagonal(matrix: torch.Tensor) -> torch.Tensor:
    """Entries of the last two axes off the diagonal, flattened over them: (..., T (T - 1))."""
    T = matrix.shape[-1]
    keep = ~torch.eye(T, dtype=torch.bool)
    return matrix[..., keep]


# ---------------------------------------------------------------- Kanerva's read and attention


def draw_attention(bits: int = BITS, radius: int = RADIUS, floor: float = 1e-2):
    """SDM read weight against the Hamming distance, on a log axis, with the fitted exponential (softmax) weight."""
    weights = sdm.read_weights(bits, radius).numpy()
    beta, c, residual = sdm.attention_fit(bits, radius, floor)
    h = np.arange(bits + 1)
    fig, axes = style.figure(width=6.4, height=3.6)
    ax = axes[0, 0]
    shown = weights > 1e-12
    ax.semilogy(h[shown], weights[shown], "o", markersize=3.5, color=style.PALETTE[0], label="SDM: |ball(x, r) ∩ ball(y, r)|, relative to h = 0")
    ax.semilogy(h[shown], np.exp(-beta * h[shown] + c), color=style.PALETTE[1],
                label=f"softmax weight exp(−β h), β = {beta:.3f} (fitted where the weight > {floor:g})")
    ax.axhline(floor, color="#777777", linestyle=":", linewidth=1)
    ax.set_xlabel("Hamming distance h between write address x and query y (bits)")
    ax.set_ylabel("read weight of x (relative)")
    ax.set_title(f"n = {bits}-bit addresses, read and write radius r = {radius}")
    ax.legend(loc="lower left", fontsize=7)
    return fig


@gallery.register("sdm-attention", chapter=CHAPTER,
                  alt="Read weight of a stored pattern in Kanerva's sparse distributed memory against the Hamming distance "
                  "between its address and the query, on a log axis, for 64-bit addresses and radius 20: the exact counts "
                  "fall almost on a straight line, the exponential weight of a softmax, down to a weight of one percent, "
                  "and fall faster than it beyond.")
def attention_figure():
    return draw_attention()


# ---------------------------------------------------------------- which neurons each task uses


def usage_order(usage: torch.Tensor, threshold: float = 0.05) -> tuple[torch.Tensor, torch.Tensor]:
    """Neurons used by any task (usage > threshold), ordered by the task that uses them most: (indices, owning task)."""
    used = (usage > threshold).any(0).nonzero().flatten()
    owner = usage[:, used].argmax(0)
    order = torch.argsort(owner * 2.0 - usage[:, used].max(0).values, stable=True)  # by task, then most used first
    return used[order], owner[order]


def draw_neurons(result: sdm.Result, kinds=("sdm", "topk", "sdm_bias"), seed: int = 0, threshold: float = 0.05):
    """For each model: which neurons are active on each task's test images (rows: tasks; columns: used neurons)."""
    from matplotlib.colors import PowerNorm

    fig, axes = style.figure(ncols=1, nrows=len(kinds), width=7.6, height=1.45 * len(kinds) + 0.8)
    image = None
    for ax, kind in zip(axes[:, 0], kinds):
        r = [i for i in result.select(kind).tolist() if result.seeds[i] == seed][0]
        usage = result.usage[r]
        used, _ = usage_order(usage, threshold)
        image = ax.imshow(style.to_numpy(usage[:, used]), aspect="auto", cmap="viridis", interpolation="nearest",
                          norm=PowerNorm(0.5, vmin=0, vmax=1))  # square-root scale: the SDMLP's neurons fire for a few % each
        ax.grid(False)
        ax.set_yticks(range(len(result.task_order)), [",".join(map(str, t)) for t in result.task_order], fontsize=7)
        ax.set_ylabel("task (digits)", fontsize=8)
        jaccard = off_diagonal(sdm.overlap(usage, threshold)).mean().item()
        ax.set_title(f"{LABELS[kind]}: {len(used)} neurons used, mean overlap between tasks (Jaccard) {jaccard:.2f}", fontsize=9)
    axes[-1, 0].set_xlabel(f"neurons active on > {threshold:.0%} of some task's test images, grouped by the task using them most")
    fig.colorbar(image, ax=axes[:, 0].tolist(), label="fraction of the task's\ntest images (square-root scale)", shrink=0.9)
    return fig


@gallery.register("sdm-neurons", chapter=CHAPTER,
                  alt="Three heat maps, tasks by neurons, of how often each neuron is active on each task's test images after "
                  "training on all five tasks. The SDMLP uses about seventy neurons per task in five disjoint blocks; the "
                  "Top-K network with biases and the SDMLP with biases use a handful of neurons shared by every task.")
def neurons_figure(tier: str = "ci"):
    return draw_neurons(main_runs(tier))


# ---------------------------------------------------------------- task-by-task curves


def draw_curves(result: sdm.Result, kinds=CURVES):
    """Accuracy on each task's test images after each task (mean over seeds), one panel per model."""
    T = len(result.task_order)
    fig, axes = style.figure(ncols=len(kinds), width=3.0 * len(kinds) + 0.6, height=3.4, sharey=True)
    steps = np.arange(1, T + 1)
    for ax, kind in zip(axes[0], kinds):
        rows = result.select(kind)
        mean = result.accuracy[rows].mean(0)  # (T after, T on)
        for s in range(T):
            ax.plot(steps[s:], style.to_numpy(mean[s:, s]), marker="o", markersize=3, color=style.PALETTE[s % len(style.PALETTE)],
                    label=f"task {s + 1}: digits {', '.join(map(str, result.task_order[s]))}")
        ax.plot(steps, style.to_numpy(result.overall[rows].mean(0)), color="black", linewidth=2.2, linestyle="--", label="all ten classes")
        ax.set_title(f"{LABELS[kind]}\nfinal {result.final[rows].mean().item():.2f} (mean of {len(rows)} seeds)", fontsize=9)
        ax.set_xticks(steps)
        ax.set_xlabel("after training task")
        ax.set_ylim(-0.03, 1.03)
    axes[0, 0].set_ylabel("test accuracy (10-way, no task label)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=6, fontsize=7)
    return fig


@gallery.register("sdm-curves", chapter=CHAPTER,
                  alt="Four panels, one per model, of the test accuracy on each of the five tasks after training each task in "
                  "turn. For the ReLU MLP, the Top-K MLP and the SDMLP with biases every old task drops to zero as soon as "
                  "the next one is trained; for the SDMLP each task keeps an accuracy above 0.9 to the end, and the accuracy "
                  "on all ten classes climbs to about 0.96.")
def curves_figure(tier: str = "ci"):
    return draw_curves(main_runs(tier))


# ---------------------------------------------------------------- widget: k of the top-k


def _k_values(result: sdm.Result, k: int):
    """The sweep's k values, and for ``k``: the mean final accuracy per task (T,), over all classes, and the finals per k."""
    ks = sorted(set(result.ks))
    if k not in ks:
        raise ValueError(f"k must be one of the precomputed {ks}, got {k!r}.")
    rows = result.select("sdm", k)
    finals = np.array([result.final[result.select("sdm", kk)].mean().item() for kk in ks])
    return ks, style.to_numpy(result.accuracy[rows, -1].mean(0)), result.final[rows].mean().item(), finals


def _k_title(result: sdm.Result, k: int, final: float) -> str:
    return f"SDMLP, k = {k} of {result.usage.shape[-1]} neurons: final {final:.3f}"


def draw_k(result: sdm.Result, k: int):
    """Left: the final accuracy on each task for this k; right: the final accuracy over all classes against k."""
    ks, per_task, final, finals = _k_values(result, k)
    T = len(result.task_order)
    fig, axes = style.figure(ncols=2, width=9.0, height=3.4)
    ax = axes[0, 0]
    ax.bar(np.arange(1, T + 1), per_task, color=[style.PALETTE[s % len(style.PALETTE)] for s in range(T)])
    ax.set_xticks(np.arange(1, T + 1), [f"{','.join(map(str, t))}" for t in result.task_order])
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("task (digits)")
    ax.set_ylabel("test accuracy after all tasks")
    ax.set_title(_k_title(result, k, final), fontsize=9)
    ax = axes[0, 1]
    ax.semilogx(ks, finals, marker="o", color=style.PALETTE[0])
    ax.plot([k], [finals[ks.index(k)]], "o", markersize=11, markerfacecolor="none", markeredgecolor=style.PALETTE[1], markeredgewidth=2)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("k (active neurons per input, log axis)")
    ax.set_ylabel("final accuracy, all 10 classes")
    ax.set_title("the chosen k circled", fontsize=9)
    return fig


def update_k(fig, result: sdm.Result, k: int) -> None:
    """``draw_k`` in place: the bar heights, the left title and the circle move; both axes keep their fixed limits."""
    ks, per_task, final, finals = _k_values(result, k)
    left, right = fig.axes[:2]
    for bar, height in zip(left.patches, per_task):
        bar.set_height(height)
    left.title.set_text(_k_title(result, k, final))
    right.lines[1].set_data([k], [finals[ks.index(k)]])


@gallery.register_widget("sdm-k", chapter=CHAPTER,
                         alt="A slider for k, the number of active neurons of the SDMLP, over a bar chart of the final accuracy "
                         "on each task and a curve of the final accuracy against k.")
def widget(k: int = 10, result: sdm.Result | None = None):
    """A slider over a precomputed k sweep: per-task and overall final accuracy (no training in the callback).

    Without ``result``, the SDMLP sweep of :func:`k_runs` at the current tier (trained once per session, cached).
    """
    result = k_runs(tiers.current()) if result is None else result
    ks = sorted(set(result.ks))
    controls = {"k": slider(w.SelectionSlider, "k of top-k", k, options=ks)}
    return figure_widget(lambda k: draw_k(result, k), controls, update=lambda fig, k: update_k(fig, result, k), static={"k": ks})


__all__ = ["CHAPTER", "MODELS", "LABELS", "CURVES", "sizes", "main_runs", "step_size_runs", "k_runs", "summary", "table",
           "off_diagonal", "draw_attention", "usage_order", "draw_neurons", "draw_curves", "draw_k", "update_k", "widget"]
