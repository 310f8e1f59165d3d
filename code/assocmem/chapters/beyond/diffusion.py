"""Chapter "Diffusion models as associative memories": attractors on the circle, a trained denoiser, lost dimensions.

Runs are plain functions returning tensors (the chapter asserts on them); ``draw_*`` functions draw
them; the builders registered at the end call the same functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ipywidgets as w
import numpy as np
import torch

from ... import _checks, tiers
from ..._checks import DTYPE
from ...models import diffusion as D
from ...viz import gallery, style
from ...viz.widgets import clear_data, figure_widget, slider

CHAPTER = "beyond/diffusion"
BETA = 400.0  # sigma = 0.05
SIZES = (8, 16, 32, 64, 128, 256, 512)
SHOWN = (8, 32, 512)
SEEDS = (0, 1, 2)
WINDOW = 1.3
WEIGHTS = Path(__file__).with_name("diffusion_denoisers.npz")


def _starts(num: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 2 * WINDOW * torch.rand(num, 2, generator=g, dtype=DTYPE) - WINDOW


@lru_cache(maxsize=64)
def circle_attractors(K: int, seed: int, beta: float = BETA, starts: int = 200) -> D.Attractors:
    """Attractors of the empirical energy of K random points on the unit circle (cached: the chapter and widget reuse them)."""
    with tiers.threads(1):
        return D.attractors(D.circle(K, seed=seed), beta, _starts(starts, 10 + seed), steps=2000, tol=1e-9)


@dataclass
class Counts:
    sizes: tuple
    count: np.ndarray  # (seeds, sizes): attractors
    memories: np.ndarray
    stored: np.ndarray  # fraction of training points that are attractors


def isolated(X, sigma: float) -> torch.Tensor:
    """Training points whose nearest neighbour is farther than 2 sigma, (K,) bool.

    Two equal Gaussian bumps of width sigma have a single mode when their centres are closer than
    2 sigma: such a pair merges into one well, so neither point is stored.
    """
    gaps = torch.cdist(X, X)
    gaps.fill_diagonal_(math.inf)
    return gaps.min(dim=1).values > 2 * sigma


def rule_agreement(K: int, seed: int, beta: float = BETA) -> float:
    """Fraction of the K training points for which 'stored' equals 'isolated' (the 2 sigma rule)."""
    found = circle_attractors(K, seed, beta)
    return float((isolated(D.circle(K, seed=seed), 1 / math.sqrt(beta)) == found.stored).double().mean())


def attractor_counts(sizes=SIZES, seeds=SEEDS, beta: float = BETA) -> Counts:
    found = [[circle_attractors(K, s, beta) for K in sizes] for s in seeds]
    return Counts(tuple(sizes), np.array([[a.count for a in row] for row in found]),
                  np.array([[a.memories for a in row] for row in found]),
                  np.array([[a.stored.double().mean().item() for a in row] for row in found]))


def _energy_grid(X, beta, num: int = 160):
    g = torch.linspace(-WINDOW, WINDOW, num, dtype=DTYPE)
    G1, G0 = torch.meshgrid(g, g, indexing="ij")
    return g.numpy(), D.energy(torch.stack([G0, G1], -1), X, beta).numpy()


def separable_energy_grid(X, beta, num: int = 160, chunk: int = 4096):
    """``_energy_grid`` from the two axes' terms: the same energies (to rounding) in a fraction of the time.

    On the grid the kernel of point (g_k, g_i) and memory mu factors,
    exp(-(beta/2)||x - xi^mu||^2) = exp(a_{i mu}) exp(b_{k mu}) with a = -(beta/2)(g_i - xi^mu_2)^2 and
    b = -(beta/2)(g_k - xi^mu_1)^2, so the sums over mu of all num^2 points are one (num, K) x (K, num)
    product, shifted by each row's and column's largest term (m_i, n_k) against overflow. Where a
    shifted sum is below 1e-200 (every memory far from the point compared with the shifts, at large
    beta) it could have lost digits to underflow: those points get the direct logsumexp of a + b.
    """
    g = torch.linspace(-WINDOW, WINDOW, num, dtype=DTYPE)
    a = -0.5 * beta * (g[:, None] - X[:, 1]) ** 2  # (num, K): the row coordinate x_2
    b = -0.5 * beta * (g[:, None] - X[:, 0]) ** 2  # (num, K): the column coordinate x_1
    m, n = a.max(dim=1, keepdim=True).values, b.max(dim=1, keepdim=True).values
    total = torch.exp(a - m) @ torch.exp(b - n).T  # (num, num): [i, k]
    safe = total > 1e-200
    lse = torch.log(total.clamp_min(1e-300)) + m + n.T
    rows, columns = torch.nonzero(~safe, as_tuple=True)
    for start in range(0, rows.numel(), chunk):  # the underflowing points, directly
        i, k = rows[start:start + chunk], columns[start:start + chunk]
        lse[i, k] = torch.logsumexp(a[i] + b[k], dim=-1)
    return g.numpy(), (-lse / beta).numpy()


@lru_cache(maxsize=64)
def _circle_grid(K: int, seed: int, beta: float):
    """``_energy_grid`` of K points on the circle, computed by ``separable_energy_grid`` (cached: the widget goes back and forth)."""
    with tiers.threads(1):
        return separable_energy_grid(D.circle(K, seed=seed), beta)


def _landscape(ax, X, found: D.Attractors, beta: float, title: str, legend: bool = False, grid=None):
    g, E = _energy_grid(X, beta) if grid is None else grid
    mesh = ax.pcolormesh(g, g, E, cmap="viridis", shading="auto", rasterized=True)
    Xn, P = style.to_numpy(X), style.to_numpy(found.points)
    ax.plot(Xn[:, 0], Xn[:, 1], ".", color="white", markersize=3, label="training points")
    mem = style.to_numpy(found.memory)
    ax.plot(P[mem, 0], P[mem, 1], "o", mfc="none", mec=style.PALETTE[4], markersize=8, mew=1.6, label="memory (a training point)")
    ax.plot(P[~mem, 0], P[~mem, 1], "x", color=style.PALETTE[1], markersize=7, mew=1.8, label="spurious attractor")
    ax.set_aspect("equal")
    ax.set_xlim(-WINDOW, WINDOW)
    ax.set_ylim(-WINDOW, WINDOW)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.grid(False)
    ax.set_title(title)
    return mesh


def draw_landscapes(sizes=SHOWN, seed: int = 0, beta: float = BETA):
    """The energy E_beta on the plane for three training-set sizes, with the attractors by kind."""
    fig, axes = style.figure(ncols=len(sizes), width=4.0 * len(sizes) + 0.8, height=4.2)
    for ax, K in zip(axes[0], sizes):
        found = circle_attractors(K, seed, beta)
        mesh = _landscape(ax, D.circle(K, seed=seed), found, beta,
                          f"K = {K}: {found.memories} memories, {found.spurious} spurious")
    fig.colorbar(mesh, ax=list(axes[0]), label=r"energy $E_\beta(x)$", shrink=0.8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3)
    return fig


def draw_counts(counts: Counts, beta: float = BETA):
    """Attractors (memories and spurious) and the stored fraction of training points against K."""
    fig, axes = style.figure(ncols=2, width=10.0, height=3.6)
    K = np.array(counts.sizes)
    left, right = axes[0]
    for values, label, colour in ((counts.count, "all attractors", style.PALETTE[0]),
                                  (counts.memories, "memories", style.PALETTE[4]),
                                  (counts.count - counts.memories, "spurious", style.PALETTE[1])):
        left.errorbar(K, values.mean(0), yerr=values.std(0), marker="o", capsize=3, color=colour, label=label)
    sigma = 1 / math.sqrt(beta)
    left.axhline(2 * math.pi / (5 * sigma), color="#555555", linestyle=":", label=r"$2\pi / (5\sigma)$")
    left.set_xscale("log", base=2)
    left.set_xlabel("training points K")
    left.set_ylabel("number of attractors")
    left.legend(loc="upper left")
    right.errorbar(K, counts.stored.mean(0), yerr=counts.stored.std(0), marker="o", capsize=3, color=style.PALETTE[2])
    right.set_xscale("log", base=2)
    right.set_ylim(-0.05, 1.05)
    right.set_xlabel("training points K")
    right.set_ylabel("fraction of training points\nthat are attractors")
    fig.suptitle(f"K random points on the unit circle, β = {beta:g} (σ = {sigma:g}), mean ± sd over {counts.count.shape[0]} draws")
    return fig


def descent_run(K: int = 16, seed: int = 0, walkers: int = 12, steps: int = 60):
    """PF-ODE paths from sigma = 1 to sigma = 0.05 and the change of the current energy at each step."""
    X = D.circle(K, seed=seed)
    starts = 0.8 * torch.randn(walkers, 2, generator=torch.Generator().manual_seed(seed + 7), dtype=DTYPE)
    path, sigmas = D.pf_ode(starts, X, 1.0, 1 / math.sqrt(BETA), steps)
    beta = 1 / sigmas[:-1] ** 2
    change = torch.stack([D.energy(path[k + 1], X, float(beta[k])) - D.energy(path[k], X, float(beta[k])) for k in range(steps)])
    return X, path, sigmas, change


def draw_descent(X, path, sigmas, change):
    fig, axes = style.figure(ncols=2, width=10.0, height=4.0)
    left, right = axes[0]
    g, E = _energy_grid(X, BETA)
    left.contour(g, g, E, levels=12, cmap="viridis", linewidths=0.7)
    P = style.to_numpy(path)
    for i in range(P.shape[1]):
        left.plot(P[:, i, 0], P[:, i, 1], color=style.PALETTE[i % 8], lw=1.0)
        left.plot(P[-1, i, 0], P[-1, i, 1], "*", color=style.PALETTE[i % 8], markersize=8)
    Xn = style.to_numpy(X)
    left.plot(Xn[:, 0], Xn[:, 1], "k.", markersize=4, label="training points")
    left.set_aspect("equal")
    left.set_xlabel("$x_1$")
    left.set_ylabel("$x_2$")
    left.set_title("probability-flow paths, σ from 1 to 0.05")
    left.legend(loc="lower left")
    s = style.to_numpy(sigmas[:-1])
    worst = style.to_numpy(change.max(dim=1).values)
    right.plot(s, -style.to_numpy(change.min(dim=1).values), color=style.PALETTE[0], label="largest decrease")
    right.plot(s, np.maximum(-worst, 1e-18), color=style.PALETTE[1], label="smallest decrease")
    right.set_xscale("log")
    right.set_yscale("log")
    right.invert_xaxis()
    right.set_xlabel("noise level σ of the step (falls to the right)")
    right.set_ylabel(r"$E_{1/\sigma^2}(x_k) - E_{1/\sigma^2}(x_{k+1})$")
    right.set_title("every step lowers the current energy")
    right.legend(loc="lower left")
    return fig


# ---------------------------------------------------------------------------------------------
# A trained denoiser
# ---------------------------------------------------------------------------------------------

TRAINED_SIZES = (8, 32, 512)
TRAINED = dict(width=128, steps=4000, batch=256, lr=2e-3, seed=0)


def _network(width: int) -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(2, width), torch.nn.SiLU(), torch.nn.Linear(width, width), torch.nn.SiLU(),
                               torch.nn.Linear(width, 2)).to(DTYPE)


def train_denoiser(X, sigma: float, width: int, steps: int, batch: int, lr: float, seed: int) -> torch.nn.Module:
    """A residual MLP D(x) = x + f(x) trained by denoising: minimise E ||D(xi + sigma z) - xi||^2 over the K points."""
    X = _checks.as_tensor("X", X, ndim=2)
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the layers' initialisation
    net = _network(width)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    with tiers.threads(1):
        for _ in range(steps):
            xi = X[torch.randint(0, X.shape[0], (batch,), generator=g)]
            x = xi + sigma * torch.randn(xi.shape, generator=g, dtype=DTYPE)
            loss = ((x + net(x) - xi) ** 2).sum(-1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net


def write_denoisers(path=WEIGHTS, sizes=TRAINED_SIZES, **overrides) -> Path:
    """Train one denoiser per K (data seed 0) and save the weights: ``python -m assocmem.chapters.beyond.diffusion``."""
    settings = TRAINED | overrides
    arrays = {}
    for K in sizes:
        net = train_denoiser(D.circle(K, seed=0), 1 / math.sqrt(BETA), settings["width"], settings["steps"],
                             settings["batch"], settings["lr"], settings["seed"])
        for name, value in net.state_dict().items():
            arrays[f"K{K}/{name}"] = value.numpy().astype(np.float32)  # float32 on disk: half the size
    path = Path(path)
    np.savez_compressed(path, **arrays, settings=np.array(repr(settings)))
    return path


def load_denoisers(path=WEIGHTS) -> dict[int, torch.nn.Module]:
    """The checked-in denoisers, {K: network}."""
    stored = np.load(path)
    nets = {}
    for K in TRAINED_SIZES:
        net = _network(TRAINED["width"])
        net.load_state_dict({n: torch.from_numpy(stored[f"K{K}/{n}"].astype(np.float64)) for n in net.state_dict()})
        nets[K] = net
    return nets


def trained_denoisers(tier: str | None = None) -> dict[int, torch.nn.Module]:
    """The paper tier retrains (minutes); the CI tier loads the weights the command above wrote."""
    if tiers.current(tier) == "paper":
        return {K: train_denoiser(D.circle(K, seed=0), 1 / math.sqrt(BETA), **{k: TRAINED[k] for k in ("width", "steps", "batch", "lr", "seed")})
                for K in TRAINED_SIZES}
    return load_denoisers()


def denoiser_samples(net, num: int = 200, iterations: int = 150, seed: int = 5) -> torch.Tensor:
    """Iterate the learned denoiser x <- D(x) from uniform starts: the learned memory's retrieval, (num, 2)."""
    x = _starts(num, seed)
    with torch.no_grad(), tiers.threads(1):
        for _ in range(iterations):
            x = x + net(x)
    return x


