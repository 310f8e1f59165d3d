"""Chapter "Two interacting particles": landscapes, the loss spike, the phase portrait, asymptotics,
the large-step limit, time to accuracy, widget."""

from __future__ import annotations

import functools
import math

import ipywidgets as w
import numpy as np
import torch

from ... import _checks, data, landscape, tiers, train
from ..._checks import DTYPE
from ...two_particles import (
    _alpha,
    _eta,
    _p1,
    correct_from_margins,
    large_step_limit,
    loss_from_margins,
    margin_trajectory,
    one_step_loss,
    problem,
    spike_threshold,
    time_grid,
)
from ...viz import gallery, panels, style
from ...viz.widgets import clear_data, figure_widget, slider, unlaid_out

CHAPTER = "learning/two_particles"
FREQS_FA = 0.75

#: The spike run of the authors' script exp_spike_2d.py (alpha = 0.95, p1 = 0.75, W_0 = 0, 35 full-batch
#: steps, float32), as it logs them: the full-batch loss sum_x p(x) l(x) of W_t, recorded before update t.
#: Rows are (step size eta, step t, L(W_t)).
AUTHORS_SPIKE = ((10.0, 1, 1.1631), (10.0, 5, 1.3487), (10.0, 34, 0.0542), (1.0, 34, 0.3722))


def draw_wedge(ax, alpha: float, xlim, ylim, label: bool = True):
    """Outline the zero-error wedge of the two-particle problem, from its inequalities (landscape.zero_error_region)."""
    E, _ = data.two_token_embeddings(alpha)
    poly = style.to_numpy(landscape.zero_error_region(E, data.targets(2), xlim, ylim))
    if len(poly) >= 3:
        closed = np.vstack([poly, poly[:1]])
        ax.fill(poly[:, 0], poly[:, 1], facecolor="none", edgecolor=style.PALETTE[1], hatch="///", linewidth=0.0, alpha=0.7)
        ax.plot(closed[:, 0], closed[:, 1], color=style.PALETTE[1], linewidth=1.4, label="zero-error wedge" if label else None)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)


def draw_landscapes(alphas=(-0.5, 0.5, 0.95), p1: float = FREQS_FA, windows=((-1, 1), (-10, 10)), num: int = 50):
    """Two-particle landscapes (as exp_landscape_2d.py): L / N contours over the shaded 0-1 loss, one column per alpha, one row per square window."""
    fig, axes = style.figure(ncols=len(alphas), nrows=len(windows), width=3.6 * len(alphas), height=3.2 * len(windows))
    for i, win in enumerate(windows):
        for j, alpha in enumerate(alphas):
            E, U, p, t = problem(alpha, p1)
            land = landscape.evaluate(E, U, p, t, win, win, num=num)
            ax = axes[i, j]
            panels.landscape(ax, land, scale=0.5, levels=12, title=f"α = {alpha:g}, window [{win[0]:g}, {win[1]:g}]²", colorbar=j == len(alphas) - 1)
            draw_wedge(ax, alpha, win, win, label=(i, j) == (0, 0))
    axes[0, 0].legend(loc="lower left")
    return fig


def _gd_run(alpha, p1, step_sizes, steps):
    E, U, p, t = problem(alpha, p1)
    with tiers.threads(1):
        run = train.gd(E, U, p, t, step_size=list(step_sizes), steps=steps, store_W=True, show_progress=False)
    return run, landscape.project(run.W, U)


def _gd_window(alpha, p1, step_sizes, steps, xlim=None, ylim=None):
    """The run, its gamma path (S, T, 2) and the landscape window: the given limits, or fitted to the path."""
    run, gammas = _gd_run(alpha, p1, step_sizes, steps)
    g = style.to_numpy(gammas)
    if xlim is None or ylim is None:
        lo, hi = g.reshape(-1, 2).min(0), g.reshape(-1, 2).max(0)
        pad = 0.1 * np.maximum(hi - lo, 1.0)
        xlim = xlim or (float(min(lo[0] - pad[0], -1.0)), float(max(hi[0] + pad[0], 1.0)))
        ylim = ylim or (float(min(lo[1] - pad[1], -1.0)), float(max(hi[1] + pad[1], 1.0)))
    return run, g, xlim, ylim


