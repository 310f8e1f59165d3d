"""Chapter "A dense memory in a fixed number of weights": runs, figures and the widget.

Every experiment compares the exact dense memory (MrDAM, all K patterns kept) with its
random-feature version (DrDAM, one vector T of Y numbers) from ``assocmem.models.random_features``.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import ipywidgets as w
import numpy as np
import torch

from ... import tiers
from ..._checks import DTYPE
from ...models import random_features as rf
from ...viz import gallery, style
from ...viz.widgets import clear_data, figure_widget, slider

CHAPTER = "beyond/random_features"

# The setting of the issue: D = 8, K = 64 Gaussian memories of scale 1.5, beta = 1,
# queries = memories + 0.3 noise, 100 gradient steps of size 0.1.
DIM, NUM_MEMORIES, SCALE, BETA, NOISE, STEPS, STEP_SIZE = 8, 64, 1.5, 1.0, 0.3, 100, 0.1
FEATURES = (256, 1024, 4096, 16384)


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def gaussian_memories(num: int = NUM_MEMORIES, dim: int = DIM, scale: float = SCALE, seed: int = 0) -> torch.Tensor:
    """``num`` memories xi^mu ~ N(0, scale^2 I_dim); shape (num, dim)."""
    return scale * torch.randn(num, dim, generator=_generator(10_000 + seed), dtype=DTYPE)


def noisy_queries(patterns: torch.Tensor, num: int, noise: float = NOISE, seed: int = 0) -> torch.Tensor:
    """The first ``num`` memories plus N(0, noise^2 I) noise; shape (num, dim)."""
    return patterns[:num] + noise * torch.randn(num, patterns.shape[1], generator=_generator(20_000 + seed), dtype=DTYPE)


# ----------------------------------------------------------------------------- the variance of one kernel estimate

@dataclass
class VarianceRun:
    ks: np.ndarray  # exact kernel values of the pairs
    num_features: int
    empirical: dict  # kind -> (len(ks),) variance over seeds
    formula: dict  # kind -> (len(ks),) derived variance
    mean_error: dict  # kind -> max |mean over seeds - k| / standard error


def variance_run(num_features: int = 64, num_seeds: int = 300, dim: int = DIM, beta: float = BETA) -> VarianceRun:
    """Monte Carlo over ``num_seeds`` feature draws of phi(x)^T phi(y) for pairs at several distances."""
    ks = np.array([0.02, 0.2, 0.5, 0.8, 0.95])
    radii = np.sqrt(-2 * np.log(ks) / beta)
    direction = torch.ones(dim, dtype=DTYPE) / math.sqrt(dim)
    x = torch.zeros(len(ks), dim, dtype=DTYPE)
    y = torch.as_tensor(radii, dtype=DTYPE)[:, None] * direction
    empirical, formula, mean_error = {}, {}, {}
    for kind in rf.KINDS:
        with tiers.threads(1):  # many tiny draws: one thread avoids the synchronisation cost
            both = torch.cat([x, y])
            draws = torch.stack([(lambda phi: (phi[: len(ks)] * phi[len(ks):]).sum(-1))(rf.features(both, num_features, beta, seed, kind))
                                 for seed in range(num_seeds)])  # (seeds, pairs)
        empirical[kind] = draws.var(dim=0).numpy()
        formula[kind] = rf.kernel_variance(x, y, beta, num_features, kind).numpy()
        stderr = np.sqrt(formula[kind] / num_seeds)
        mean_error[kind] = float(np.max(np.abs(draws.mean(0).numpy() - ks) / np.maximum(stderr, 1e-12)))
    return VarianceRun(ks, num_features, empirical, formula, mean_error)


def draw_variance(run: VarianceRun):
    """Per-feature variance Y Var[phi(x)^T phi(y)] against the kernel value k, formula and Monte Carlo."""
    fig, axes = style.figure(width=5.6, height=3.4)
    ax = axes[0, 0]
    grid = np.linspace(0, 1, 200)
    curves = {"cos": 1 - grid**2 + grid**4 / 2, "sincos": (1 - grid**2) ** 2}
    for colour, kind in zip(style.PALETTE, rf.KINDS):
        ax.plot(grid, curves[kind], color=colour, label=f"{kind}: derived")
        ax.plot(run.ks, run.num_features * run.empirical[kind], "o", color=colour, markersize=5,
                label=f"{kind}: {len(run.ks)} pairs, Monte Carlo")
    ax.set_xlabel(r"exact kernel $k = e^{-\beta \|x - y\|^2 / 2}$")
    ax.set_ylabel(r"$Y \cdot \mathrm{Var}[\phi(x)^\top \phi(y)]$")
    ax.set_title(f"Y = {run.num_features} features, variance over draws of S and b")
    ax.set_ylim(-0.03, 1.1)
    ax.legend(loc="lower left")
    return fig


@gallery.register("random-features-variance", chapter=CHAPTER,
                  alt="Variance of one random-feature kernel estimate, times Y, against the exact kernel value: the cos "
                      "features stay between 1/2 and 1, the paired sin/cos features fall from 1 to 0 as the points meet; "
                      "Monte Carlo dots lie on the derived curves.")
def variance_figure():
    return draw_variance(variance_run())


# ----------------------------------------------------------------------------- errors against Y

@dataclass
class ErrorRun:
    num_features: np.ndarray  # (F,)
    kernel_errors: np.ndarray  # (seeds, F, Q) relative error of phi(q)^T T at each query
    distances: np.ndarray  # (seeds, F, Q) ||x_Dr - x_Mr|| after retrieval
    predicted: np.ndarray  # (seeds, F) median derived RMS relative error sqrt(Var) / S
    moved: np.ndarray  # (seeds, Q) ||q - x_Mr||: how far MrDAM moves each query

    @property
    def kernel_error(self) -> np.ndarray:
        """Median over the queries, per seed and Y; shape (seeds, F)."""
        return np.median(self.kernel_errors, axis=-1)

    @property
    def distance(self) -> np.ndarray:
        return np.median(self.distances, axis=-1)

    def pooled(self, values: np.ndarray) -> np.ndarray:
        """Median over every seed and query, per Y; shape (F,)."""
        return np.median(np.moveaxis(values, 1, 0).reshape(len(self.num_features), -1), axis=1)


def error_run(num_features=FEATURES, seeds=(0, 1, 2), num_queries: int = 20, beta: float = BETA, kind: str = "cos",
              steps: int = STEPS, step_size: float = STEP_SIZE) -> ErrorRun:
    """Kernel-sum error and end-state distance of DrDAM against MrDAM, per seed, Y and query (the issue's setting)."""
    kernel_errors, distances, predicted, moved = [], [], [], []
    with tiers.threads(1):
        for seed in seeds:
            xi = gaussian_memories(seed=seed)
            q = noisy_queries(xi, num_queries, seed=seed)
            exact = rf.exact_kernel_sum(q, xi, beta)
            x_mr = rf.exact_retrieve(q, xi, beta, steps=steps, step_size=step_size)
            per_feature = rf.kernel_sum_variance(q, xi, beta, 1, kind)
            moved.append((q - x_mr).norm(dim=1).numpy())
            rows = [[], [], []]
            for y in num_features:
                T = rf.store(xi, y, beta, seed, kind)
                rows[0].append(rf.relative_error(rf.kernel_sum(q, T, beta, seed, kind), exact).numpy())
                x_dr = rf.retrieve(q, T, beta, seed, kind, steps=steps, step_size=step_size)
                rows[1].append((x_dr - x_mr).norm(dim=1).numpy())
                rows[2].append((per_feature / y).sqrt().div(exact).median().item())
            kernel_errors.append(rows[0]), distances.append(rows[1]), predicted.append(rows[2])
    return ErrorRun(np.array(num_features), np.array(kernel_errors), np.array(distances), np.array(predicted), np.array(moved))


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def draw_errors(run: ErrorRun):
    """Both error measures against Y, one line per seed, with a Y^(-1/2) guide."""
    fig, axes = style.figure(ncols=2, width=8.4, height=3.4)
    Y = run.num_features
    panels = ((run.kernel_error, "median relative error of $\\phi(q)^\\top T$"),
              (run.distance, "median $\\|x_{Dr} - x_{Mr}\\|$ after retrieval"))
    for ax, (values, label) in zip(axes[0], panels):
        for i, row in enumerate(values):
            ax.plot(Y, row, "o-", color=style.PALETTE[0], alpha=0.45 + 0.55 * (i == 0), markersize=4,
                    label="DrDAM, one line per seed" if i == 0 else None)
        guide = values[:, 0].mean() * np.sqrt(Y[0] / Y)
        ax.plot(Y, guide, "--", color="#555555", label=r"$\propto Y^{-1/2}$")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("number of random features Y")
        ax.set_ylabel(label)
        ax.legend(loc="upper right")
    axes[0, 0].plot(Y, run.predicted.mean(0), ":", color=style.PALETTE[1], label="derived RMS error")
    axes[0, 0].legend(loc="upper right")
    axes[0, 0].set_title("the kernel sum at the queries")
    axes[0, 1].set_title("where 100 gradient steps end")
    return fig


@gallery.register("random-features-errors", chapter=CHAPTER,
                  alt="Two log-log panels against the number of random features Y from 256 to 16384: the median relative "
                      "error of the kernel sum and the median distance between the DrDAM and MrDAM end states both fall "
                      "along the Y to the minus one half guide, for three seeds.")
def errors_figure():
    return draw_errors(error_run())


# ----------------------------------------------------------------------------- energies on a 2-D slice

@dataclass
class SliceRun:
    u: np.ndarray
    v: np.ndarray
    exact: np.ndarray  # (n, n)
    approx: dict  # Y -> (n, n)
    anchors: np.ndarray  # (3, 2) the three memories in slice coordinates
    beta: float


def _plane(xi: torch.Tensor):
    """An orthonormal frame (origin, e1, e2) of the plane through the first three memories."""
    origin = xi[:3].mean(0)
    e1 = xi[1] - xi[0]
    e1 = e1 / e1.norm()
    e2 = xi[2] - xi[0]
    e2 = e2 - (e2 @ e1) * e1
    e2 = e2 / e2.norm()
    return origin, e1, e2


def _slice_grid(xi: torch.Tensor, resolution: int):
    """The plane through the first three memories: its basis, the memories' coordinates, the (resolution,) axis u,
    the meshgrid U and the resolution^2 points of the grid in R^D."""
    origin, e1, e2 = _plane(xi)
    anchors = torch.stack([(xi[:3] - origin) @ e1, (xi[:3] - origin) @ e2], dim=1)
    reach = anchors.abs().max().item() + 2.0
    u = np.linspace(-reach, reach, resolution)
    U, V = np.meshgrid(u, u)
    points = origin + torch.as_tensor(U.ravel())[:, None] * e1 + torch.as_tensor(V.ravel())[:, None] * e2
    return origin, e1, e2, anchors, u, U, points


def slice_run(num_features=(256, 2048, 16384), beta: float = BETA, seed: int = 0, resolution: int = 45, kind: str = "cos",
              patterns: torch.Tensor | None = None) -> SliceRun:
    """MrDAM and DrDAM energies on the plane through three memories (the others lie off the plane)."""
    xi = gaussian_memories(seed=seed) if patterns is None else patterns
    _, _, _, anchors, u, U, points = _slice_grid(xi, resolution)
    with tiers.threads(1):
        exact = rf.exact_energy(points, xi, beta).reshape(U.shape).numpy()
        approx = {y: rf.energy(points, rf.store(xi, y, beta, seed, kind), beta, seed, kind).reshape(U.shape).numpy()
                  for y in num_features}
    return SliceRun(u, u, exact, approx, anchors.numpy(), beta)


def _slice_panels(axes, run: SliceRun):
    """The heat maps and memory crosses of ``draw_slice`` (also replotted in place by the widget); the last mesh."""
    lo = run.exact.min()
    hi = -math.log(rf.EPS) / run.beta  # the clipped value: no memory seen from here
    images = [("MrDAM (exact)", run.exact)] + [(f"DrDAM, Y = {y}", e) for y, e in run.approx.items()]
    for ax, (title, values) in zip(axes, images):
        mesh = ax.pcolormesh(run.u, run.v, values, vmin=lo, vmax=min(hi, lo + 12), cmap="viridis", shading="auto")
        ax.plot(run.anchors[:, 0], run.anchors[:, 1], "x", color="white", markersize=7, mew=2)
        ax.set_title(title)
    return mesh


def draw_slice(run: SliceRun):
    """The exact energy and DrDAM's for each Y, one colour scale, on the plane through three memories."""
    n = 1 + len(run.approx)
    fig, axes = style.figure(ncols=n, width=2.55 * n + 0.9, height=2.9)
    mesh = _slice_panels(axes[0], run)
    for ax in axes[0]:
        ax.set_xlabel("slice coordinate 1")
        ax.set_aspect("equal")
        ax.grid(False)
    axes[0, 0].set_ylabel("slice coordinate 2")
    for ax in axes[0, 1:]:
        ax.set_yticklabels([])
    fig.colorbar(mesh, ax=list(axes[0]), label="energy E(x)", shrink=0.85)
    return fig


@gallery.register("random-features-slice", chapter=CHAPTER,
                  alt="Four heat maps of the energy on the plane through three of 64 memories in eight dimensions: the exact "
                      "energy has three smooth wells at the crosses; DrDAM with 256 features is a noisy patchwork, with 2048 "
                      "the wells appear, with 16384 it resembles the exact energy near the memories but stays noisy far away.")
def slice_figure():
    return draw_slice(slice_run())


# ----------------------------------------------------------------------------- cost against K

@dataclass
class CostRun:
    memories: np.ndarray  # K values of the size panels
    num_features: int
    mr_weights: np.ndarray
    dr_weights: np.ndarray
    time_memories: np.ndarray
    mr_seconds: np.ndarray  # per step, B queries
    dr_seconds: float
    needed: dict  # beta -> (len(need_memories),) Y needed for the target error
    need_memories: np.ndarray
    target: float
    dim: int


def _step_seconds(step, repeats: int) -> float:
    step()  # warm up
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    return best


def needed_features(memories, beta: float, target: float = 0.1, num_queries: int = 12, kind: str = "cos", seed: int = 0,
                    dim: int = DIM, scale: float = SCALE) -> np.ndarray:
    """Y at which the derived RMS relative error of phi(q)^T T is ``target`` (median over queries), per K.

    The memories of the larger K contain those of the smaller: Y Var does not depend on Y, so
    Y_needed = Y Var / (target^2 S^2) exactly.
    """
    xi_all = gaussian_memories(max(memories), dim, scale, seed)
    noise = NOISE * torch.randn(num_queries, dim, generator=_generator(30_000 + seed), dtype=DTYPE)
    out = []
    for K in memories:
        xi = xi_all[:K]
        q = xi[:num_queries] + noise
        per_feature = rf.kernel_sum_variance(q, xi, beta, 1, kind)
        out.append((per_feature / (target**2 * rf.exact_kernel_sum(q, xi, beta) ** 2)).median().item())
    return np.array(out)


def cost_run(num_features: int = 4096, time_memories=(256, 1024, 4096, 16384, 65536), num_queries: int = 40,
             need_memories=(16, 32, 64, 128, 256, 512, 1024), betas=(1.0, 0.25), target: float = 0.1, repeats: int = 7) -> CostRun:
    """Weights, measured time per gradient step, and the Y a target error needs, against the number of memories K."""
    memories = np.array([16, 64, 256, 1024, 4096, 16384, 65536])
    mr_weights = np.array([rf.weights(int(K), DIM) for K in memories])
    dr_weights = np.array([rf.weights(int(K), DIM, num_features) for K in memories])
    with tiers.threads(1):
        xi_all = gaussian_memories(max(time_memories))
        q = noisy_queries(xi_all, num_queries)
        mr_seconds = np.array([_step_seconds(lambda: rf.exact_energy_grad(q, xi_all[:K], BETA), repeats) for K in time_memories])
        T = rf.store(xi_all[:NUM_MEMORIES], num_features, BETA, 0)
        S, b = rf.projection(DIM, num_features, 0)
        dr_seconds = _step_seconds(lambda: rf._energy_grad(q, T, S, b, BETA, "cos", rf.EPS), repeats)
        needed = {beta: needed_features(need_memories, beta, target) for beta in betas}
    return CostRun(memories, num_features, mr_weights, dr_weights, np.array(time_memories), mr_seconds, dr_seconds,
                   needed, np.array(need_memories), target, DIM)


def crossover(memories, needed, factor: float) -> float:
    """Smallest K (log-interpolated) at which ``needed`` falls below factor * K; inf if never in the range."""
    memories, needed = np.asarray(memories, float), np.asarray(needed, float)
    ratio = np.log(needed / (factor * memories))
    below = np.nonzero(ratio <= 0)[0]
    if len(below) == 0:
        return math.inf
    i = below[0]
    if i == 0:
        return float(memories[0])
    t = ratio[i - 1] / (ratio[i - 1] - ratio[i])
    return float(np.exp(np.log(memories[i - 1]) + t * (np.log(memories[i]) - np.log(memories[i - 1]))))


def time_crossover(run: CostRun) -> float:
    """K (log-interpolated) at which a MrDAM step becomes as slow as a DrDAM step with run.num_features."""
    K, t = np.log(run.time_memories.astype(float)), np.log(run.mr_seconds)
    target = math.log(run.dr_seconds)
    if target <= t[0]:
        return float(run.time_memories[0])
    if target >= t[-1]:
        return math.inf
    return float(np.exp(np.interp(target, t, K)))


def draw_cost(run: CostRun):
    """Weights and time per step against K at fixed Y, and the Y a target error needs."""
    fig, axes = style.figure(ncols=3, width=11.0, height=3.5)
    ax = axes[0, 0]
    ax.plot(run.memories, run.mr_weights, "o-", label="MrDAM: K D numbers")
    ax.plot(run.memories, run.dr_weights, "s-", label=f"DrDAM: T, Y = {run.num_features} numbers")
    ax.set_xlabel("number of memories K")
    ax.set_ylabel("numbers stored")
    ax.set_title("size at fixed Y")
    ax = axes[0, 1]
    ax.plot(run.time_memories, 1e3 * run.mr_seconds, "o-", label="MrDAM")
    ax.axhline(1e3 * run.dr_seconds, color=style.PALETTE[1], label=f"DrDAM, Y = {run.num_features} (any K)")
    ax.set_xlabel("number of memories K")
    ax.set_ylabel("time per gradient step (ms)")
    ax.set_title("one step for 40 queries (best of repeats)")
    ax = axes[0, 2]
    K = run.need_memories
    for colour, (beta, needed) in zip(style.PALETTE[2:], run.needed.items()):
        ax.plot(K, needed, "o-", color=colour, label=f"DrDAM Y needed, β = {beta:g}")
    ax.plot(K, run.dim * K, "-", color=style.PALETTE[0], label="MrDAM numbers K D")
    ax.plot(K, K, "--", color=style.PALETTE[0], label="Y = K: equal step cost")
    ax.set_xlabel("number of memories K")
    ax.set_ylabel("numbers stored")
    ax.set_title(f"for an RMS relative error of {run.target:g}")
    for ax in axes[0]:
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.legend(loc="upper left")
    return fig


@gallery.register("random-features-cost", chapter=CHAPTER,
                  alt="Three log-log panels against the number of memories K. Left: MrDAM stores K times D numbers, DrDAM a "
                      "constant 4096. Middle: the measured time of one MrDAM gradient step grows with K and crosses DrDAM's "
                      "constant time near K = Y. Right: the number of features DrDAM needs for a 10 percent error grows like K "
                      "for well-separated memories (beta = 1) and saturates when memories crowd (beta = 0.25), where it falls "
                      "below MrDAM's K times D.")
def cost_figure():
    return draw_cost(cost_run())


# ----------------------------------------------------------------------------- error against beta

@dataclass
class BetaRun:
    betas: np.ndarray
    kernel_error: np.ndarray  # (seeds, betas)
    predicted: np.ndarray  # (seeds, betas)
    distance: np.ndarray  # (betas,) seed 0 only
    num_features: int


def beta_run(betas=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0), num_features: int = 4096, seeds=(0, 1, 2), num_queries: int = 20,
             kind: str = "cos") -> BetaRun:
    """Kernel-sum error (all seeds) and end-state distance (seed 0) against beta at fixed Y."""
    errors, predicted, distance = [], [], []
    with tiers.threads(1):
        for seed in seeds:
            xi = gaussian_memories(seed=seed)
            q = noisy_queries(xi, num_queries, seed=seed)
            row, pred = [], []
            for beta in betas:
                T = rf.store(xi, num_features, beta, seed, kind)
                exact = rf.exact_kernel_sum(q, xi, beta)
                row.append(rf.relative_error(rf.kernel_sum(q, T, beta, seed, kind), exact).median().item())
                pred.append((rf.kernel_sum_variance(q, xi, beta, num_features, kind).sqrt() / exact).median().item())
                if seed == seeds[0]:
                    x_mr = rf.exact_retrieve(q, xi, beta, steps=STEPS, step_size=STEP_SIZE)
                    x_dr = rf.retrieve(q, T, beta, seed, kind, steps=STEPS, step_size=STEP_SIZE)
                    distance.append((x_dr - x_mr).norm(dim=1).median().item())
            errors.append(row), predicted.append(pred)
    return BetaRun(np.array(betas), np.array(errors), np.array(predicted), np.array(distance), num_features)


