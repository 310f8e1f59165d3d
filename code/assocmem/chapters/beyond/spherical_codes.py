"""Chapter "Memories as spherical codes": optimal codes and their bounds, capacity against dimension,
learned feature maps, the inverse-temperature confound, and retrieval from corrupted digits.

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
from ...tasks import digits
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


def _retrieval_bars(ax, betas, plain, learned, authors, rescaled, rescaled_label: str, ylabel: str, top: float) -> None:
    """Grouped bars, one group per beta: the fraction of queries ending on one memory (mean ± sd over draws)
    for the plain model, the learned map (normalised and raw features) and the plain model at a rescaled beta."""
    kinds = (("plain, same β", plain, style.PALETTE[1]), ("learned, normalised, same β", learned, style.PALETTE[0]),
             ("learned, raw features (authors' path)", authors, style.PALETTE[2]), (rescaled_label, rescaled, style.PALETTE[4]))
    width = 0.2
    for k, (label, values, colour) in enumerate(kinds):
        pos = np.arange(len(betas)) + (k - 1.5) * width
        ax.bar(pos, values.mean(0), width=width, yerr=values.std(0), capsize=3, color=colour, label=label)
    ax.set_xticks(np.arange(len(betas)), [f"β = {b:g}" for b in betas])
    ax.set_xlabel("inverse temperature")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, top)


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
    _retrieval_bars(right, L.betas, L.plain, L.learned, L.authors, L.rescaled, "plain, β × mean ‖Φ(ξ)‖²",
                    "fraction of random queries\nending on one memory", top=1.35)
    right.set_title(f"mean ± sd over {len(L.seeds)} draws")
    right.legend(loc="upper left", fontsize=7, ncols=2)
    return fig


# ---------------------------------------------------------------------------------------------
# The beta confound: the authors' recipe (Adam at lr = 1), raw-feature retrieval, rescaled plain model
# ---------------------------------------------------------------------------------------------

CONFOUND = dict(dim=5, num=10, queries=200, iterations=20, lrs=(1.0, 0.1, 0.01))


def confound_seeds(tier: str | None = None) -> tuple:
    """Draws of memories: 5 in the CI tier, 10 in the paper tier."""
    return tuple(range(10 if tiers.current(tier) == "paper" else 5))


def digits_seeds(tier: str | None = None) -> tuple:
    """Draws of digits and masks: 3 in the CI tier, 6 in the paper tier."""
    return tuple(range(6 if tiers.current(tier) == "paper" else 3))


def unit_memories(seed: int) -> torch.Tensor:
    """The authors' synthetic memories: Gaussian rows projected onto the unit sphere, (10, 5)."""
    X = memories(seed, CONFOUND["num"], CONFOUND["dim"])
    return X / X.norm(dim=-1, keepdim=True)


def unit_fraction(Xi, beta, phi=None, normalise=True, seed: int = 0) -> float:
    """Fraction of unit random queries ending with weight > 0.9 on one memory after 20 updates."""
    g = torch.Generator().manual_seed(3000 + seed)
    x = torch.randn(CONFOUND["queries"], Xi.shape[1], generator=g, dtype=DTYPE)
    p = S.retrieve(x / x.norm(dim=-1, keepdim=True), Xi, beta, phi, normalise, iterations=CONFOUND["iterations"])
    return float((p.max(dim=-1).values > 0.9).double().mean())


@dataclass
class Confound:
    seeds: tuple
    betas: tuple
    lrs: tuple
    gain: np.ndarray            # (lrs, seeds, steps + 1): mean ||Phi(xi)||^2 after each Adam step
    sep_before: np.ndarray      # (seeds,)
    sep_after: np.ndarray       # authors' recipe (one-sided loss)
    sep_symmetric: np.ndarray   # same recipe, symmetric loss
    plain: np.ndarray           # (seeds, betas) cosine model, identity map
    learned: np.ndarray         # authors' map, normalised features, same beta
    authors: np.ndarray         # authors' map, raw features (their retrieval)
    rescaled: np.ndarray        # plain cosine model at beta x gain


