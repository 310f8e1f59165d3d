"""Two interacting particles: the margin map of two correlated tokens (book chapter "Two interacting particles").

The problem: e_1 = (1, 0), e_2 = (alpha, sqrt(1 - alpha^2)), U = I, f*(x) = x,
frequencies p = (p1, p2) with p2 = 1 - p1, W_0 = 0. With two outputs the whole
state of GD is the pair of margins m = (m_1, m_2), which follows the closed map

    m_{t+1} = m_t + 2 eta K P sigma(-m_t),  K = [[1, -alpha], [-alpha, 1]],  P = diag(p1, p2)   (eq. 2.1)

(sigma the logistic function), and L(W_t) = sum_x p_x log(1 + exp(-m_x)). Every
function broadcasts its scalar parameters ``p1``, ``alpha``, ``step_size`` against
each other, so a whole grid of problems runs as one batched recursion: a batch of
shape B gives margins of shape B + (2,). All tensors are float64 on the CPU.

Tie convention (argmax ties go to class 0): token 1 (class 0) is correct iff
m_1 >= 0, token 2 (class 1) iff m_2 > 0, so W_0 = 0 misclassifies token 2.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import expit

from . import _checks, data, gallery, landscape, memory, plots, train
from ._progress import progress
from ._checks import DTYPE

# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------


def _param(name: str, value, low: float, high: float, low_open: bool, high_open: bool) -> torch.Tensor:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a real number or an array of them, got {value!r}.")
    tensor = _checks.as_tensor(name, value)
    bad_low = (tensor <= low) if low_open else (tensor < low)
    bad_high = (tensor >= high) if high_open else (tensor > high)
    if (bad_low | bad_high).any():
        interval = ("(" if low_open else "[") + f"{low:g}, {high:g}" + (")" if high_open else "]")
        worst = tensor[bad_low | bad_high].reshape(-1)[0].item()
        raise ValueError(f"{name} must lie in {interval}, got {worst!r}.")
    return tensor


def _p1(p1) -> torch.Tensor:
    return _param("p1", p1, 0.0, 1.0, True, True)


def _alpha(alpha) -> torch.Tensor:
    return _param("alpha", alpha, -1.0, 1.0, False, False)


def _eta(step_size) -> torch.Tensor:
    return _param("step_size", step_size, 0.0, math.inf, True, True)


def _broadcast(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    try:
        return torch.broadcast_tensors(*tensors)
    except RuntimeError as error:
        shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
        raise ValueError(f"p1, alpha and step_size must broadcast against each other, got shapes {shapes} ({error}).") from None


def problem(alpha: float, p1: float):
    """The two-particle problem as (E, U, freqs, targets) for ``train.gd`` and ``memory``."""
    E, U = data.two_token_embeddings(alpha)
    return E, U, data.two_token_freqs(p1), data.targets(2)


# ---------------------------------------------------------------------------------------------
# The margin map and what it gives in closed form
# ---------------------------------------------------------------------------------------------


def _coefficients(p1, alpha, eta):
    """c[..., x, x'] = 2 eta K[x, x'] p(x'), the matrix of eq. (2.1); shape B + (2, 2)."""
    p2 = 1.0 - p1
    row0 = torch.stack([p1, -alpha * p2], dim=-1)
    row1 = torch.stack([-alpha * p1, p2], dim=-1)
    return 2.0 * eta[..., None, None] * torch.stack([row0, row1], dim=-2)


def margin_step(margins, p1, alpha, step_size) -> torch.Tensor:
    """One application of eq. (2.1): m + 2 eta K P sigma(-m); margins B + (2,) -> B + (2,)."""
    m = _checks.as_tensor("margins", margins)
    if m.ndim == 0 or m.shape[-1] != 2:
        raise ValueError(f"margins must have shape (..., 2), got shape {tuple(m.shape)}.")
    p1, alpha, eta = _broadcast(_p1(p1), _alpha(alpha), _eta(step_size))
    c = _coefficients(p1, alpha, eta)
    return m + (c @ torch.sigmoid(-m).unsqueeze(-1)).squeeze(-1)


def _trajectory(p1, alpha, eta, steps, show_progress=None):
    """m_0 = 0, ..., m_steps under eq. (2.1) for broadcast parameters of shape B; shape B + (steps + 1, 2).

    The time loop runs on NumPy arrays (a few microseconds per elementwise operation,
    against tens for tiny torch tensors on a busy CPU); the increment is written as
    2 eta (r - alpha r_swapped) with r = P sigma(-m), so that with alpha = 1 the two
    increments are exact negatives of each other and m_2 = -m_1 holds exactly.
    """
    p = np.stack([p1.numpy(), 1.0 - p1.numpy()], axis=-1)
    a = alpha.numpy()[..., None]
    g = 2.0 * eta.numpy()[..., None]
    history = np.empty(p1.shape + (steps + 1, 2))
    m = np.zeros(p1.shape + (2,))
    history[..., 0, :] = m
    for t in progress(range(steps), total=steps, desc="margin map", show=show_progress):
        r = p * expit(-m)
        m = m + g * (r - a * r[..., ::-1])
        history[..., t + 1, :] = m
    return history


def margin_trajectory(p1, alpha, step_size, steps: int, *, show_progress: bool | None = None) -> torch.Tensor:
    """Margins m_0 = 0, m_1, ..., m_steps of GD from W_0 = 0 (eq. 2.1); shape B + (steps + 1, 2).

    B is the broadcast shape of ``p1``, ``alpha`` and ``step_size``; one loop over
    time runs every problem of the batch at once.
    """
    steps = _checks.count("steps", steps)
    p1, alpha, eta = _broadcast(_p1(p1), _alpha(alpha), _eta(step_size))
    return torch.from_numpy(_trajectory(p1, alpha, eta, steps, show_progress))


def loss_from_margins(margins, p1) -> torch.Tensor:
    """L = p1 log(1 + e^{-m_1}) + p2 log(1 + e^{-m_2}) (stable softplus); margins (..., 2) -> (...)."""
    m = _checks.as_tensor("margins", margins)
    if m.ndim == 0 or m.shape[-1] != 2:
        raise ValueError(f"margins must have shape (..., 2), got shape {tuple(m.shape)}.")
    p1 = _p1(p1)
    return p1 * F.softplus(-m[..., 0]) + (1.0 - p1) * F.softplus(-m[..., 1])


def correct_from_margins(margins) -> torch.Tensor:
    """Whether each token is recalled, with argmax ties to class 0: (m_1 >= 0, m_2 > 0); bool (..., 2)."""
    m = _checks.as_tensor("margins", margins)
    if m.ndim == 0 or m.shape[-1] != 2:
        raise ValueError(f"margins must have shape (..., 2), got shape {tuple(m.shape)}.")
    return torch.stack([m[..., 0] >= 0, m[..., 1] > 0], dim=-1)


def zero_one_from_margins(margins, p1) -> torch.Tensor:
    """L01 = p1 1{m_1 < 0} + p2 1{m_2 <= 0} (ties to class 0); margins (..., 2) -> (...)."""
    wrong = ~correct_from_margins(margins)
    p1 = _p1(p1)
    return p1 * wrong[..., 0].to(DTYPE) + (1.0 - p1) * wrong[..., 1].to(DTYPE)


def first_step_margins(p1, alpha, step_size) -> torch.Tensor:
    """m_1 = eta (p1 - alpha p2, p2 - alpha p1), the margins after one step from zero; shape B + (2,)."""
    p1, alpha, eta = _broadcast(_p1(p1), _alpha(alpha), _eta(step_size))
    p2 = 1.0 - p1
    return eta[..., None] * torch.stack([p1 - alpha * p2, p2 - alpha * p1], dim=-1)


def one_step_loss(step_size, p1, alpha) -> torch.Tensor:
    """L(W_1) as a function of eta: p1 log(1 + e^{-eta a}) + p2 log(1 + e^{-eta b}), (a, b) = m_1 / eta."""
    return loss_from_margins(first_step_margins(p1, alpha, step_size), p1)


def spike_threshold(p1: float, alpha: float) -> float:
    """The step size eta* > 0 with L(W_1) = log 2; L(W_1) > log 2 exactly when eta > eta*.

    L(W_1) is convex in eta, equals log 2 at eta = 0 and decreases there, so it
    crosses log 2 again at most once; it does iff the rare token flips (alpha p1 > p2,
    with p1 >= p2), and then it grows like p2 (alpha p1 - p2) eta. Returns ``math.inf``
    when there is no crossing. Solved with Brent's method on a bracket found by doubling.
    """
    from scipy.optimize import brentq

    p1, alpha = _p1(p1), _alpha(alpha)
    if p1.numel() != 1 or alpha.numel() != 1:
        raise ValueError(f"p1 and alpha must be single numbers here, got shapes {tuple(p1.shape)} and {tuple(alpha.shape)}.")
    p1, alpha = p1.item(), alpha.item()
    a, b = p1 - alpha * (1 - p1), (1 - p1) - alpha * p1
    if min(a, b) >= 0:
        return math.inf

    def excess(eta: float) -> float:
        return p1 * np.logaddexp(0.0, -eta * a) + (1 - p1) * np.logaddexp(0.0, -eta * b) - math.log(2)

    high = 1.0
    while excess(high) <= 0:
        high *= 2.0
        if high > 1e12:  # pragma: no cover - only for degenerate inputs
            return math.inf
    # Below the crossing the excess is negative on (0, eta*): start the bracket at a point where it is.
    low = high / 2.0
    while excess(low) >= 0:
        low /= 2.0
    return brentq(excess, low, high, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200)


def sharpness_at_zero(p1, alpha) -> torch.Tensor:
    """Largest Hessian eigenvalue at W = 0: (1 + sqrt(1 - 4 p1 p2 (1 - alpha^2))) / 4; shape B."""
    p1, alpha = _broadcast(_p1(p1), _alpha(alpha))
    return (1.0 + torch.sqrt(1.0 - 4.0 * p1 * (1.0 - p1) * (1.0 - alpha**2))) / 4.0


def critical_step_size(p1, alpha) -> torch.Tensor:
    """2 / sharpness at W = 0: GD is locally unstable at initialisation for larger steps; shape B."""
    return 2.0 / sharpness_at_zero(p1, alpha)


def large_step_limit(p1, alpha, steps: int) -> torch.Tensor:
    """The eta -> infinity limit of m_t / eta: n_{t+1} = n_t + 2 K P H(-n_t); shape B + (steps + 1, 2).

    sigma(-eta n) tends to the step H(-n) (1 for n < 0, 1/2 at n = 0, 0 for n > 0),
    a perceptron that corrects only the misclassified tokens; it does not involve eta.
    """
    steps = _checks.count("steps", steps)
    p1, alpha = _broadcast(_p1(p1), _alpha(alpha))
    c = _coefficients(p1, alpha, torch.ones_like(p1))
    history = torch.empty(*p1.shape, steps + 1, 2, dtype=DTYPE)
    n = torch.zeros(*p1.shape, 2, dtype=DTYPE)
    history[..., 0, :] = n
    for t in range(steps):
        h = (n < 0).to(DTYPE) + 0.5 * (n == 0).to(DTYPE)
        n = n + torch.stack([(c[..., 0, :] * h).sum(-1), (c[..., 1, :] * h).sum(-1)], dim=-1)
        history[..., t + 1, :] = n
    return history


# ---------------------------------------------------------------------------------------------
# Time to perfect accuracy (F-G)
# ---------------------------------------------------------------------------------------------


def _first_perfect(history: np.ndarray) -> np.ndarray:
    ok = (history[..., 0] >= 0) & (history[..., 1] > 0)
    T = ok.shape[-1]
    return np.where(ok.any(axis=-1), ok.argmax(axis=-1), T - 1)


def first_perfect(margins) -> torch.Tensor:
    """First t with both tokens correct in margins (..., T, 2), or T - 1 if none (the cap); long (...)."""
    m = _checks.as_tensor("margins", margins)
    if m.ndim < 2 or m.shape[-1] != 2:
        raise ValueError(f"margins must have shape (..., T, 2), got shape {tuple(m.shape)}.")
    return torch.from_numpy(_first_perfect(m.numpy())).long()


def time_to_accuracy(p1, alpha, step_size, steps: int = 1000) -> torch.Tensor:
    """First t in 0..steps-1 with accuracy 1 on W_t (logged before update t), capped at steps - 1.

    One batched recursion over the broadcast shape B of the parameters: pass
    ``p1[:, None, None]``, ``alpha[None, :, None]``, ``step_size[None, None, :]`` for a
    full grid. Returns a long tensor of shape B.
    """
    steps = _checks.count("steps", steps, minimum=1)
    p1, alpha, eta = _broadcast(_p1(p1), _alpha(alpha), _eta(step_size))
    return torch.from_numpy(_first_perfect(_trajectory(p1, alpha, eta, steps - 1))).long()


def paper_grid():
    """The F-G axes: p1 = 1 / (1 + exp(-l)), l in logspace(-0.5, 0.5, 10); alpha in linspace(0.5, 1, 10); eta in logspace(-1, 1, 10)."""
    l = torch.logspace(-0.5, 0.5, 10, dtype=DTYPE)
    p1 = 1.0 / (1.0 + torch.exp(-l))
    alpha = torch.linspace(0.5, 1.0, 10, dtype=DTYPE)
    eta = torch.logspace(-1.0, 1.0, 10, dtype=DTYPE)
    return p1, alpha, eta


def time_grid(steps: int = 1000):
    """(p1, alpha, eta, times) with times[i, j, k] for (p1[i], alpha[j], eta[k]); one batched run."""
    p1, alpha, eta = paper_grid()
    return p1, alpha, eta, time_to_accuracy(p1[:, None, None], alpha[None, :, None], eta[None, None, :], steps)


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------

CHAPTER = "learning/two_particles"
FREQS_FA = 0.75


def draw_wedge(ax, alpha: float, xlim, ylim, label: bool = True):
    """Outline the zero-error wedge of the two-particle problem, from its inequalities (landscape.zero_error_region)."""
    E, _ = data.two_token_embeddings(alpha)
    poly = plots.to_numpy(landscape.zero_error_region(E, data.targets(2), xlim, ylim))
    if len(poly) >= 3:
        closed = np.vstack([poly, poly[:1]])
        ax.fill(poly[:, 0], poly[:, 1], facecolor="none", edgecolor=plots.PALETTE[1], hatch="///", linewidth=0.0, alpha=0.7)
        ax.plot(closed[:, 0], closed[:, 1], color=plots.PALETTE[1], linewidth=1.4, label="zero-error wedge" if label else None)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)


