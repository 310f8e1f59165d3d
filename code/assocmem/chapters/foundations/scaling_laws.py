"""Chapter "How much a memory of dimension d can store": the two scaling figures, the capacity picture and its widget."""

from __future__ import annotations

import math
from functools import lru_cache

import ipywidgets as w
import numpy as np
import torch

from ... import data, tiers
from ...models import scaling
from ...viz import gallery, style
from ...viz.widgets import clear_data, figure_widget, slider

CHAPTER = "foundations/scaling_laws"

NAMES = {"frequency": "frequency-weighted, q = p̂", "threshold": "thresholded, q = 1 on top k", "seen": "all seen, q = 1 on seen"}
COLOURS = {"frequency": style.PALETTE[0], "threshold": style.PALETTE[1], "seen": style.PALETTE[2], "floor": "#555555"}

# Sizes of the two sweeps. N = 2000 in the CI tier: with T = 1e5 Zipf(2) samples the tokens beyond
# 2000 carry 3e-4 of the mass and are (almost) never seen, so they change nothing but the floor.
SIZES = {
    "ci": dict(n=2000, m=10, exponent=2.0, num_samples=100_000, dims=(32, 64, 128, 256, 512, 1024, 2048), repeats=6,
               sample_grid=tuple(int(round(10**e)) for e in np.arange(2.0, 5.51, 0.5)), sample_dim=512, sample_repeats=4),
    "paper": dict(n=10_000, m=10, exponent=2.0, num_samples=100_000, dims=(32, 64, 128, 256, 512, 1024, 2048, 4096), repeats=16,
                  sample_grid=tuple(int(round(10**e)) for e in np.arange(2.0, 6.51, 0.5)), sample_dim=512, sample_repeats=12),
}


def sizes(tier: str | None = None) -> dict:
    return SIZES[tiers.current(tier)]


@lru_cache(maxsize=2)
def run_dimension(tier: str = "ci") -> scaling.Sweep:
    """Error of the three estimators against d at T = 1e5 (the first scaling figure)."""
    s = sizes(tier)
    with tiers.threads(1):
        return scaling.dimension_sweep(s["n"], s["m"], s["exponent"], s["num_samples"], s["dims"], s["repeats"], seed=0)


@lru_cache(maxsize=2)
def run_samples(tier: str = "ci") -> scaling.Sweep:
    """Error of the three estimators against T at fixed d (the second scaling figure)."""
    s = sizes(tier)
    with tiers.threads(1):
        return scaling.sample_sweep(s["n"], s["m"], s["exponent"], s["sample_grid"], s["sample_dim"], s["sample_repeats"], seed=1)


def theory_slopes(exponent: float) -> dict:
    """Slopes of log error against log d: -(alpha-1)/(2 alpha) for q = p, -(alpha-1) for thresholding (up to logs)."""
    return {"frequency": -(exponent - 1) / (2 * exponent), "threshold": -(exponent - 1)}


def _band(ax, x, values, colour):
    v = style.to_numpy(values)
    ax.fill_between(x, v.min(-1), v.max(-1), color=colour, alpha=0.15, linewidth=0)