def confound_run(seeds=(0, 1, 2, 3, 4), betas=(5.0, 10.0)) -> Confound:
    recipe = S.AUTHORS_RECIPE
    steps = range(recipe["steps"] + 1)
    gains, rows = [], []
    with tiers.threads(1):
        for lr in CONFOUND["lrs"]:
            gains.append([[S.feature_gain(m, unit_memories(s)) for m in
                           S.learn_feature_map(unit_memories(s), CONFOUND["dim"], normalise=True,
                                               **{**recipe, "lr": lr}, seed=s, checkpoints=steps)] for s in seeds])
        for s in seeds:
            Xi = unit_memories(s)
            phi = S.learn_feature_map(Xi, CONFOUND["dim"], normalise=True, **recipe, seed=s)
            sym = S.learn_feature_map(Xi, CONFOUND["dim"], normalise=True, **{**recipe, "one_sided": False}, seed=s)
            gain = S.feature_gain(phi, Xi)
            r = [S.min_separation(Xi).item(), S.min_separation(phi(Xi, True)).item(), S.min_separation(sym(Xi, True)).item()]
            r += [unit_fraction(Xi, b, None, True, s) for b in betas]
            r += [unit_fraction(Xi, b, phi, True, s) for b in betas]
            r += [unit_fraction(Xi, b, phi, False, s) for b in betas]
            r += [unit_fraction(Xi, b * gain, None, True, s) for b in betas]
            rows.append(r)
    R, k = np.array(rows), len(betas)
    return Confound(tuple(seeds), tuple(betas), CONFOUND["lrs"], np.array(gains), R[:, 0], R[:, 1], R[:, 2],
                    *(R[:, 3 + i * k:3 + (i + 1) * k] for i in range(4)))


def draw_confound(c: Confound):
    fig, axes = style.figure(ncols=2, width=10.5, height=4.0)
    left, right = axes[0]
    steps = np.arange(c.gain.shape[-1])
    for i, lr in enumerate(c.lrs):
        g = c.gain[i]
        colour = style.PALETTE[i]
        left.fill_between(steps, g.min(0), g.max(0), color=colour, alpha=0.25, linewidth=0)
        left.plot(steps, np.exp(np.log(g).mean(0)), "o-", markersize=3, color=colour, label=f"Adam, lr = {lr:g}")
    left.set_yscale("log")
    left.set_xlabel("training step (full batch)")
    left.set_ylabel(r"feature gain: mean $\|\Phi(\xi^\mu)\|^2$ (unit memories)")
    left.set_title("the normalised loss cannot see the scale; Adam grows it")
    left.legend(loc="upper left", fontsize=8)
    _retrieval_bars(right, c.betas, c.plain, c.learned, c.authors, c.rescaled, "plain, β × feature gain",
                    "fraction of unit random queries\nending on one memory", top=1.4)
    right.set_title(f"authors' recipe, mean ± sd over {len(c.seeds)} draws")
    right.legend(loc="upper left", fontsize=7, ncols=2)
    return fig


# ---------------------------------------------------------------------------------------------
# Retrieval from corrupted digits (the authors' protocol, on the 8x8 digits)
# ---------------------------------------------------------------------------------------------

DIGITS = dict(num=100, drop=0.5, steps=200, lr=0.01, checkpoints=(0, 5, 10, 25, 50, 100, 200),
              betas=(2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0), head=16)


def top1(phi, q, Xi) -> float:
    """Fraction of queries whose nearest memory in normalised feature space is their own."""
    Fx, Fq = phi(Xi, True), phi(q, True)
    return float(((Fq @ Fx.T).argmax(-1) == torch.arange(Xi.shape[0])).double().mean())


def confined_noise(Xi, q, V, head: int, leading: bool) -> torch.Tensor:
    """Queries Xi + e' where e' is the masking noise projected onto the leading ``head`` (or the trailing)
    principal directions V (rows) and rescaled to the noise's norm, query by query."""
    E = q - Xi
    B = V[:head] if leading else V[head:]
    Ep = E @ B.T @ B
    return Xi + Ep / Ep.norm(dim=-1, keepdim=True) * E.norm(dim=-1, keepdim=True)


def digit_memories(seed: int, num: int = DIGITS["num"]) -> tuple[torch.Tensor, torch.Tensor]:
    """``num`` random digits scaled to [0, 1] (num, 64), and queries with half the pixels dropped.

    As ``torch.dropout`` in the authors' script: each pixel is zeroed with probability 1/2 and the
    kept ones are doubled, so the query keeps the memory's mean.
    """
    pixels, _ = digits.images()
    g = torch.Generator().manual_seed(4000 + seed)
    Xi = pixels[torch.randperm(pixels.shape[0], generator=g)[:num]] / 16
    keep = (torch.rand(Xi.shape, generator=g, dtype=DTYPE) >= DIGITS["drop"]).to(DTYPE)
    return Xi, Xi * keep / (1 - DIGITS["drop"])