def draw_landscapes(alphas=(-0.5, 0.5, 0.95), p1: float = FREQS_FA, windows=((-1, 1), (-10, 10)), num: int = 50):
    """F-A: L / N contours over the shaded 0-1 loss, one column per alpha, one row per square window."""
    fig, axes = plots.figure(ncols=len(alphas), nrows=len(windows), width=3.6 * len(alphas), height=3.2 * len(windows))
    for i, win in enumerate(windows):
        for j, alpha in enumerate(alphas):
            E, U, p, t = problem(alpha, p1)
            land = landscape.evaluate(E, U, p, t, win, win, num=num)
            ax = axes[i, j]
            plots.landscape(ax, land, scale=0.5, levels=12, title=f"α = {alpha:g}, window [{win[0]:g}, {win[1]:g}]²", colorbar=j == len(alphas) - 1)
            draw_wedge(ax, alpha, win, win, label=(i, j) == (0, 0))
    axes[0, 0].legend(loc="lower left")
    return fig


def _gd_run(alpha, p1, step_sizes, steps):
    E, U, p, t = problem(alpha, p1)
    run = train.gd(E, U, p, t, step_size=list(step_sizes), steps=steps, store_W=True, show_progress=False)
    return run, landscape.project(run.W, U)


def draw_gd(alpha: float = 0.95, p1: float = 0.75, step_sizes=(10.0, 1.0), steps: int = 35, xlim=None, ylim=None, num: int = 60):
    """F-B: GD trajectories on the landscape (gamma plane), and L(W_t), L01(W_t) against t, one colour per step size."""
    run, gammas = _gd_run(alpha, p1, step_sizes, steps)
    g = plots.to_numpy(gammas)
    if xlim is None or ylim is None:
        lo, hi = g.reshape(-1, 2).min(0), g.reshape(-1, 2).max(0)
        pad = 0.1 * np.maximum(hi - lo, 1.0)
        xlim = xlim or (float(min(lo[0] - pad[0], -1.0)), float(max(hi[0] + pad[0], 1.0)))
        ylim = ylim or (float(min(lo[1] - pad[1], -1.0)), float(max(hi[1] + pad[1], 1.0)))
    E, U, p, t = problem(alpha, p1)
    land = landscape.evaluate(E, U, p, t, xlim, ylim, num=num)
    fig, axes = plots.figure(ncols=3, width=12.5, height=3.8)
    ax = axes[0, 0]
    plots.landscape(ax, land, scale=0.5, levels=12, title=f"α = {alpha:g}, p = ({p1:g}, {1 - p1:g})", colorbar=False)
    draw_wedge(ax, alpha, xlim, ylim)
    for k, eta in enumerate(step_sizes):
        plots.trajectory(ax, g[k], label=f"η = {eta:g}", color=plots.PALETTE[(2 * k) % len(plots.PALETTE)])
    ax.legend(loc="lower left")
    time = np.arange(steps)
    for k, eta in enumerate(step_sizes):
        colour = plots.PALETTE[(2 * k) % len(plots.PALETTE)]
        axes[0, 1].plot(time, plots.to_numpy(run.loss[k]), marker="o", markersize=2.5, color=colour, label=f"η = {eta:g}")
        axes[0, 2].step(time, plots.to_numpy(run.zero_one[k]), where="post", color=colour, label=f"η = {eta:g}")
    axes[0, 1].axhline(math.log(2), color="#777777", linestyle="--", linewidth=0.8, label="log 2 = L(0)")
    axes[0, 1].set_yscale("log")
    axes[0, 1].set_xlabel("step t")
    axes[0, 1].set_ylabel("loss $L(W_t)$")
    axes[0, 1].legend()
    axes[0, 2].set_xlabel("step t")
    axes[0, 2].set_ylabel("0-1 loss $L_{01}(W_t)$")
    axes[0, 2].set_ylim(-0.03, 1.03)
    axes[0, 2].legend()
    return fig