def draw_gd(alpha: float = 0.95, p1: float = 0.75, step_sizes=(10.0, 1.0), steps: int = 35, xlim=None, ylim=None, num: int = 60):
    """The spike run (as exp_spike_2d.py): GD trajectories on the landscape (gamma plane), and L(W_t), L01(W_t) against t, one colour per step size."""
    run, g, xlim, ylim = _gd_window(alpha, p1, tuple(step_sizes), steps, xlim, ylim)
    fig, axes = style.figure(ncols=3, width=12.5, height=3.8)
    _plot_gd(axes[0], alpha, p1, step_sizes, steps, run, g, xlim, ylim, num)
    axes[0, 1].set_yscale("log")
    axes[0, 1].set_xlabel("step t")
    axes[0, 1].set_ylabel("loss $L(W_t)$")
    axes[0, 2].set_xlabel("step t")
    axes[0, 2].set_ylabel("0-1 loss $L_{01}(W_t)$")
    return fig


def _plot_gd(axes, alpha, p1, step_sizes, steps, run, g, xlim, ylim, num) -> None:
    """What ``draw_gd`` plots on its three axes."""
    _plot_landscape_panel(axes[0], alpha, p1, step_sizes, g, xlim, ylim, num)
    time = np.arange(steps)
    for k, eta in enumerate(step_sizes):
        colour = style.PALETTE[(2 * k) % len(style.PALETTE)]
        axes[1].plot(time, style.to_numpy(run.loss[k]), marker="o", markersize=2.5, color=colour, label=f"η = {eta:g}")
        axes[2].step(time, style.to_numpy(run.zero_one[k]), where="post", color=colour, label=f"η = {eta:g}")
    axes[1].axhline(math.log(2), color="#777777", linestyle="--", linewidth=0.8, label="log 2 = L(0)")
    axes[1].legend()
    axes[2].set_ylim(-0.03, 1.03)
    axes[2].legend()


def _plot_landscape_panel(ax, alpha, p1, step_sizes, g, xlim, ylim, num) -> None:
    """The left panel of ``draw_gd``: the landscape, the wedge and the GD paths (also replotted by the widget's update)."""
    E, U, p, t = problem(alpha, p1)
    land = landscape.evaluate(E, U, p, t, xlim, ylim, num=num)
    panels.landscape(ax, land, scale=0.5, levels=12, title=f"α = {alpha:g}, p = ({p1:g}, {1 - p1:g})", colorbar=False)
    draw_wedge(ax, alpha, xlim, ylim)
    for k, eta in enumerate(step_sizes):
        panels.trajectory(ax, g[k], label=f"η = {eta:g}", color=style.PALETTE[(2 * k) % len(style.PALETTE)])
    ax.legend(loc="lower left")


