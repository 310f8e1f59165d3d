"""Chapter "Memories as spherical codes": optimal codes and their bounds, capacity against dimension,
learned feature maps and the inverse-temperature confound.

Runs are plain functions returning arrays (the chapter asserts on them); ``draw_*`` functions draw
them; the builders registered at the end call the same functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import ipywidgets as w
import numpy as np
import torch

from ... import tiers
from ..._checks import DTYPE
from ...models import spherical as S
from ...viz import gallery, style
from ...viz.widgets import figure_widget, slider

CHAPTER = "beyond/spherical_codes"
CODE_SIZES = (4, 6, 8, 12, 16, 24)
CAPACITY_BETA = 20.0
CAPACITY_SIZES = (8, 16, 32, 64, 128, 256)
PAPER_CAPACITY_SIZES = (8, 16, 32, 64, 128, 256, 512)


# ---------------------------------------------------------------------------------------------
# Codes and bounds
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=128)
def code(num: int, dim: int, seed: int = 0) -> torch.Tensor:
    with tiers.threads(1):
        return S.optimal_code(num, dim, seed=seed)


@dataclass
class Codes:
    sizes: tuple
    optimised: np.ndarray   # min angle, degrees
    random: np.ndarray      # (seeds, sizes) min angle of random codes
    tammes: np.ndarray
    lower: np.ndarray       # bounds on Delta_min
    upper: np.ndarray


def codes_run(sizes=CODE_SIZES, dim: int = 3, random_seeds: int = 20) -> Codes:
    opt = np.array([S.min_angle(code(M, dim)).item() for M in sizes])
    rnd = np.array([[S.min_angle(S.random_code(M, dim, seed=s)).item() for M in sizes] for s in range(random_seeds)])
    b = np.array([S.bounds(M, dim) for M in sizes])
    return Codes(tuple(sizes), opt, rnd, np.array([S.TAMMES[M] for M in sizes]), b[:, 0], b[:, 1])


def _deg(delta):
    return np.rad2deg(np.arccos(np.clip(1 - np.asarray(delta), -1, 1)))


def draw_codes(c: Codes, shown: int = 12):
    fig = style.figure(ncols=2, width=10.5, height=4.2)[0]
    fig.clf()
    left = fig.add_subplot(1, 2, 1)
    M = np.array(c.sizes)
    left.plot(M, c.tammes, "k*", markersize=10, label="known optimum (Tammes)")
    left.plot(M, c.optimised, "o-", color=style.PALETTE[0], label="optimised code")
    left.errorbar(M, c.random.mean(0), yerr=c.random.std(0), marker="s", capsize=3, color=style.PALETTE[1], label="random code (mean ± sd)")
    left.plot(M, _deg(c.upper), "--", color="#555555", label="upper bound")
    left.plot(M, _deg(c.lower), ":", color="#555555", label="lower bound")
    left.set_xscale("log", base=2)
    left.set_xlabel("number of memories M")
    left.set_ylabel("minimal angle between memories (deg)")
    left.set_title("M points on the sphere in $\\mathbb{R}^3$")
    left.legend(loc="upper right", fontsize=7)
    right = fig.add_subplot(1, 2, 2, projection="3d")
    X = style.to_numpy(code(shown, 3))
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 40), np.linspace(0, np.pi, 20))
    right.plot_wireframe(np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v), color="#cccccc", linewidth=0.4)
    G = X @ X.T
    near = G > G[~np.eye(shown, dtype=bool)].max() - 1e-3
    for a in range(shown):
        for b in range(a + 1, shown):
            if near[a, b]:
                right.plot(*X[[a, b]].T, color=style.PALETTE[0], linewidth=1.2)
    right.scatter(*X.T, color=style.PALETTE[1], s=40, depthshade=False)
    right.set_xlabel("$x_1$")
    right.set_ylabel("$x_2$")
    right.set_zlabel("$x_3$")
    right.set_box_aspect((1, 1, 1))
    right.set_title(f"optimised code, M = {shown}: min angle {S.min_angle(code(shown, 3)).item():.2f}°")
    return fig


# ---------------------------------------------------------------------------------------------
# Capacity: the dimension needed for M fixed points
# ---------------------------------------------------------------------------------------------


def all_fixed(X: torch.Tensor, beta: float = CAPACITY_BETA, keep: float = 0.9) -> bool:
    """Every memory keeps weight >= ``keep`` on itself under one update at inverse temperature beta."""
    return bool((S.weights(X, X, beta, normalise=True).diagonal() >= keep).all())


def smallest_dimension(num: int, kind: str, seed: int = 0, start: int = 2, beta: float = CAPACITY_BETA) -> int:
    """Smallest D at which all ``num`` memories of an optimised or random code in R^D are fixed points."""
    with tiers.threads(1):
        for D in range(max(start, 2), 64):
            X = (S.optimal_code(num, D, seed=seed, restarts=1, steps=150) if kind == "optimised"
                 else S.random_code(num, D, seed=seed))
            if all_fixed(X, beta):
                return D
    raise RuntimeError(f"no dimension below 64 stores {num} memories")


@dataclass
class Capacity:
    sizes: tuple
    optimised: np.ndarray   # (seeds, sizes)
    random: np.ndarray      # (seeds, sizes)


def capacity_run(sizes=CAPACITY_SIZES, seeds=(0,), random_seeds=(0, 1, 2, 3, 4)) -> Capacity:
    opt = []
    for s in seeds:
        row, start = [], 2
        for M in sizes:                 # D_min grows with M: start the search at the previous answer
            start = smallest_dimension(M, "optimised", s, start)
            row.append(start)
        opt.append(row)
    rnd = np.array([[smallest_dimension(M, "random", s) for M in sizes] for s in random_seeds])
    return Capacity(tuple(sizes), np.array(opt), rnd)


def log_fit(sizes, dims) -> tuple[float, float, float]:
    """Least-squares D = a + b ln M; returns (a, b, R^2)."""
    x, y = np.log(np.array(sizes, dtype=float)), np.asarray(dims, dtype=float)
    b, a = np.polyfit(x, y, 1)
    r2 = 1 - ((y - a - b * x) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    return float(a), float(b), float(r2)


def linear_fit_r2(sizes, dims) -> float:
    x, y = np.array(sizes, dtype=float), np.asarray(dims, dtype=float)
    k, c = np.polyfit(x, y, 1)
    return float(1 - ((y - c - k * x) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def draw_capacity(cap: Capacity, beta: float = CAPACITY_BETA):
    fig, axes = style.figure(width=6.4, height=4.0)
    ax = axes[0, 0]
    M = np.array(cap.sizes)
    grid = np.geomspace(M[0], M[-1], 50)
    for values, label, colour in ((cap.optimised, "optimised codes", style.PALETTE[0]),
                                  (cap.random, "random codes", style.PALETTE[1])):
        mean = values.mean(0)
        ax.errorbar(M, mean, yerr=values.std(0) if values.shape[0] > 1 else None, marker="o", capsize=3,
                    color=colour, linestyle="none", label=label)
        a, b, r2 = log_fit(M, mean)
        ax.plot(grid, a + b * np.log(grid), color=colour, linewidth=1, label=f"fit {a:.1f} + {b:.2f} ln M (R² {r2:.2f})")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("number of memories M")
    ax.set_ylabel("smallest dimension D storing all M")
    ax.set_title(f"every memory a fixed point (weight ≥ 0.9 on itself, β = {beta:g})")
    ax.legend(loc="upper left", fontsize=8)
    return fig


# ---------------------------------------------------------------------------------------------
# Learned feature maps and the beta confound
# ---------------------------------------------------------------------------------------------

LEARN = dict(dim=5, num=10, steps=500, lr=0.01, tau=0.1, queries=200, iterations=50)


def memories(seed: int, num: int = LEARN["num"], dim: int = LEARN["dim"]) -> torch.Tensor:
    g = torch.Generator().manual_seed(1000 + seed)
    return torch.randn(num, dim, generator=g, dtype=DTYPE)


def single_memory_fraction(Xi, beta, phi=None, normalise=True, seed: int = 0, queries: int = LEARN["queries"]) -> float:
    """Fraction of random queries whose retrieval ends with weight > 0.9 on one memory (not a metastable mixture)."""
    g = torch.Generator().manual_seed(2000 + seed)
    x = torch.randn(queries, Xi.shape[1], generator=g, dtype=DTYPE)
    p = S.retrieve(x, Xi, beta, phi, normalise, iterations=LEARN["iterations"])
    return float((p.max(dim=-1).values > 0.9).double().mean())


@dataclass
class Learned:
    seeds: tuple
    betas: tuple
    sep_before: np.ndarray      # (seeds,)
    sep_after: np.ndarray
    scale: np.ndarray           # mean feature norm / mean memory norm
    plain: np.ndarray           # (seeds, betas) cosine model
    learned: np.ndarray         # learned map, normalised features, same beta
    authors: np.ndarray         # learned map trained normalised, retrieved with raw features
    rescaled: np.ndarray        # plain cosine model at beta * scale^2 * mean ||xi||^2


def learned_run(seeds=(0, 1, 2, 3, 4), betas=(5.0, 10.0)) -> Learned:
    rows = []
    with tiers.threads(1):
        for s in seeds:
            Xi = memories(s)
            phi = S.learn_feature_map(Xi, LEARN["dim"], normalise=True, tau=LEARN["tau"], steps=LEARN["steps"],
                                      lr=LEARN["lr"], seed=s)
            before = S.min_separation(Xi).item()
            after = S.min_separation(phi(Xi, normalise=True)).item()
            F = phi(Xi, normalise=False)
            # effective inverse temperature of the raw kernel relative to the cosine one
            gain = float((F.norm(dim=-1) ** 2).mean())
            r = [before, after, phi.scale]
            r += [single_memory_fraction(Xi, b, None, True, s) for b in betas]
            r += [single_memory_fraction(Xi, b, phi, True, s) for b in betas]
            r += [single_memory_fraction(Xi, b, phi, False, s) for b in betas]
            r += [single_memory_fraction(Xi, b * gain, None, True, s) for b in betas]
            rows.append(r)
    R = np.array(rows)
    k = len(betas)
    return Learned(tuple(seeds), tuple(betas), R[:, 0], R[:, 1], R[:, 2],
                   R[:, 3:3 + k], R[:, 3 + k:3 + 2 * k], R[:, 3 + 2 * k:3 + 3 * k], R[:, 3 + 3 * k:3 + 4 * k])


def draw_learned(L: Learned):
    fig, axes = style.figure(ncols=2, width=10.5, height=4.0)
    left, right = axes[0]
    x = np.arange(len(L.seeds))
    left.bar(x - 0.2, L.sep_before, width=0.4, color=style.PALETTE[1], label="plain (cosine of the memories)")
    left.bar(x + 0.2, L.sep_after, width=0.4, color=style.PALETTE[0], label="learned map (normalised features)")
    left.set_xticks(x, [f"draw {s}" for s in L.seeds])
    left.set_xlabel("draw of the memories")
    left.set_ylabel(r"minimal separation $\Delta_{\min}$")
    left.set_title(f"M = {LEARN['num']} memories in R^{LEARN['dim']}")
    left.legend(loc="upper left", fontsize=8)
    left.set_ylim(0, 1.15)
    kinds = (("plain, same β", L.plain, style.PALETTE[1]), ("learned, normalised, same β", L.learned, style.PALETTE[0]),
             ("learned, raw features (authors' path)", L.authors, style.PALETTE[2]),
             ("plain, β × mean ‖Φ(ξ)‖²", L.rescaled, style.PALETTE[4]))
    width = 0.2
    for k, (label, values, colour) in enumerate(kinds):
        pos = np.arange(len(L.betas)) + (k - 1.5) * width
        right.bar(pos, values.mean(0), width=width, yerr=values.std(0), capsize=3, color=colour, label=label)
    right.set_xticks(np.arange(len(L.betas)), [f"β = {b:g}" for b in L.betas])
    right.set_xlabel("inverse temperature")
    right.set_ylabel("fraction of random queries\nending on one memory")
    right.set_ylim(0, 1.35)
    right.set_title(f"mean ± sd over {len(L.seeds)} draws")
    right.legend(loc="upper left", fontsize=7, ncols=2)
    return fig


# ---------------------------------------------------------------------------------------------
# Widget and registry
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _widget_separation(M: int, dim: int) -> float:
    with tiers.threads(1):
        return S.min_separation(S.optimal_code(M, dim, restarts=1, steps=120)).item()


def draw_widget(M: int, dim: int):
    opt = _widget_separation(M, dim)
    rnd = S.min_separation(S.random_code(M, dim, codes=200)).numpy()
    lower, upper = S.bounds(M, dim)
    fig, axes = style.figure(width=6.0, height=3.6)
    ax = axes[0, 0]
    ax.hist(rnd, bins=25, color=style.PALETTE[1], alpha=0.7, label="200 random codes")
    ax.axvline(opt, color=style.PALETTE[0], linewidth=2, label=f"optimised code: {opt:.3f}")
    ax.axvline(lower, color="#555555", linestyle=":", label=f"lower bound {lower:.3f}")
    if upper <= 2:
        ax.axvline(upper, color="#555555", linestyle="--", label=f"upper bound {upper:.3f}")
    ax.set_xlabel(r"minimal separation $\Delta_{\min}$")
    ax.set_ylabel("number of random codes")
    ax.set_title(f"M = {M} memories on the sphere in R^{dim}")
    ax.legend(loc="upper right", fontsize=7)
    return fig


@gallery.register_widget("spherical-codes", chapter=CHAPTER)
def widget(M: int = 12, dim: int = 3):
    """Sliders for M and the dimension: a quick optimised code (one start, 120 steps) against random codes and the bounds."""
    controls = {
        "M": slider(w.SelectionSlider, "memories M", M, options=[4, 6, 8, 12, 16, 24, 32]),
        "dim": slider(w.SelectionSlider, "dimension d", dim, options=[2, 3, 4, 5, 6, 8]),
    }
    return figure_widget(draw_widget, controls)


@gallery.register("spherical-codes", chapter=CHAPTER,
                  alt="Left: minimal angle against the number of memories for optimised codes, the Tammes optima, random "
                  "codes and the two bounds. Right: an optimised code of 12 points on the sphere, an icosahedron.")
def codes_figure():
    return draw_codes(codes_run())


@gallery.register("spherical-capacity", chapter=CHAPTER,
                  alt="Smallest dimension storing all M memories against M on a log axis: optimised codes need about "
                  "half the dimensions of random codes, both on straight lines in ln M.")
def capacity_figure(tier: str = "ci"):
    sizes = PAPER_CAPACITY_SIZES if tiers.current(tier) == "paper" else CAPACITY_SIZES
    return draw_capacity(capacity_run(sizes))


@gallery.register("spherical-learned", chapter=CHAPTER,
                  alt="Left: minimal separation of ten memories before and after learning the feature map, per draw. "
                  "Right: fraction of queries ending on one memory for the plain, learned, raw-feature and beta-rescaled models.")
def learned_figure():
    return draw_learned(learned_run())