def draw_one_step_loss(p1: float = 0.75, alphas=(0.0, 0.5, 0.95), eta_max: float = 40.0):
    """L(W_1) against eta for several alpha, with the threshold eta* where it crosses log 2 marked."""
    eta = torch.linspace(1e-3, eta_max, 400, dtype=DTYPE)
    fig, axes = plots.figure(width=5.6, height=3.4)
    ax = axes[0, 0]
    for k, alpha in enumerate(alphas):
        colour = plots.PALETTE[k]
        ax.plot(plots.to_numpy(eta), plots.to_numpy(one_step_loss(eta, p1, alpha)), color=colour, label=f"α = {alpha:g}")
        star = spike_threshold(p1, alpha)
        if math.isfinite(star) and star <= eta_max:
            ax.plot([star], [math.log(2)], "o", color=colour, markersize=5)
            ax.annotate(f"η* = {star:.2f}", (star, math.log(2)), textcoords="offset points", xytext=(6, -12), fontsize=8, color=colour)
    ax.axhline(math.log(2), color="#777777", linestyle="--", linewidth=0.8, label="log 2 = L(0)")
    ax.set_xlabel("step size η")
    ax.set_ylabel("loss after one step $L(W_1)$")
    ax.set_title(f"p = ({p1:g}, {1 - p1:g})")
    ax.legend()
    return fig