def draw_one_step_loss(p1: float = 0.75, alphas=(0.0, 0.5, 0.95), eta_max: float = 40.0):
    """L(W_1) against eta for several alpha, with the threshold eta* where it crosses log 2 marked."""
    eta = torch.linspace(1e-3, eta_max, 400, dtype=DTYPE)
    fig, axes = style.figure(width=5.6, height=3.4)
    ax = axes[0, 0]
    for k, alpha in enumerate(alphas):
        colour = style.PALETTE[k]
        ax.plot(style.to_numpy(eta), style.to_numpy(one_step_loss(eta, p1, alpha)), color=colour, label=f"α = {alpha:g}")
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
    m = style.to_numpy(m)
    T = m.shape[-2] - 1
    t = np.unique(np.geomspace(1, T, 300).astype(int))
    p = np.array([p1, 1 - p1])
    fig, axes = style.figure(ncols=2, width=10.5, height=3.6)
    k = 0
    for a, alpha in enumerate(alphas):
        for s, eta in enumerate(etas):
            colour = style.PALETTE[k % len(style.PALETTE)]
            k += 1
            gap = m[a, s, t, :] - np.log(2 * (1 - alpha) * p * eta * t[:, None])
            axes[0, 0].plot(t, np.abs(gap).max(axis=1), color=colour, label=f"α = {alpha:g}, η = {eta:g}")
            loss = style.to_numpy(loss_from_margins(torch.as_tensor(m[a, s, t, :]), p1))
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
    losses, m, limit = style.to_numpy(losses), style.to_numpy(m), style.to_numpy(limit)
    T = losses.shape[-1]
    fig, axes = style.figure(ncols=2, width=11.0, height=3.6)
    for k, eta in enumerate(etas):
        colour = style.PALETTE[k % len(style.PALETTE)]
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
                    color=style.PALETTE[k % len(style.PALETTE)], label=f"η = {eta:g}" if x == 0 else None)
    ax.axhline(0.0, color="#777777", linewidth=0.8)
    ax.set_xlabel("step t")
    ax.set_ylabel(r"$m_x(t) / \eta$   (circles: x = 1, squares: x = 2)")
    ax.legend()
    return fig


def draw_time_heatmaps(p1, alpha, eta, times, over: str = "alpha"):
    """Heatmaps of log10(time to accuracy) (as exp_learning_rates.py): ``over="alpha"``: one panel per p1 over (alpha, eta); ``"p1"``: one per alpha over (log(p1/p2), eta)."""
    _checks.choice("over", over, ("alpha", "p1"))
    p1, alpha, eta, times = (style.to_numpy(v) for v in (p1, alpha, eta, times))
    logt = np.log10(np.maximum(times, 1))
    fig, axes = style.figure(ncols=5, nrows=2, width=15.0, height=6.4)
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


def margin_field(m1, m2, p1: float, alpha: float):
    """The push of the margin map per unit step, (m_{t+1} - m_t) / eta = 2 K P sigma(-m), on a grid; two arrays like m1."""
    s1, s2 = 1.0 / (1.0 + np.exp(m1)), 1.0 / (1.0 + np.exp(m2))
    p2 = 1.0 - p1
    return 2.0 * (p1 * s1 - alpha * p2 * s2), 2.0 * (p2 * s2 - alpha * p1 * s1)


def draw_phase_portrait(p1: float = 0.75, alpha: float = 0.95, step_sizes=(1.0, 10.0), steps: int = 35,
                        xlim=(-1.5, 8.0), ylim=(-6.0, 3.0), num: int = 23):
    """The margin map as a vector field in the (m_1, m_2) plane, with its two nullclines and GD paths.

    Arrows show the direction of 2 K P sigma(-m) (the same for every eta: eta only scales the step),
    coloured by its length; the paths are m_0, ..., m_steps of ``margin_trajectory``.
    """
    fig, axes = style.figure(width=6.6, height=5.2)
    ax = axes[0, 0]
    ax.fill_between([0.0, xlim[1]], 0.0, ylim[1], color=style.PALETTE[2], alpha=0.12, linewidth=0,
                    label="both tokens recalled")
    g1, g2 = np.meshgrid(np.linspace(*xlim, num), np.linspace(*ylim, num))
    f1, f2 = margin_field(g1, g2, p1, alpha)
    speed = np.hypot(f1, f2)
    arrows = ax.quiver(g1, g2, f1 / speed, f2 / speed, np.log10(speed), cmap="viridis", pivot="mid",
                       angles="xy", scale=num * 1.1, width=0.0035)
    fig.colorbar(arrows, ax=ax, label=r"$\log_{10} |m_{t+1} - m_t| / \eta$", shrink=0.85)
    h1, h2 = np.meshgrid(np.linspace(*xlim, 300), np.linspace(*ylim, 300))
    n1, n2 = margin_field(h1, h2, p1, alpha)
    ax.contour(h1, h2, n1, levels=[0.0], colors="#555555", linestyles="--", linewidths=1.0)
    ax.contour(h1, h2, n2, levels=[0.0], colors="#555555", linestyles=":", linewidths=1.2)
    ax.plot([], [], color="#555555", linestyle="--", label="$m_1$ stops ($\\Delta m_1 = 0$)")
    ax.plot([], [], color="#555555", linestyle=":", label="$m_2$ stops ($\\Delta m_2 = 0$)")
    m = style.to_numpy(margin_trajectory(p1, alpha, torch.tensor(step_sizes, dtype=DTYPE), steps))
    for k, eta in enumerate(step_sizes):
        colour = style.PALETTE[1] if k == len(step_sizes) - 1 else style.PALETTE[0]
        ax.plot(m[k, :, 0], m[k, :, 1], "-o", color=colour, markersize=2.8, linewidth=0.9, label=f"GD, η = {eta:g}")
        ax.plot(m[k, -1, 0], m[k, -1, 1], "*", color=colour, markersize=10)
    ax.plot(0, 0, "ks", markersize=5)
    ax.axhline(0.0, color="#999999", linewidth=0.6)
    ax.axvline(0.0, color="#999999", linewidth=0.6)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("margin of token 1, $m_1$")
    ax.set_ylabel("margin of token 2, $m_2$")
    ax.set_title(f"α = {alpha:g}, p = ({p1:g}, {1 - p1:g}), {steps} steps")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=7, frameon=False)
    return fig


