"""Chapter "Hopfield networks and their spurious states": its experiments, figures and widget.

Each ``run_*`` function computes one experiment (batched over cues, seeded) and returns a
dict of tensors; each ``draw_*`` function draws such a dict; the gallery builders chain the
two so that ``assocmem figures`` rebuilds the chapter's figures on their own.
"""

from __future__ import annotations

import functools
import math

import ipywidgets as w
import numpy as np
import torch

from ... import memory
from ...models import hopfield
from ...tasks import digits
from ...tiers import threads
from ...viz import gallery, style
from ...viz.widgets import clear_data, figure_widget, slider

CHAPTER = "beyond/hopfield"
#: Loads K / d of the capacity curve, and the large-d capacity of Amit, Gutfreund and Sompolinsky.
LOADS = (0.05, 0.075, 0.1, 0.125, 0.15, 0.175, 0.2, 0.225, 0.25)
AGS_CAPACITY = 0.138
KIND_COLORS = {"pattern": style.PALETTE[0], "mixture": style.PALETTE[4], "spin glass": style.PALETTE[3], "other": "#999999"}


def _image(ax, pattern, title=None):
    ax.imshow(style.to_numpy(pattern).reshape(digits.SIDE, digits.SIDE), cmap="gray_r", vmin=-1, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title(title, fontsize=8)


# ---------------------------------------------------------------------------------------
# Retrieval of digits, step by step
# ---------------------------------------------------------------------------------------


def run_digits(classes=(0, 1, 7), flip_prob: float = 0.15, seed: int = 1) -> dict:
    """Store one binarised image of each digit in ``classes``; cue each with flipped pixels; record the asynchronous updates."""
    patterns, labels = digits.binary()
    X = patterns[digits.first_of_each(labels, classes)]
    cues = hopfield.corrupt(X, flip_prob, seed)
    final, energies, trajectory = hopfield.async_retrieve(X, cues, sweeps=10, seed=seed, record=True)
    return {"X": X, "cues": cues, "final": final, "energies": energies, "trajectory": trajectory, "classes": tuple(classes)}


def draw_digits(run: dict, frames=(0, 8, 16, 32, 64)):
    """One row per stored digit: the cue, the state after some single-pixel updates, the final state, the stored pattern."""
    traj = run["trajectory"]
    frames = [f for f in frames if f < traj.shape[0]]
    rows, cols = traj.shape[1], len(frames) + 2
    fig, axes = style.figure(ncols=cols, nrows=rows, width=1.05 * cols + 0.3, height=1.1 * rows + 0.4)
    for r in range(rows):
        for c, f in enumerate(frames):
            _image(axes[r, c], traj[f, r], ("cue" if f == 0 else f"after {f} updates") if r == 0 else None)
        _image(axes[r, -2], run["final"][r], "fixed point" if r == 0 else None)
        _image(axes[r, -1], run["X"][r], "stored" if r == 0 else None)
        axes[r, 0].set_ylabel(f"digit {run['classes'][r]}", fontsize=8)
    fig.supxlabel("asynchronous retrieval, one pixel at a time (8 x 8 images)", fontsize=8)
    return fig


# ---------------------------------------------------------------------------------------
# Energy: asynchronous descent, synchronous two-cycles
# ---------------------------------------------------------------------------------------


def run_energy(d: int = 200, K: int = 20, starts: int = 6, seed: int = 0) -> dict:
    """Asynchronous runs from random starts and from 10 %-flipped cues, and a synchronous run that ends in a two-cycle."""
    X = hopfield.random_patterns(K, d, seed)
    cues = torch.cat([hopfield.random_patterns(starts, d, seed + 100), hopfield.corrupt(X[:starts], 0.1, seed + 200)])
    final, energies, _ = hopfield.async_retrieve(X, cues, sweeps=20, seed=seed, record=True)
    # Synchronous updates from random starts at a higher load: keep the first orbit that ends in a two-cycle.
    Xs = hopfield.random_patterns(2 * K, d, seed + 1)
    random_starts = hopfield.random_patterns(64, d, seed + 300)
    _, period = hopfield.sync_orbit(Xs, random_starts, steps=200)
    J = hopfield.couplings(Xs)
    best = None
    for c in (period == 2).nonzero().flatten().tolist():  # the two-cycle reached soonest draws best
        orbit = [random_starts[c : c + 1]]
        while len(orbit) < 200 and not (len(orbit) >= 3 and torch.equal(orbit[-1], orbit[-3])):
            orbit.append(torch.where(orbit[-1] @ J >= 0, 1.0, -1.0).to(torch.float64))
        best = orbit if best is None or len(orbit) < len(best) else best
    for _ in range(4):  # a few more steps on the cycle
        best.append(torch.where(best[-1] @ J >= 0, 1.0, -1.0).to(torch.float64))
    orbit = torch.cat(best)
    W = J / d
    sync_energy = hopfield.energy(W, orbit)
    lyapunov = -((orbit[1:] @ W) * orbit[:-1]).sum(dim=1)  # L(s_t, s_{t-1}) = -s_t^T W s_{t-1}
    return {"energies": energies, "starts": starts, "period": period, "sync_energy": sync_energy, "lyapunov": lyapunov, "d": d, "K": K}


def draw_energy(run: dict):
    """Left: energy along asynchronous trajectories. Right: a synchronous orbit, whose energy oscillates on a two-cycle."""
    fig, axes = style.figure(ncols=2, width=8.4, height=3.3)
    ax = axes[0, 0]
    E = style.to_numpy(run["energies"])
    s = run["starts"]
    for b in range(E.shape[0]):
        ax.plot(np.arange(E.shape[1]), E[b], color=style.PALETTE[0] if b < s else style.PALETTE[1], linewidth=1)
    ax.plot([], [], color=style.PALETTE[0], label="random start")
    ax.plot([], [], color=style.PALETTE[1], label="10 % flipped cue")
    ax.set_xlabel("single-bit updates")
    ax.set_ylabel("energy $E(s) = -\\frac{1}{2} s^\\top W s$")
    ax.set_title(f"asynchronous, d = {run['d']}, K = {run['K']}")
    ax.legend(loc="upper right")
    ax = axes[0, 1]
    first = 3  # the first steps fall by far more than the oscillation: start the axis after them
    t = np.arange(len(run["sync_energy"]))
    ax.plot(t[first:], style.to_numpy(run["sync_energy"])[first:], marker="o", markersize=3, label="$E(s_t)$")
    ax.plot(t[first:], 0.5 * style.to_numpy(run["lyapunov"])[first - 1 :], marker="s", markersize=3, label="$-\\frac{1}{2} s_t^\\top W s_{t-1}$")
    ax.set_xlabel("synchronous step t")
    ax.set_ylabel("energy")
    ax.set_title(f"synchronous, K = {2 * run['K']}: a two-cycle")
    ax.legend(loc="upper right")
    return fig


# ---------------------------------------------------------------------------------------
# Capacity
# ---------------------------------------------------------------------------------------


def run_capacity(d: int = 200, loads=LOADS, seeds: int = 5, flip_prob: float = 0.1, threshold: float = 0.95) -> dict:
    """Fraction of the K = load * d patterns whose 10 %-flipped cue ends at overlap >= ``threshold``; shape (seeds, loads)."""
    fraction = torch.zeros(seeds, len(loads), dtype=torch.float64)
    with threads(1):
        for i, load in enumerate(loads):
            K = max(1, round(load * d))
            for seed in range(seeds):
                X = hopfield.random_patterns(K, d, 1000 * seed + i)
                S = hopfield.classical_retrieve(X, hopfield.corrupt(X, flip_prob, 1000 * seed + i + 500), steps=100)
                fraction[seed, i] = (hopfield.overlap(S, X) >= threshold).double().mean()
    return {"loads": torch.tensor(loads, dtype=torch.float64), "fraction": fraction, "d": d, "flip_prob": flip_prob}


def run_fixed_points(d: int = 200, Ks=(5, 8, 10, 12, 15, 18, 20, 25, 30), trials: int = 200) -> dict:
    """Fraction of trials in which every one of K random patterns is a fixed point, and its Gaussian estimate."""
    with threads(1):
        fraction = torch.stack([hopfield.fixed_point_fraction(d, K, trials, seed=K).double().mean() for K in Ks])
    Ks_t = torch.tensor(Ks, dtype=torch.float64)
    return {"Ks": Ks_t, "fraction": fraction, "theory": hopfield.fixed_point_theory(d, Ks_t), "d": d, "trials": trials}


def crossing(x, y, level: float = 0.5) -> float:
    """First x at which the decreasing curve y falls to ``level`` (linear interpolation); inf if it never does."""
    x, y = style.to_numpy(x).astype(float), style.to_numpy(y).astype(float)
    for i in range(1, len(x)):
        if y[i] <= level < y[i - 1] or (y[i] <= level and i == 1 and y[0] <= level):
            if y[i - 1] == y[i]:
                return float(x[i])
            return float(x[i - 1] + (y[i - 1] - level) * (x[i] - x[i - 1]) / (y[i - 1] - y[i]))
    return float(x[0]) if y[0] <= level else math.inf


def draw_capacity(capacity: dict, fixed: dict):
    """Left: fraction of patterns retrieved against the load, with the large-d capacity 0.138. Right: all patterns fixed, with d / (2 ln d)."""
    fig, axes = style.figure(ncols=2, width=8.6, height=3.4)
    ax = axes[0, 0]
    loads, f = style.to_numpy(capacity["loads"]), style.to_numpy(capacity["fraction"])
    for row in f:
        ax.plot(loads, row, color=style.PALETTE[0], alpha=0.25, linewidth=0.8)
    ax.plot(loads, f.mean(axis=0), color=style.PALETTE[0], marker="o", markersize=4, label=f"measured, d = {capacity['d']} ({len(f)} seeds)")
    ax.axvline(AGS_CAPACITY, color=style.PALETTE[1], linestyle="--", linewidth=1.2, label="large-d capacity 0.138 (AGS 1985)")
    ax.set_xlabel("load κ = K / d")
    ax.set_ylabel("fraction retrieved (overlap ≥ 0.95)")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(loc="center left")
    ax.set_title(f"cues with {100 * capacity['flip_prob']:.0f} % of bits flipped")
    ax = axes[0, 1]
    Ks = style.to_numpy(fixed["Ks"])
    ax.plot(Ks, style.to_numpy(fixed["fraction"]), marker="o", markersize=4, color=style.PALETTE[0], label=f"measured ({fixed['trials']} trials)")
    ax.plot(Ks, style.to_numpy(fixed["theory"]), color=style.PALETTE[2], linestyle="-.", label="independent-Gaussian estimate")
    ax.axvline(fixed["d"] / (2 * math.log(fixed["d"])), color=style.PALETTE[1], linestyle="--", linewidth=1.2, label="d / (2 ln d)")
    ax.set_xlabel("number of patterns K")
    ax.set_ylabel("P(all K patterns are fixed points)")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(loc="center left")
    ax.set_title(f"d = {fixed['d']}")
    return fig


# ---------------------------------------------------------------------------------------
# Spurious states
# ---------------------------------------------------------------------------------------


def run_mixtures(d: int = 200, K: int = 5, seeds: int = 6) -> dict:
    """Retrieval from the symmetric 3-mixture sgn(xi^1 + xi^2 + xi^3): overlap with the mixture and with each component."""
    with_mixture, with_components = [], []
    for seed in range(seeds):
        X = hopfield.random_patterns(K, d, 7000 + seed)
        mix = hopfield.mixture(X)
        S = hopfield.classical_retrieve(X, mix, steps=100)
        with_mixture.append((S[0] * mix).mean())
        with_components.append(X[:3] @ S[0] / d)
    return {"mixture": torch.stack(with_mixture), "components": torch.stack(with_components), "d": d, "K": K}


def run_attractors(d: int = 200, loads=(0.015, 0.05, 0.1, 0.2, 0.5), starts: int = 100, seeds: int = 2) -> dict:
    """Fraction of random starts whose asynchronous fixed point is of each kind (``hopfield.KINDS``); shape (loads, 4)."""
    counts = torch.zeros(len(loads), len(hopfield.KINDS), dtype=torch.float64)
    for i, load in enumerate(loads):
        K = max(3, round(load * d))
        for seed in range(seeds):
            X = hopfield.random_patterns(K, d, 3000 + 10 * i + seed)
            S = hopfield.async_retrieve(X, hopfield.random_patterns(starts, d, 4000 + 10 * i + seed), sweeps=30, seed=seed)
            counts[i] += torch.bincount(hopfield.classify(S, X, close=0.9, far=0.5), minlength=len(hopfield.KINDS)).double()
    return {"loads": torch.tensor(loads, dtype=torch.float64), "fraction": counts / (starts * seeds), "d": d}


def draw_attractors(run: dict):
    """Stacked bars: the kind of state reached from random starts, at each load."""
    fig, axes = style.figure(width=6.4, height=3.4)
    ax = axes[0, 0]
    f = style.to_numpy(run["fraction"])
    x = np.arange(len(run["loads"]))
    bottom = np.zeros(len(x))
    for k, kind in enumerate(hopfield.KINDS):
        ax.bar(x, f[:, k], bottom=bottom, color=KIND_COLORS[kind], label=kind, width=0.7)
        bottom += f[:, k]
    ax.set_xticks(x, [f"{v:g}" for v in style.to_numpy(run["loads"])])
    ax.set_xlabel("load κ = K / d")
    ax.set_ylabel("fraction of random starts")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(f"fixed points reached from random starts, d = {run['d']}")
    return fig


# ---------------------------------------------------------------------------------------
# Bidirectional associative memory
# ---------------------------------------------------------------------------------------


def bam_one_step_theory(n: int, p: int, m) -> torch.Tensor:
    """P(b^k recalled exactly in one step from a^k): (1 - Phi(-sqrt(n / (m - 1))))^p, Gaussian crosstalk."""
    m = torch.as_tensor(m, dtype=torch.float64)
    flip = 0.5 * torch.erfc(torch.sqrt(n / (m - 1).clamp(min=1e-12)) / 2**0.5)
    return torch.exp(p * torch.log1p(-flip))


def run_bam(n: int = 100, p: int = 100, pairs=(5, 10, 15, 20, 25, 30, 40), seeds: int = 5) -> dict:
    """Recall rate (the pair (a^k, b^k) returned exactly from the key a^k) against the number of pairs, and energy traces."""
    rate = torch.zeros(seeds, len(pairs), dtype=torch.float64)
    one_step = torch.zeros(seeds, len(pairs), dtype=torch.float64)
    increases = []
    for j, m in enumerate(pairs):
        for seed in range(seeds):
            A, B = hopfield.random_patterns(m, n, 100 * seed + j), hopfield.random_patterns(m, p, 100 * seed + j + 50)
            a, b, E = hopfield.bam_retrieve(A, B, hopfield.corrupt(A, 0.1, seed + 7), record=True)
            increases.append(E.diff(dim=1).max())
            a, b = hopfield.bam_retrieve(A, B, A)
            rate[seed, j] = ((a == A).all(dim=1) & (b == B).all(dim=1)).double().mean()
            one_step[seed, j] = (torch.where(A @ hopfield.bam_weights(A, B) >= 0, 1.0, -1.0) == B).all(dim=1).double().mean()
    A, B = hopfield.random_patterns(20, n, 999), hopfield.random_patterns(20, p, 998)
    _, _, trace = hopfield.bam_retrieve(A, B, hopfield.corrupt(A, 0.3, 997)[:8], record=True)
    return {"pairs": torch.tensor(pairs, dtype=torch.float64), "rate": rate, "one_step": one_step, "max_increase": torch.stack(increases).max(),
            "trace": trace, "n": n, "p": p, "theory": bam_one_step_theory(n, p, torch.tensor(pairs))}


def draw_bam(run: dict):
    """Left: the BAM energy along alternating half-steps. Right: recall rate against the number of stored pairs."""
    fig, axes = style.figure(ncols=2, width=8.4, height=3.3)
    ax = axes[0, 0]
    trace = style.to_numpy(run["trace"])
    for row in trace:
        ax.plot(np.arange(len(row)), row, marker="o", markersize=2.5, linewidth=1, color=style.PALETTE[0])
    ax.set_xlabel("half-step (b, then a, then b, ...)")
    ax.set_ylabel("energy $-a^\\top M b$")
    ax.set_title("m = 20 pairs, keys with 30 % flipped")
    ax = axes[0, 1]
    m = style.to_numpy(run["pairs"])
    ax.plot(m, style.to_numpy(run["rate"]).mean(axis=0), marker="o", markersize=4, label="pair recalled exactly (dynamics)")
    ax.plot(m, style.to_numpy(run["one_step"]).mean(axis=0), marker="s", markersize=3, label="b exact after one step")
    ax.plot(m, style.to_numpy(run["theory"]), linestyle="-.", color=style.PALETTE[2], label="one-step Gaussian estimate")
    ax.set_xlabel("number of pairs m")
    ax.set_ylabel("recall rate")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"n = {run['n']}, p = {run['p']}")
    ax.legend(loc="upper right")
    return fig


