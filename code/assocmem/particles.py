"""Gradient descent as interacting particles (book chapter "Particles").

Three exact reductions of full-batch GD ``W_{t+1} = W_t - eta grad L(W_t)``:

* **Particles, any embeddings** (book: chap-particles, eq-particles-particles). With one particle per input token,
  z_t(x) = W_t e_x in R^d,

      z_{t+1}(x) = z_t(x) - eta sum_x' p(x') <e_x, e_x'> U^T r_t(x'),
      r_t(x') = softmax(U z_t(x')) - onehot(f*(x'))  (the gradient of l_x' at z_t(x')),

  so particles interact with weights p(x') <e_x, e_x'>. The scores s_t = E W_t^T U^T
  (N, M) obey the closed recursion (eq-particles-scores)

      s_{t+1} = s_t - eta (E E^T) diag(p) r_t (U U^T).

* **Binary margins** (M = 2, eq-particles-binary): with sigma the logistic function,

      m_{t+1}(x) = m_t(x) + eta sum_x' p(x') kappa(x, x') sigma(-m_t(x')),
      kappa(x, x') = <e_x, e_x'> <u_{f*(x)} - u_o(x), u_{f*(x')} - u_o(x')>,

  where o(x) is the other class.

* **Orthonormal embeddings** (d >= N, U orthonormal, W_0 = 0, eq-particles-scalar): every margin
  follows its own scalar recursion

      m_{t+1} = m_t + eta p M / (exp(m_t) + M - 1),

  and gradient flow (tau = eta t) has the closed form exp(m) + (M - 1) m = 1 + p M tau
  (eq-particles-flow), solved with the Wright omega function: m = log((M - 1) omega(c / (M - 1)
  - log(M - 1))) with c = 1 + p M tau, and m = log(1 + p tau) when M = 1.

All tensors are float64. Logging follows ``train``: index t of a logged array is
measured on iterate t, before update t. The scalar recursions return every iterate
m_0..m_T (T + 1 entries), so that ``m[:, t]`` is m_t.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy import special

from . import _checks, memory
from .memory import _residual
from .train import _setup
from ._checks import DTYPE
from ._progress import progress

__all__ = [
    "ParticleRun",
    "particles",
    "interaction_weights",
    "particle_gd",
    "score_gd",
    "binary_kernel",
    "binary_margins",
    "orthonormal_margins",
    "margin_loss",
    "flow_margins",
]


@dataclass
class ParticleRun:
    """Result of the particle (or score) recursion over S step sizes and T steps.

    Attributes
    ----------
    step_sizes : (S,) the step sizes.
    loss : (S, T) population cross-entropy at iterate t (before update t).
    zero_one : (S, T) 0-1 loss at iterate t (ties to the smallest class).
    margins : (S, T, N) margins at iterate t.
    scores_final : (S, N, M) scores after the last update, s_T.
    Z_final : (S, N, d) particles z_T(x) = W_T e_x, or None for ``score_gd``.
    """

    step_sizes: torch.Tensor
    loss: torch.Tensor
    zero_one: torch.Tensor
    margins: torch.Tensor
    scores_final: torch.Tensor
    Z_final: torch.Tensor | None = None


def particles(W, E) -> torch.Tensor:
    """Particles z(x) = W e_x as rows; W (..., d, d), E (N, d) -> (..., N, d)."""
    E = _checks.as_tensor("E", E, ndim=2)
    W = _checks.memory_matrix(W, E.shape[1], device=E.device)
    return E @ W.transpose(-1, -2)


def interaction_weights(E, freqs) -> torch.Tensor:
    """Interaction weights A[x, x'] = p(x') <e_x, e_x'> of eq-particles-particles; shape (N, N)."""
    E = _checks.as_tensor("E", E, ndim=2)
    p = _checks.freqs(freqs, E.shape[0], device=E.device)
    return _interaction(E, p)


def _interaction(E, p):
    return (E @ E.T) * p[None, :]


def _log(s, t, p, step, loss, zero_one, margins):
    loss[:, step] = memory._token_losses(s, t) @ p
    zero_one[:, step] = memory._zero_one(s, t, p)
    margins[:, step] = memory._margins(s, t)


def particle_gd(E, U, freqs, targets, step_size, steps, W0=None, *, show_progress: bool | None = None) -> ParticleRun:
    """GD in particle form (eq-particles-particles): Z_{t+1} = Z_t - eta A (r_t U), A[x, x'] = p(x') <e_x, e_x'>.

    Same arguments as ``train.gd``; exact for any embeddings. Returns a
    :class:`ParticleRun` whose ``Z_final`` (S, N, d) equals E W_T^T.
    """
    E, U, p, t, eta, steps, W = _setup(E, U, freqs, targets, step_size, steps, W0)
    A = _interaction(E, p)
    Z = E @ W.transpose(-1, -2)  # (S, N, d)
    S, N = eta.shape[0], E.shape[0]
    loss, zero_one = torch.empty(S, steps, dtype=DTYPE), torch.empty(S, steps, dtype=DTYPE)
    margins = torch.empty(S, steps, N, dtype=DTYPE)
    scale = eta[:, None, None]
    for step in progress(range(steps), total=steps, desc="particles", show=show_progress):
        s = Z @ U.T
        _log(s, t, p, step, loss, zero_one, margins)
        Z = Z - scale * (A @ (_residual(s, t) @ U))
    return ParticleRun(eta, loss, zero_one, margins, Z @ U.T, Z)