def last_error_step(margins) -> np.ndarray:
    """Last t at which some token is misclassified, from margins (..., T + 1, 2) (ties to class 0); int (...)."""
    wrong = ~style.to_numpy(correct_from_margins(margins)).all(-1)
    T = wrong.shape[-1]
    return np.where(wrong.any(-1), T - 1 - np.argmax(wrong[..., ::-1], axis=-1), -1)


def large_step_scan(p1: float = 0.75, alpha: float = 0.95, low: float = 10.0, high: float = 1e4, num: int = 121,
                    steps: int = 100):
    """Finite-eta runs against the perceptron limit on a log grid of step sizes.

    Returns a dict of NumPy arrays over the grid ``eta``: ``last_error`` (last misclassified step of
    GD), ``spike_ratio`` (max_t L(W_t) divided by eta times the limit's max_t sum_x p_x max(-n_x, 0)),
    ``deviation`` (max_t |m_t / eta - n_t|), and the limit's ``last_error``.
    """
    eta = torch.logspace(math.log10(low), math.log10(high), num, dtype=DTYPE)
    m = margin_trajectory(p1, alpha, eta, steps)
    n = large_step_limit(p1, alpha, steps)
    p = torch.tensor([p1, 1 - p1], dtype=DTYPE)
    limit_spike = (p * torch.clamp(-n, min=0)).sum(-1).max()
    return {
        "eta": style.to_numpy(eta),
        "last_error": last_error_step(m),
        "spike_ratio": style.to_numpy(loss_from_margins(m, p1).max(-1).values / (eta * limit_spike)),
        "deviation": style.to_numpy((m / eta[:, None, None] - n).abs().amax((-1, -2))),
        "limit_last_error": int(last_error_step(n)),
    }