def hebbian_bridge(seed: int = 0) -> float:
    """max |-grad L(0) - sum_x a_x b_x^T| with a_x = e_x, b_x = p(x) (u_{f*(x)} - mean u): the first step is a BAM matrix."""
    g = torch.Generator().manual_seed(seed)
    N, M, d = 12, 7, 16
    E = torch.randn(N, d, generator=g, dtype=torch.float64)
    U = torch.randn(M, d, generator=g, dtype=torch.float64)
    p = torch.rand(N, generator=g, dtype=torch.float64)
    p = p / p.sum()
    t = torch.randint(0, M, (N,), generator=g)
    B = p[:, None] * (U[t] - U.mean(dim=0))  # (N, d): one "b" per input token
    # sum_x b_x e_x^T is (B^T E): Kosko's M with keys e_x and values b_x, transposed to act on e_x.
    return (-memory.gradient(torch.zeros(d, d, dtype=torch.float64), E, U, p, t) - B.T @ E).abs().max().item()


# ---------------------------------------------------------------------------------------
# Gallery and widget
# ---------------------------------------------------------------------------------------


@gallery.register("hopfield-digits", chapter=CHAPTER,
                  alt="Three rows of 8 by 8 pixel images, one per stored digit (0, 1, 7): the cue with 15 percent of pixels flipped, "
                  "the state after 8, 16, 32 and 64 single-pixel updates, the fixed point reached and the stored pattern.")
