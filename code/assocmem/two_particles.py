"""Two interacting particles: the margin map of two correlated tokens (book chapter "Two interacting particles").

The problem: e_1 = (1, 0), e_2 = (alpha, sqrt(1 - alpha^2)), U = I, f*(x) = x,
frequencies p = (p1, p2) with p2 = 1 - p1, W_0 = 0. With two outputs the whole
state of GD is the pair of margins m = (m_1, m_2), which follows the closed map

    m_{t+1} = m_t + 2 eta K P sigma(-m_t),  K = [[1, -alpha], [-alpha, 1]],  P = diag(p1, p2)   (the margin map, eq-margin-map in the book)

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

from . import _checks, data
from ._progress import progress
from ._checks import DTYPE

# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------


def _no_grad(name: str, value, where: str) -> None:
    """Refuse a tensor that requires grad in a function that runs in NumPy (it cannot carry gradients)."""
    if isinstance(value, torch.Tensor) and value.requires_grad:
        raise ValueError(
            f"{name} requires grad, but {where} runs its recursion in NumPy and cannot carry gradients: "
            f"pass {name}.detach(), or differentiate margin_step / loss_from_margins, which are plain torch."
        )


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
    """c[..., x, x'] = 2 eta K[x, x'] p(x'), the matrix of the margin map; shape B + (2, 2)."""
    p2 = 1.0 - p1
    row0 = torch.stack([p1, -alpha * p2], dim=-1)
    row1 = torch.stack([-alpha * p1, p2], dim=-1)
    return 2.0 * eta[..., None, None] * torch.stack([row0, row1], dim=-2)


def _batch(name: str, batch_shape, params_shape) -> None:
    """The batch of ``name`` (its shape without the last axis) must broadcast against the parameters'."""
    try:
        torch.broadcast_shapes(tuple(batch_shape), tuple(params_shape))
    except RuntimeError:
        raise ValueError(
            f"{name} has batch shape {tuple(batch_shape)} (its shape without the last axis of 2 tokens), which does not "
            f"broadcast against the shape {tuple(params_shape)} of the parameters."
        ) from None


def _margins(margins) -> torch.Tensor:
    m = _checks.as_tensor("margins", margins)
    if m.ndim == 0 or m.shape[-1] != 2:
        raise ValueError(f"margins must have shape (..., 2), got shape {tuple(m.shape)}.")
    return m


def margin_step(margins, p1, alpha, step_size) -> torch.Tensor:
    """One application of the margin map: m + 2 eta K P sigma(-m); margins B + (2,) -> B + (2,).

    Plain torch, so it is differentiable (margins or parameters may require grad). The
    batch shape of ``margins`` must broadcast against that of the parameters.
    """
    m = _margins(margins)
    p1, alpha, eta = _broadcast(_p1(p1), _alpha(alpha), _eta(step_size))
    _batch("margins", m.shape[:-1], p1.shape)
    c = _coefficients(p1, alpha, eta)
    return m + (c @ torch.sigmoid(-m).unsqueeze(-1)).squeeze(-1)


def _trajectory(p1, alpha, eta, steps, show_progress=None):
    """m_0 = 0, ..., m_steps under the margin map for broadcast parameters of shape B; shape B + (steps + 1, 2).

    The time loop runs on NumPy arrays (a few microseconds per elementwise operation,
    against tens for tiny torch tensors on a busy CPU); the increment is written as
    eta (2 r - 2 alpha r_swapped) with r = P sigma(-m), so that with alpha = 1 the two
    increments are exact negatives of each other and m_2 = -m_1 holds exactly, and so that
    no intermediate exceeds the size of the increment (2 eta itself would overflow for
    eta > 9e307). Raises a ValueError if a margin leaves the float64 range.
    """
    p = np.stack([p1.numpy(), 1.0 - p1.numpy()], axis=-1)
    a = alpha.numpy()[..., None]
    g = eta.numpy()[..., None]
    history = np.empty(p1.shape + (steps + 1, 2))
    m = np.zeros(p1.shape + (2,))
    history[..., 0, :] = m
    with np.errstate(over="ignore", invalid="ignore"):
        for t in progress(range(steps), total=steps, desc="margin map", show=show_progress):
            r = 2.0 * p * expit(-m)
            m = m + g * (r - a * r[..., ::-1])
            history[..., t + 1, :] = m
    if not np.isfinite(history).all():
        bad = np.argwhere(~np.isfinite(history))[0]
        worst = float(eta.numpy()[tuple(bad[:-2])])
        raise ValueError(
            f"the margins overflow float64 at step {int(bad[-2])} with step_size = {worst:g}: margins grow like step_size "
            f"times the perceptron limit m_t / eta (large_step_limit) and one step moves them by up to 2 x step_size, "
            f"which must stay below 1.8e308; use a smaller step_size, or large_step_limit for the eta -> infinity limit."
        )
    return history


def margin_trajectory(p1, alpha, step_size, steps: int, *, show_progress: bool | None = None) -> torch.Tensor:
    """Margins m_0 = 0, m_1, ..., m_steps of GD from W_0 = 0 (the margin map); shape B + (steps + 1, 2).

    B is the broadcast shape of ``p1``, ``alpha`` and ``step_size``; one loop over
    time runs every problem of the batch at once. The values are finite for every finite
    step size whose margins fit in float64 (a ValueError says so otherwise). The recursion
    runs in NumPy: the parameters must not require grad (use ``margin_step`` to differentiate).
    """
    steps = _checks.count("steps", steps)
    for name, value in (("p1", p1), ("alpha", alpha), ("step_size", step_size)):
        _no_grad(name, value, "margin_trajectory")
    p1, alpha, eta = _broadcast(_p1(p1), _alpha(alpha), _eta(step_size))
    return torch.from_numpy(_trajectory(p1, alpha, eta, steps, show_progress))


def loss_from_margins(margins, p1) -> torch.Tensor:
    """L = p1 log(1 + e^{-m_1}) + p2 log(1 + e^{-m_2}) (stable softplus); margins (..., 2) -> (...).

    Plain torch (differentiable). The batch shape of ``margins`` must broadcast against ``p1``'s.
    """
    m = _margins(margins)
    p1 = _p1(p1)
    _batch("margins", m.shape[:-1], p1.shape)
    return p1 * F.softplus(-m[..., 0]) + (1.0 - p1) * F.softplus(-m[..., 1])


def correct_from_margins(margins) -> torch.Tensor:
    """Whether each token is recalled, with argmax ties to class 0: (m_1 >= 0, m_2 > 0); bool (..., 2)."""
    m = _margins(margins)
    return torch.stack([m[..., 0] >= 0, m[..., 1] > 0], dim=-1)


def zero_one_from_margins(margins, p1) -> torch.Tensor:
    """L01 = p1 1{m_1 < 0} + p2 1{m_2 <= 0} (ties to class 0); margins (..., 2) -> (...)."""
    wrong = ~correct_from_margins(margins)
    p1 = _p1(p1)
    _batch("margins", wrong.shape[:-1], p1.shape)
    return p1 * wrong[..., 0].to(DTYPE) + (1.0 - p1) * wrong[..., 1].to(DTYPE)


def first_step_margins(p1, alpha, step_size) -> torch.Tensor:
    """m_1 = eta (p1 - alpha p2, p2 - alpha p1), the margins after one step from zero; shape B + (2,)."""
    p1, alpha, eta = _broadcast(_p1(p1), _alpha(alpha), _eta(step_size))
    p2 = 1.0 - p1
    return eta[..., None] * torch.stack([p1 - alpha * p2, p2 - alpha * p1], dim=-1)


def one_step_loss(step_size, p1, alpha) -> torch.Tensor:
    """L(W_1) as a function of eta: p1 log(1 + e^{-eta a}) + p2 log(1 + e^{-eta b}), (a, b) = m_1 / eta."""
    return loss_from_margins(first_step_margins(p1, alpha, step_size), p1)


def _log_cosh(x: float) -> float:
    """log cosh x to full relative precision for every real x (no cancellation near 0, no overflow)."""
    x = abs(x)
    if x < 20.0:
        return math.log1p(2.0 * math.sinh(x / 2.0) ** 2)  # cosh x - 1 = 2 sinh^2(x / 2)
    return x - math.log(2.0) + math.log1p(math.exp(-2.0 * x))


def spike_threshold(p1: float, alpha: float) -> float:
    """The step size eta* > 0 with L(W_1) = log 2; L(W_1) > log 2 exactly when eta > eta*.

    With (a, b) = m_1 / eta = (p1 - alpha p2, p2 - alpha p1), L(W_1) is convex in eta, equals
    log 2 at eta = 0 and decreases there, so it crosses log 2 again at most once; it does iff a
    token flips (min(a, b) < 0), and then it grows like p_x |m_1(x)| for the flipped token.
    Returns ``math.inf`` when there is no crossing.

    Method. softplus(z) - log 2 = z / 2 + log cosh(z / 2), so with q = p1 a + p2 b,

        (L(W_1) - log 2) / eta = phi(eta) = -q / 2 + [p1 lc(eta a / 2) + p2 lc(eta b / 2)] / eta,

    lc = log cosh. phi is strictly increasing (lc(x) / x increases for x > 0) and every term is
    computed without cancellation (a, b and q exactly from the float inputs with rational
    arithmetic, lc by ``_log_cosh``), so the root is found to full precision even where the
    excess loss itself is far below float64 resolution (p1 -> 1/2 with alpha = 1, where
    eta* -> 4). The bracket is guaranteed: lc(x) <= x^2 / 2 gives phi < 0 below
    eta_lo = 4 q / (p1 a^2 + p2 b^2), and lc(x) >= |x| - log 2 gives phi > 0 above
    eta_hi = log 2 / D with D = sum_x p_x max(-m_1(x) / eta, 0). Brent's method on log eta in
    [eta_lo, eta_hi] then converges in at most 200 iterations (bounded).
    """
    from fractions import Fraction

    from scipy.optimize import brentq

    p1, alpha = _p1(p1), _alpha(alpha)
    if p1.numel() != 1 or alpha.numel() != 1:
        raise ValueError(f"p1 and alpha must be single numbers here, got shapes {tuple(p1.shape)} and {tuple(alpha.shape)}.")
    P1, A = Fraction(p1.item()), Fraction(alpha.item())
    P2 = 1 - P1
    a_exact, b_exact = P1 - A * P2, P2 - A * P1
    if min(a_exact, b_exact) >= 0:
        return math.inf
    w1, w2 = float(P1), float(P2)
    a, b = float(a_exact), float(b_exact)
    q = float(P1 * a_exact + P2 * b_exact)  # = p1^2 + p2^2 - 2 alpha p1 p2 > 0 here
    curvature = float(P1 * a_exact**2 + P2 * b_exact**2)
    deficit = float(P1 * max(-a_exact, 0) + P2 * max(-b_exact, 0))

    def phi(log_eta: float) -> float:
        eta = math.exp(log_eta)
        return -q / 2.0 + (w1 * _log_cosh(eta * a / 2.0) + w2 * _log_cosh(eta * b / 2.0)) / eta

    low, high = math.log(4.0 * q / curvature), math.log(math.log(2.0) / deficit)
    f_low, f_high = phi(low), phi(high)
    if f_low >= 0.0:  # only by rounding at the guaranteed bounds
        return math.exp(low)
    if f_high <= 0.0:
        return math.exp(high)
    root = brentq(phi, low, high, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
    return math.exp(root)


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
# Time to perfect accuracy (the grid of the authors' exp_learning_rates.py)
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
    return torch.from_numpy(_first_perfect(m.detach().cpu().numpy())).long()


def time_to_accuracy(p1, alpha, step_size, steps: int = 1000) -> torch.Tensor:
    """First t in 0..steps-1 with accuracy 1 on W_t (logged before update t), capped at steps - 1.

    One batched recursion over the broadcast shape B of the parameters: pass
    ``p1[:, None, None]``, ``alpha[None, :, None]``, ``step_size[None, None, :]`` for a
    full grid. Returns a long tensor of shape B.
    """
    steps = _checks.count("steps", steps, minimum=1)
    for name, value in (("p1", p1), ("alpha", alpha), ("step_size", step_size)):
        _no_grad(name, value, "time_to_accuracy")
    p1, alpha, eta = _broadcast(_p1(p1), _alpha(alpha), _eta(step_size))
    return torch.from_numpy(_first_perfect(_trajectory(p1, alpha, eta, steps - 1))).long()


def paper_grid():
    """The axes of exp_learning_rates.py: p1 = 1 / (1 + exp(-l)), l in logspace(-0.5, 0.5, 10); alpha in linspace(0.5, 1, 10); eta in logspace(-1, 1, 10)."""
    l = torch.logspace(-0.5, 0.5, 10, dtype=DTYPE)
    p1 = 1.0 / (1.0 + torch.exp(-l))
    alpha = torch.linspace(0.5, 1.0, 10, dtype=DTYPE)
    eta = torch.logspace(-1.0, 1.0, 10, dtype=DTYPE)
    return p1, alpha, eta


def time_grid(steps: int = 1000):
    """(p1, alpha, eta, times) with times[i, j, k] for (p1[i], alpha[j], eta[k]); one batched run."""
    p1, alpha, eta = paper_grid()
    return p1, alpha, eta, time_to_accuracy(p1[:, None, None], alpha[None, :, None], eta[None, None, :], steps)