def draw_large_steps(losses, m, limit, etas, p1: float, alpha: float, scan: dict | None = None, band=None):
    """Left: L(W_t) against t (log-log) for several eta. Middle: m_2(t) / eta against t with the eta-free limit.
    Right (with ``scan``): the last misclassified step against eta, with the band ``band`` = (eta_lo, eta_hi) shaded."""
    losses, m, limit = style.to_numpy(losses), style.to_numpy(m), style.to_numpy(limit)
    T = losses.shape[-1]
    ncols = 3 if scan is not None else 2
    fig, axes = style.figure(ncols=ncols, width=4.1 * ncols + 0.4, height=3.7)
    t = np.arange(1, T)
    for k, eta in enumerate(etas):
        colour = style.PALETTE[k % len(style.PALETTE)]
        axes[0, 0].plot(t, losses[k, 1:], color=colour, linewidth=1.0, label=f"η = {eta:g}")
    axes[0, 0].axhline(math.log(2), color="#777777", linestyle="--", linewidth=0.8)
    axes[0, 0].set_xscale("log")
    axes[0, 0].set_yscale("log")
    axes[0, 0].set_xlabel("step t (log scale)")
    axes[0, 0].set_ylabel("loss $L(W_t)$")
    axes[0, 0].set_title(f"α = {alpha:g}, p = ({p1:g}, {1 - p1:g}); dashed: log 2")
    axes[0, 0].legend(ncol=2, fontsize=7, loc="lower left")
    ax = axes[0, 1]
    horizon = min(limit.shape[0] - 1, 20)
    steps = np.arange(horizon + 1)
    for k, eta in enumerate(etas):
        if eta < 10:
            continue
        ax.plot(steps, m[k, : horizon + 1, 1] / eta, marker="s", markersize=2.5, linewidth=0.8,
                color=style.PALETTE[k % len(style.PALETTE)], label=f"η = {eta:g}")
    ax.plot(steps, limit[: horizon + 1, 1], color="#333333", linestyle="--", linewidth=1.2, label="limit η → ∞")
    ax.axhline(0.0, color="#777777", linewidth=0.8)
    ax.set_xlabel("step t")
    ax.set_ylabel(r"rare token's rescaled margin $m_2(t) / \eta$")
    ax.legend(fontsize=7, ncol=2)
    if scan is not None:
        ax = axes[0, 2]
        if band is not None:
            ax.axvspan(*band, color=style.PALETTE[4], alpha=0.25, linewidth=0, label="neglected push from $n^*$ to $n^*/10$")
        ax.step(scan["eta"], scan["last_error"], where="mid", color=style.PALETTE[0], label="GD")
        ax.axhline(scan["limit_last_error"], color="#333333", linestyle="--", linewidth=1.0, label="limit η → ∞")
        ax.set_xscale("log")
        ax.set_xlabel("step size η")
        ax.set_ylabel("last step with a misclassified token")
        ax.legend(fontsize=7, loc="upper right")
    return fig


# ---------------------------------------------------------------------------------------------
# Widget
# ---------------------------------------------------------------------------------------------


def draw_widget(alpha: float, p1: float, step_size: float, steps: int = 35):
    """The widget's figure: one GD trajectory on the landscape and its loss curves (window fitted to the path)."""
    return draw_gd(alpha=alpha, p1=p1, step_sizes=(step_size,), steps=steps, num=50)


@gallery.register_widget("two-particle-gd", chapter=CHAPTER)
def widget(alpha: float = 0.95, p1: float = 0.75, step_size: float = 10.0):
    """Sliders for alpha, p1 and eta over the trajectory-and-loss figure."""
    alpha = float(_alpha(alpha))
    p1 = float(_p1(p1))
    step_size = float(_eta(step_size))
    controls = {
        "alpha": slider(w.FloatSlider, "cosine α", alpha, min=-0.95, max=0.99, step=0.01),
        "p1": slider(w.FloatSlider, "frequency p₁", p1, min=0.5, max=0.95, step=0.01),
        "step_size": slider(w.FloatLogSlider, "step size η", step_size, base=10, min=-1, max=2, step=0.1),
    }
    # the static page's main slider: the step size, on both sides of the spike threshold eta* the text asks for
    grid = [10 ** (k / 10) for k in (-10, -5, 0, 3, 5, 6, 7, 8, 9, 10, 13, 15, 20)]
    return figure_widget(draw_widget, controls, update=update_widget, static={"step_size": grid})


@functools.lru_cache(maxsize=64)
def _widget_window(alpha: float, p1: float, step_size: float, steps: int):
    return _gd_window(alpha, p1, (step_size,), steps)


