"""Figures and the widget of the chapter "Particles" (orthonormal embeddings).

Every drawing function takes margins already computed by
``particles.orthonormal_margins`` (shape (S, T + 1, N), entry t is m_t) so that the
chapter computes once and draws many times; the gallery builders compute them.
"""

from __future__ import annotations

import functools

import ipywidgets as w
import matplotlib as mpl
import numpy as np
import torch

from ... import data, memory, particles, tiers, train
from ...viz import gallery, style
from ...viz.widgets import clear_data, figure_widget, slider

CHAPTER = "learning/particles"
#: The chapter's problem: N = M = d = 10, Zipf a = 1.
N_TOKENS = 10
STEP_SIZES = (0.1, 1.0, 10.0, 100.0)
HORIZON = 100_000


def _times(steps: int, num: int = 300) -> np.ndarray:
    """About ``num`` log-spaced integer times in [1, steps]."""
    return np.unique(np.geomspace(1, steps, num).astype(int))


def _token_colors(n: int):
    cmap = mpl.colormaps["viridis"]
    return [cmap(0.9 * i / max(n - 1, 1)) for i in range(n)]


def _margins_panel(ax, t, m, p, num_classes, step_size, colors, theory, ylim) -> None:
    """The curves of one panel of ``draw_margins``: m (T + 1, N) at the times t, and the dashed predictions."""
    for x in range(len(p)):
        ax.plot(t, m[t, x], color=colors[x], linewidth=1.2, label="GD" if x == 0 else None)
        if theory:
            ax.plot(t, np.log(step_size * p[x] * num_classes * t), color=colors[x], linewidth=0.8, linestyle="--",
                    label=r"$\log(\eta p(x) M t)$" if x == 0 else None)
    ax.set_ylim(*ylim)


