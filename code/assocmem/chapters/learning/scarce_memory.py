"""Chapter "Scarce memory": binary problems in d = 2, cross-entropy against 0-1 optima, forgetting under SGD, sharpness.

The setups are those of the authors' scripts ``exp_forgetting_2d.py`` (the four landscapes and the SGD run)
and ``exp_sharpness_2d.py`` (sharpness along GD paths), in facebookresearch/pal, projects/gradient_descent/."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.patches import Patch

from ... import _checks, data, landscape, memory, optima, train
from ...tiers import threads
from ...viz import gallery, panels, style

CHAPTER = "learning/scarce_memory"

OPTIMUM_PROBLEMS = {  # seed: (N, window gamma_0, window gamma_1), the windows of exp_forgetting_2d.py
    39: (3, (-10.0, 10.0), (-10.0, 10.0)),
    81: (3, (-2.0, 2.0), (-2.0, 2.0)),
    7: (30, (-5.0, 5.0), (-5.0, 5.0)),
    9: (30, (-1.0, 0.5), (-0.5, 1.5)),
}


def binary_problem(n: int, seed: int, exponent: float = 1.0):
    """d = 2, M = 2, U = I, f*(x) = x mod 2, Zipf frequencies, E drawn after ``manual_seed(seed)``."""
    E = data.sphere_embeddings(n, 2, seed)
    return E, torch.eye(2, dtype=torch.float64), data.zipf(n, exponent), data.targets(n, "mod", 2)


@dataclass
class Optimum:
    """One of the four problems: its landscape, the grid and grid-free excess errors, and the optima."""

    seed: int
    E: torch.Tensor
    freqs: torch.Tensor
    targets: torch.Tensor
    land: landscape.Landscape
    grid_excess: float
    excess: optima.Excess


def optimum_problems(num: int = 100) -> dict[int, Optimum]:
    """The four problems (seeds 39, 81, 7, 9) on num x num grids."""
    with threads(1):
        num = _checks.count("num", num, minimum=2)
        out = {}
        for seed, (n, xlim, ylim) in OPTIMUM_PROBLEMS.items():
            E, U, p, t = binary_problem(n, seed)
            land = landscape.evaluate(E, U, p, t, xlim, ylim, num)
            out[seed] = Optimum(seed, E, p, t, land, optima.grid_excess_error(land), optima.excess_error(E, U, p, t))
        return out


def _ray(ax, direction, land, **kwargs):
    g0, g1 = style.to_numpy(land.g0), style.to_numpy(land.g1)
    reach = 2 * max(abs(g0).max(), abs(g1).max())
    u = style.to_numpy(direction) / max(float(np.linalg.norm(style.to_numpy(direction))), 1e-300)
    ax.plot([0, reach * u[0]], [0, reach * u[1]], **kwargs)
    ax.set_xlim(g0[0], g0[-1])
    ax.set_ylim(g1[0], g1[-1])


def _legend_below(ax, ncol: int = 2):
    """A legend under the axes, so that it covers none of the landscape."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=ncol, fontsize=7, frameon=False)


def draw_optimum_landscapes(problems: dict[int, Optimum]):
    """Landscapes (L / N contours over shaded L01) with the CE minimiser and the best 0-1 direction."""
    fig, axes = style.figure(ncols=len(problems), width=4.0 * len(problems), height=4.3)
    for k, (ax, pr) in enumerate(zip(axes[0], problems.values())):
        N = len(pr.freqs)
        panels.landscape(ax, pr.land, scale=1.0 / N, levels=12, colorbar=k == len(problems) - 1,
                        title=f"seed {pr.seed}, N = {N}\nexcess 0-1: grid {pr.grid_excess:.3f}, exact {pr.excess.value:.3f}")
        ex = pr.excess
        _ray(ax, ex.best.gamma, pr.land, color=style.PALETTE[2], linewidth=1.5, linestyle="--", label="best 0-1 direction")
        if ex.minimiser.separable:
            _ray(ax, ex.minimiser.gamma, pr.land, color=style.PALETTE[1], linewidth=1.5, label="CE descent direction (no minimiser)")
        else:
            g = style.to_numpy(ex.minimiser.gamma)
            ax.plot(g[0], g[1], "*", color=style.PALETTE[1], markersize=13, markeredgecolor="black", label="CE minimiser")
        _legend_below(ax, ncol=1)
    return fig


