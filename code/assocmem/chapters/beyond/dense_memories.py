"""Chapter "Dense memories and modern Hopfield networks": its experiments, figures and widget."""

from __future__ import annotations

import functools
import math

import ipywidgets as w
import numpy as np
import torch

from ...models import dense, hopfield, modern
from ...tasks import digits
from ...tiers import threads
from ...viz import gallery, style
from ...viz.widgets import clear_data, figure_widget, slider

CHAPTER = "beyond/dense_memories"
SEPARATIONS = (("power", 2), ("power", 3), ("power", 4), "exp")
#: The largest K of each memory's curve at d = 100 (about a decade past its failure; exp never fails here).
LARGEST_K = {("power", 2): 316, ("power", 3): 3162, ("power", 4): 17783, "exp": 17783}
EXP_DIMENSIONS = (16, 20, 24)


def label(separation) -> str:
    return "F(z) = exp(z)" if separation == "exp" else f"F(z) = z^{separation[1]}"


def k_grid(largest: int, smallest: int = 10, per_decade: int = 4) -> list[int]:
    """Log-spaced integers from ``smallest`` to ``largest``, ``per_decade`` per factor of ten."""
    count = int(round(per_decade * math.log10(largest / smallest))) + 1
    return sorted({int(round(v)) for v in np.geomspace(smallest, largest, count)})


def crossing(x, y, level: float = 0.5) -> float:
    """Geometric interpolation of the first x at which the decreasing curve y falls to ``level``; inf if never."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if y[0] <= level:
        return float(x[0])
    for i in range(1, len(x)):
        if y[i] <= level < y[i - 1]:
            t = (y[i - 1] - level) / (y[i - 1] - y[i])
            return float(np.exp(np.log(x[i - 1]) + t * (np.log(x[i]) - np.log(x[i - 1]))))
    return math.inf


def exp_estimate(d: int, flip_prob: float) -> float:
    """K at which the largest of K - 1 random overlaps, sqrt(2 d ln K), reaches the cue's overlap (1 - 2 rho) d."""
    return math.exp((1 - 2 * flip_prob) ** 2 * d / 2)


# ---------------------------------------------------------------------------------------
# The capacity ladder
# ---------------------------------------------------------------------------------------


def _fractions(d: int, Ks, separations, seeds: int, cues: int, flip_prob: float, steps: int = 4) -> dict:
    """{separation: [fraction retrieved exactly at each K]}, the same patterns and cues for every separation."""
    out = {sep: [] for sep in separations}
    for K in Ks:
        values = {sep: [] for sep in separations}
        for seed in range(seeds):
            X = hopfield.random_patterns(K, d, 100 * seed + K % 97)
            c = hopfield.corrupt(X[:cues], flip_prob, seed + 5)
            for sep in separations:
                values[sep].append(dense.retrieved_fraction(X, c, sep, steps=steps))
        for sep in separations:
            out[sep].append(float(np.mean(values[sep])))
    return out


def run_ladder(d: int = 100, seeds: int = 3, cues: int = 12, flip_prob: float = 0.1, largest=None, exp_dimensions=EXP_DIMENSIONS) -> dict:
    """Fraction of cues retrieved exactly (10 % of bits flipped) against K, per separation at dimension d, and exp at small d."""
    largest = dict(LARGEST_K if largest is None else largest)
    curves, small = {}, {}
    with threads(1):
        grid = k_grid(max(largest.values()))
        found = {sep: [] for sep in SEPARATIONS}
        for K in grid:
            active = [sep for sep in SEPARATIONS if K <= largest[sep]]
            for sep, f in _fractions(d, [K], active, seeds, cues, flip_prob).items():
                found[sep] += f
        curves = {sep: (grid[: len(found[sep])], found[sep]) for sep in SEPARATIONS}
        for n in exp_dimensions:
            Ks = k_grid(17783)
            small[n] = (Ks, _fractions(n, Ks, ["exp"], seeds, cues, flip_prob)["exp"])
    return {"d": d, "curves": curves, "small": small, "flip_prob": flip_prob, "seeds": seeds, "cues": cues}