def score_gd(E, U, freqs, targets, step_size, steps, W0=None, *, show_progress: bool | None = None) -> ParticleRun:
    """GD as the closed score recursion (eq-particles-scores): s_{t+1} = s_t - eta (E E^T) diag(p) r_t (U U^T).

    Same arguments as ``train.gd``; only the N x N and M x M Gram matrices enter.
    """
    E, U, p, t, eta, steps, W = _setup(E, U, freqs, targets, step_size, steps, W0)
    A = _interaction(E, p)
    KU = U @ U.T
    s = memory._scores(W, E, U)  # (S, N, M)
    S, N = eta.shape[0], E.shape[0]
    loss, zero_one = torch.empty(S, steps, dtype=DTYPE), torch.empty(S, steps, dtype=DTYPE)
    margins = torch.empty(S, steps, N, dtype=DTYPE)
    scale = eta[:, None, None]
    for step in progress(range(steps), total=steps, desc="scores", show=show_progress):
        _log(s, t, p, step, loss, zero_one, margins)
        s = s - scale * (A @ _residual(s, t) @ KU)
    return ParticleRun(eta, loss, zero_one, margins, s, None)


def binary_kernel(E, U, targets) -> torch.Tensor:
    """kappa(x, x') = <e_x, e_x'> <v_x, v_x'> with v_x = u_{f*(x)} - u_{1 - f*(x)} (eq-particles-binary); shape (N, N). Needs M = 2."""
    E, U = _checks.embeddings(E, U)
    U = _checks.binary_outputs(U, "the binary-margin system")
    t = _checks.targets(targets, E.shape[0], 2)
    v = U[t] - U[1 - t]
    return (E @ E.T) * (v @ v.T)


def binary_margins(E, U, freqs, targets, step_size, steps, W0=None) -> torch.Tensor:
    """Margins of GD with M = 2 from the binary system (eq-particles-binary); shape (S, T + 1, N), entry t is m_t.

    m_{t+1}(x) = m_t(x) + eta sum_x' p(x') kappa(x, x') sigma(-m_t(x')), with m_0 the
    margins of ``W0`` (zero by default). Exact: equals ``train.gd(...).margins``.
    """
    kappa = binary_kernel(E, U, targets)
    E, U = _checks.embeddings(E, U)
    p = _checks.freqs(freqs, E.shape[0])
    t = _checks.targets(targets, E.shape[0], 2)
    eta = _checks.step_sizes(step_size)
    steps = _checks.count("steps", steps)
    S, N = eta.shape[0], E.shape[0]
    if W0 is None:
        m = torch.zeros(S, N, dtype=DTYPE)
    else:
        W0 = _checks.memory_matrix(W0, E.shape[1])
        if W0.ndim == 3 and W0.shape[0] != S:
            raise ValueError(f"W0 must have shape (d, d) or (S, d, d) with S = {S}, got {tuple(W0.shape)}.")
        m = memory._margins(memory._scores(W0, E, U), t).expand(S, N).clone()
    K = (kappa * p[None, :]).T  # m @ K sums over x'
    out = torch.empty(S, steps + 1, N, dtype=DTYPE)
    out[:, 0] = m
    for step in range(steps):
        m = m + eta[:, None] * (torch.sigmoid(-m) @ K)
        out[:, step + 1] = m
    return out


def _classes(num_classes) -> int:
    return _checks.count("num_classes", num_classes, minimum=1)


def _positive_freqs(freqs) -> np.ndarray:
    p = _checks.as_tensor("freqs", freqs, ndim=1)
    if p.numel() == 0:
        raise ValueError("freqs must hold at least one frequency, got an empty array.")
    if (p <= 0).any() or (p > 1).any():
        raise ValueError(f"freqs must lie in (0, 1], got values from {p.min().item():.3g} to {p.max().item():.3g}.")
    return p.cpu().numpy()


