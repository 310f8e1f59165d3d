"""Chapter "Sequence memories": runs, figures and the widget (serves book/beyond/sequences.py)."""

from __future__ import annotations

import math
from functools import lru_cache

import ipywidgets as w
import numpy as np
import torch

from ... import tiers
from ...models import sequence as sq
from ...tasks import sequences as tasks
from ...viz import gallery, style
from ...viz.widgets import clear_data, figure_widget, slider

CHAPTER = "beyond/sequences"

INTERACTIONS = {"SeqNet, f(x) = x": ("power", 1), "f(x) = x²": ("power", 2), "f(x) = x³": ("power", 3), "f(x) = exp(d(x − 1))": "exp"}
COLOURS = {("power", 1): style.PALETTE[0], ("power", 2): style.PALETTE[1], ("power", 3): style.PALETTE[2], "exp": style.PALETTE[3]}
FACTORS = (0.35, 0.5, 0.71, 1.0, 1.41)  # sequence lengths around the derived capacity, for the success curves


def _key(interaction):
    return tuple(interaction) if isinstance(interaction, (tuple, list)) else interaction


def label(interaction) -> str:
    kind, n = sq.interaction_spec(interaction)
    return "exp" if kind == "exp" else ("SeqNet (n = 1)" if n == 1 else f"n = {n}")


def sizes(tier: str | None = None) -> dict:
    """The sizes of the chapter's experiments: the CI tier runs in seconds on a CPU, the paper tier uses larger d."""
    if tiers.current(tier) == "paper":
        return {
            "dim": 128,
            "trials": 48,
            "exp_lengths": (10, 100, 1000, 4000),
            "dims": {1: (64, 128, 256, 512, 1024, 2048), 2: (24, 32, 48, 64, 96, 128, 192), 3: (12, 16, 24, 32, 48, 64, 96), "exp": (8, 10, 12, 14, 16, 18, 20, 22)},
            "capacity_trials": 48,
            "device": str(tiers.device(tier)),
        }
    return {
        "dim": 64,
        "trials": 16,
        "exp_lengths": (10, 100, 1000),
        "dims": {1: (32, 64, 128, 256, 512), 2: (16, 24, 32, 48, 64, 96), 3: (12, 16, 24, 32, 48), "exp": (8, 10, 12, 14, 16, 18)},
        "capacity_trials": 16,
        "device": "cpu",
    }


# ---------------------------------------------------------------- success against length


@lru_cache(maxsize=None)
def _success(dim: int, length: int, interaction, trials: int, seed: int, device: str = "cpu") -> float:
    return sq.recall_success(dim, length, interaction, trials=trials, seed=seed, device=device)


def success_curve(dim: int, interaction, lengths, trials: int, seed: int = 0, device: str = "cpu") -> np.ndarray:
    """Measured success at each sequence length (one seed per length, ``trials`` sequences each)."""
    interaction = _key(interaction)
    return np.array([_success(dim, int(P), interaction, trials, seed + 1000 * i, device) for i, P in enumerate(lengths)])


def default_lengths(dim: int, interaction, exp_lengths=(10, 100, 1000)) -> list[int]:
    """Sequence lengths around the derived capacity (a fixed list for "exp", whose capacity is astronomical)."""
    if sq.interaction_spec(interaction)[0] == "exp":
        return list(exp_lengths)
    capacity = sq.theory_capacity(dim, interaction)
    return sorted({max(2, round(capacity * f)) for f in FACTORS})