def retrieval_error(x, Xi) -> float:
    """The authors' error: sum over pixels of the squared difference after clipping to [0, 1], mean over memories."""
    return float(((x.clamp(0, 1) - Xi.clamp(0, 1)) ** 2).sum(-1).mean())


def _one_step(q, Xi, beta, phi, normalise):
    return S.update(q, Xi, beta, phi, normalise)


@dataclass
class Digits:
    seeds: tuple
    checkpoints: tuple
    betas: tuple
    plain: np.ndarray           # (seeds,) error, raw pixel dot products at beta = 1 (the authors' baseline)
    cosine: np.ndarray          # (seeds, betas) error of the cosine model
    learned_raw: np.ndarray     # (seeds, checkpoints) error, learned map, raw features, beta = 1
    learned_best: np.ndarray    # (seeds, checkpoints) error, learned map, normalised, at its best beta
    sep: np.ndarray             # (seeds, checkpoints) Delta_min of the normalised features
    top1: np.ndarray            # (seeds, checkpoints) nearest memory in feature space is the right one
    snr: np.ndarray             # (seeds, checkpoints) ||C W^T||^2 / ||E W^T||^2
    top1_head: np.ndarray       # (seeds, 2) top-1 of (plain, learned) when the same noise lies in the leading directions
    top1_tail: np.ndarray       # (seeds, 2) ... when it lies in the trailing directions
    memory_pc: np.ndarray       # (seeds, 64) fraction of the memories' variance per principal direction
    noise_pc: np.ndarray        # (seeds, 64) fraction of the masking noise energy per principal direction
    gain_pc: np.ndarray         # (seeds, 64) ||W v_k|| of the final map per principal direction


def digits_run(seeds=(0, 1, 2)) -> Digits:
    cks, betas, head = DIGITS["checkpoints"], DIGITS["betas"], DIGITS["head"]
    out = {k: [] for k in ("plain", "cosine", "raw", "best", "sep", "top1", "snr", "head", "tail", "mem", "noise", "gain")}
    with tiers.threads(1):
        for s in seeds:
            Xi, q = digit_memories(s)
            C, E = Xi - Xi.mean(0), q - Xi
            V = torch.linalg.svd(C, full_matrices=False).Vh          # principal directions of the memories, rows
            out["mem"].append(((C @ V.T) ** 2).sum(0) / (C ** 2).sum())
            out["noise"].append(((E @ V.T) ** 2).sum(0) / (E ** 2).sum())
            out["plain"].append(retrieval_error(_one_step(q, Xi, 1.0, None, False), Xi))
            out["cosine"].append([retrieval_error(_one_step(q, Xi, b, None, True), Xi) for b in betas])
            maps = S.learn_feature_map(Xi, Xi.shape[1], normalise=True, steps=DIGITS["steps"], lr=DIGITS["lr"],
                                       seed=s, checkpoints=cks)
            row = {k: [] for k in ("raw", "best", "sep", "top1", "snr")}
            for phi in maps:
                row["raw"].append(retrieval_error(_one_step(q, Xi, 1.0, phi, False), Xi))
                row["best"].append(min(retrieval_error(_one_step(q, Xi, b, phi, True), Xi) for b in betas))
                row["sep"].append(S.min_separation(phi(Xi, True)).item())
                row["top1"].append(top1(phi, q, Xi))
                row["snr"].append(float(((C @ phi.W.T) ** 2).sum() / ((E @ phi.W.T) ** 2).sum()))
            for k, v in row.items():
                out[k].append(v)
            plain, final = maps[0], maps[-1]
            out["gain"].append((final.W @ V.T).norm(dim=0))
            for key, leading in (("head", True), ("tail", False)):
                qc = confined_noise(Xi, q, V, head, leading)
                out[key].append([top1(plain, qc, Xi), top1(final, qc, Xi)])
    a = {k: np.array(torch.stack(v).numpy() if isinstance(v[0], torch.Tensor) else v) for k, v in out.items()}
    return Digits(tuple(seeds), cks, betas, a["plain"], a["cosine"], a["raw"], a["best"], a["sep"], a["top1"],
                  a["snr"], a["head"], a["tail"], a["mem"], a["noise"], a["gain"])