def copy_rate(samples, X, fraction: float = 0.1) -> float:
    """Fraction of samples within ``fraction`` of the median nearest-neighbour spacing of a training point."""
    d = torch.cdist(samples, X).min(dim=1).values
    gaps = torch.cdist(X, X)
    gaps.fill_diagonal_(math.inf)
    return float((d < fraction * gaps.min(dim=1).values.median()).double().mean())


def draw_trained(nets: dict, rates: dict, chance: dict):
    sizes = list(nets)
    fig, axes = style.figure(ncols=len(sizes), width=4.0 * len(sizes), height=4.2)
    for ax, K in zip(axes[0], sizes):
        X = D.circle(K, seed=0)
        S = style.to_numpy(denoiser_samples(nets[K]))
        Xn = style.to_numpy(X)
        ax.plot(Xn[:, 0], Xn[:, 1], ".", color="#555555", markersize=3, label="training points")
        ax.plot(S[:, 0], S[:, 1], "o", mfc="none", color=style.PALETTE[1], markersize=5, label="retrieved by the network")
        ax.set_aspect("equal")
        ax.set_xlim(-WINDOW, WINDOW)
        ax.set_ylim(-WINDOW, WINDOW)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_title(f"K = {K}: copies {rates[K]:.0%} (chance {chance[K]:.0%})")
    axes[0, 0].legend(loc="lower left")
    return fig