def digits_figure():
    return draw_digits(run_digits())


@gallery.register("hopfield-energy", chapter=CHAPTER,
                  alt="Left: energy against the number of single-bit updates for twelve asynchronous runs, every curve non-increasing "
                  "and flat at the end. Right: energy of a synchronous orbit oscillating between two values, and the two-time "
                  "Lyapunov function, which decreases and then stays constant.")
def energy_figure():
    return draw_energy(run_energy())


@gallery.register("hopfield-capacity", chapter=CHAPTER,
                  alt="Left: fraction of patterns retrieved against the load K over d from 0.05 to 0.25 for d = 200, near 1 up to 0.1 and "
                  "near 0 at 0.25, with a dashed line at 0.138. Right: probability that all K patterns are fixed points against K, "
                  "falling from 1 at K = 10 to 0 at K = 25, with the Gaussian estimate and a dashed line at d / (2 ln d).")
def capacity_figure(tier: str = "ci"):
    d = 1000 if tier == "paper" else 200
    return draw_capacity(run_capacity(d=d, seeds=3 if tier == "paper" else 5), run_fixed_points())


@gallery.register("hopfield-attractors", chapter=CHAPTER,
                  alt="Stacked bars of the kind of fixed point reached from random starts at loads 0.015 to 0.5: stored patterns and "
                  "3-mixtures at low load, other spurious states in between, spin-glass states at load 0.5.")