def draw_margins(margins, freqs, num_classes, step_sizes, theory: bool = True, ncols: int | None = None):
    """Margins m_t(x) against t (log axis), one panel per step size, with log(eta p(x) M t) dashed.

    The panels share their y-axis (the text compares the shift between them) and one colour bar
    names the tokens (x = 1 is the most frequent).
    """
    m, p = style.to_numpy(margins), style.to_numpy(freqs)
    S, T = m.shape[0], m.shape[1] - 1
    ncols = ncols or min(S, 4)
    nrows = -(-S // ncols)
    fig, axes = style.figure(ncols=ncols, nrows=nrows, width=2.7 * ncols + 1.4, height=2.7 * nrows + 0.6, sharey=True)
    t = _times(T)
    colors = _token_colors(len(p))
    bottom = min(0.0, float(m[:, t].min())) - 0.5
    # Shared top: the highest prediction log(eta p M T) plus a margin; the largest steps' most frequent
    # tokens may start above it (m_1 = eta p(x)), which the chapter's caption says.
    top = float(np.log(max(step_sizes) * p.max() * num_classes * T)) + 1.0
    for i, ax in enumerate(axes.flat):
        if i >= S:
            fig.delaxes(ax)
            continue
        _margins_panel(ax, t, m[i], p, num_classes, step_sizes[i], colors, theory, (bottom, top))
        ax.set_xscale("log")
        ax.set_title(f"η = {step_sizes[i]:g}")
        ax.set_xlabel("step t")
        ax.set_ylabel("margin $m_t(x)$")
    axes.flat[0].legend(loc="upper left", fontsize=7)
    n = len(p)
    mappable = mpl.cm.ScalarMappable(norm=mpl.colors.Normalize(vmin=0.5, vmax=n + 0.5),
                                     cmap=mpl.colors.ListedColormap(colors))
    bar = fig.colorbar(mappable, ax=axes.ravel().tolist(), shrink=0.85, pad=0.02)
    bar.set_label("token x (1 = most frequent)")
    bar.set_ticks([1, n] if n > 2 else list(range(1, n + 1)))
    return fig


def draw_loss_scaling(margins, freqs, num_classes, step_sizes):
    """L(W_t) M eta t / (N (M - 1)) against t for each step size: it tends to 1, whatever p."""
    m, p = style.to_numpy(margins), style.to_numpy(freqs)
    N, M, T = len(p), num_classes, m.shape[1] - 1
    t = _times(T)
    loss = style.to_numpy(particles.margin_loss(margins[:, t], freqs, M))
    fig, axes = style.figure(width=5.6, height=3.4)
    ax = axes[0, 0]
    for i, eta in enumerate(step_sizes):
        ax.plot(t, loss[i] * M * eta * t / (N * (M - 1)), label=f"η = {eta:g}", color=style.PALETTE[i])
    ax.axhline(1.0, color="#333333", linewidth=0.8, linestyle=":")
    ax.set_xscale("log")
    ax.set_ylim(0, 2.0)
    ax.set_xlabel("step t")
    ax.set_ylabel(r"$L(W_t)\, M \eta t \,/\, N(M-1)$")
    ax.legend(loc="upper right")
    return fig


def draw_gd_vs_flow(margins, freqs, num_classes, step_sizes):
    """Left: margins of the most frequent and rarest token against tau = eta t, GD and flow.
    Right: the lead m_t - m_flow(eta t) of GD over the flow for the rarest token (log-log)."""
    m, p = style.to_numpy(margins), style.to_numpy(freqs)
    T = m.shape[1] - 1
    t = _times(T)
    fig, axes = style.figure(ncols=2, width=9.6, height=3.5)
    left, right = axes[0]
    rare = int(np.argmin(p))
    for i, eta in enumerate(step_sizes):
        tau = eta * t
        for x in (0, rare):
            left.plot(tau, m[i, t, x], "-", color=style.PALETTE[i], linewidth=1.2, label=f"GD, η = {eta:g}" if x == 0 else None)
        flow = style.to_numpy(particles.flow_margins(freqs, num_classes, tau))
        right.plot(tau, m[i, t, rare] - flow[:, rare], color=style.PALETTE[i], label=f"η = {eta:g}")
    tau_all = np.geomspace(step_sizes[0], step_sizes[-1] * T, 400)
    flow = style.to_numpy(particles.flow_margins(freqs, num_classes, tau_all))
    left.plot(tau_all, flow[:, 0], color="black", linestyle="--", linewidth=1.0, label="gradient flow")
    left.plot(tau_all, flow[:, rare], color="black", linestyle="--", linewidth=1.0)
    left.set_xscale("log")
    left.set_ylim(-0.5, flow[-1, 0] + 2.0)
    left.set_xlabel(r"time $\tau = \eta t$")
    left.set_ylabel("margin")
    left.set_title("most frequent (upper) and rarest (lower) token")
    left.legend(loc="upper left")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel(r"time $\tau = \eta t$")
    right.set_ylabel(r"$m_t(x) - m_{\mathrm{flow}}(\eta t)$")
    right.set_title("lead of GD over the flow, rarest token")
    right.legend(loc="upper right")
    return fig


def draw_rare_lag(margins, freqs, exponents_margins: dict | None = None):
    """Left: the lag m_t(1) - m_t(x) of every token behind the most frequent one against t, with
    log(p_max / p(x)) dotted. Right: the lag at the last step against log(p_max / p(x)) for each
    Zipf exponent in ``exponents_margins`` ({a: (margins (T + 1, N), freqs)})."""
    m, p = style.to_numpy(margins), style.to_numpy(freqs)
    T = m.shape[0] - 1
    t = _times(T)
    fig, axes = style.figure(ncols=2, width=9.6, height=3.5)
    left, right = axes[0]
    colors = _token_colors(len(p))
    top = int(np.argmax(p))
    for x in range(len(p)):
        left.plot(t, m[t, top] - m[t, x], color=colors[x], linewidth=1.2)
        left.axhline(np.log(p[top] / p[x]), color=colors[x], linewidth=0.8, linestyle=":")
    left.set_xscale("log")
    left.set_xlabel("step t")
    left.set_ylabel(r"lag $m_t(x_{\max}) - m_t(x)$")
    left.set_title("lag behind the most frequent token (dotted: log ratio)")
    exponents_margins = exponents_margins or {1.0: (margins, freqs)}
    largest = 0.0
    for j, (a, (ma, pa)) in enumerate(exponents_margins.items()):
        ma, pa = style.to_numpy(ma), style.to_numpy(pa)
        ratio = np.log(pa.max() / pa)
        lag = ma[-1, int(np.argmax(pa))] - ma[-1]
        right.plot(ratio, lag, "o", color=style.PALETTE[j], label=f"Zipf a = {a:g}")
        largest = max(largest, ratio.max())
    right.plot([0, largest], [0, largest], color="#333333", linewidth=0.8, linestyle="--", label="lag = log ratio")
    right.set_xlabel(r"$\log(p_{\max} / p(x))$")
    right.set_ylabel(f"lag at the last step t = {T:,}")
    right.legend(loc="upper left")
    return fig


@functools.lru_cache(maxsize=128)
def _widget_margins(step_size: float, exponent: float, num_classes: int, n: int, steps: int):
    """(margins (1, T + 1, N), freqs) of the widget's run (cached: a widget goes back and forth)."""
    freqs = data.zipf(n, exponent)
    return particles.orthonormal_margins(freqs, num_classes, step_size, steps), freqs


def _widget_title(step_size, exponent, num_classes, n):
    return f"η = {step_size:g}, Zipf a = {exponent:g}, M = {num_classes}, N = {n}"


def draw_widget_margins(step_size: float, exponent: float, num_classes: int, n: int = N_TOKENS, steps: int = 10_000):
    """Margins against log t for one step size, Zipf exponent and number of classes M (scalar recursion)."""
    m, freqs = _widget_margins(step_size, exponent, num_classes, n, steps)
    fig = draw_margins(m, freqs, num_classes, [step_size], ncols=1)
    fig.set_size_inches(5.6, 3.6)
    fig.axes[0].set_title(_widget_title(step_size, exponent, num_classes, n))
    return fig


def update_widget_margins(fig, step_size: float, exponent: float, num_classes: int, n: int = N_TOKENS, steps: int = 10_000):
    """``draw_widget_margins`` in place: the panel's curves and limits redrawn, the colour bar (N tokens) kept."""
    m, freqs = _widget_margins(step_size, exponent, num_classes, n, steps)
    m, p = style.to_numpy(m), style.to_numpy(freqs)
    t = _times(m.shape[1] - 1)
    bottom = min(0.0, float(m[:, t].min())) - 0.5
    top = float(np.log(step_size * p.max() * num_classes * (m.shape[1] - 1))) + 1.0
    ax = fig.axes[0]
    clear_data(ax)
    _margins_panel(ax, t, m[0], p, num_classes, step_size, _token_colors(len(p)), True, (bottom, top))
    ax.legend(loc="upper left", fontsize=7)
    ax.set_title(_widget_title(step_size, exponent, num_classes, n))


@gallery.register_widget("particle-margins", chapter=CHAPTER)
def widget(step_size: float = 1.0, exponent: float = 1.0, num_classes: int = N_TOKENS) -> w.VBox:
    """Sliders for the step size, the Zipf exponent and the number of classes M over the margins figure."""
    controls = {
        "step_size": slider(w.FloatLogSlider, "step size η", step_size, base=10, min=-2, max=3, step=0.25),
        "exponent": slider(w.FloatSlider, "Zipf exponent a", exponent, min=0.0, max=2.5, step=0.1),
        "num_classes": slider(w.IntSlider, "classes M", num_classes, min=2, max=200, step=1),
    }
    return figure_widget(draw_widget_margins, controls, update=update_widget_margins)


def chapter_margins(exponent: float = 1.0, steps: int = HORIZON):
    """The chapter's runs: (margins (4, T + 1, N), freqs) for N = M = 10 and eta in STEP_SIZES."""
    freqs = data.zipf(N_TOKENS, exponent)
    return particles.orthonormal_margins(freqs, N_TOKENS, list(STEP_SIZES), steps), freqs


@gallery.register(
    "particles-margins",
    chapter=CHAPTER,
    alt="Four panels, one per step size 0.1, 1, 10 and 100: the margins of 10 tokens with orthonormal embeddings "
    "grow along straight lines against the logarithm of the step, parallel to the dashed predictions log(eta p M t).",
)
def margins_figure():
    m, p = chapter_margins()
    return draw_margins(m, p, N_TOKENS, STEP_SIZES)


@gallery.register(
    "particles-loss-scaling",
    chapter=CHAPTER,
    alt="The loss times M eta t divided by N (M - 1) against the step, for four step sizes: every curve settles at 1.",
)
def loss_scaling_figure():
    m, p = chapter_margins()
    return draw_loss_scaling(m, p, N_TOKENS, STEP_SIZES)


@gallery.register(
    "particles-gd-vs-flow",
    chapter=CHAPTER,
    alt="Left: margins of the most frequent and rarest token against the time eta t for four step sizes and for "
    "gradient flow; the GD curves lie on or above the flow. Right: the positive lead of GD over the flow, larger for larger steps.",
)
def gd_vs_flow_figure():
    m, p = chapter_margins()
    return draw_gd_vs_flow(m, p, N_TOKENS, STEP_SIZES)


@gallery.register(
    "particles-rare-lag",
    chapter=CHAPTER,
    alt="Left: how far each token's margin lags behind the most frequent token's, against the step; each lag settles "
    "at the log of the frequency ratio. Right: the final lags against the log frequency ratios lie on the diagonal for Zipf exponents 1 and 2.",
)
def rare_lag_figure():
    m1, p1 = chapter_margins(1.0)
    m2, p2 = chapter_margins(2.0)
    return draw_rare_lag(m1[1], p1, {1.0: (m1[1], p1), 2.0: (m2[1], p2)})


# ---------------------------------------------------------------------------------------------
# Computations the chapter runs (kept here so that its code cells stay short)
# ---------------------------------------------------------------------------------------------


def reductions_vs_gd(E, U, freqs, targets, step_sizes, steps: int):
    """Largest deviation of (particle recursion, score recursion) from ``train.gd`` over the run.

    Particles: Z_T against E W_T^T, margins and losses at every t; scores: s_T against the scores of
    W_T, and margins at every t. Returns two floats.
    """
    with tiers.threads(1):  # thousands of tiny tensor operations: one thread is fastest
        gd = train.gd(E, U, freqs, targets, step_sizes, steps=steps, show_progress=False)
        run = particles.particle_gd(E, U, freqs, targets, step_sizes, steps=steps, show_progress=False)
        scores_run = particles.score_gd(E, U, freqs, targets, step_sizes, steps=steps, show_progress=False)
    particle_error = max((run.Z_final - E @ gd.W_final.transpose(-1, -2)).abs().max().item(),
                         (run.margins - gd.margins).abs().max().item(), (run.loss - gd.loss).abs().max().item())
    score_error = max((scores_run.scores_final - memory.scores(gd.W_final, E, U)).abs().max().item(),
                      (scores_run.margins - gd.margins).abs().max().item())
    return particle_error, score_error


def orthonormal_checks(gd_margins, gd_loss, scalar, freqs, num_classes, step_sizes) -> dict:
    """What the chapter checks on GD with orthonormal embeddings (margins (S, T, N), loss (S, T)) against the
    scalar recursion ``scalar`` (S, T + 1, N); the last step size is the one (1000) where float64 stalls.

    rise_low / rise_high: min / max over the other step sizes, t and x of (m_{t+1} - m_t) divided by the
    predicted increment eta p M / (e^{m_t} + M - 1), a ratio of order 1 that rounding cannot push to 0.
    """
    M = num_classes
    m = gd_margins
    eta = torch.as_tensor(step_sizes, dtype=torch.float64)[:, None, None]
    rises = m.diff(dim=1)                                             # (S, T - 1, N)
    before = m[:, :-1]
    predicted = eta * freqs * M / (torch.exp(before) + M - 1)
    ratio = rises[:-1] / predicted[:-1]
    stalled = rises <= 0
    true_step = eta * freqs * M * torch.exp(-before) / (1 + (M - 1) * torch.exp(-before))
    loss_change = (gd_loss.diff(dim=1) / gd_loss[:, :-1])[:-1]
    return {
        "scalar_error": ((scalar[:, :-1] - m).abs() / m.abs().clamp(min=1.0)).max().item(),
        "rise_low": ratio.min().item(),
        "rise_high": ratio.max().item(),
        "rise_1000": rises[-1].min().item(),
        "n_stalled": int(stalled.sum()),
        "n_token_steps": stalled[-1].numel(),
        "stalled_relative": (true_step[stalled] / before[stalled]).max().item() if stalled.any() else 0.0,
        "stalls_only_at_1000": bool(not stalled[:-1].any()),
        "loss_drop": loss_change.max().item(),
        "first_step": ((m[:, 1] - eta[:, 0] * freqs).abs() / (eta[:, 0] * freqs)).max().item(),
        "m1_low_1000": m[-1, 1].min().item(),
        "m1_high_1000": m[-1, 1].max().item(),
    }


def loss_ratio(loss, step_size: float, t: int, n: int = N_TOKENS, num_classes: int = N_TOKENS) -> float:
    """L(W_t) M eta t / (N (M - 1)) for the chapter's run with ``step_size`` (loss (4, T + 1) over STEP_SIZES)."""
    k = STEP_SIZES.index(step_size)
    return loss[k, t].item() * num_classes * step_size * t / (n * (num_classes - 1))


def loss_ratio_curves(loss, n: int = N_TOKENS, num_classes: int = N_TOKENS):
    """The whole curves L(W_t) M eta t / (N (M - 1)) for t = 1 .. T, one row per step size of STEP_SIZES."""
    t = torch.arange(1, loss.shape[-1], dtype=torch.float64)
    eta = torch.tensor(STEP_SIZES, dtype=torch.float64)[:, None]
    return loss[:, 1:] * num_classes * eta * t / (n * (num_classes - 1))