def draw_asymptotics(m, p1, alphas, etas, every: int = 1):
    """Margins minus log(2 (1 - alpha) p_x eta t) and L (1 - alpha) eta t against t, from trajectories m (A, S, T + 1, 2)."""
    m = plots.to_numpy(m)
    T = m.shape[-2] - 1
    t = np.unique(np.geomspace(1, T, 300).astype(int))
    p = np.array([p1, 1 - p1])
    fig, axes = plots.figure(ncols=2, width=10.5, height=3.6)
    k = 0
    for a, alpha in enumerate(alphas):
        for s, eta in enumerate(etas):
            colour = plots.PALETTE[k % len(plots.PALETTE)]
            k += 1
            gap = m[a, s, t, :] - np.log(2 * (1 - alpha) * p * eta * t[:, None])
            axes[0, 0].plot(t, np.abs(gap).max(axis=1), color=colour, label=f"α = {alpha:g}, η = {eta:g}")
            loss = plots.to_numpy(loss_from_margins(torch.as_tensor(m[a, s, t, :]), p1))
            axes[0, 1].plot(t, loss * (1 - alpha) * eta * t, color=colour, label=f"α = {alpha:g}, η = {eta:g}")
    axes[0, 0].set_xscale("log")
    axes[0, 0].set_yscale("log")
    axes[0, 0].set_xlabel("step t")
    axes[0, 0].set_ylabel(r"$\max_x |m_x(t) - \log(2(1-\alpha) p_x \eta t)|$")
    axes[0, 0].legend()
    axes[0, 1].set_xscale("log")
    axes[0, 1].axhline(1.0, color="#777777", linestyle="--", linewidth=0.8)
    axes[0, 1].set_ylim(0, 3)
    axes[0, 1].set_xlabel("step t")
    axes[0, 1].set_ylabel(r"$L(W_t)\,(1-\alpha)\,\eta\, t$")
    return fig