def spanned(d: Digits, floor: float = 1e-12) -> int:
    """Number of principal directions in which every draw of memories has variance (the rest is blank pixels)."""
    return int((d.memory_pc > floor).sum(1).min())


def draw_digits(d: Digits):
    fig, axes = style.figure(ncols=3, width=14.0, height=4.6)
    bars, trade, why = axes[0]
    best = d.cosine.min(1)
    kinds = (("plain\n(pixel dot, β = 1)", d.plain), ("cosine\nat its best β", best),
             ("learned map\nraw, β = 1", d.learned_raw[:, -1]), ("learned map\nnormalised, best β", d.learned_best[:, -1]))
    for k, (label, v) in enumerate(kinds):
        bars.bar(k, v.mean(), yerr=v.std(), capsize=3, color=style.PALETTE[k])
        bars.plot(np.full(len(v), k), v, "k.", markersize=4)
    bars.set_xticks(range(len(kinds)), [k[0] for k in kinds], fontsize=8)
    bars.set_ylabel("retrieval error (sum of squared pixel errors)")
    bars.set_xlabel("model")
    bars.set_title(f"M = {DIGITS['num']} digits, half the pixels dropped, one step")
    steps = np.array(d.checkpoints, dtype=float)
    for s in range(len(d.seeds)):
        kw = dict(label=None) if s else {}
        trade.plot(steps, d.sep[s], "o-", color=style.PALETTE[0], markersize=3, **({"label": r"$\Delta_{\min}$"} if not s else kw))
        trade.plot(steps, d.top1[s], "s-", color=style.PALETTE[1], markersize=3, **({"label": "top-1 retrieval"} if not s else kw))
        trade.plot(steps, d.snr[s] / d.snr[s, 0], "^--", color=style.PALETTE[2], markersize=3,
                   **({"label": "signal-to-noise (relative)"} if not s else kw))
    trade.set_xscale("symlog", linthresh=5)
    trade.set_xticks(steps, [f"{c:g}" for c in steps])
    trade.minorticks_off()
    trade.set_xlabel("separation-training step (Adam, lr 0.01)")
    trade.set_ylabel("value")
    trade.set_ylim(0, 1.32)
    trade.set_title("spreading the memories apart loses the queries")
    trade.legend(loc="upper center", fontsize=8, ncols=3)
    r = spanned(d)                      # the digits' corner pixels are always blank: drop the null directions
    k = np.arange(1, r + 1)
    why.semilogy(k, d.memory_pc.mean(0)[:r], color=style.PALETTE[0], label="memories' variance")
    why.semilogy(k, d.noise_pc.mean(0)[:r], color=style.PALETTE[1], label="masking-noise energy")
    why.axvline(DIGITS["head"] + 0.5, color="#888888", linewidth=0.8, linestyle=":")
    why.set_xlabel("principal direction of the memories (by variance)")
    why.set_ylabel("fraction of energy per direction")
    twin = why.twinx()
    twin.plot(k, d.gain_pc.mean(0)[:r], color=style.PALETTE[2], linestyle="--", label="gain ‖W v‖ of the learned map")
    twin.set_ylabel("gain of the learned map")
    twin.set_ylim(0, None)
    lines = why.get_lines()[:2] + twin.get_lines()
    why.legend(lines, [line.get_label() for line in lines], loc="upper center", bbox_to_anchor=(0.5, -0.17),
               fontsize=8, ncols=2)
    why.set_title("the map amplifies where the noise lives")
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


@gallery.register("spherical-confound", chapter=CHAPTER,
                  alt="Left: the feature gain against the training step for Adam at learning rates 1, 0.1 and 0.01 on a log "
                  "axis; at lr 1 it climbs to a few hundred. Right: fraction of queries ending on one memory for the plain, "
                  "learned normalised, raw-feature and beta-rescaled models; the last two agree.")
def confound_figure(tier: str = "ci"):
    return draw_confound(confound_run(confound_seeds(tier)))


@gallery.register("spherical-digits", chapter=CHAPTER,
                  alt="Left: retrieval error of corrupted digits for the plain, cosine, and two learned-map models; the cosine "
                  "model is best, the learned map worst. Middle: minimal separation rises and top-1 retrieval falls as "
                  "separation training proceeds. Right: variance and noise energy per principal direction and the map's gain.")
def digits_figure(tier: str = "ci"):
    return draw_digits(digits_run(digits_seeds(tier)))