def draw_given_up_tokens(problems: dict[int, Optimum]):
    """Token frequencies coloured by which memory misclassifies them: CE minimiser, best 0-1 memory, both or neither."""
    fig, axes = style.figure(ncols=len(problems), width=4.0 * len(problems), height=3.0)
    kinds = [("both right", "#bbbbbb"), ("lost by CE only", style.PALETTE[1]),
             ("lost by best 0-1 only", style.PALETTE[2]), ("lost by both", "#333333")]
    for ax, pr in zip(axes[0], problems.values()):
        ce = style.to_numpy(optima.misclassified(pr.excess.minimiser.gamma, pr.E, pr.targets))
        best = style.to_numpy(optima.misclassified(pr.excess.best.gamma, pr.E, pr.targets))
        code = ce.astype(int) + 2 * best.astype(int)
        p = style.to_numpy(pr.freqs)
        x = np.arange(1, len(p) + 1)
        ax.bar(x, p, width=0.8, color=[kinds[k][1] for k in code])
        ax.set_xticks(x if len(x) <= 10 else x[::5])
        ax.set_xlabel("token x (1 = most frequent)")
        ax.set_ylabel("frequency p(x)")
        ax.set_title(f"seed {pr.seed}: L01 CE {pr.excess.ce_error:.3f}, best {pr.excess.best.error:.3f}")
    fig.legend(handles=[Patch(color=color, label=label) for label, color in kinds], loc="outside lower center", ncol=len(kinds))
    return fig


@gallery.register("optimum-landscapes", chapter=CHAPTER,
                  alt="Four loss landscapes over the plane of binary memories with the cross-entropy minimiser starred and "
                  "the best 0-1 direction dashed; the titles give the excess 0-1 error of the minimiser.")
def optimum_landscapes_figure():
    return draw_optimum_landscapes(optimum_problems())


@gallery.register("given-up-tokens", chapter=CHAPTER,
                  alt="Bar charts of token frequencies, coloured by whether the cross-entropy minimiser, the best 0-1 memory, "
                  "both or neither misclassify each token.")
def given_up_tokens_figure():
    return draw_given_up_tokens(optimum_problems())


# Forgetting under SGD (the second part of exp_forgetting_2d.py)
FORGETTING = dict(n=10, seed=11, exponent=2.0, start=(7.5, 2.5), batch_size=10, step_size=0.1, steps=1000)


@dataclass
class Forgetting:
    E: torch.Tensor
    U: torch.Tensor
    freqs: torch.Tensor
    targets: torch.Tensor
    run: train.Run
    gammas: torch.Tensor  # (T + 1, 2)
    excess: optima.Excess


def authors_batches(steps: int = FORGETTING["steps"]) -> torch.Tensor:
    """The minibatches of the authors' SGD run, (steps, 10) token indices.

    ``exp_forgetting_2d.py`` calls ``torch.manual_seed(11)``, draws E (``randn(10, 2)``), builds a
    model whose random initial W (``randn(2, 2)``) it then overwrites twice (another ``randn(2, 2)``,
    then gamma = (7.5, 2.5)), and draws each step's batch with ``torch.multinomial(p, 10,
    replacement=True)`` from float32 Zipf frequencies. A private generator replays that stream.
    """
    steps = _checks.count("steps", steps, minimum=1)
    n, size = FORGETTING["n"], FORGETTING["batch_size"]
    generator = torch.Generator().manual_seed(FORGETTING["seed"])
    torch.randn(n, 2, generator=generator)
    torch.randn(2, 2, generator=generator)
    torch.randn(2, 2, generator=generator)
    p = (torch.arange(n) + 1.0) ** (-FORGETTING["exponent"])
    p = p / p.sum()
    return torch.stack([torch.multinomial(p, size, replacement=True, generator=generator) for _ in range(steps)])