def draw_large_steps(losses, m, limit, etas, p1: float, alpha: float):
    """Loss curves for several eta (log scale) and m_t / eta against the eta-free perceptron limit."""
    losses, m, limit = plots.to_numpy(losses), plots.to_numpy(m), plots.to_numpy(limit)
    T = losses.shape[-1]
    fig, axes = plots.figure(ncols=2, width=11.0, height=3.6)
    for k, eta in enumerate(etas):
        colour = plots.PALETTE[k % len(plots.PALETTE)]
        axes[0, 0].plot(np.arange(T), losses[k], color=colour, linewidth=1.0, label=f"η = {eta:g}")
    axes[0, 0].set_yscale("log")
    axes[0, 0].set_xlabel("step t")
    axes[0, 0].set_ylabel("loss $L(W_t)$")
    axes[0, 0].set_title(f"α = {alpha:g}, p = ({p1:g}, {1 - p1:g})")
    axes[0, 0].legend(ncol=2)
    ax = axes[0, 1]
    n = limit.shape[0] - 1
    horizon = min(n, 12)
    for x, marker in ((0, "o"), (1, "s")):
        ax.plot(np.arange(horizon + 1), limit[: horizon + 1, x], color="#333333", linestyle="--", linewidth=1.0,
                label="limit η → ∞" if x == 0 else None)
        for k, eta in enumerate(etas):
            if eta < 10:
                continue
            ax.plot(np.arange(horizon + 1), m[k, : horizon + 1, x] / eta, marker=marker, markersize=3, linewidth=0.8,
                    color=plots.PALETTE[k % len(plots.PALETTE)], label=f"η = {eta:g}" if x == 0 else None)
    ax.axhline(0.0, color="#777777", linewidth=0.8)
    ax.set_xlabel("step t")
    ax.set_ylabel(r"$m_x(t) / \eta$   (circles: x = 1, squares: x = 2)")
    ax.legend()
    return fig


