"""Chapter "An associative memory": the one-step errors by frequency rank, and the one-step-margins widget."""

from __future__ import annotations

import functools

import ipywidgets as w
import numpy as np

import torch

from ... import data, memory, tiers, train
from ...viz import gallery, panels, style, widgets

CHAPTER = "foundations/associative_memory"
#: The chapter's interference experiment: N = M = 100 Zipf tokens, one step from zero, 20 draws per dimension.
N_TOKENS, DIMS, SEEDS = 100, (10, 30, 100, 300), tuple(range(20))


def one_step_scores(E, U, freqs, targets, step_size: float = 1.0) -> torch.Tensor:
    """Scores s_{W_1}(x, y) after one step from zero through the Gram matrices only, shape (N, M):

    s_{W_1}(x, y) = eta sum_x' p(x') <e_x, e_x'> (<u_y, u_{f*(x')}> - <u_y, u_bar>),

    the chapter's crosstalk formula; no d x d matrix is formed.
    """
    G_E, G_U = E @ E.T, U @ U.T
    return step_size * (G_E * freqs[None, :]) @ (G_U[targets] - G_U.mean(dim=0, keepdim=True))


def one_step_margins(scores, targets) -> torch.Tensor:
    """Margins s(x, f*(x)) - max_{y != f*(x)} s(x, y) of a score matrix (N, M)."""
    rows = torch.arange(scores.shape[0])
    correct = scores[rows, targets]
    others = scores.clone()
    others[rows, targets] = -torch.inf
    return correct - others.max(dim=1).values


def one_step_errors(n: int = N_TOKENS, dims=DIMS, seeds=SEEDS, exponent: float = 1.0, step_size: float = 1.0) -> np.ndarray:
    """Which tokens are misclassified after one GD step from zero: bool array (len(dims), len(seeds), n).

    f*(x) = x, Zipf frequencies (tokens sorted from most to least frequent), random unit embeddings
    and unembeddings drawn with ``data.embedding_pair(n, n, d, seed)``. The step size only scales
    W_1, so it does not change the answer (it is an argument for the exercise that checks this).
    """
    freqs, targets = data.zipf(n, exponent), data.targets(n)
    out = np.zeros((len(dims), len(seeds), n), dtype=bool)
    with tiers.threads(1):  # many small products: one thread is fastest on a busy machine
        for a, d in enumerate(dims):
            for b, seed in enumerate(seeds):
                E, U = data.embedding_pair(n, n, d, seed)
                out[a, b] = (one_step_margins(one_step_scores(E, U, freqs, targets, step_size), targets) <= 0).numpy()
    return out


def draw_errors_by_rank(errors, dims=DIMS, bin_width: int = 5):
    """Fraction misclassified after one step against frequency rank, one curve per dimension d.

    ``errors`` (len(dims), S, N) from ``one_step_errors``; ranks are grouped in bins of ``bin_width``
    and the fraction is averaged over the S draws and the bin.
    """
    errors = np.asarray(errors, dtype=float)
    D, S, N = errors.shape
    edges = np.arange(0, N + bin_width, bin_width)[: N // bin_width + 1]
    centres = 0.5 * (edges[:-1] + edges[1:]) + 0.5           # ranks are 1-based
    fig, axes = style.figure(width=6.2, height=3.8)
    ax = axes[0, 0]
    for a, d in enumerate(dims):
        per_bin = [errors[a, :, lo:hi].mean() for lo, hi in zip(edges[:-1], edges[1:])]
        ax.plot(centres, per_bin, "-o", markersize=3, color=style.PALETTE[a % len(style.PALETTE)],
                label=f"d = {d}" + (" (d > N)" if d > N else ""))
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(f"frequency rank of the token (1 = most frequent; bins of {bin_width})")
    ax.set_ylabel("fraction misclassified after one step")
    ax.set_title(f"N = M = {N}, Zipf a = 1, mean over {S} draws of E and U")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def draw_one_step_margins(n: int, dim: int, exponent: float, step_size: float, seed: int = 0):
    """Margins of every token after one GD step from zero, with random embeddings (E and U)."""
    fig, axes = style.figure(ncols=2, width=9.5)
    _plot_one_step_margins(axes[0], n, dim, exponent, step_size, seed)
    return fig


@functools.lru_cache(maxsize=128)
def _one_step_margins(n: int, dim: int, exponent: float, step_size: float, seed: int):
    """(margins after one step, freqs) (cached: a widget goes back and forth)."""
    with tiers.threads(1):  # small products: a second intra-op thread only spins
        freqs = data.zipf(n, exponent)
        targets = data.targets(n)
        E, U = data.embedding_pair(n, n, dim, seed)
        W1 = memory.hebbian_step(E, U, freqs, targets, step_size)[0]
        return memory.margins(W1, E, U, freqs, targets), freqs


def _plot_one_step_margins(axes, n, dim, exponent, step_size, seed):
    m, freqs = _one_step_margins(n, dim, exponent, step_size, seed)
    panels.token_margins(axes[0], m, freqs, title=f"after one step, N = {n}, d = {dim}, η = {step_size:g}")
    panels.error_by_frequency(axes[1], m <= 0, freqs, title=f"Zipf exponent a = {exponent:g}")


def update_one_step_margins(fig, n: int, dim: int, exponent: float, step_size: float, seed: int = 0):
    """``draw_one_step_margins`` in place: the same bars redrawn on the kept axes."""
    for ax in fig.axes[:2]:
        widgets.clear_data(ax)
    _plot_one_step_margins(fig.axes[:2], n, dim, exponent, step_size, seed)


@gallery.register(
    "one-step-errors-by-rank",
    chapter=CHAPTER,
    alt="Fraction of tokens misclassified after one gradient step from zero against their frequency rank, for "
    "dimensions 10, 30, 100 and 300; every curve rises from the frequent to the rare tokens, and larger dimensions lie lower.",
)
def errors_by_rank_figure():
    return draw_errors_by_rank(one_step_errors())


@gallery.register_widget("one-step-margins", chapter=CHAPTER)
def widget(n: int = 100, dim: int = 30, exponent: float = 1.0, step_size: float = 1.0) -> w.VBox:
    """Sliders for N, d, Zipf exponent and step size over the one-step margins figure."""
    controls = {
        "n": widgets.slider(w.IntSlider, "tokens N", n, min=5, max=400, step=5),
        "dim": widgets.slider(w.IntSlider, "dimension d", dim, min=2, max=200, step=1),
        "exponent": widgets.slider(w.FloatSlider, "Zipf exponent a", exponent, min=0.0, max=2.5, step=0.1),
        "step_size": widgets.slider(w.FloatLogSlider, "step size η", step_size, base=10, min=-2, max=3, step=0.25),
    }
    return widgets.figure_widget(draw_one_step_margins, controls, update=update_one_step_margins)


def hebbian_vs_gd(n: int, m: int, dim: int, seed: int, step_sizes=(0.5, 7.0), exponent: float = 1.3) -> float:
    """Largest |W_1 of one train.gd step - memory.hebbian_step| on a random problem (Zipf ``exponent``, f*(x) = x mod m)."""
    E, U = data.embedding_pair(n, m, dim, seed)
    p, t = data.zipf(n, exponent), data.targets(n, "mod", m)
    one_step = train.gd(E, U, p, t, step_size=list(step_sizes), steps=1, show_progress=False).W_final
    return (one_step - memory.hebbian_step(E, U, p, t, list(step_sizes))).abs().max().item()
