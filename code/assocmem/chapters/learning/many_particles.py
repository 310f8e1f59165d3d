"""Chapter "Many particles": GD on five tokens in dimensions 3 to 10 (the setup of the authors' notebook
``exp_large_memory.ipynb``), the first step at several step sizes, long runs of separable problems with a
small margin, a sweep over embedding seeds, figures and widget."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import ipywidgets as w
import numpy as np
import torch

from ... import _checks, data, memory, optima, train
from ...tiers import threads
from ...viz import gallery, style
from ...viz.widgets import clear_data, figure_widget, slider

CHAPTER = "learning/many_particles"

DIMS = (3, 5, 10)
STEP_SIZES = (3.0, 10.0, 20.0)
FIRST_STEP_SIZES = (1.0, 3.0, 10.0, 20.0)
LONG_STEPS = 5000
SWEEP_SEEDS = tuple(range(43, 53))
SWEEP_DIMS = (3, 4)


def many_particles_problem(d: int, seed: int = 43, n: int = 5):
    """N = M = n tokens, f*(x) = x, Zipf a = 1, E then U drawn after one ``manual_seed(seed)`` in R^d."""
    d = _checks.count("d", d, minimum=1)
    E, U = data.embedding_pair(n, n, d, seed)
    return E, U, data.zipf(n, 1.0), data.targets(n)


def many_particles_runs(dims=DIMS, step_sizes=STEP_SIZES, steps: int = 100, seed: int = 43) -> dict:
    """Full-batch GD from W_0 = 0 for every d (all step sizes batched, iterates stored); {d: (run, sharpness at 0)}."""
    with threads(1):
        runs = {}
        for d in dims:
            E, U, p, t = many_particles_problem(d, seed)
            run = train.gd(E, U, p, t, list(step_sizes), steps, store_W=True, show_progress=False)
            sharp = float(memory.sharpness(torch.zeros(d, d, dtype=torch.float64), E, U, p, t))
            runs[d] = (run, sharp)
        return runs


def first_step_run(d: int = 10, step_sizes=FIRST_STEP_SIZES, steps: int = 8, seed: int = 43) -> train.Run:
    """GD from W_0 = 0 with several step sizes for a few steps: the first step and the recovery after it."""
    with threads(1):
        E, U, p, t = many_particles_problem(d, seed)
        return train.gd(E, U, p, t, list(step_sizes), steps, show_progress=False)


def score_sweep(problems, step_sizes, steps: int):
    """Full-batch GD from W_0 = 0 on B problems at once, by the closed score recursion.

    ``problems`` is a list of B tuples (E, U, freqs, targets) with the same N, M and d, and
    ``step_sizes`` B step sizes (one per problem). Scores follow
    s_{t+1} = s_t - eta (E E^T) diag(p) R_t (U U^T), R_t = softmax(s_t) - onehot(f*), which is
    exactly GD on W (chapter "Particles"). Returns (loss, zero_one, scores): loss and 0-1 loss
    (B, T) measured on W_t, and the scores s_T (B, N, M) after the last update.
    """
    steps = _checks.count("steps", steps, minimum=1)
    eta = _checks.step_sizes(step_sizes)
    if eta.shape[0] != len(problems):
        raise ValueError(f"step_sizes must give one step size per problem ({len(problems)}), got {eta.shape[0]}.")
    E = torch.stack([pr[0] for pr in problems])
    U = torch.stack([pr[1] for pr in problems])
    p = torch.stack([pr[2] for pr in problems])
    t = torch.stack([pr[3] for pr in problems])
    A = (E @ E.transpose(1, 2)) * p[:, None, :]
    KU = U @ U.transpose(1, 2)
    B, N, M = E.shape[0], E.shape[1], U.shape[1]
    onehot = torch.nn.functional.one_hot(t, M).to(E.dtype)
    s = torch.zeros(B, N, M, dtype=E.dtype)
    loss = torch.empty(B, steps, dtype=E.dtype)
    zero_one = torch.empty(B, steps, dtype=E.dtype)
    scale = eta[:, None, None]
    with threads(1):
        for step in range(steps):
            logp = torch.log_softmax(s, dim=-1)
            loss[:, step] = -((logp * onehot).sum(-1) * p).sum(-1)
            zero_one[:, step] = ((s.argmax(-1) != t).to(E.dtype) * p).sum(-1)
            s = s - scale * (A @ (logp.exp() - onehot) @ KU)
    return loss, zero_one, s


def sharpness_from_scores(scores, E, U, freqs) -> torch.Tensor:
    """Largest Hessian eigenvalue of L at a memory with scores ``scores`` (..., N, M); shape (...).

    The Hessian sum_x p(x) Cov_{p_W(.|x)}(u) kron e_x e_x^T depends on W only through the
    probabilities softmax(scores), so the sharpness of a score-recursion run needs no W.
    """
    probs = torch.softmax(scores, dim=-1)
    mean_u = probs @ U
    cov = torch.einsum("...xy,yi,yk->...xik", probs, U, U) - mean_u.unsqueeze(-1) * mean_u.unsqueeze(-2)
    H = torch.einsum("x,...xik,xj,xl->...ijkl", freqs, cov, E, E)
    d = E.shape[1]
    return torch.linalg.eigvalsh(H.reshape(*H.shape[:-4], d * d, d * d))[..., -1]


def first_perfect(zero_one: torch.Tensor) -> torch.Tensor:
    """First t from which L01(W_t) = 0 for every later logged t, per row of (B, T); T when never (a cap)."""
    wrong = zero_one > 0
    T = wrong.shape[-1]
    last = torch.where(wrong, torch.arange(T), torch.full_like(wrong, -1, dtype=torch.long)).amax(dim=-1)
    return last + 1


@dataclass
class LongRun:
    """GD on one problem for many steps: loss and 0-1 loss (S, T) per step size, and the best margin."""

    d: int
    seed: int
    step_sizes: tuple
    loss: torch.Tensor
    zero_one: torch.Tensor
    separable: bool
    best_margin: float
    final_sharpness: torch.Tensor  # (S,) sharpness at W_T


def long_run(d: int = 3, seed: int = 43, step_sizes=STEP_SIZES, steps: int = LONG_STEPS) -> LongRun:
    """Thousands of GD steps on one problem (score recursion), with its separability and best margin."""
    problem = many_particles_problem(d, seed)
    loss, zero_one, scores = score_sweep([problem] * len(step_sizes), list(step_sizes), steps)
    E, U, p, t = problem
    best = optima.max_margin(E, U, t)
    return LongRun(d, seed, tuple(step_sizes), loss, zero_one, best is not None, best.margin if best else math.nan,
                   sharpness_from_scores(scores, E, U, p))


@dataclass
class SeedSweep:
    """GD with one step size on every (d, seed): loss and 0-1 loss (B, T), separability and best margin per problem."""

    dims: tuple
    seeds: tuple
    step_size: float
    loss: torch.Tensor
    zero_one: torch.Tensor
    separable: torch.Tensor
    best_margin: torch.Tensor

    def rows(self, d: int) -> slice:
        k = self.dims.index(d)
        return slice(k * len(self.seeds), (k + 1) * len(self.seeds))


def seed_sweep(dims=SWEEP_DIMS, seeds=SWEEP_SEEDS, step_size: float = 20.0, steps: int = 3000) -> SeedSweep:
    """Every (d, seed) problem, all runs batched; problems are ordered by d, then seed."""
    loss, zero_one, separable, margins = [], [], [], []
    for d in dims:
        problems = [many_particles_problem(d, seed) for seed in seeds]
        l, z, _ = score_sweep(problems, [step_size] * len(problems), steps)
        loss.append(l)
        zero_one.append(z)
        for E, U, _, t in problems:
            best = optima.max_margin(E, U, t)
            separable.append(best is not None)
            margins.append(best.margin if best else math.nan)
    return SeedSweep(tuple(dims), tuple(seeds), float(step_size), torch.cat(loss), torch.cat(zero_one),
                     torch.tensor(separable), torch.tensor(margins, dtype=torch.float64))


def draw_many_particles_losses(runs: dict, shown: int = 30):
    """One panel per d: L(W_t) for each step size over the first ``shown`` steps, log N dashed."""
    fig, axes = style.figure(ncols=len(runs), width=3.3 * len(runs) + 0.4, height=3.2, sharey=True)
    for ax, (d, (run, sharp)) in zip(axes[0], runs.items()):
        N = run.margins.shape[-1]
        for s, eta in enumerate(style.to_numpy(run.step_sizes)):
            ax.plot(np.arange(shown), style.to_numpy(run.loss[s, :shown]), label=f"η = {eta:g}", color=style.PALETTE[s])
        ax.axhline(math.log(N), color="#333333", linestyle="--", linewidth=0.8, label=f"log {N}")
        ax.set_yscale("log")
        ax.set_xlabel("step t")
        ax.set_ylabel(r"loss $L(W_t)$")
        ax.set_title(f"d = {d}  (2 / sharpness at 0 = {2 / sharp:.1f})")
    axes[0, 0].legend(loc="lower left")
    return fig


def draw_first_step(run: train.Run, token: int = -1):
    """Left: m_1(x) / eta for every token and step size. Right: the margin of ``token`` (the rarest) against t."""
    fig, axes = style.figure(ncols=2, width=9.0, height=3.3)
    etas = style.to_numpy(run.step_sizes)
    N = run.margins.shape[-1]
    ax = axes[0, 0]
    x = np.arange(1, N + 1)
    markers = ["o", "s", "^", "x", "D", "v"]
    for s, eta in enumerate(etas):
        ax.plot(x + 0.08 * (s - (len(etas) - 1) / 2), style.to_numpy(run.margins[s, 1]) / eta, markers[s % len(markers)],
                color=style.PALETTE[s], label=f"η = {eta:g}", markerfacecolor="none" if s % 2 else None)
    ax.axhline(0.0, color="#333333", linewidth=0.8)
    ax.set_xticks(x)
    ax.set_xlabel("token x (1 = most frequent)")
    ax.set_ylabel(r"$m_{W_1}(x)\, /\, \eta$")
    ax.set_title("first step: the margin divided by η")
    ax.legend(loc="upper right")
    ax = axes[0, 1]
    k = token % N
    T = run.margins.shape[1]
    for s, eta in enumerate(etas):
        ax.plot(np.arange(T), style.to_numpy(run.margins[s, :, k]), "o-", color=style.PALETTE[s], markersize=3, label=f"η = {eta:g}")
    ax.axhline(0.0, color="#333333", linewidth=0.8)
    ax.set_xlabel("step t")
    ax.set_ylabel(rf"margin $m_{{W_t}}({k + 1})$")
    ax.set_title(f"the rarest token (x = {k + 1}) after the first step")
    ax.legend(loc="upper left")
    return fig


def draw_many_particles_margins(runs: dict, shown: int = 30):
    """A grid (rows d, columns eta, shared y per row) of the margins m_{W_t}(x) of every token over the first ``shown`` steps."""
    dims = list(runs)
    S = runs[dims[0]][0].step_sizes.shape[0]
    fig, axes = style.figure(ncols=S, nrows=len(dims), width=3.2 * S + 0.6, height=2.5 * len(dims) + 1.0, sharex=True, sharey="row")
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


def draw_long_run(lr: LongRun):
    """L(W_t) and L01(W_t) against t on log axes for each step size, the step from which L01 = 0 marked."""
    fig, axes = style.figure(ncols=2, width=9.5, height=3.4)
    T = lr.loss.shape[1]
    t = np.arange(1, T)
    perfect = style.to_numpy(first_perfect(lr.zero_one))
    for s, eta in enumerate(lr.step_sizes):
        color = style.PALETTE[s]
        axes[0, 0].plot(t, style.to_numpy(lr.loss[s, 1:]), color=color, linewidth=0.8, label=f"η = {eta:g}")
        axes[0, 1].plot(t, style.to_numpy(lr.zero_one[s, 1:]), color=color, linewidth=0.8)
        for ax in axes[0]:
            ax.axvline(perfect[s], color=color, linestyle=":", linewidth=1.0)
    for ax in axes[0]:
        ax.set_xscale("log")
        ax.set_xlabel("step t")
    axes[0, 0].set_yscale("log")
    axes[0, 0].set_ylabel(r"loss $L(W_t)$")
    axes[0, 0].set_title(f"d = {lr.d}, seed {lr.seed}: {T} steps (best margin {lr.best_margin:.4f})")
    axes[0, 0].legend(loc="lower left")
    axes[0, 1].set_ylabel(r"0-1 loss $L_{01}(W_t)$")
    axes[0, 1].set_title("dotted: every token right from t = " + ", ".join(str(v) for v in perfect))
    return fig


@functools.lru_cache(maxsize=256)
def _verdict(d: int, seed: int) -> str:
    """Separable or not, and the best margin, of the (d, seed) problem (cached: the widget redraws often)."""
    with threads(1):  # a small problem: a second intra-op thread only spins
        E, U, _, t = many_particles_problem(d, seed)
        best = optima.max_margin(E, U, t)
    return f"separable, best margin {best.margin:.3g}" if best else "not separable"


@functools.lru_cache(maxsize=128)
def _widget_run(d: int, step_size: float, seed: int, steps: int):
    """Loss, 0-1 loss, margins of one run and the sharpness at 0, N (cached: a widget goes back and forth)."""
    with threads(1):
        E, U, p, t = many_particles_problem(d, seed)
        step_size = _checks.positive("step_size", step_size)
        steps = _checks.count("steps", steps, minimum=1)
        run = train.gd(E, U, p, t, step_size, steps, show_progress=False)
        sharp = float(memory.sharpness(torch.zeros(d, d, dtype=torch.float64), E, U, p, t))
        return (style.to_numpy(run.loss[0]), style.to_numpy(run.zero_one[0]), style.to_numpy(run.margins[0]), sharp, len(p))


def _plot_many_particles(axes, d, step_size, seed, steps):
    loss, zero_one, m, sharp, n = _widget_run(d, step_size, seed, steps)
    ax = axes[0, 0]
    ax.plot(loss, color=style.PALETTE[0], label=r"$L(W_t)$")
    ax.plot(zero_one, color=style.PALETTE[1], label=r"$L_{01}(W_t)$")
    ax.axhline(math.log(n), color="#333333", linestyle="--", linewidth=0.8, label="log N")
    ax.set_title(f"d = {d}, η = {step_size:g}, seed {seed}: {_verdict(d, seed)}")
    ax.legend(loc="upper right")
    ax = axes[0, 1]
    for x in range(m.shape[1]):
        ax.plot(m[:, x], color=style.PALETTE[x % len(style.PALETTE)], label=f"x = {x + 1}")
    ax.axhline(0.0, color="#333333", linewidth=0.8)
    ax.set_title(f"η λ_max(∇²L(0)) / 2 = {step_size * sharp / 2:.2f}")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="token")


def draw_many_particles(d: int = 10, step_size: float = 20.0, seed: int = 43, steps: int = 30):
    """Loss and margins of one run (the widget's figure), with the problem's separability and best margin."""
    fig, axes = style.figure(ncols=2, width=9.0, height=3.2)
    axes[0, 0].set_xlabel("step t")
    axes[0, 0].set_ylabel("loss")
    axes[0, 1].set_xlabel("step t")
    axes[0, 1].set_ylabel(r"margin $m_{W_t}(x)$")
    _plot_many_particles(axes, d, step_size, seed, steps)
    return fig


def update_many_particles(fig, d: int = 10, step_size: float = 20.0, seed: int = 43, steps: int = 30):
    """``draw_many_particles`` in place: the same curves replotted on the kept axes."""
    axes = np.array(fig.axes[:2]).reshape(1, 2)
    for ax in axes.flat:
        clear_data(ax)
    _plot_many_particles(axes, d, step_size, seed, steps)


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
    return figure_widget(draw_many_particles, controls, update=update_many_particles)


@gallery.register("many-particles-losses", chapter=CHAPTER,
                  alt="Loss against step for three step sizes in dimensions 3, 5 and 10; in dimension 10 all curves fall, "
                  "in dimension 3 the largest step size oscillates with spikes above log 5.")
def many_particles_losses_figure():
    return draw_many_particles_losses(many_particles_runs())


@gallery.register("many-particles-first-step", chapter=CHAPTER,
                  alt="Left, the margins after one step divided by the step size, for five tokens and four step sizes: "
                  "the four markers coincide, and the rarest token is negative for all. Right, the rarest token's margin "
                  "over eight steps: it turns positive at step 2 for step sizes 10 and 20 and later for 1 and 3.")
def many_particles_first_step_figure():
    return draw_first_step(first_step_run())


@gallery.register("many-particles-margins", chapter=CHAPTER,
                  alt="Margins of the five tokens against step, one panel per dimension and step size.")
def many_particles_margins_figure():
    return draw_many_particles_margins(many_particles_runs())


@gallery.register("many-particles-long-run", chapter=CHAPTER,
                  alt="Loss and 0-1 loss over 5000 steps on log axes for d = 3 and step sizes 3, 10 and 20: all three "
                  "reach zero 0-1 loss, the largest step first, and the largest step ends with the lowest loss.")
def many_particles_long_run_figure():
    return draw_long_run(long_run())