def draw_ladder(run: dict):
    """Left: fraction retrieved against K (log axis) for z^2, z^3, z^4 and exp at d = 100, with the estimates. Right: exp at small d."""
    fig, axes = style.figure(ncols=2, width=9.4, height=4.3, sharey=True)
    ax = axes[0, 0]
    for i, sep in enumerate(SEPARATIONS):
        Ks, f = run["curves"][sep]
        color = style.PALETTE[i]
        ax.plot(Ks, f, marker="o", markersize=3.5, color=color, label=label(sep))
        if sep != "exp":
            ax.axvline(dense.capacity_estimate(run["d"], sep[1]), color=color, linestyle="--", linewidth=1)
    ax.plot([], [], color="#555555", linestyle="--", linewidth=1, label="estimate $d^{a-1} / (2 (2a-3)!!\\, \\ln d)$")
    ax.set_xscale("log")
    ax.set_xlabel("number of patterns K")
    ax.set_ylabel("fraction of cues retrieved exactly")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"d = {run['d']}, {100 * run['flip_prob']:.0f} % of cue bits flipped")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=7)
    ax = axes[0, 1]
    for i, (n, (Ks, f)) in enumerate(run["small"].items()):
        color = style.PALETTE[4 + i]
        ax.plot(Ks, f, marker="o", markersize=3.5, color=color, label=f"exp, d = {n}")
        ax.axvline(exp_estimate(n, run["flip_prob"]), color=color, linestyle="--", linewidth=1)
    ax.plot([], [], color="#555555", linestyle="--", linewidth=1, label="estimate $e^{(1-2\\rho)^2 d / 2}$")
    ax.set_xscale("log")
    ax.set_xlabel("number of patterns K")
    ax.set_title("exponential separation at small d")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=7)
    return fig


# ---------------------------------------------------------------------------------------
# Modern Hopfield networks: phases, energy, attention
# ---------------------------------------------------------------------------------------


def unit_patterns(K: int, d: int, seed: int) -> torch.Tensor:
    """K random unit vectors of R^d (normalised Gaussians); shape (K, d)."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(K, d, generator=g, dtype=torch.float64)
    return X / X.norm(dim=1, keepdim=True)


def noisy_queries(X: torch.Tensor, count: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``count`` patterns plus Gaussian noise of norm about ``noise``; (queries, targets)."""
    g = torch.Generator().manual_seed(seed + 1)
    targets = X[:count]
    return targets + noise * torch.randn(targets.shape, generator=g, dtype=X.dtype) / X.shape[1] ** 0.5, targets


def weight_theory(beta, K: int, d: int, overlap: float = 1.0) -> np.ndarray:
    """Weight of the cued pattern, e^{beta a} / (e^{beta a} + (K - 1) E e^{beta x}), x ~ N(0, 1/d): 1 / (1 + (K-1) e^{beta^2/2d - beta a})."""
    beta = np.asarray(beta, dtype=float)
    return 1 / (1 + (K - 1) * np.exp(beta**2 / (2 * d) - beta * overlap))


def run_phases(d: int = 64, Ks=(1000, 10_000, 100_000), betas=None, queries: int = 30, noise: float = 0.2, seed: int = 0) -> dict:
    """Median largest attention weight and median retrieval error ||step(q) - xi|| after one step, per K and beta."""
    betas = 2.0 ** (np.arange(-2, 13) / 2) if betas is None else np.asarray(betas, dtype=float)  # 0.5 ... 64, exact powers of 2 included
    weight, error, to_mean = {}, {}, {}
    with threads(1):
        for K in Ks:
            X = unit_patterns(K, d, seed + K)
            q, target = noisy_queries(X, queries, noise, seed)
            scores = q @ X.T  # (queries, K), reused for every beta
            mean = X.mean(dim=0)
            wk, ek, mk = [], [], []
            for beta in betas:
                p = torch.softmax(beta * scores, dim=-1)
                out = p @ X
                wk.append(p.max(dim=1).values.median().item())
                ek.append((out - target).norm(dim=1).median().item())
                mk.append((out - mean).norm(dim=1).median().item())
            weight[K], error[K], to_mean[K] = np.array(wk), np.array(ek), np.array(mk)
    return {"d": d, "betas": betas, "weight": weight, "error": error, "to_mean": to_mean, "noise": noise, "queries": queries}