def success_runs(dim: int, trials: int, exp_lengths=(10, 100, 1000), seed: int = 0, device: str = "cpu") -> dict:
    """{interaction: (lengths, measured success, trials used)} for the four interactions at dimension ``dim``."""
    runs = {}
    for interaction in INTERACTIONS.values():
        lengths = default_lengths(dim, interaction, exp_lengths)
        # fewer sequences where one costs P^2 d: the long lengths of n = 3 and exp
        used = trials if max(lengths) <= 400 else max(4, trials // 2)
        runs[_key(interaction)] = (lengths, success_curve(dim, interaction, lengths, used, seed, device), used)
    return runs


def draw_success(dim: int, runs: dict):
    """Success probability against the sequence length, measured (points) and derived (lines), log length axis."""
    fig, axes = style.figure(width=7.2, height=4.4)
    ax = axes[0, 0]
    grid = np.unique(np.round(np.geomspace(2, 2e4, 400)))
    for interaction, (lengths, success, trials) in runs.items():
        colour = COLOURS[interaction]
        theory = [sq.theory_success(dim, int(P), interaction) for P in grid]
        ax.plot(grid, theory, color=colour, linewidth=1.2, alpha=0.8)
        ax.plot(lengths, success, "o", color=colour, markersize=5, label=f"{label(interaction)} ({trials} sequences per point)")
        capacity = sq.theory_capacity(dim, interaction) if sq.interaction_spec(interaction)[0] == "power" else sq.asymptotic_capacity(dim, interaction)
        if capacity < grid[-1]:
            ax.axvline(capacity, color=colour, linestyle=":", linewidth=1)
        else:
            ax.annotate(f"exp: $P_c \\approx$ {capacity:.0e}", xy=(grid[-1], 0.97), xytext=(grid[-1] / 1.15, 0.85), ha="right", fontsize=8, color=colour,
                        arrowprops={"arrowstyle": "->", "color": colour})
    ax.set_xscale("log")
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylim(-0.04, 1.04)
    ax.set_xlabel("sequence length P (transitions stored)")
    ax.set_ylabel("P(every transition exact)")
    ax.set_title(f"d = {dim}: points measured, lines derived, dotted: derived capacity (success 1/2)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, fontsize=7)
    return fig


@gallery.register(
    "sequence-success",
    chapter=CHAPTER,
    alt="Probability that a random sequence is recalled exactly against its length on a log axis, for the classical "
    "sequence network and the networks with f(x) = x squared, x cubed and exponential; each curve drops from 1 to 0 "
    "near its derived capacity, the capacities growing by a factor of about ten per power, while the exponential "
    "network stays at 1.",
)
def success_figure(tier: str = "ci"):
    size = sizes(tier)
    with tiers.threads(1):
        runs = success_runs(size["dim"], size["trials"], size["exp_lengths"], device=size["device"])
    return draw_success(size["dim"], runs)


# ---------------------------------------------------------------- capacity against d


def measured_capacity(dim: int, interaction, trials: int, seed: int = 0, max_rounds: int = 8, device: str = "cpu") -> float:
    """The length P at which the measured success crosses 1/2 (linear interpolation in log P).

    Starts from lengths around the derived capacity and widens the bracket by factors of sqrt 2 until
    the success is >= 1/2 at the shortest and < 1/2 at the longest length (at most ``max_rounds`` times).
    """
    interaction = _key(interaction)
    guess = sq.theory_capacity(dim, interaction) if sq.interaction_spec(interaction)[0] == "power" else sq.asymptotic_capacity(dim, interaction)
    lengths = sorted({max(2, round(guess * f)) for f in (0.71, 1.0, 1.41)})
    table = {}
    for _ in range(max_rounds):
        for P in lengths:
            if P not in table:
                table[P] = _success(dim, P, interaction, trials, seed + P, device)
        ordered = sorted(table)
        if table[ordered[0]] < 0.5 and ordered[0] > 2:
            lengths = [max(2, round(ordered[0] / 1.41))]
        elif table[ordered[-1]] >= 0.5:
            lengths = [round(ordered[-1] * 1.41)]
        else:
            break
    ordered = sorted(table)
    for a, b in zip(ordered, ordered[1:]):
        if table[a] >= 0.5 > table[b]:
            t = (table[a] - 0.5) / (table[a] - table[b])
            return float(math.exp(math.log(a) + t * (math.log(b) - math.log(a))))
    return float(ordered[0] if table[ordered[0]] < 0.5 else ordered[-1])


def capacity_runs(size: dict, seed: int = 0) -> dict:
    """{interaction: (dims, measured capacities, derived capacities)}."""
    runs = {}
    for n, dims in size["dims"].items():
        interaction = ("power", n) if n != "exp" else "exp"
        measured = [measured_capacity(d, interaction, size["capacity_trials"], seed, device=size.get("device", "cpu")) for d in dims]
        derived = [sq.theory_capacity(d, interaction) if n != "exp" else sq.asymptotic_capacity(d, "exp") for d in dims]
        runs[_key(interaction)] = (np.array(dims, dtype=float), np.array(measured), np.array(derived))
    return runs


def fitted_exponent(dims, capacities) -> float:
    """Least-squares slope of log P_c against log d."""
    return float(np.polyfit(np.log(dims), np.log(capacities), 1)[0])


def fitted_base(dims, capacities) -> float:
    """exp of the least-squares slope of log P_c against d: P_c ~ base^d."""
    return float(np.exp(np.polyfit(np.asarray(dims, dtype=float), np.log(capacities), 1)[0]))


def draw_capacity(runs: dict):
    """Capacity against d: log-log for the polynomial networks (with fitted exponents), log-linear for exp."""
    fig, axes = style.figure(ncols=2, width=9.0, height=3.8)
    ax = axes[0, 0]
    for interaction, (dims, measured, derived) in runs.items():
        if interaction == "exp":
            continue
        colour = COLOURS[interaction]
        slope, slope_theory = fitted_exponent(dims, measured), fitted_exponent(dims, derived)
        ax.plot(dims, derived, color=colour, linewidth=1.2)
        ax.plot(dims, measured, "o", color=colour, label=f"{label(interaction)}: slope {slope:.2f} (derived {slope_theory:.2f})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("dimension d (neurons)")
    ax.set_ylabel("capacity $P_c$ (success 1/2)")
    ax.set_title("polynomial networks: $P_c \\propto d^n / \\ln d$")
    ax.legend(loc="lower right", fontsize=7)
    ax = axes[0, 1]
    dims, measured, derived = runs["exp"]
    base, base_theory = fitted_base(dims, measured), fitted_base(dims, derived)
    ax.plot(dims, derived, color=COLOURS["exp"], linewidth=1.2, label=f"derived $\\sqrt{{2\\ln 2}}\\,2^{{d/2}}$ (base {base_theory:.3f})")
    ax.plot(dims, measured, "o", color=COLOURS["exp"], label=f"measured: $P_c \\propto$ {base:.3f}$^d$")
    ax.set_yscale("log")
    ax.set_xlabel("dimension d (neurons)")
    ax.set_ylabel("capacity $P_c$ (success 1/2)")
    ax.set_title("exponential network: $P_c \\propto 2^{d/2}$")
    ax.legend(loc="upper left", fontsize=7)
    return fig


@gallery.register(
    "sequence-capacity",
    chapter=CHAPTER,
    alt="Left: measured sequence capacity against the dimension d on log-log axes for the networks with f(x) = x, "
    "x squared and x cubed, on straight lines whose slopes are close to 1, 2 and 3 and to the derived curves. "
    "Right: the capacity of the exponential network against d on a log axis, growing like 2 to the power d/2.",
)
def capacity_figure(tier: str = "ci"):
    with tiers.threads(1):
        runs = capacity_runs(sizes(tier))
    return draw_capacity(runs)


# ---------------------------------------------------------------- correlated patterns

CORRELATED = {
    "Hebbian, n = 2": ("hebbian", ("power", 2)),
    "Hebbian, n = 4": ("hebbian", ("power", 4)),
    "pseudoinverse, n = 1": ("pseudoinverse", ("power", 1)),
    "pseudoinverse, n = 2": ("pseudoinverse", ("power", 2)),
}


def correlated_runs(dim: int, length: int, shared, trials: int, seed: int = 0) -> dict:
    """{name: success at each shared fraction} for the rules of CORRELATED."""
    runs = {name: [] for name in CORRELATED}
    for i, a in enumerate(shared):
        X = tasks.shared_component(dim, length, float(a), trials=trials, seed=seed + i)
        for name, (rule, interaction) in CORRELATED.items():
            errors = sq.transition_errors(X, interaction, rule)
            runs[name].append((errors.sum(-1) == 0).double().mean().item())
    return {name: np.array(values) for name, values in runs.items()}


def draw_correlated(dim: int, length: int, shared, runs: dict):
    fig, axes = style.figure(width=6.4, height=3.6)
    ax = axes[0, 0]
    for (name, success), colour, marker in zip(runs.items(), style.PALETTE, "osD^"):
        ax.plot(shared, success, marker=marker, markersize=4, color=colour, label=name, linestyle="-" if "pseudo" in name else "--")
    limit = 1 - (length - 1) / dim
    ax.axvline(limit, color="#555555", linestyle=":", linewidth=1)
    ax.text(limit - 0.01, 0.5, "keys no longer\nindependent", ha="right", fontsize=7, color="#555555")
    ax.set_xlabel("shared fraction a of the bits (overlap between patterns ≈ a)")
    ax.set_ylabel("P(every transition exact)")
    ax.set_ylim(-0.04, 1.04)
    ax.set_title(f"d = {dim}, P = {length} transitions")
    ax.legend(loc="center left", fontsize=7)
    return fig


CORRELATED_SIZE = {"dim": 100, "length": 30, "shared": tuple(np.round(np.arange(0, 0.91, 0.1), 2)), "trials": 20}


@gallery.register(
    "sequence-correlated",
    chapter=CHAPTER,
    alt="Probability of exact recall against the fraction of bits shared by all patterns: the Hebbian networks fail "
    "once the patterns share a fifth (n = 2) or half (n = 4) of their bits, while the pseudoinverse rules recall "
    "every sequence until the keys stop being linearly independent.",
)
def correlated_figure():
    size = CORRELATED_SIZE
    with tiers.threads(1):
        runs = correlated_runs(size["dim"], size["length"], size["shared"], size["trials"])
    return draw_correlated(size["dim"], size["length"], size["shared"], runs)


# ---------------------------------------------------------------- digits, step by step

DIGIT_RULES = {"Hebbian, n = 1": ("hebbian", ("power", 1)), "Hebbian, n = 2": ("hebbian", ("power", 2)), "pseudoinverse, n = 1": ("pseudoinverse", ("power", 1))}


def digit_runs(length: int = 20, offset: int = 0, steps: int = 10) -> tuple[torch.Tensor, dict]:
    """The stored digit sequence and the trajectories of the rules of DIGIT_RULES started at its first image."""
    patterns, _ = tasks.digit_sequence(length, offset)
    return patterns, {name: sq.recall(patterns, 0, steps, interaction, rule) for name, (rule, interaction) in DIGIT_RULES.items()}


def draw_digits(patterns: torch.Tensor, runs: dict):
    """Rows of 8x8 images: the stored sequence, then each network's state at t = 0, 1, ...; wrong states framed."""
    from matplotlib.patches import Rectangle

    steps = next(iter(runs.values())).shape[0]
    rows = {"stored": patterns[:steps], **runs}
    gap = 2
    fig, axes = style.figure(ncols=1, nrows=len(rows), width=0.75 * steps + 1.6, height=0.95 * len(rows) + 0.5, sharex=True)
    for ax, (name, images) in zip(axes[:, 0], rows.items()):
        mosaic = np.full((8, steps * (8 + gap) - gap), np.nan)
        for t in range(steps):
            mosaic[:, t * (8 + gap) : t * (8 + gap) + 8] = style.to_numpy(images[t]).reshape(8, 8)
        ax.imshow(mosaic, cmap="gray_r", vmin=-1, vmax=1, interpolation="nearest")
        for t in range(steps):
            if name != "stored" and t < patterns.shape[0] and not torch.equal(images[t], patterns[t]):
                ax.add_patch(Rectangle((t * (8 + gap) - 0.9, -0.9), 8.8, 8.8, fill=False, edgecolor=style.PALETTE[1], linewidth=1.5, clip_on=False))
        ax.set_xlim(-1.5, steps * (8 + gap) - gap + 0.5)
        ax.set_ylim(8.5, -1.5)
        ax.grid(False)
        ax.set_yticks([])
        ax.set_ylabel(name, fontsize=7, rotation=0, ha="right", va="center")
        for spine in ax.spines.values():
            spine.set_visible(False)
    axes[-1, 0].set_xticks([t * (8 + gap) + 3.5 for t in range(steps)], [str(t) for t in range(steps)])
    axes[-1, 0].set_xlabel("time step t (framed: state differs from the stored pattern)")
    return fig


@gallery.register(
    "sequence-digits",
    chapter=CHAPTER,
    alt="A stored sequence of binarised 8 by 8 handwritten digits 0, 1, 2, ... and the states of three networks started "
    "at the first image: the Hebbian networks with n = 1 and n = 2 leave the sequence after one step and produce "
    "blurred mixtures, the pseudoinverse network steps through the digits exactly.",
)
def digits_figure():
    patterns, runs = digit_runs()
    return draw_digits(patterns, runs)


# ---------------------------------------------------------------- variable timing

TIMING = {"dim": 100, "delays": (1, 4, 2, 6, 0, 3), "interaction": ("power", 3), "strength": 2.0, "seed": 0}


def timing_runs(dim: int = 100, delays=(1, 4, 2, 6, 0, 3), interaction=("power", 3), strength: float = 2.0, seed: int = 0) -> dict:
    """Trajectories of the mixed network: gated with variable delays, ungated with the same delays, ungated with one delay."""
    patterns = sq.random_sequences(dim, len(delays), 1, seed)[0]
    steps = int(sum(d + 1 for d in delays)) + 2
    uniform = round(sum(delays) / len(delays))
    return {
        "patterns": patterns,
        "gated, variable delays": (list(delays), sq.recall_mixed(patterns, 0, steps, interaction, list(delays), strength, gated=True)),
        "not gated, variable delays": (list(delays), sq.recall_mixed(patterns, 0, steps, interaction, list(delays), strength, gated=False)),
        f"not gated, one delay τ = {uniform}": ([uniform] * len(delays), sq.recall_mixed(patterns, 0, steps, interaction, uniform, strength, gated=False)),
    }


def draw_timing(runs: dict):
    patterns = runs["patterns"]
    panels = {k: v for k, v in runs.items() if k != "patterns"}
    fig, axes = style.figure(ncols=1, nrows=len(panels), width=7.2, height=1.5 * len(panels) + 0.6, sharex=True)
    for ax, (name, (delays, trajectory)) in zip(axes[:, 0], panels.items()):
        overlaps = style.to_numpy(trajectory @ patterns.T / patterns.shape[1]).T  # (P + 1, T)
        image = ax.imshow(overlaps, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
        ax.grid(False)
        ax.set_ylabel("pattern μ")
        ax.set_yticks(range(patterns.shape[0]), [str(i + 1) for i in range(patterns.shape[0])], fontsize=7)
        ax.set_title(f"{name}: delays τ = {', '.join(map(str, delays))}", fontsize=9)
    axes[-1, 0].set_xlabel("time step t")
    fig.colorbar(image, ax=axes[:, 0].tolist(), label="overlap $m_\\mu(t)$", shrink=0.8)
    return fig


@gallery.register(
    "sequence-timing",
    chapter=CHAPTER,
    alt="Overlaps of the state with each of seven stored patterns over time in three mixed networks. With the gated "
    "delayed term the network stays 2, 5, 3, 7, 1 and 4 steps in the successive patterns, as set by the delays; "
    "without the gate the same delays make the state stall and mix patterns; with one common delay every pattern "
    "lasts the same time.",
)
def timing_figure():
    return draw_timing(timing_runs(**TIMING))


# ---------------------------------------------------------------- widget

WIDGET_INTERACTIONS = {"n = 1 (SeqNet)": ("power", 1), "n = 2": ("power", 2), "n = 3": ("power", 3), "n = 4": ("power", 4), "exp": "exp"}


@lru_cache(maxsize=128)
def _recall(dim: int, length: int, interaction, seed: int):
    """Overlaps (P, P + 1) of one recall with the stored patterns and its exact steps (cached: a widget goes back and forth)."""
    inter = WIDGET_INTERACTIONS[interaction] if isinstance(interaction, str) and interaction in WIDGET_INTERACTIONS else interaction
    patterns = sq.random_sequences(dim, length, 1, seed)[0]
    trajectory = sq.recall(patterns, 0, length, inter)
    overlaps = style.to_numpy(trajectory @ patterns.T / dim).T
    exact = int((trajectory == patterns).all(-1).sum()) - 1
    return inter, overlaps, exact


def _plot_recall(ax, dim, length, interaction, seed):
    inter, overlaps, exact = _recall(dim, length, interaction, seed)
    image = ax.imshow(overlaps, aspect="auto", origin="lower", cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest",
                      extent=(-0.5, length + 0.5, 0.5, length + 1.5))
    theory = sq.theory_success(dim, length, inter)
    ax.set_title(f"d = {dim}, P = {length}, {label(inter)}: {exact} of {length} steps on the sequence\n"
                 f"(derived P(all exact) = {theory:.2f})", fontsize=9)
    return image


def draw_recall_run(dim: int = 100, length: int = 20, interaction="n = 1 (SeqNet)", seed: int = 0):
    """One stored random sequence: overlap of the recalled state with every stored pattern over time."""
    fig, axes = style.figure(width=6.4, height=3.8)
    ax = axes[0, 0]
    image = _plot_recall(ax, dim, length, interaction, seed)
    ax.grid(False)
    fig.colorbar(image, ax=ax, label="overlap $m_\\mu(t)$")
    ax.set_xlabel("time step t")
    ax.set_ylabel("stored pattern μ")
    return fig


def update_recall_run(fig, dim: int = 100, length: int = 20, interaction="n = 1 (SeqNet)", seed: int = 0):
    """``draw_recall_run`` in place: the overlap image redrawn on the kept axes (the colour bar's range is fixed, -1 to 1)."""
    ax = fig.axes[0]
    clear_data(ax)
    _plot_recall(ax, dim, length, interaction, seed)


@gallery.register_widget("sequence-recall", chapter=CHAPTER)
def widget(dim: int = 100, length: int = 20, interaction: str = "n = 1 (SeqNet)", seed: int = 0):
    """Sliders for d and P and a menu for the interaction; redraws one recall (a diagonal means success)."""
    controls = {
        "dim": slider(w.IntSlider, "d", dim, min=20, max=300, step=10),
        "length": slider(w.IntSlider, "P", length, min=2, max=400, step=2),
        "interaction": w.Dropdown(options=list(WIDGET_INTERACTIONS), value=interaction, description="f"),
        "seed": slider(w.IntSlider, "seed", seed, min=0, max=9),
    }
    return figure_widget(draw_recall_run, controls, update=update_recall_run)