def update_widget(fig, alpha: float, p1: float, step_size: float, steps: int = 35):
    """``draw_widget`` in place: the landscape panel is replotted on its kept axes (a contour set cannot be
    changed in place, and replotting keeps the order of its artists); the loss and 0-1 loss curves and
    their legend texts change in place, and those axes rescale."""
    run, g, xlim, ylim = _widget_window(alpha, p1, step_size, steps)
    ax, losses, errors = fig.axes[:3]
    clear_data(ax)
    with unlaid_out(ax):  # the contour labels placed as on a new figure
        _plot_landscape_panel(ax, alpha, p1, (step_size,), g, xlim, ylim, 50)
    label, time = f"η = {step_size:g}", np.arange(steps)
    for panel, values in ((losses, run.loss[0]), (errors, run.zero_one[0])):
        panel.lines[0].set_data(time, style.to_numpy(values))
        panel.lines[0].set_label(label)
        panel.get_legend().texts[0].set_text(label)
        panel.relim()
        panel.autoscale_view()


# ---------------------------------------------------------------------------------------------
# Gallery
# ---------------------------------------------------------------------------------------------


@gallery.register("two-particle-landscapes", chapter=CHAPTER,
                  alt="Loss contours over the shaded 0-1 loss in the gamma plane for alpha = -0.5, 0.5 and 0.95, in windows [-1, 1]^2 and [-10, 10]^2, with the zero-error wedge outlined; the wedge narrows as alpha grows.")
def landscapes_figure():
    return draw_landscapes()


@gallery.register("loss-spike", chapter=CHAPTER,
                  alt="GD trajectories with step sizes 10 and 1 on the alpha = 0.95 landscape, and their loss and 0-1 loss against the step: the large step spikes above log 2 and then reaches zero 0-1 loss.")
def loss_spike_figure():
    return draw_gd(0.95, 0.75, (10.0, 1.0), 35, xlim=(-1, 8), ylim=(-17, 10))


@gallery.register("one-step-loss", chapter=CHAPTER,
                  alt="Loss after one gradient step against the step size for three values of alpha; for alpha = 0.95 it rises above log 2 beyond a threshold.")
def one_step_loss_figure():
    return draw_one_step_loss()


ASYMPTOTIC_ALPHAS, ASYMPTOTIC_ETAS = (0.5, 0.95), (1.0, 10.0)


@gallery.register("two-particle-asymptotics", chapter=CHAPTER,
                  alt="Distance of the margins to log(2 (1 - alpha) p eta t), shrinking with t, and the rescaled loss L (1 - alpha) eta t tending to 1, for alpha in {0.5, 0.95} and eta in {1, 10}.")
def asymptotics_figure():
    steps = 100_000
    m = margin_trajectory(0.75, torch.tensor(ASYMPTOTIC_ALPHAS, dtype=DTYPE)[:, None], torch.tensor(ASYMPTOTIC_ETAS, dtype=DTYPE)[None, :], steps)
    return draw_asymptotics(m, 0.75, ASYMPTOTIC_ALPHAS, ASYMPTOTIC_ETAS)


LARGE_ETAS = (1.0, 10.0, 30.0, 100.0, 300.0, 1000.0)


def neglected_push_band(p1: float = 0.75, alpha: float = 0.95):
    """Step sizes at which the push that the limit neglects after it has separated the tokens,
    rho(eta) = 2 |p2 - alpha p1| sigma(-eta n*) / n* with n* the limit's common margin n_2, equals 1 and 0.1."""
    n = style.to_numpy(large_step_limit(p1, alpha, 2))[2]
    n_star, c = float(n.min()), 2.0 * abs((1 - p1) - alpha * p1)
    # sigma(-eta n*) = rho n* / c  <=>  eta = log(c / (rho n*) - 1) / n*
    return tuple(math.log(c / (rho * n_star) - 1.0) / n_star for rho in (1.0, 0.1))