def orthonormal_margins(freqs, num_classes, step_size, steps, m0=0.0) -> torch.Tensor:
    """Margins of GD with orthonormal embeddings from the decoupled recursion (eq-particles-scalar).

    m_{t+1} = m_t + eta p M / (exp(m_t) + M - 1). For large m, exp(m) overflows to inf
    and the increment is exactly 0 (the float64 value of eta p M e^{-m} / (1 + (M - 1) e^{-m})
    for m > 709), so margins of any size stay finite and never decrease.

    ``freqs`` (N,) are the token frequencies p(x) in (0, 1] (they need not sum to 1:
    each token evolves on its own), ``num_classes`` is M, ``step_size`` a number or S
    of them, ``m0`` a number >= -700 or an (N,) array of initial margins (0 = W_0 = 0).
    Returns m of shape (S, T + 1, N) with m[:, t] = m_t. Cost: a few NumPy operations
    on S N numbers per step, a few 1e5 steps per second.
    """
    p = _positive_freqs(freqs)
    M = _classes(num_classes)
    eta = _checks.step_sizes(step_size).cpu().numpy()
    steps = _checks.count("steps", steps)
    start = _checks.as_tensor("m0", m0, ndim=(0, 1)).cpu().numpy()
    if start.ndim == 1 and start.shape[0] != p.shape[0]:
        raise ValueError(f"m0 must be a number or have one entry per token (N = {p.shape[0]}), got {start.shape[0]} entries.")
    if (start < -700).any():
        raise ValueError(f"m0 must be >= -700 (exp(-m0) must stay finite), got {start.min():g}.")
    S, N = eta.shape[0], p.shape[0]
    # Time-major buffer: each step reads row t and writes row t + 1 (contiguous), four ufuncs per step.
    out = np.empty((steps + 1, S, N))
    out[0] = np.broadcast_to(start, (S, N))
    with np.errstate(over="ignore"):
        rate = eta[:, None] * p[None, :] * M  # eta p M
    k = float(M - 1)
    tmp = np.empty((S, N))
    if np.isfinite(rate).all():
        # increment = rate / (e^m + k): when e^m overflows to inf the increment is exactly 0, the
        # float64 value of rate e^{-m} / (1 + k e^{-m}) for m > 709, so no NaN can appear.
        with np.errstate(over="ignore"):
            for step in range(steps):
                np.exp(out[step], out=tmp)
                tmp += k
                np.divide(rate, tmp, out=tmp)
                np.add(out[step], tmp, out=out[step + 1])
    else:
        # eta p M overflows float64 (a step size near 1e308): the same increment in the log domain,
        # exp(log(eta p M) - log(e^m + k)), which is finite whenever the margins are.
        log_rate = np.log(eta)[:, None] + np.log(p)[None, :] + math.log(M)
        log_k = math.log(k) if k > 0 else -np.inf
        with np.errstate(over="ignore"):
            for step in range(steps):
                np.logaddexp(out[step], log_k, out=tmp)
                np.subtract(log_rate, tmp, out=tmp)
                np.exp(tmp, out=tmp)
                np.add(out[step], tmp, out=out[step + 1])
    if not np.isfinite(out).all():
        raise ValueError(f"step_size is too large: the margins exceed the float64 range (about 1.8e308) "
                         f"within {steps} steps (largest step size {eta.max():g}); use a smaller step_size.")
    out = out.transpose(1, 0, 2)
    return torch.from_numpy(np.ascontiguousarray(out))


def margin_loss(margins, freqs, num_classes) -> torch.Tensor:
    """Loss of orthonormal-embedding margins: sum_x p(x) log(1 + (M - 1) e^{-m(x)}); shape margins.shape[:-1].

    With orthonormal embeddings from W_0 = 0 all wrong scores of a token are equal, so
    its cross-entropy is log(1 + (M - 1) e^{-m}); computed as logaddexp(0, log(M - 1) - m).
    """
    m = _checks.as_tensor("margins", margins)
    if m.ndim < 1:
        raise ValueError(f"margins must have a last axis of tokens, got shape {tuple(m.shape)}.")
    p = _checks.freqs(freqs, m.shape[-1])
    M = _classes(num_classes)
    if M == 1:
        return torch.zeros(m.shape[:-1], dtype=DTYPE)
    return torch.logaddexp(torch.zeros((), dtype=DTYPE), math.log(M - 1) - m) @ p


def flow_margins(freqs, num_classes, tau) -> torch.Tensor:
    """Gradient-flow margins: the solution m of exp(m) + (M - 1) m = 1 + p M tau (eq-particles-flow).

    ``freqs`` (N,) in (0, 1], ``tau`` >= 0 a number or an array of times (any shape);
    returns shape tau.shape + (N,). Stable for every tau (even 1e300): with
    c = 1 + p M tau and k = M - 1 >= 1, m = log(k) + log(omega(c / k - log k)) where
    omega is the Wright omega function (omega + log omega = z, i.e. W(e^z)), which
    avoids forming exp(c / k); for M = 1, m = log1p(p tau).
    """
    p = _positive_freqs(freqs)
    M = _classes(num_classes)
    tau = _checks.as_tensor("tau", tau).cpu().numpy()
    if (tau < 0).any():
        raise ValueError(f"tau must be >= 0 (a time eta t), got a minimum of {tau.min():g}.")
    x = p * M * tau[..., None]  # p M tau, shape tau.shape + (N,)
    if M == 1:
        return torch.from_numpy(np.log1p(x))
    k = float(M - 1)
    z = (1.0 + x) / k - math.log(k)
    omega = special.wrightomega(z).real
    return torch.from_numpy(math.log(k) + np.log(omega))