def seeded_batches(seed: int, steps: int = FORGETTING["steps"]) -> torch.Tensor:
    """Minibatches (steps, 10) drawn i.i.d. from the Zipf frequencies by a generator seeded with ``seed``."""
    steps = _checks.count("steps", steps, minimum=1)
    _, _, p, _ = binary_problem(FORGETTING["n"], FORGETTING["seed"], FORGETTING["exponent"])
    generator = torch.Generator().manual_seed(_checks.count("seed", seed))
    size = FORGETTING["batch_size"]
    return torch.multinomial(p, steps * size, replacement=True, generator=generator).reshape(steps, size)


def sgd_on_batches(E, U, freqs, targets, step_size: float, batches: torch.Tensor, W0=None, store_W: bool = False) -> train.Run:
    """SGD on given minibatches of token indices, (T, B) for one run or (S, T, B) for S runs at once.

    Each step descends the batch's mean cross-entropy, W <- W - eta grad (1/B) sum_b l(x_b); the
    mean is the population gradient under the batch's empirical token frequencies. Logged losses
    are population losses, measured on W_t.
    """
    batches = torch.as_tensor(batches)
    if batches.ndim == 2:
        batches = batches[None]
    if batches.ndim != 3 or batches.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"batches must be integer token indices of shape (T, B) or (S, T, B), got {tuple(batches.shape)} {batches.dtype}.")
    S, T, B = batches.shape
    E, U, p, t, eta, steps, W = train._setup(E, U, freqs, targets, [float(step_size)] * S, T, W0)
    N = E.shape[0]
    if batches.min() < 0 or batches.max() >= N:
        raise ValueError(f"batches must hold token indices in [0, {N}), got values from {int(batches.min())} to {int(batches.max())}.")
    counts = torch.nn.functional.one_hot(batches, N).sum(dim=2).to(E.dtype) / B  # (S, T, N)

    def batch_gradient(s, step):
        residual = memory._residual(s, t) * counts[:, step, :, None]
        return U.T @ residual.transpose(-1, -2) @ E

    return train._run(E, U, p, t, eta, steps, W, batch_gradient, store_W, False, "SGD")


def _forgetting_problem():
    return binary_problem(FORGETTING["n"], FORGETTING["seed"], FORGETTING["exponent"])


def forgetting_run(steps: int = FORGETTING["steps"], sgd_seed: int | None = None, start=FORGETTING["start"]) -> Forgetting:
    """SGD with batch 10 (with replacement) and eta = 0.1 on N = 10, Zipf a = 2, seed 11, from gamma = ``start``.

    ``sgd_seed=None`` replays the authors' batches (``authors_batches``); an integer draws them with
    ``seeded_batches(sgd_seed)``. ``start=None`` starts from W = 0.
    """
    with threads(1):
        E, U, p, t = _forgetting_problem()
        W0 = None if start is None else landscape.to_memory(torch.tensor(start, dtype=torch.float64), U)
        batches = authors_batches(steps) if sgd_seed is None else seeded_batches(sgd_seed, steps)
        run = sgd_on_batches(E, U, p, t, FORGETTING["step_size"], batches, W0=W0, store_W=True)
        return Forgetting(E, U, p, t, run, landscape.project(run.W, U)[0], optima.excess_error(E, U, p, t))


def forgetting_sweep(sgd_seeds, steps: int = FORGETTING["steps"], start=FORGETTING["start"], with_authors: bool = False) -> train.Run:
    """The forgetting run for several batch streams at once (one row per stream): the authors' first
    when ``with_authors``, then ``seeded_batches(s)`` for each s in ``sgd_seeds``."""
    with threads(1):
        E, U, p, t = _forgetting_problem()
        W0 = None if start is None else landscape.to_memory(torch.tensor(start, dtype=torch.float64), U)
        streams = ([authors_batches(steps)] if with_authors else []) + [seeded_batches(s, steps) for s in sgd_seeds]
        return sgd_on_batches(E, U, p, t, FORGETTING["step_size"], torch.stack(streams), W0=W0)


