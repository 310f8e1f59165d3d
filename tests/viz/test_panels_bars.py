"""``panels.token_margins`` draws its bars as one artist per colour, and they look as ``ax.bar`` would."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from assocmem.viz import panels, style, widgets  # noqa: E402


def _image(fig) -> np.ndarray:
    data = widgets.png(fig)
    plt.close(fig)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def _with_bar(ax, margins, freqs):
    """The panel as it was drawn with one Rectangle per token (the reference)."""
    order = np.argsort(-freqs, kind="stable")
    m, rank = margins[order], np.arange(1, len(margins) + 1)
    ok = m > 0
    ax.bar(rank[ok], m[ok], width=1.0, color=style.PALETTE[0], label="correct (margin > 0)")
    ax.bar(rank[~ok], m[~ok], width=1.0, color=style.PALETTE[1], label="misclassified (margin ≤ 0)")
    ax.axhline(0.0, color="#333333", linewidth=0.8)
    ax.set_xlabel("token rank x (1 = most frequent)")
    ax.set_ylabel("margin $m_{W_1}(x)$ (logits)")
    ax.set_title("t")
    ax.legend(loc="upper right")


def test_token_margins_is_one_artist_per_colour_and_looks_like_bars():
    rng = np.random.default_rng(0)
    for n in (7, 120, 400):
        margins, freqs = rng.normal(0.2, 1.0, n), rng.random(n)
        fig, axes = style.figure(width=5.0)
        panels.token_margins(axes[0, 0], margins, freqs, title="t")
        assert len(axes[0, 0].collections) == 2 and not axes[0, 0].patches
        new = _image(fig)
        fig, axes = style.figure(width=5.0)
        _with_bar(axes[0, 0], margins, freqs)
        assert (new == _image(fig)).all(), n


def test_the_bar_comparison_sees_a_shifted_bar():
    """A planted bug (the tokens in another order) changes the picture: the comparison above can fail."""
    rng = np.random.default_rng(1)
    margins, freqs = rng.normal(0.2, 1.0, 50), rng.random(50)
    fig, axes = style.figure(width=5.0)
    panels.token_margins(axes[0, 0], margins, freqs, title="t")
    new = _image(fig)
    fig, axes = style.figure(width=5.0)
    _with_bar(axes[0, 0], margins, freqs[::-1].copy())  # another order of the tokens
    assert (new != _image(fig)).any()