def draw_phases(run: dict):
    """Left: the largest attention weight against beta, with the estimate. Right: distance of one update to the pattern and to the mean."""
    fig, axes = style.figure(ncols=2, width=9.2, height=3.5)
    betas = run["betas"]
    for i, K in enumerate(run["weight"]):
        color = style.PALETTE[i]
        axes[0, 0].plot(betas, run["weight"][K], marker="o", markersize=4, linestyle="none", color=color, label=f"K = {K:,} (measured)")
        axes[0, 0].plot(betas, weight_theory(betas, K, run["d"]), color=color, linestyle="--", linewidth=1)
        axes[0, 1].plot(betas, run["error"][K], marker="o", markersize=3, color=color, label=f"to the pattern, K = {K:,}")
        axes[0, 1].plot(betas, run["to_mean"][K], marker="x", markersize=3, linestyle=":", color=color, label=f"to the mean, K = {K:,}")
    axes[0, 0].plot([], [], color="#555555", linestyle="--", linewidth=1, label="$1 / (1 + (K-1) e^{\\beta^2/2d - \\beta})$")
    axes[0, 0].axhline(0.5, color="#999999", linewidth=0.8)
    for ax in axes[0]:
        ax.set_xscale("log")
        ax.set_xlabel("inverse temperature β")
    axes[0, 0].set_ylabel("largest attention weight (median)")
    axes[0, 0].set_title(f"random unit patterns, d = {run['d']}")
    axes[0, 0].legend(loc="center left", fontsize=7)
    axes[0, 1].set_yscale("log")
    axes[0, 1].set_ylabel("distance after one step (median)")
    axes[0, 1].set_title("global average → metastable → one pattern")
    axes[0, 1].legend(loc="lower left", fontsize=6.5, ncol=2)
    return fig


def run_energy(K: int = 1000, d: int = 64, beta: float = 8.0, queries: int = 8, steps: int = 12, seed: int = 3) -> dict:
    """Both energies along repeated softmax and sparsemax updates from noisy queries; shapes (queries, steps + 1)."""
    X = unit_patterns(K, d, seed)
    q, _ = noisy_queries(X, queries, 0.8, seed)
    out = {}
    with threads(1):
        for sep, E in (("softmax", modern.energy), ("sparsemax", modern.sparse_energy)):
            s, trace = q, [E(X, q, beta)]
            for _ in range(steps):
                s = modern.step(X, s, beta, separation=sep)
                trace.append(E(X, s, beta))
            out[sep] = torch.stack(trace, dim=1)
    return {"energies": out, "beta": beta, "K": K, "d": d}


def draw_energy(run: dict):
    """The modern energy (softmax) and the sparse energy (sparsemax) along their updates."""
    fig, axes = style.figure(ncols=2, width=8.4, height=3.2)
    for ax, (sep, E) in zip(axes[0], run["energies"].items()):
        E = style.to_numpy(E)
        for row in E:
            ax.plot(np.arange(len(row)), row - row[-1] + 1e-16, marker="o", markersize=2.5, linewidth=1)
        ax.set_yscale("log")
        ax.set_xlabel("update t")
        ax.set_ylabel("$E(s_t) - E(s_{12})$")
        ax.set_title(f"{sep} update, β = {run['beta']:g}, K = {run['K']:,}")
    return fig


def attention_gap(K: int = 500, d: int = 64, beta: float = 4.0, queries: int = 32, seed: int = 4) -> float:
    """max |modern.step - torch's scaled_dot_product_attention| (query = state, keys = values = patterns, scale = beta)."""
    X = unit_patterns(K, d, seed)
    q, _ = noisy_queries(X, queries, 0.5, seed)
    theirs = torch.nn.functional.scaled_dot_product_attention(q[None], X[None], X[None], scale=beta)[0]
    return (modern.step(X, q, beta) - theirs).abs().max().item()


