"""Figures and the widget of the chapter "Particles" (orthonormal embeddings).

Every drawing function takes margins already computed by
``particles.orthonormal_margins`` (shape (S, T + 1, N), entry t is m_t) so that the
chapter computes once and draws many times; the gallery builders compute them.
"""

from __future__ import annotations

import ipywidgets as w
import matplotlib as mpl
import numpy as np

from ... import data, particles
from ...viz import gallery, style
from ...viz.widgets import figure_widget, slider

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


def draw_margins(margins, freqs, num_classes, step_sizes, theory: bool = True, ncols: int | None = None):
    """Margins m_t(x) against t (log axis), one panel per step size, with log(eta p(x) M t) dashed."""
    m, p = style.to_numpy(margins), style.to_numpy(freqs)
    S, T = m.shape[0], m.shape[1] - 1
    ncols = ncols or min(S, 4)
    nrows = -(-S // ncols)
    fig, axes = style.figure(ncols=ncols, nrows=nrows, width=2.7 * ncols + 0.8, height=2.7 * nrows + 0.5)
    t = _times(T)
    colors = _token_colors(len(p))
    for i, ax in enumerate(axes.flat):
        if i >= S:
            fig.delaxes(ax)
            continue
        for x in range(len(p)):
            label = f"x = {x + 1}" if x in (0, len(p) - 1) else None
            ax.plot(t, m[i, t, x], color=colors[x], linewidth=1.2, label=label)
            if theory:
                ax.plot(t, np.log(step_sizes[i] * p[x] * num_classes * t), color=colors[x], linewidth=0.8, linestyle="--")
        ax.set_xscale("log")
        ax.set_ylim(bottom=min(0.0, m[i, t].min()) - 0.5)
        ax.set_title(f"η = {step_sizes[i]:g}")
        ax.set_xlabel("step t")
        ax.set_ylabel("margin $m_t(x)$")
    axes.flat[0].legend(loc="upper left", title="solid: GD, dashed: log(ηpMt)", title_fontsize=7)
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


def draw_widget_margins(step_size: float, exponent: float, num_classes: int, n: int = N_TOKENS, steps: int = 10_000):
    """Margins against log t for one step size, Zipf exponent and number of classes M (scalar recursion)."""
    freqs = data.zipf(n, exponent)
    m = particles.orthonormal_margins(freqs, num_classes, step_size, steps)
    fig = draw_margins(m, freqs, num_classes, [step_size], ncols=1)
    fig.set_size_inches(5.6, 3.6)
    fig.axes[0].set_title(f"η = {step_size:g}, Zipf a = {exponent:g}, M = {num_classes}, N = {n}")
    return fig


@gallery.register_widget("particle-margins", chapter=CHAPTER)
def widget(step_size: float = 1.0, exponent: float = 1.0, num_classes: int = N_TOKENS) -> w.VBox:
    """Sliders for the step size, the Zipf exponent and the number of classes M over the margins figure."""
    controls = {
        "step_size": slider(w.FloatLogSlider, "step size η", step_size, base=10, min=-2, max=3, step=0.25),
        "exponent": slider(w.FloatSlider, "Zipf exponent a", exponent, min=0.0, max=2.5, step=0.1),
        "num_classes": slider(w.IntSlider, "classes M", num_classes, min=2, max=200, step=1),
    }
    return figure_widget(draw_widget_margins, controls)


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