def attractors_figure():
    return draw_attractors(run_attractors())


@gallery.register("hopfield-bam", chapter=CHAPTER,
                  alt="Left: the energy -a^T M b of a bidirectional associative memory along alternating half-steps, decreasing to a "
                  "plateau. Right: recall rate against the number of pairs for n = p = 100, near 1 up to 10 pairs and near 0 at 30.")
def bam_figure():
    return draw_bam(run_bam())


@functools.lru_cache(maxsize=128)
def _widget_overlaps(load: float, flip_prob: float, d: int, cues: int, seed: int):
    """Overlaps (11, cues) with the cued pattern along 10 synchronous updates, and K (cached: a widget goes back and forth)."""
    K = max(1, round(load * d))
    X = hopfield.random_patterns(K, d, seed)
    S = hopfield.corrupt(X[:cues], flip_prob, seed + 1)
    J = hopfield.couplings(X)
    overlaps = [hopfield.overlap(S, X[: len(S)])]
    for _ in range(10):
        S = torch.where(S @ J >= 0, 1.0, -1.0).to(torch.float64)
        overlaps.append(hopfield.overlap(S, X[: len(S)]))
    return style.to_numpy(torch.stack(overlaps)), K


def _plot_widget(ax, load, flip_prob, d, cues, seed):
    with threads(1):
        m, K = _widget_overlaps(load, flip_prob, d, cues, seed)
    ax.plot(np.arange(len(m)), m, color=style.PALETTE[0], alpha=0.4, linewidth=1)
    ax.axhline(0.95, color=style.PALETTE[1], linestyle="--", linewidth=1)
    ax.set_ylim(-0.05, 1.05)
    retrieved = (m[-1] >= 0.95).mean()
    ax.set_title(f"d = {d}, K = {K} (κ = {K / d:.3f}), {100 * flip_prob:.0f} % flipped: {100 * retrieved:.0f} % retrieved")