# ---------------------------------------------------------------------------------------------
# Losing dimensions on a linear manifold
# ---------------------------------------------------------------------------------------------

SCALES = (1.0, 1.0, 1.0, 0.3, 0.3, 0.3)
MANIFOLD = dict(dim=20, sigma=0.15, sizes=(30, 100, 300, 1000, 3000, 10000, 30000), seeds=(0, 1, 2))


def kept_curve(sizes=MANIFOLD["sizes"], seeds=MANIFOLD["seeds"], sigma: float = MANIFOLD["sigma"]) -> np.ndarray:
    """Fraction of queries keeping each tangent axis; shape (seeds, sizes, axes)."""
    with tiers.threads(1):
        return np.array([[D.kept_dimensions(D.linear_manifold(P, MANIFOLD["dim"], SCALES, seed=s), sigma, SCALES,
                                            queries=64, seed=100 + s).numpy() for P in sizes] for s in seeds])


def draw_dimensions(kept: np.ndarray, sizes=MANIFOLD["sizes"]):
    fig, axes = style.figure(width=6.4, height=3.8)
    ax = axes[0, 0]
    P = np.array(sizes)
    total = kept.sum(-1)
    ax.errorbar(P, total.mean(0), yerr=total.std(0), marker="o", capsize=3, color=style.PALETTE[0], label="all 6 tangent axes")
    for group, label, colour in ((slice(0, 3), "3 axes of sd 1.0", style.PALETTE[2]), (slice(3, 6), "3 axes of sd 0.3", style.PALETTE[1])):
        part = kept[..., group].sum(-1)
        ax.errorbar(P, part.mean(0), yerr=part.std(0), marker="s", capsize=3, color=colour, label=label, markersize=4)
    ax.axhline(6, color="#555555", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("training points P")
    ax.set_ylabel("tangent directions kept\n(mean over noisy queries)")
    ax.set_title(f"20-dimensional ambient space, σ = {MANIFOLD['sigma']:g}")
    ax.legend(loc="upper left")
    return fig


# ---------------------------------------------------------------------------------------------
# Widget and registry
# ---------------------------------------------------------------------------------------------


def draw_widget(K: int, sigma: float, seed: int = 0):
    beta = 1 / sigma**2
    found = circle_attractors(K, seed, round(beta, 6), 120)
    fig, axes = style.figure(width=5.2, height=4.6)
    mesh = _landscape(axes[0, 0], D.circle(K, seed=seed), found, beta,
                      f"K = {K}, σ = {sigma:g}: {found.memories} memories, {found.spurious} spurious", grid=_circle_grid(K, seed, beta))
    fig.colorbar(mesh, ax=axes[0, 0], label=r"energy $E_\beta(x)$", shrink=0.8)
    axes[0, 0].legend(loc="lower left", fontsize=7)
    return fig


def update_widget(fig, K: int, sigma: float, seed: int = 0):
    """``draw_widget`` in place: the energy map and attractors replotted, the colour bar moved to the new range."""
    beta = 1 / sigma**2
    found = circle_attractors(K, seed, round(beta, 6), 120)
    ax = fig.axes[0]
    bar = ax.collections[0].colorbar
    clear_data(ax)
    mesh = _landscape(ax, D.circle(K, seed=seed), found, beta,
                      f"K = {K}, σ = {sigma:g}: {found.memories} memories, {found.spurious} spurious", grid=_circle_grid(K, seed, beta))
    bar.update_normal(mesh)
    mesh.colorbar = bar  # update_normal does not say so: the next update finds the bar here
    ax.legend(loc="lower left", fontsize=7)


@gallery.register_widget("diffusion-attractors", chapter=CHAPTER)
def widget(K: int = 32, sigma: float = 0.05):
    """Sliders for the number of training points and the noise level over the energy and its attractors."""
    controls = {
        "K": slider(w.SelectionSlider, "training points K", K, options=[8, 16, 32, 64, 128, 256]),
        "sigma": slider(w.SelectionSlider, "noise level σ", sigma, options=[0.02, 0.035, 0.05, 0.07, 0.1, 0.2]),
    }
    return figure_widget(draw_widget, controls, update=update_widget)


@gallery.register("diffusion-descent", chapter=CHAPTER,
                  alt="Left: probability-flow paths of twelve walkers on the energy contours of sixteen points on a circle. "
                  "Right: the decrease of the current energy at every step, positive throughout.")
def descent_figure():
    return draw_descent(*descent_run())


@gallery.register("diffusion-landscapes", chapter=CHAPTER,
                  alt="Energy maps for 8, 32 and 512 training points on a circle: every training point is an attractor at 8, "
                  "both kinds appear at 32, and at 512 about two dozen spurious attractors sit between the points.")
def landscapes_figure():
    return draw_landscapes()


@gallery.register("diffusion-counts", chapter=CHAPTER,
                  alt="Number of attractors and fraction of training points that are attractors against the number of "
                  "training points: memories vanish and spurious attractors saturate near 25.")
def counts_figure():
    return draw_counts(attractor_counts())


@gallery.register("diffusion-trained", chapter=CHAPTER,
                  alt="Points retrieved by trained denoising networks for 8, 32 and 512 training points on a circle.")
def trained_figure(tier: str = "ci"):
    nets = trained_denoisers(tier)
    rates = {K: copy_rate(denoiser_samples(net), D.circle(K, seed=0)) for K, net in nets.items()}
    chance = {K: copy_rate(D.circle(200, seed=99), D.circle(K, seed=0)) for K in nets}
    return draw_trained(nets, rates, chance)


@gallery.register("diffusion-dimensions", chapter=CHAPTER,
                  alt="Tangent directions kept by the empirical score against the number of training points, rising from "
                  "about one to about five of six.")
def dimensions_figure():
    return draw_dimensions(kept_curve())


if __name__ == "__main__":
    print(f"wrote {write_denoisers()}")