def draw_dimension(sweep: scaling.Sweep, exponent: float = 2.0):
    """Error against d (log-log) for the three estimators, with the data floor and the theory slopes."""
    fig, axes = style.figure(width=6.8, height=4.2)
    ax = axes[0, 0]
    d = np.asarray(sweep.grid, dtype=float)
    slopes = theory_slopes(exponent)
    for name in scaling.ESTIMATORS:
        mean = style.to_numpy(sweep.mean(name))
        _band(ax, d, sweep.errors[name], COLOURS[name])
        label = NAMES[name] + f" (fit {sweep.slope(name):+.2f})" if name in slopes else NAMES[name]
        ax.plot(d, mean, "o-", color=COLOURS[name], markersize=4, label=label)
    # Theory: q = p as a straight line d^(-(alpha-1)/(2 alpha)); thresholding as k(d)^(-(alpha-1)), k = d / (2 ln d);
    # both anchored at the geometric middle of the grid.
    mid = len(d) // 2
    f_mean, t_mean = style.to_numpy(sweep.mean("frequency")), style.to_numpy(sweep.mean("threshold"))
    ax.plot(d, f_mean[mid] * (d / d[mid]) ** slopes["frequency"], ":", color=COLOURS["frequency"], linewidth=1.4,
            label=f"theory $d^{{{slopes['frequency']:.2f}}}$")
    k = d / (2 * np.log(d))
    ax.plot(d, t_mean[mid] * (k / k[mid]) ** slopes["threshold"], ":", color=COLOURS["threshold"], linewidth=1.4,
            label=r"theory $(d / 2\ln d)^{-(\alpha - 1)}$")
    ax.plot(d, style.to_numpy(sweep.mean("floor")), "--", color=COLOURS["floor"], linewidth=1.2, label="floor: unseen mass")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("population 0-1 error")
    N, T, R = len(sweep.freqs), sweep.num_samples[0], sweep.floor.shape[-1]
    ax.set_title(f"N = {N}, M = 10, α = {exponent:g}, T = {T:,}; mean of {R} draws, band min to max")
    ax.legend(loc="lower left", fontsize=7)
    return fig