def draw_time_heatmaps(p1, alpha, eta, times, over: str = "alpha"):
    """F-G heatmaps of log10(time): ``over="alpha"``: one panel per p1 over (alpha, eta); ``"p1"``: one per alpha over (log(p1/p2), eta)."""
    _checks.choice("over", over, ("alpha", "p1"))
    p1, alpha, eta, times = (plots.to_numpy(v) for v in (p1, alpha, eta, times))
    logt = np.log10(np.maximum(times, 1))
    fig, axes = plots.figure(ncols=5, nrows=2, width=15.0, height=6.4)
    x = np.log10(eta)
    for k, ax in enumerate(axes.flat):
        if over == "alpha":
            values, y, ylabel, title = logt[k], alpha, r"$\alpha$", f"$p_1$ = {p1[k]:.3f}"
        else:
            values, y, ylabel, title = logt[:, k, :], np.log(p1 / (1 - p1)), r"$\log(p_1/p_2)$", rf"$\alpha$ = {alpha[k]:.3f}"
        mesh = ax.pcolormesh(x, y, values, cmap="magma", vmin=0, vmax=3, shading="nearest", rasterized=True)
        ax.set_title(title)
        ax.grid(False)
        if k >= 5:
            ax.set_xlabel(r"$\log_{10} \eta$")
        if k % 5 == 0:
            ax.set_ylabel(ylabel)
    fig.colorbar(mesh, ax=axes, label=r"$\log_{10}$ (time to perfect accuracy), 3 = never in 1000 steps", shrink=0.8)
    return fig


# ---------------------------------------------------------------------------------------------
# Widget
# ---------------------------------------------------------------------------------------------