def draw_forgetting(fe: Forgetting, early: int, late: int, xlim=(-2.0, 9.0), ylim=(-2.0, 4.0)):
    """Trajectory on the landscape, L / 2 and L01 against t, and the misclassified tokens at steps early and late."""
    N = len(fe.freqs)
    land = landscape.evaluate(fe.E, fe.U, fe.freqs, fe.targets, xlim, ylim, 100)
    fig, axes = style.figure(ncols=3, width=13.5, height=4.3)
    ax = axes[0, 0]
    panels.landscape(ax, land, scale=1.0 / N, levels=12, colorbar=True, title="SGD trajectory (contours: L / N)")
    panels.trajectory(ax, fe.gammas[::5], color=style.PALETTE[1], marker=".", label="SGD, every 5th step")
    g = style.to_numpy(fe.excess.minimiser.gamma)
    ax.plot(g[0], g[1], "*", color=style.PALETTE[2], markersize=13, markeredgecolor="black", label="CE minimiser")
    _legend_below(ax)
    ax = axes[0, 1]
    T = fe.run.loss.shape[1]
    ax.plot(style.to_numpy(fe.run.loss[0]) / 2, color=style.PALETTE[0], label=r"$L(W_t) / 2$")
    ax.plot(style.to_numpy(fe.run.zero_one[0]), color=style.PALETTE[1], label=r"$L_{01}(W_t)$")
    ax.axhline(fe.excess.minimiser.loss / 2, color=style.PALETTE[0], linestyle=":", label="min L / 2")
    ax.axhline(fe.excess.best.error, color=style.PALETTE[2], linestyle="--", label=r"best linear $L_{01}$")
    for t_mark in (early, late):
        ax.axvline(t_mark, color="#999999", linewidth=0.7)
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(0, T)
    ax.set_xlabel("step t")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7)
    ax = axes[0, 2]
    p = style.to_numpy(fe.freqs)
    x = np.arange(1, N + 1)
    wrong = [style.to_numpy(optima.misclassified(fe.gammas[s], fe.E, fe.targets)) for s in (early, late)]
    ax.bar(x - 0.2, np.where(wrong[0], p, 0), width=0.4, color=style.PALETTE[1], label=f"misclassified at t = {early}")
    ax.bar(x + 0.2, np.where(wrong[1], p, 0), width=0.4, color=style.PALETTE[3], label=f"misclassified at t = {late}")
    ax.plot(x, p, "_", color="#333333", markersize=12, label="p(x)")
    ax.set_yscale("log")
    ax.set_xlabel("token x (1 = most frequent)")
    ax.set_ylabel("frequency p(x)")
    ax.set_xticks(x)
    ax.legend(fontsize=7)
    return fig


@gallery.register("forgetting-sgd", chapter=CHAPTER,
                  alt="SGD trajectory on a loss landscape, the loss and 0-1 loss against step, and the misclassified tokens "
                  "early and late: a frequent token is stored early and forgotten later.")
def forgetting_figure():
    fe = forgetting_run()
    z = fe.run.zero_one[0]
    early = int((z <= z.min() + 1e-12).nonzero()[0])
    return draw_forgetting(fe, early, len(z) - 1)


# Sharpness along trajectories (exp_sharpness_2d.py)
SHARPNESS_PROBLEMS = {  # seed: (N, start, window gamma_0, window gamma_1)
    39: (3, (-5.0, -5.0), (-6.0, 10.0), (-10.0, 2.0)),
    9: (30, (-5.0, 5.0), (-6.0, 4.0), (-2.0, 6.0)),
}
SHARPNESS_STEP_SIZES = (10.0, 1.0)


@dataclass
class SharpnessRun:
    seed: int
    run: train.Run
    gammas: torch.Tensor  # (S, T + 1, 2)
    sharpness: torch.Tensor  # (S, T + 1)
    land: landscape.Landscape