def draw_beta(run: BetaRun):
    fig, axes = style.figure(width=5.6, height=3.4)
    ax = axes[0, 0]
    for i, row in enumerate(run.kernel_error):
        ax.plot(run.betas, row, "o-", color=style.PALETTE[0], alpha=0.45 + 0.55 * (i == 0), markersize=4,
                label="relative error of $\\phi(q)^\\top T$, per seed" if i == 0 else None)
    ax.plot(run.betas, run.predicted.mean(0), ":", color=style.PALETTE[1], label="derived RMS relative error")
    ax.plot(run.betas, run.distance, "s-", color=style.PALETTE[2], label="$\\|x_{Dr} - x_{Mr}\\|$ after retrieval (seed 0)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("inverse temperature β")
    ax.set_ylabel("median error")
    ax.set_title(f"Y = {run.num_features} features, K = {NUM_MEMORIES} memories, D = {DIM}")
    ax.legend(loc="upper left")
    return fig


@gallery.register("random-features-beta", chapter=CHAPTER,
                  alt="Log-log plot of the median relative error of the kernel sum against beta from 0.25 to 8 at 4096 "
                      "features: it grows from a few percent to above 100 percent, along the derived curve; the end-state "
                      "distance is not monotone in beta.")
def beta_figure():
    return draw_beta(beta_run())


# ----------------------------------------------------------------------------- digits

@dataclass
class DigitsRun:
    memories: torch.Tensor  # (K, 64)
    cues: dict  # name -> (K, 64)
    mr: dict  # name -> MrDAM end states
    dr: dict  # name -> DrDAM end states for the first feature seed
    cleaned_mr: dict  # name -> fraction of cues cleaned
    cleaned_dr: dict  # name -> (seeds,) fraction of cues cleaned, per feature seed
    kernel_error: dict  # name -> (seeds,) median relative error of phi(q)^T T at the cues
    beta: float
    num_features: int


def digit_memories(per_class: int = 3) -> torch.Tensor:
    """The first ``per_class`` images of each digit of scikit-learn's 8x8 digits, scaled to [0, 1]; (10 per_class, 64)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    images = torch.as_tensor(data.data, dtype=DTYPE) / 16.0
    labels = torch.as_tensor(data.target)
    rows = torch.cat([torch.nonzero(labels == c)[:per_class, 0] for c in range(10)])
    return images[rows]


def cleaned(states: torch.Tensor, cues: torch.Tensor, memories: torch.Tensor) -> float:
    """Fraction of cues whose end state is at most half as far from the cued memory as the cue was."""
    return ((states - memories).norm(dim=1) <= 0.5 * (cues - memories).norm(dim=1)).double().mean().item()


def digits_run(beta: float = 2.0, num_features: int = 8192, noise: float = 0.15, occluded_rows: int = 2, seeds=(0,),
               kind: str = "sincos") -> DigitsRun:
    """Retrieval of 30 digits from noisy cues and from cues with the bottom rows erased, MrDAM against DrDAM.

    The cues are drawn once (from the first seed); DrDAM is run with one draw of features per seed.
    """
    xi = digit_memories()
    noisy = xi + noise * torch.randn(xi.shape, generator=_generator(40_000 + seeds[0]), dtype=DTYPE)
    occluded = xi.clone().reshape(-1, 8, 8)
    occluded[:, 8 - occluded_rows:, :] = 0.0
    cues = {"noisy": noisy, "occluded": occluded.reshape(-1, 64)}
    mr, dr, c_mr, c_dr, err = {}, {}, {}, {}, {}
    with tiers.threads(1):
        for name, q in cues.items():
            mr[name] = rf.exact_retrieve(q, xi, beta, steps=STEPS, step_size=STEP_SIZE)
            c_mr[name] = cleaned(mr[name], q, xi)
            exact = rf.exact_kernel_sum(q, xi, beta)
            c_dr[name], err[name] = [], []
            for seed in seeds:
                T = rf.store(xi, num_features, beta, seed, kind)
                states = rf.retrieve(q, T, beta, seed, kind, steps=STEPS, step_size=STEP_SIZE)
                dr.setdefault(name, states)
                c_dr[name].append(cleaned(states, q, xi))
                err[name].append(rf.relative_error(rf.kernel_sum(q, T, beta, seed, kind), exact).median().item())
            c_dr[name], err[name] = np.array(c_dr[name]), np.array(err[name])
    return DigitsRun(xi, cues, mr, dr, c_mr, c_dr, err, beta, num_features)


def draw_digits(run: DigitsRun, examples=(0, 7, 13, 22, 28)):
    """For each cue type: memory, cue, MrDAM end state, DrDAM end state, for a few digits (images, no axes)."""
    columns = ("memory", "cue", "MrDAM", "DrDAM")
    fig, axes = style.figure(ncols=2 * len(columns), nrows=len(examples), width=9.0, height=1.05 * len(examples) + 0.9)
    for block, name in enumerate(run.cues):
        sources = (run.memories, run.cues[name], run.mr[name], run.dr[name])
        for r, i in enumerate(examples):
            for c, source in enumerate(sources):
                ax = axes[r, block * len(columns) + c]
                ax.imshow(style.to_numpy(source[i]).reshape(8, 8).clip(0, 1), cmap="gray_r", vmin=0, vmax=1)
                ax.axis("off")  # images: no coordinate axes to label
                if r == 0:
                    ax.set_title(f"{name} cue" if c == 1 else columns[c], fontsize=8)
    fig.suptitle(f"30 stored digits, β = {run.beta:g}; DrDAM with Y = {run.num_features} paired sin/cos features", fontsize=9)
    fig.supxlabel("        ".join(f"{name} cues: cleaned {100 * run.cleaned_mr[name]:.0f} % by MrDAM, "
                                   f"{100 * run.cleaned_dr[name][0]:.0f} % by DrDAM" for name in run.cues), fontsize=8)
    return fig


@gallery.register("random-features-digits", chapter=CHAPTER,
                  alt="A grid of 8 by 8 digit images in two blocks. Left block, noisy cues: both MrDAM and DrDAM return a "
                      "clean copy of the stored digit. Right block, cues with the bottom two rows erased: MrDAM completes the "
                      "digit, DrDAM leaves the cue almost unchanged.")
def digits_figure():
    return draw_digits(digits_run())


# ----------------------------------------------------------------------------- widget

def widget_error(num_features: int = 2048, beta: float = 1.0, seed: int = 0, num_queries: int = 20, T=None) -> float:
    """Median relative error of the kernel sum at the chapter's noisy queries, for one Y and beta (``T``: the stored vector, if made)."""
    xi = gaussian_memories(seed=seed)
    q = noisy_queries(xi, num_queries, seed=seed)
    T = rf.store(xi, num_features, beta, seed) if T is None else T
    return rf.relative_error(rf.kernel_sum(q, T, beta, seed), rf.exact_kernel_sum(q, xi, beta)).median().item()


def grid_kernel_sum(T: torch.Tensor, S: torch.Tensor, b: torch.Tensor, beta: float, origin: torch.Tensor, e1: torch.Tensor,
                    e2: torch.Tensor, u: np.ndarray) -> torch.Tensor:
    """phi(x)^T T (cos features) at every x = origin + u_k e1 + u_i e2 of a square grid; shape (len(u), len(u)), [i, k].

    The same sum as ``rf.kernel_sum`` at the grid's points, in O(n Y) cosines instead of O(n^2 Y):
    the phase of feature j is a_j + u_k alpha_j + u_i gamma_j (a_j = sqrt(beta) s_j^T origin + b_j,
    alpha_j = sqrt(beta) s_j^T e1, gamma_j = sqrt(beta) s_j^T e2), so

        sum_j T_j cos(phase) = Re sum_j (T_j e^{i a_j} e^{i u_i gamma_j}) e^{i u_k alpha_j},

    one complex (n, Y) x (Y, n) product. Agrees with the direct sum to rounding (about 1e-12 relative).
    """
    root = math.sqrt(beta)
    a, alpha, gamma = root * (S @ origin) + b, root * (S @ e1), root * (S @ e2)  # (Y,)
    grid = torch.as_tensor(u, dtype=DTYPE)[:, None]
    rows = torch.polar(T * math.sqrt(2.0 / T.shape[0]), a) * torch.polar(torch.ones_like(gamma), grid * gamma)  # (n, Y) over u_i
    columns = torch.polar(torch.ones_like(alpha), grid * alpha)  # (n, Y) over u_k
    return (rows @ columns.T).real


def widget_slice_run(num_features: int, beta: float = BETA, seed: int = 0, resolution: int = 30) -> tuple[SliceRun, torch.Tensor]:
    """``slice_run(num_features=(num_features,), ...)`` with DrDAM's energy from ``grid_kernel_sum`` (fast at large Y); and T."""
    xi = gaussian_memories(seed=seed)
    origin, e1, e2, anchors, u, U, points = _slice_grid(xi, resolution)
    exact = rf.exact_energy(points, xi, beta).reshape(U.shape).numpy()
    T = rf.store(xi, num_features, beta, seed)
    S, b = rf.projection(DIM, num_features, seed)
    value = grid_kernel_sum(T, S, b, beta, origin, e1, e2, u)
    approx = (-torch.log(value.clamp(min=rf.EPS)) / beta).numpy()
    return SliceRun(u, u, exact, {num_features: approx}, anchors.numpy(), beta), T


@functools.lru_cache(maxsize=64)
def _widget_slice(num_features: int, beta: float, seed: int):
    """The slice run and the kernel-sum error of the widget (cached: a widget goes back and forth)."""
    with tiers.threads(1):
        run, T = widget_slice_run(num_features, beta, seed)
        return run, widget_error(num_features, beta, seed, T=T)


def _widget_suptitle(fig, error):
    fig.suptitle(f"median relative error of the kernel sum at 20 queries: {100 * error:.0f} %", fontsize=9)


def draw_widget_slice(num_features: int = 2048, beta: float = 1.0, seed: int = 0):
    """The exact energy and DrDAM's on the slice, side by side, for one Y and beta."""
    run, error = _widget_slice(num_features, beta, seed)
    fig = draw_slice(run)
    _widget_suptitle(fig, error)
    return fig


def update_widget_slice(fig, num_features: int = 2048, beta: float = 1.0, seed: int = 0):
    """``draw_widget_slice`` in place: the two heat maps replotted, the colour bar moved to the new range."""
    run, error = _widget_slice(num_features, beta, seed)
    axes = fig.axes[:2]
    bar = axes[-1].collections[0].colorbar
    for ax in axes:
        clear_data(ax)
    mesh = _slice_panels(axes, run)
    bar.update_normal(mesh)
    mesh.colorbar = bar  # update_normal does not say so: the next update finds the bar here
    _widget_suptitle(fig, error)


@gallery.register_widget("random-features-slice", chapter=CHAPTER)
def widget(num_features: int = 2048, beta: float = 1.0):
    """Sliders for the number of features Y (a power of 2) and the inverse temperature beta."""
    controls = {
        "num_features": slider(w.SelectionSlider, "features Y", num_features, options=[2**p for p in range(6, 15)]),
        "beta": slider(w.FloatLogSlider, "β", beta, base=2, min=-2, max=3, step=0.5),
    }
    return figure_widget(lambda **values: draw_widget_slice(**values), controls,
                         update=lambda fig, **values: update_widget_slice(fig, **values))