@gallery.register("large-step-limit", chapter=CHAPTER,
                  alt="Left: loss against the step on log-log axes for step sizes 1 to 1000. Middle: the rare token's margin divided by eta "
                  "against the step, with the eta-free perceptron limit dashed. Right: the last step with a misclassified token against "
                  "the step size, high and irregular below about 120, equal to the limit's value 1 above it.")
def large_steps_figure():
    m = margin_trajectory(0.75, 0.95, torch.tensor(LARGE_ETAS, dtype=DTYPE), 200)
    return draw_large_steps(loss_from_margins(m[..., :200, :], 0.75), m, large_step_limit(0.75, 0.95, 200), LARGE_ETAS, 0.75, 0.95,
                            scan=large_step_scan(), band=neglected_push_band())


@gallery.register("two-particle-phase-portrait", chapter=CHAPTER,
                  alt="Arrows of the margin map in the (m_1, m_2) plane, with the two nullclines and the quadrant where both tokens are "
                  "recalled shaded; the eta = 1 path creeps up a valley below the quadrant, the eta = 10 path zigzags across it.")
def phase_portrait_figure():
    return draw_phase_portrait()


@gallery.register("time-to-accuracy", chapter=CHAPTER,
                  alt="Heatmaps of log10 of the time to perfect accuracy over alpha and the step size, one per p1, and over log(p1/p2) and the step size, one per alpha.")
def time_to_accuracy_figure():
    grid = time_grid()
    return {"over-alpha": draw_time_heatmaps(*grid, over="alpha"), "over-p1": draw_time_heatmaps(*grid, over="p1")}


# ---------------------------------------------------------------------------------------------
# Computations the chapter runs (kept here so that its code cells stay short)
# ---------------------------------------------------------------------------------------------


def f64(values) -> torch.Tensor:
    """A float64 tensor."""
    return torch.tensor(values, dtype=DTYPE)


#: (alpha, p1, targets) of the chapter's check of the margin map; the last has equal outputs (the map of -alpha).
MAP_CHECK_PROBLEMS = ((0.95, 0.75, (0, 1)), (0.5, 0.6, (0, 1)), (-0.5, 0.8, (0, 1)), (0.95, 0.75, (0, 0)))


def margin_map_vs_gd(step_sizes=(0.5, 3.0, 10.0), steps: int = 50) -> float:
    """Largest |m_t of the margin map - margins of train.gd on W| over MAP_CHECK_PROBLEMS, the step sizes and t < steps."""
    worst = 0.0
    for alpha, p1, targets in MAP_CHECK_PROBLEMS:
        E, U = data.two_token_embeddings(alpha)
        with tiers.threads(1):
            run = train.gd(E, U, data.two_token_freqs(p1), list(targets), step_size=list(step_sizes), steps=steps, show_progress=False)
        sign = 1.0 if targets[0] != targets[1] else -1.0
        m = margin_trajectory(p1, sign * alpha, f64(list(step_sizes)), steps)
        worst = max(worst, (m[:, :steps] - run.margins).abs().max().item())
    return worst


def wedge_vs_grid(alphas=(-0.5, 0.5, 0.95), p1: float = FREQS_FA, window=(-10, 10), num: int = 120):
    """For each alpha: the fraction of a num x num grid where 'zero 0-1 loss' agrees with 'inside the drawn wedge',
    and the fraction of the window with zero 0-1 loss; two lists."""
    from matplotlib.path import Path

    agreement, zero_fraction = [], []
    for alpha in alphas:
        E, U, p, t = problem(alpha, p1)
        land = landscape.evaluate(E, U, p, t, window, window, num=num)
        poly = style.to_numpy(landscape.zero_error_region(E, t, window, window))
        G0, G1 = np.meshgrid(style.to_numpy(land.g0), style.to_numpy(land.g1))
        inside = Path(poly).contains_points(np.c_[G0.ravel(), G1.ravel()]).reshape(G0.shape)
        zero = style.to_numpy(land.zero_one) == 0
        agreement.append(float((zero == inside).mean()))
        zero_fraction.append(float(zero.mean()))
    return agreement, zero_fraction