def draw_widget(alpha: float, p1: float, step_size: float, steps: int = 35):
    """The widget's figure: one GD trajectory on the landscape and its loss curves (window fitted to the path)."""
    return draw_gd(alpha=alpha, p1=p1, step_sizes=(step_size,), steps=steps, num=50)


def widget(alpha: float = 0.95, p1: float = 0.75, step_size: float = 10.0):
    """Sliders for alpha, p1 and eta over the trajectory-and-loss figure."""
    import ipywidgets as w

    from .widgets import slider, figure_widget

    alpha = float(_alpha(alpha))
    p1 = float(_p1(p1))
    step_size = float(_eta(step_size))
    controls = {
        "alpha": slider(w.FloatSlider, "cosine α", alpha, min=-0.95, max=0.99, step=0.01),
        "p1": slider(w.FloatSlider, "frequency p₁", p1, min=0.5, max=0.95, step=0.01),
        "step_size": slider(w.FloatLogSlider, "step size η", step_size, base=10, min=-1, max=2, step=0.1),
    }
    return figure_widget(draw_widget, controls)


# ---------------------------------------------------------------------------------------------
# Gallery
# ---------------------------------------------------------------------------------------------


@gallery.register("two-particle-landscapes", chapter=CHAPTER,
                  alt="Loss contours over the shaded 0-1 loss in the gamma plane for alpha = -0.5, 0.5 and 0.95, in windows [-1, 1]^2 and [-10, 10]^2, with the zero-error wedge outlined; the wedge narrows as alpha grows.")
def landscapes_figure(tier: str = "ci"):
    return draw_landscapes()


@gallery.register("loss-spike", chapter=CHAPTER,
                  alt="GD trajectories with step sizes 10 and 1 on the alpha = 0.95 landscape, and their loss and 0-1 loss against the step: the large step spikes above log 2 and then reaches zero 0-1 loss.")
def loss_spike_figure(tier: str = "ci"):
    return draw_gd(0.95, 0.75, (10.0, 1.0), 35, xlim=(-1, 8), ylim=(-17, 10))


@gallery.register("one-step-loss", chapter=CHAPTER,
                  alt="Loss after one gradient step against the step size for three values of alpha; for alpha = 0.95 it rises above log 2 beyond a threshold.")
def one_step_loss_figure(tier: str = "ci"):
    return draw_one_step_loss()


ASYMPTOTIC_ALPHAS, ASYMPTOTIC_ETAS = (0.5, 0.95), (1.0, 10.0)


@gallery.register("two-particle-asymptotics", chapter=CHAPTER,
                  alt="Distance of the margins to log(2 (1 - alpha) p eta t), shrinking with t, and the rescaled loss L (1 - alpha) eta t tending to 1, for alpha in {0.5, 0.95} and eta in {1, 10}.")
def asymptotics_figure(tier: str = "ci"):
    steps = 100_000
    m = margin_trajectory(0.75, torch.tensor(ASYMPTOTIC_ALPHAS, dtype=DTYPE)[:, None], torch.tensor(ASYMPTOTIC_ETAS, dtype=DTYPE)[None, :], steps)
    return draw_asymptotics(m, 0.75, ASYMPTOTIC_ALPHAS, ASYMPTOTIC_ETAS)


LARGE_ETAS = (1.0, 10.0, 30.0, 100.0, 1000.0)


@gallery.register("large-step-limit", chapter=CHAPTER,
                  alt="Loss curves over 200 steps for step sizes 1 to 1000, with spikes growing with the step size and then a fast fall, and the rescaled margins m/eta following the eta-free perceptron limit.")
def large_steps_figure(tier: str = "ci"):
    m = margin_trajectory(0.75, 0.95, torch.tensor(LARGE_ETAS, dtype=DTYPE), 200)
    return draw_large_steps(loss_from_margins(m[..., :200, :], 0.75), m, large_step_limit(0.75, 0.95, 200), LARGE_ETAS, 0.75, 0.95)


@gallery.register("time-to-accuracy", chapter=CHAPTER,
                  alt="Heatmaps of log10 of the time to perfect accuracy over alpha and the step size, one per p1, and over log(p1/p2) and the step size, one per alpha.")
def time_to_accuracy_figure(tier: str = "ci"):
    grid = time_grid()
    return {"over-alpha": draw_time_heatmaps(*grid, over="alpha"), "over-p1": draw_time_heatmaps(*grid, over="p1")}