def draw_widget(load: float = 0.1, flip_prob: float = 0.1, d: int = 200, cues: int = 40, seed: int = 0):
    """Overlap with the cued pattern along synchronous updates, for ``cues`` cues at one load and cue noise."""
    fig, axes = style.figure(width=6.0, height=3.3)
    ax = axes[0, 0]
    ax.set_xlabel("synchronous step")
    ax.set_ylabel("overlap with the cued pattern")
    _plot_widget(ax, load, flip_prob, d, cues, seed)
    return fig


def update_widget(fig, load: float = 0.1, flip_prob: float = 0.1, d: int = 200, cues: int = 40, seed: int = 0):
    """``draw_widget`` in place: the same curves replotted on the kept axes."""
    ax = fig.axes[0]
    clear_data(ax)
    _plot_widget(ax, load, flip_prob, d, cues, seed)


@gallery.register_widget("hopfield-load", chapter=CHAPTER)
def widget(load: float = 0.1, flip_prob: float = 0.1):
    """Sliders for the load K / d and the fraction of cue bits flipped (d = 200)."""
    controls = {
        "load": slider(w.FloatSlider, "load κ = K / d", load, min=0.025, max=0.3, step=0.025),
        "flip_prob": slider(w.FloatSlider, "flipped bits", flip_prob, min=0.0, max=0.4, step=0.05),
    }
    return figure_widget(draw_widget, controls, update=update_widget)