def draw_samples(sweep: scaling.Sweep, exponent: float = 2.0):
    """Error against T (log-log) at fixed d, with the measured floor, its expectation and the law T^(-1 + 1/alpha)."""
    fig, axes = style.figure(width=6.8, height=4.2)
    ax = axes[0, 0]
    T = np.asarray(sweep.grid, dtype=float)
    for name in scaling.ESTIMATORS:
        _band(ax, T, sweep.errors[name], COLOURS[name])
        ax.plot(T, style.to_numpy(sweep.mean(name)), "o-", color=COLOURS[name], markersize=4, label=NAMES[name])
    ax.plot(T, style.to_numpy(sweep.mean("floor")), "s", color=COLOURS["floor"], markersize=4, label="unseen mass (measured)")
    fine = np.logspace(np.log10(T[0]), np.log10(T[-1]), 60)
    ax.plot(fine, style.to_numpy(scaling.expected_unseen_mass(sweep.freqs, fine)), "--", color=COLOURS["floor"], linewidth=1.2,
            label=r"$\sum_x p(x)(1 - p(x))^T$")
    ax.plot(fine, style.to_numpy(scaling.zipf_unseen_asymptote(exponent, fine)), ":", color="black", linewidth=1.4,
            label=rf"theory $\propto T^{{-1 + 1/\alpha}} = T^{{{-1 + 1 / exponent:.2f}}}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("number of samples T")
    ax.set_ylabel("population 0-1 error")
    ax.set_title(f"d = {sweep.dims[0]}, N = {len(sweep.freqs)}, M = 10, α = {exponent:g}; mean of {sweep.floor.shape[-1]} draws, band min to max")
    ax.legend(loc="lower left", fontsize=7)
    return fig


@gallery.register(
    "scaling-dimension",
    chapter=CHAPTER,
    alt="Log-log plot of the population error against the embedding dimension d from 32 to 2048 for three memories written "
    "from 100000 Zipf samples. The thresholded memory falls steeply, close to its theory curve; the frequency-weighted "
    "memory falls slowly, like d to the minus one quarter; the all-seen memory is the worst at small d and drops to the "
    "floor of unseen mass at the largest d.",
)
def dimension_figure(tier: str = "ci"):
    return draw_dimension(run_dimension(tier), sizes(tier)["exponent"])


@gallery.register(
    "scaling-samples",
    chapter=CHAPTER,
    alt="Log-log plot of the population error against the number of samples T at d = 512. The mass of unseen tokens falls "
    "like T to the minus one half, on its theory line; the all-seen memory follows it until it holds too many tokens and "
    "then rises; the thresholded memory follows it then levels off; the frequency-weighted memory is flat.",
)
def samples_figure(tier: str = "ci"):
    return draw_samples(run_samples(tier), sizes(tier)["exponent"])


# --------------------------------------------------------------------------- the capacity picture and the widget


@lru_cache(maxsize=8)
def _embeddings(n: int, m: int, dim: int, seed: int):
    E, U = data.embedding_pair(n, m, dim, seed)
    return E, U


def capacity(dim: int, num_samples: int, exponent: float, estimator: str, n: int = 2000, m: int = 10, seed: int = 0):
    """One memory: weights q, crosstalk scale sigma = sqrt(2 sum q^2 / (M d)), which tokens it recalls, its error."""
    p = data.zipf(n, exponent)
    counts = scaling.sample_counts(p, int(num_samples), seed)
    t = scaling.random_targets(n, m, seed)
    E, U = _embeddings(n, m, dim, seed)
    q = scaling.estimator(estimator, counts, dim=dim)
    with tiers.threads(1):
        right = scaling.predictions(E, U, t, q) == t
    sigma = math.sqrt(2 * float((q**2).sum()) / (m * dim))
    err = float((p * (~right).double()).sum())
    return dict(q=q, right=right, sigma=sigma, error=err, floor=float(scaling.unseen_mass(p, counts)), freqs=p)


def _capacity_panel(ax, c, dim, num_samples, estimator, bottom):
    ratio = style.to_numpy(c["q"]) / c["sigma"]
    right, stored = style.to_numpy(c["right"]), ratio > 0
    rank = np.arange(1, len(ratio) + 1)
    ax.scatter(rank[stored & right], ratio[stored & right], s=6, color=style.PALETTE[2], label="stored, recalled")
    ax.scatter(rank[stored & ~right], ratio[stored & ~right], s=6, color=style.PALETTE[1], label="stored, overwritten")
    ax.scatter(rank[~stored], np.full((~stored).sum(), bottom), s=3, marker="|", color="#999999", label="not stored (q = 0)")
    ax.axhline(1.0, color="#555555", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("token rank x (most frequent first)")
    ax.set_ylabel(r"signal / crosstalk  $q(x) / \sigma$")
    k = f", k = {scaling.threshold_size(dim)}" if estimator == "threshold" else ""
    ax.set_title(f"{NAMES[estimator]}{k}\nd = {dim}, T = {int(num_samples):,}: error {c['error']:.3f} (unseen mass {c['floor']:.3f})",
                 fontsize=8.5)


def _limits(runs):
    ratios = np.concatenate([style.to_numpy(c["q"]) / c["sigma"] for c in runs])
    bottom = 10 ** np.floor(np.log10(ratios[ratios > 0].min() / 2))
    return bottom, max(30.0, 2 * ratios.max())


def draw_capacity(dim: int = 512, num_samples: int = 100_000, exponent: float = 2.0, estimator: str = "frequency"):
    """The capacity picture of one memory: each token's signal-to-crosstalk ratio, coloured by whether it is recalled."""
    fig, axes = style.figure(width=5.6, height=3.8)
    _plot_capacity(axes[0, 0], dim, num_samples, exponent, estimator)
    return fig


@lru_cache(maxsize=64)
def _cached_capacity(dim: int, num_samples: int, exponent: float, estimator: str):
    return capacity(dim, num_samples, exponent, estimator)


def _plot_capacity(ax, dim, num_samples, exponent, estimator):
    c = _cached_capacity(dim, num_samples, exponent, estimator)
    bottom, top = _limits([c])
    _capacity_panel(ax, c, dim, num_samples, estimator, bottom)
    ax.set_ylim(bottom / 1.5, top)
    ax.legend(loc="lower left", fontsize=7)


def update_capacity(fig, dim: int = 512, num_samples: int = 100_000, exponent: float = 2.0, estimator: str = "frequency"):
    """``draw_capacity`` in place: the same points replotted on the kept axes."""
    clear_data(fig.axes[0])
    _plot_capacity(fig.axes[0], dim, num_samples, exponent, estimator)


def draw_capacity_panels(dim: int = 512, num_samples: int = 100_000, exponent: float = 2.0):
    """The capacity picture for the three estimators side by side."""
    fig, axes = style.figure(ncols=3, width=12.5, height=3.9, sharey=True)
    runs = [capacity(dim, num_samples, exponent, name) for name in scaling.ESTIMATORS]
    bottom, top = _limits(runs)
    for ax, name, c in zip(axes[0], scaling.ESTIMATORS, runs):
        _capacity_panel(ax, c, dim, num_samples, name, bottom)
    axes[0, 0].set_ylim(bottom / 1.5, top)
    axes[0, 0].legend(loc="lower left", fontsize=7)
    return fig


@gallery.register(
    "scaling-capacity",
    chapter=CHAPTER,
    alt="Three scatter plots, one per memory, of the signal-to-crosstalk ratio of each of 2000 tokens against its frequency "
    "rank, at d = 512 and T = 100000. Frequency-weighted: the ratio falls along the Zipf line and only the first few dozen "
    "tokens are recalled. Thresholded: 41 tokens at ratio about 8, all recalled. All seen: about 400 tokens at ratio "
    "about 2.5, most recalled but some, the most frequent token included, overwritten.",
)
def capacity_figure():
    return draw_capacity_panels(dim=512, num_samples=100_000, exponent=2.0)


@gallery.register_widget("scaling-capacity", chapter=CHAPTER)
def widget(dim: int = 512, num_samples: int = 100_000, exponent: float = 2.0, estimator: str = "frequency"):
    """Sliders for d, T and the Zipf exponent, and a choice of estimator, over the capacity picture."""
    controls = {
        "dim": slider(w.SelectionSlider, "dimension d", dim, options=[16, 32, 64, 128, 256, 512, 1024]),
        "num_samples": slider(w.SelectionSlider, "samples T", num_samples, options=[10**k for k in range(2, 7)]),
        "exponent": slider(w.FloatSlider, "Zipf exponent α", exponent, min=1.2, max=3.0, step=0.1),
        "estimator": w.ToggleButtons(options=[(name, name) for name in scaling.ESTIMATORS], value=estimator, description="q"),
    }
    return figure_widget(draw_capacity, controls, update=update_capacity)


# --------------------------------------------------------------------------- checks of the two propositions


def crosstalk_check(n: int = 200, m: int = 10, dim: int = 64, draws: int = 3000, exponent: float = 2.0, seed: int = 0):
    """Monte Carlo of the crosstalk in the gap s(x, f*(x)) - s(x, y) for x = 0 and q = p, over ``draws`` draws of E
    with U fixed: (empirical mean, empirical variance, predicted variance of eq-crosstalk-variance)."""
    p = data.zipf(n, exponent)
    t = scaling.random_targets(n, m, seed)
    U = data.sphere_embeddings(m, dim, seed + 1)
    x, y = 0, (int(t[0]) + 1) % m
    noise = []
    generator = torch.Generator().manual_seed(seed + 2)
    with tiers.threads(1):
        for start in range(0, draws, 500):
            E = torch.randn(min(500, draws - start), n, dim, generator=generator, dtype=torch.float64)
            E = E / E.norm(dim=-1, keepdim=True)                      # uniform on the unit sphere, as data.sphere_embeddings
            S = scaling.scores(E, U, t, p)
            noise.append(S[:, x, t[x]] - S[:, x, y] - p[x] * (1 - U[t[x]] @ U[y]))
    noise = torch.cat(noise)
    return float(noise.mean()), float(noise.var()), float(scaling.crosstalk_variance(U, t, p, x, y))