# ---------------------------------------------------------------------------------------
# Digits: softmax against sparsemax
# ---------------------------------------------------------------------------------------


def digit_memory(M: int, seed: int) -> torch.Tensor:
    """M distinct centred, unit-norm digit images drawn at random; shape (M, 64)."""
    X, _ = digits.unit()
    idx = torch.randperm(X.shape[0], generator=torch.Generator().manual_seed(seed))[:M]
    return X[idx]


def digit_queries(X: torch.Tensor, kind: str, seed: int, noise: float = 0.2) -> torch.Tensor:
    """Queries for every stored digit: ``noisy`` (Gaussian noise of norm about ``noise``) or ``masked`` (the lower half zeroed)."""
    if kind == "noisy":
        return noisy_queries(X, X.shape[0], noise, seed)[0]
    mask = torch.ones(X.shape[1], dtype=X.dtype)
    mask[X.shape[1] // 2 :] = 0
    return X * mask


def run_sparse(Ms=(50, 100, 200, 500), betas=(2, 5, 10, 20, 50), seeds: int = 3, kind: str = "noisy") -> dict:
    """Mean error ||step(q) - xi|| and fraction of exact retrievals (error < 1e-12), softmax and sparsemax; arrays (Ms, betas)."""
    shape = (len(Ms), len(betas))
    err = {s: np.zeros(shape) for s in modern.SEPARATIONS}
    exact = {s: np.zeros(shape) for s in modern.SEPARATIONS}
    right = {s: np.zeros(shape) for s in modern.SEPARATIONS}
    with threads(1):
        for i, M in enumerate(Ms):
            for seed in range(seeds):
                X = digit_memory(M, 10 * seed + i)
                q = digit_queries(X, kind, seed)
                for j, beta in enumerate(betas):
                    for sep in modern.SEPARATIONS:
                        out = modern.step(X, q, beta, separation=sep)
                        e = (out - X).norm(dim=1)
                        err[sep][i, j] += e.mean().item() / seeds
                        exact[sep][i, j] += (e < 1e-12).double().mean().item() / seeds
                        right[sep][i, j] += ((out @ X.T).argmax(dim=1) == torch.arange(M)).double().mean().item() / seeds
    return {"Ms": tuple(Ms), "betas": tuple(betas), "error": err, "exact": exact, "right": right, "kind": kind, "seeds": seeds}


def draw_sparse(run: dict):
    """Left: mean error against beta for each M, softmax solid and sparsemax dashed. Right: fraction retrieved exactly by sparsemax."""
    fig, axes = style.figure(ncols=2, width=9.0, height=4.2)
    betas = run["betas"]
    for i, M in enumerate(run["Ms"]):
        color = style.PALETTE[i]
        axes[0, 0].plot(betas, run["error"]["softmax"][i], marker="o", markersize=3, color=color, label=f"softmax, M = {M}")
        axes[0, 0].plot(betas, np.maximum(run["error"]["sparsemax"][i], 1e-17), marker="s", markersize=3, linestyle="--", color=color,
                        label=f"sparsemax, M = {M}")
        axes[0, 1].plot(betas, run["exact"]["sparsemax"][i], marker="s", markersize=3, linestyle="--", color=color, label=f"M = {M}")
    for ax in axes[0]:
        ax.set_xscale("log")
        ax.set_xticks(betas, [f"{b:g}" for b in betas])
        ax.minorticks_off()
        ax.set_xlabel("inverse temperature β")
    axes[0, 0].set_yscale("log")
    axes[0, 0].set_ylim(1e-17, 2)
    axes[0, 0].set_ylabel("mean error $\\|s_1 - \\xi\\|$ (1e-17: exact)")
    axes[0, 0].set_title(f"{run['kind']} digit queries, {run['seeds']} seeds")
    axes[0, 0].legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=6.5, ncol=4)
    axes[0, 1].set_ylabel("fraction retrieved exactly (error < 1e-12)")
    axes[0, 1].set_ylim(-0.03, 1.03)
    softmax_exact = max(run["exact"]["softmax"][:, j].max() for j, b in enumerate(betas) if b <= 20)
    axes[0, 1].set_title(f"sparsemax (softmax: {softmax_exact:.0%} exact for β ≤ 20)")
    axes[0, 1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=7, ncol=4)
    return fig