def sharpness_runs(steps: int = 35, num: int = 100) -> dict[int, SharpnessRun]:
    """GD for each problem from its start with eta in {10, 1}; sharpness along the path and over the grid."""
    with threads(1):
        out = {}
        for seed, (n, start, xlim, ylim) in SHARPNESS_PROBLEMS.items():
            E, U, p, t = binary_problem(n, seed)
            W0 = landscape.to_memory(torch.tensor(start, dtype=torch.float64), U)
            run = train.gd(E, U, p, t, list(SHARPNESS_STEP_SIZES), steps, W0=W0, store_W=True, show_progress=False)
            land = landscape.evaluate(E, U, p, t, xlim, ylim, num, with_sharpness=True)
            out[seed] = SharpnessRun(seed, run, landscape.project(run.W, U), memory.sharpness(run.W, E, U, p, t), land)
        return out


def draw_sharpness(runs: dict[int, SharpnessRun]):
    """One row per problem: trajectories on the landscape, the sharpness map, the sharpness against t."""
    fig, axes = style.figure(ncols=3, nrows=len(runs), width=14.0, height=4.2 * len(runs))
    for row, sr in enumerate(runs.values()):
        N = sr.run.margins.shape[-1]
        ax = axes[row, 0]
        panels.landscape(ax, sr.land, scale=1.0 / N, levels=12, colorbar=True, title=f"seed {sr.seed}, N = {N}: GD trajectories")
        for s, eta in enumerate(SHARPNESS_STEP_SIZES):
            panels.trajectory(ax, sr.gammas[s], color=style.PALETTE[1 + 2 * s], label=f"η = {eta:g}")
        ax.set_xlim(float(sr.land.g0[0]), float(sr.land.g0[-1]))
        ax.set_ylim(float(sr.land.g1[0]), float(sr.land.g1[-1]))
        _legend_below(ax)
        ax = axes[row, 1]
        g0, g1 = style.to_numpy(sr.land.g0), style.to_numpy(sr.land.g1)
        mesh = ax.pcolormesh(g0, g1, style.to_numpy(sr.land.sharpness), cmap="magma", shading="auto", rasterized=True)
        fig.colorbar(mesh, ax=ax, label="sharpness", shrink=0.8)
        lines = ax.contour(g0, g1, style.to_numpy(sr.land.sharpness), levels=[2 / SHARPNESS_STEP_SIZES[0]], colors="white", linewidths=1.0)
        ax.clabel(lines, fmt={lines.levels[0]: "2/η, η = 10"}, fontsize=6)
        for s, eta in enumerate(SHARPNESS_STEP_SIZES):
            gs = style.to_numpy(sr.gammas[s])
            ax.plot(gs[:, 0], gs[:, 1], ".-", color=style.PALETTE[1 + 2 * s], markersize=2.5, linewidth=0.8)
        ax.set_xlim(g0[0], g0[-1])
        ax.set_ylim(g1[0], g1[-1])
        ax.set_xlabel(r"$\gamma_0$")
        ax.set_ylabel(r"$\gamma_1$")
        ax.grid(False)
        ax.set_title("sharpness over the grid")
        ax = axes[row, 2]
        for s, eta in enumerate(SHARPNESS_STEP_SIZES):
            ax.plot(style.to_numpy(sr.sharpness[s]), ".-", color=style.PALETTE[1 + 2 * s], label=f"η = {eta:g}")
        ax.axhline(2 / SHARPNESS_STEP_SIZES[0], color="#333333", linestyle="--", linewidth=0.8, label="2 / η for η = 10")
        ax.set_xlabel("step t")
        ax.set_ylabel(r"sharpness at $W_t$")
        ax.legend(fontsize=7)
    return fig


@gallery.register("sharpness-trajectories", chapter=CHAPTER,
                  alt="For two problems, GD trajectories with step sizes 10 and 1 on the loss landscape, the map of the "
                  "sharpness over the plane, and the sharpness along each trajectory; with step 10 the second problem "
                  "ends in a two-point cycle.")
def sharpness_figure():
    return draw_sharpness(sharpness_runs())