def _display(images: torch.Tensor) -> np.ndarray:
    """Centred unit-norm images mapped back to pixel space for drawing: v * median norm + mean image."""
    pixels, _ = digits.images()
    mean = pixels.mean(dim=0)
    norm = (pixels - mean).norm(dim=1).median()
    return style.to_numpy(images * norm + mean)


def draw_digit_examples(M: int = 200, beta: float = 20.0, seed: int = 0, columns: int = 6, failures: int = 2):
    """Rows: noisy queries and their softmax and sparsemax retrievals; masked queries and theirs; the stored digits.

    The last ``failures`` columns are digits whose masked query sparsemax completes into another stored digit.
    """
    X = digit_memory(M, seed)
    masked = digit_queries(X, "masked", seed)
    wrong = ((modern.step(X, masked, beta, separation="sparsemax") @ X.T).argmax(dim=1) != torch.arange(M)).nonzero().flatten().tolist()
    chosen = [i for i in range(M) if i not in wrong[:failures]][: columns - len(wrong[:failures])] + wrong[:failures]
    X_shown = X[chosen]
    rows = []
    for kind in ("noisy", "masked"):
        q = digit_queries(X, kind, seed)[chosen]
        rows += [(f"{kind} query", q), ("softmax", modern.step(X, q, beta)), ("sparsemax", modern.step(X, q, beta, separation="sparsemax"))]
    rows.append(("stored", X_shown))
    fig, axes = style.figure(ncols=len(chosen), nrows=len(rows), width=1.0 * len(chosen) + 0.9, height=0.95 * len(rows) + 0.5)
    for r, (name, images) in enumerate(rows):
        shown = _display(images) if "masked query" not in name else np.where(style.to_numpy(images) == 0, np.nan, _display(images))
        for c in range(len(chosen)):
            ax = axes[r, c]
            ax.imshow(shown[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if r == 0:
                ax.set_title("masked: another image" if chosen[c] in wrong else "", fontsize=7)
        axes[r, 0].set_ylabel(name, fontsize=7)
    fig.suptitle(f"M = {M} centred digits, β = {beta:g} (drawn with the mean image added back)", fontsize=9)
    fig.supxlabel("six of the stored digits (8 x 8 images)", fontsize=8)
    return fig


# ---------------------------------------------------------------------------------------
# Gallery and widget
# ---------------------------------------------------------------------------------------


@gallery.register("dense-ladder", chapter=CHAPTER,
                  alt="Left: fraction of cues retrieved exactly against the number of patterns on a log axis from 10 to 17783, d = 100: "
                  "z^2 fails by 50, z^3 by about 1000, z^4 by about 20000, exp holds everywhere; dashed lines mark the estimates. "
                  "Right: the exponential memory at d = 16, 20 and 24 fails at K growing by about a factor of ten per 4 bits.")
def ladder_figure(tier: str = "ci"):
    if tier == "paper":
        return draw_ladder(run_ladder(seeds=5, cues=32, largest={**LARGEST_K, "exp": 100_000}))
    return draw_ladder(run_ladder())


@gallery.register("modern-phases", chapter=CHAPTER,
                  alt="Left: the median largest attention weight against beta from 0.5 to 64 for K = 1000, 10000 and 100000 random unit "
                  "patterns in d = 64, rising from near 0 to 1, later for larger K, with dashed estimates. Right: distance of one update "
                  "to the cued pattern and to the mean of all patterns against beta.")
def phases_figure():
    return draw_phases(run_phases())


@gallery.register("modern-energy", chapter=CHAPTER,
                  alt="Energy above its final value along twelve updates from eight noisy queries, on a log axis: decreasing for the "
                  "softmax update (left) and for the sparsemax update (right), the latter reaching its minimum exactly after a few steps.")
def energy_figure():
    return draw_energy(run_energy())


@gallery.register("modern-sparse", chapter=CHAPTER,
                  alt="Left: mean retrieval error of centred digits against beta for M = 50 to 500 stored digits, sparsemax below softmax "
                  "everywhere and exactly zero from beta = 20. Right: fraction of exact retrievals by sparsemax rising to 1.")
def sparse_figure():
    return draw_sparse(run_sparse())


@gallery.register("modern-digits", chapter=CHAPTER,
                  alt="Grid of 8 by 8 digit images: noisy queries and their softmax and sparsemax retrievals, masked queries (lower half "
                  "blank) and their retrievals, and the stored digits; some masked queries retrieve a different digit.")
def digits_figure():
    return draw_digit_examples()


@functools.lru_cache(maxsize=128)
def _widget_run(beta: float, M: int, index: int, seed: int):
    """Attention weights and retrievals (softmax, sparsemax) of one noisy query (cached: a widget goes back and forth)."""
    with threads(1):  # small products: a second intra-op thread only spins
        X = digit_memory(M, seed)
        q = digit_queries(X, "noisy", seed)[index : index + 1]
        weights = [style.to_numpy(modern.attention(X, q, beta, separation=sep))[0] for sep in ("softmax", "sparsemax")]
        outs = [modern.step(X, q, beta, separation=sep)[0] for sep in modern.SEPARATIONS]
    return weights, [(_display(out).reshape(8, 8), (out - X[index]).norm().item()) for out in outs]


def _plot_widget(axes, beta, M, index, seed):
    weights, retrievals = _widget_run(beta, M, index, seed)
    ax = axes[0]
    for p, (sep, color, marker) in zip(weights, (("softmax", style.PALETTE[0], "o"), ("sparsemax", style.PALETTE[1], "s"))):
        ax.plot(np.arange(M), p, marker=marker, markersize=2.5, linestyle="none", color=color,
                label=f"{sep}: max {p.max():.2f}, {int((p > 1e-3).sum())} above 1e-3")
    ax.set_ylim(-0.03, 1.08)
    ax.legend(loc="upper right", fontsize=7)
    ax.set_title(f"β = {beta:g}, M = {M}")
    for ax, sep, (image, error) in zip(axes[1:], modern.SEPARATIONS, retrievals):
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=16)
        ax.set_title(f"{sep}: error {error:.2g}", fontsize=8)


def draw_widget(beta: float = 8.0, M: int = 200, index: int = 0, seed: int = 0):
    """Attention weights of one noisy digit query over the M stored digits (softmax and sparsemax) and the two retrievals."""
    fig, axes = style.figure(ncols=3, width=9.6, height=3.0)
    axes[0, 0].set_xlabel("stored digit μ (the cued one is μ = 0)")
    axes[0, 0].set_ylabel("attention weight")
    for ax in axes[0, 1:]:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        ax.set_xlabel("retrieved image")
        ax.set_ylabel("8 x 8 pixels")
    _plot_widget(axes[0], beta, M, index, seed)
    return fig


def update_widget(fig, beta: float = 8.0, M: int = 200, index: int = 0, seed: int = 0):
    """``draw_widget`` in place: the weights replotted and the two images redrawn on the kept axes."""
    for ax in fig.axes[:3]:
        clear_data(ax)
    _plot_widget(fig.axes[:3], beta, M, index, seed)


@gallery.register_widget("modern-beta", chapter=CHAPTER)
def widget(beta: float = 8.0, M: int = 200):
    """Sliders for the inverse temperature and the number of stored digits."""
    controls = {
        "beta": slider(w.FloatLogSlider, "β", beta, base=2, min=0, max=6, step=0.5),
        "M": slider(w.IntSlider, "stored digits M", M, min=10, max=1000, step=10),
    }
    return figure_widget(draw_widget, controls, update=update_widget)
