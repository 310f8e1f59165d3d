"""Diffusion models as dense associative memories: the empirical score, its energy, its attractors.

Training points xi^mu are the rows of ``data`` (K, D). A variance-exploding diffusion blurs them
with Gaussian noise of level sigma; the density of the blurred training set is

    p_sigma(x) = (1/K) sum_mu N(x; xi^mu, sigma^2 I),

and the score that a network trained by denoising score matching on these K points would learn
if it were perfect (the *empirical* score) is

    score(x) = grad log p_sigma(x) = (sum_mu w_mu(x) xi^mu - x) / sigma^2,
    w_mu(x) = softmax_mu(-||x - xi^mu||^2 / (2 sigma^2)).                       (diffusion-score)

With beta = 1 / sigma^2 this is -beta times the gradient of the dense associative memory energy

    E_beta(x) = -(1/beta) log sum_mu exp(-(beta/2) ||x - xi^mu||^2)               (diffusion-energy)

since -sigma^2 log p_sigma(x) = E_beta(x) + sigma^2 (log K + (D/2) log(2 pi sigma^2)). One
denoising step x + sigma^2 score(x) = sum_mu w_mu(x) xi^mu (Tweedie's formula) is one
attention-like update with keys and values xi^mu; its fixed points are the stationary points of
E_beta, and iterating it (mean shift) never raises E_beta.

Shapes: x (..., D) batched over any leading axes, data (K, D). float64 throughout, log-sum-exp
form, so any sigma > 0 and any distance is safe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .. import _checks
from .._checks import DTYPE


def _data(data) -> torch.Tensor:
    X = _checks.as_tensor("data", data, ndim=2)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"data must hold at least one training point of dimension >= 1, got shape {tuple(X.shape)}.")
    return X


def _points(x, D: int) -> torch.Tensor:
    x = _checks.as_tensor("x", x)
    if x.ndim == 0 or x.shape[-1] != D:
        raise ValueError(f"x must have shape (..., D) with D = {D} (the data dimension), got shape {tuple(x.shape)}.")
    return x


def _beta(beta) -> float:
    return _checks.positive("beta", beta)


def _sigma(sigma) -> float:
    return _checks.positive("sigma", sigma)


def _logits(x, X, beta, square=None):
    """-(beta/2) ||x - xi^mu||^2 for every mu; shape (..., K). ``square``: the (K,) ||xi^mu||^2, if already made."""
    sq = (x * x).sum(-1, keepdim=True) - 2.0 * x @ X.T + ((X * X).sum(-1) if square is None else square)
    return -0.5 * beta * sq.clamp_min(0.0)


def weights(x, data, beta) -> torch.Tensor:
    """Posterior weights w_mu(x) = softmax_mu(-(beta/2)||x - xi^mu||^2); shape (..., K)."""
    X = _data(data)
    return torch.softmax(_logits(_points(x, X.shape[1]), X, _beta(beta)), dim=-1)


def energy(x, data, beta) -> torch.Tensor:
    """E_beta(x) = -(1/beta) log sum_mu exp(-(beta/2)||x - xi^mu||^2) (diffusion-energy); shape (...)."""
    X = _data(data)
    beta = _beta(beta)
    return -torch.logsumexp(_logits(_points(x, X.shape[1]), X, beta), dim=-1) / beta


def denoise(x, data, sigma) -> torch.Tensor:
    """The optimal denoiser x + sigma^2 score(x) = sum_mu w_mu(x) xi^mu at noise level sigma; shape (..., D)."""
    X = _data(data)
    sigma = _sigma(sigma)
    return weights(x, X, 1.0 / sigma**2) @ X


def empirical_score(x, data, sigma) -> torch.Tensor:
    """grad log p_sigma(x) = (denoise(x) - x) / sigma^2 (diffusion-score); shape (..., D)."""
    X = _data(data)
    sigma = _sigma(sigma)
    x = _points(x, X.shape[1])
    return (denoise(x, X, sigma) - x) / sigma**2


def score_jacobian(x, data, sigma) -> torch.Tensor:
    """d score / dx = Cov_w(xi) / sigma^4 - I / sigma^2, Cov_w the posterior covariance at x; shape (..., D, D)."""
    X = _data(data)
    sigma = _sigma(sigma)
    x = _points(x, X.shape[1])
    w = weights(x, X, 1.0 / sigma**2)
    mean = w @ X
    second = torch.einsum("...k,ki,kj->...ij", w, X, X)
    cov = second - mean.unsqueeze(-1) * mean.unsqueeze(-2)
    eye = torch.eye(X.shape[1], dtype=DTYPE)
    return cov / sigma**4 - eye / sigma**2


def posterior_covariance(x, data, sigma) -> torch.Tensor:
    """Cov_w(xi) at x: the spread of the training points the denoiser averages over; shape (..., D, D)."""
    return (score_jacobian(x, data, sigma) + torch.eye(_data(data).shape[1], dtype=DTYPE) / _sigma(sigma) ** 2) * _sigma(sigma) ** 4


def mean_shift(starts, data, beta, steps: int = 500, tol: float = 1e-10):
    """Iterate x <- sum_mu w_mu(x) xi^mu from each start until it moves less than ``tol``.

    Returns (x, moved): the end points (..., D) and the last move of each, (...). Never raises
    E_beta (a majorise-minimise step: see the chapter's proposition). At most ``steps`` updates.
    """
    X = _data(data)
    beta = _beta(beta)
    x = _points(starts, X.shape[1]).clone()
    steps = _checks.count("steps", steps, minimum=1)
    shape = x.shape
    x = x.reshape(-1, shape[-1])
    moved = torch.full(x.shape[:1], math.inf, dtype=DTYPE)
    active = torch.arange(x.shape[0])
    square = (X * X).sum(-1)  # the logits' ||xi^mu||^2, once for every step
    for _ in range(steps):
        # Only the points still moving are updated: converged ones cost nothing more.
        current = x[active]
        new = torch.softmax(_logits(current, X, beta, square), dim=-1) @ X
        step = (new - current).norm(dim=-1)
        moved[active] = step
        x[active] = new
        active = active[step >= tol]
        if active.numel() == 0:
            break
    return x.reshape(shape), moved.reshape(shape[:-1])


def pf_ode(starts, data, sigma_max: float, sigma_min: float, steps: int):
    """Euler steps of the variance-exploding probability-flow ODE dx/dsigma = -sigma score_sigma(x).

    The noise level falls geometrically from ``sigma_max`` to ``sigma_min``. An Euler step from sigma_k to
    sigma_{k+1} is x <- x - sigma_k (sigma_{k+1} - sigma_k) score(x) = x + h_k (denoise(x) - x) with
    h_k = 1 - sigma_{k+1} / sigma_k: a relaxed mean-shift step on E_{1/sigma_k^2}, which never raises that
    energy for h_k in [0, 2].
    Returns (path (steps + 1, ..., D), sigmas (steps + 1,)).
    """
    X = _data(data)
    high, low = _sigma(sigma_max), _sigma(sigma_min)
    if not low < high:
        raise ValueError(f"sigma_min must be below sigma_max, got sigma_min = {low:g} and sigma_max = {high:g}.")
    steps = _checks.count("steps", steps, minimum=1)
    sigmas = torch.logspace(math.log10(high), math.log10(low), steps + 1, dtype=DTYPE)
    x = _points(starts, X.shape[1])
    path = [x]
    for k in range(steps):
        h = 1.0 - sigmas[k + 1] / sigmas[k]
        x = x + h * (denoise(x, X, float(sigmas[k])) - x)
        path.append(x)
    return torch.stack(path), sigmas


@dataclass
class Attractors:
    """Fixed points of the mean shift, deduplicated and classified.

    points (A, D): the distinct attractors; memory (A,): whether the attractor *is* a training
    point (its posterior puts a strict majority of its mass on one training point); owner (A,): that
    point's index (or -1); basin (A,): how many starts ended there; stored (K,): whether
    training point mu is itself an attractor (a start next to it comes back to it).
    """

    points: torch.Tensor
    memory: torch.Tensor
    owner: torch.Tensor
    basin: torch.Tensor
    stored: torch.Tensor

    @property
    def count(self) -> int:
        return int(self.points.shape[0])

    @property
    def memories(self) -> int:
        return int(self.memory.sum())

    @property
    def spurious(self) -> int:
        return self.count - self.memories


def attractors(data, beta, starts, steps: int = 2000, tol: float = 1e-9, merge: float | None = None, jitter: float = 1e-3,
               seed: int = 0) -> Attractors:
    """Run the mean shift from ``starts`` (B, D) and from every training point (jittered), and classify the ends.

    Ends closer than ``merge`` (default: a tenth of 1 / sqrt(beta), the noise level) are one
    attractor. An attractor is a *memory* when its posterior weights put more than half of
    their mass on one training point, and *spurious* otherwise (an attractor of the energy that is not
    any training point). Training point mu is *stored* when the run started next to it ends on a
    memory owned by mu.
    """
    X = _data(data)
    beta = _beta(beta)
    starts = _points(starts, X.shape[1]).reshape(-1, X.shape[1])
    merge = 0.1 / math.sqrt(beta) if merge is None else _checks.positive("merge", merge)
    jitter = float(jitter)
    generator = torch.Generator().manual_seed(_checks.seed(seed))
    near = X + jitter * torch.randn(X.shape, generator=generator, dtype=DTYPE) / math.sqrt(beta)
    ends, _ = mean_shift(torch.cat([near, starts]), X, beta, steps, tol)
    # Greedy deduplication: each end joins the first attractor within `merge` (distances to all
    # attractors found so far at once, in numpy: one small array op per end, not one per pair).
    ends_np = ends.numpy()
    found = np.empty_like(ends_np)
    count = 0
    label = torch.empty(ends.shape[0], dtype=torch.int64)
    for i, point in enumerate(ends_np):
        near = np.flatnonzero(np.sqrt(((found[:count] - point) ** 2).sum(-1)) < merge)
        if near.size:
            label[i] = int(near[0])
        else:
            label[i] = count
            found[count] = point
            count += 1
    points = torch.from_numpy(found[:count].copy())
    w = torch.softmax(_logits(points, X, beta), dim=-1)
    top, owner = w.max(dim=-1)
    memory = top > 0.5 + 1e-6  # a strict majority: a fully merged pair sits at 1/2 each, up to rounding
    owner = torch.where(memory, owner, torch.full_like(owner, -1))
    basin = torch.bincount(label[X.shape[0]:], minlength=count)
    own = label[: X.shape[0]]
    stored = memory[own] & (owner[own] == torch.arange(X.shape[0]))
    return Attractors(points, memory, owner, basin, stored)


def circle(num: int, seed: int = 0, evenly: bool = False) -> torch.Tensor:
    """``num`` points on the unit circle (K, 2): i.i.d. uniform angles, or evenly spaced."""
    num = _checks.count("num", num, minimum=1)
    if evenly:
        angles = torch.arange(num, dtype=DTYPE) * (2 * math.pi / num)
    else:
        angles = 2 * math.pi * torch.rand(num, generator=torch.Generator().manual_seed(_checks.seed(seed)), dtype=DTYPE)
    return torch.stack([angles.cos(), angles.sin()], dim=-1)


def ring_energy(radius, beta) -> torch.Tensor:
    """The energy of infinitely many training points spread uniformly on the unit circle, at distance ``radius`` from 0.

    With (1/K) sum_mu replaced by the average over the circle (the log K constant dropped):
    E(R) = (R^2 + 1) / 2 - (1/beta) log I_0(beta R), I_0 the modified Bessel function.
    Computed with the exponentially scaled Bessel function, finite for every beta R.
    """
    R = _checks.as_tensor("radius", radius)
    if (R < 0).any():
        raise ValueError(f"radius must be >= 0, got a minimum of {R.min().item():g}.")
    beta = _beta(beta)
    z = beta * R
    return (R * R + 1.0) / 2.0 - (torch.log(torch.special.i0e(z)) + z) / beta


def linear_manifold(num: int, dim: int = 20, scales=(1.0, 1.0, 1.0, 0.3, 0.3, 0.3), seed: int = 0) -> torch.Tensor:
    """``num`` Gaussian points on a linear subspace of R^dim with standard deviation ``scales`` along its axes.

    The subspace is spanned by the first len(scales) coordinate axes (a rotation would not change
    any quantity the chapter measures, the noise being isotropic). Shape (num, dim).
    """
    num = _checks.count("num", num, minimum=1)
    dim = _checks.count("dim", dim, minimum=1)
    s = _checks.as_tensor("scales", scales, ndim=1)
    if s.shape[0] > dim or (s <= 0).any():
        raise ValueError(f"scales must hold at most dim = {dim} positive standard deviations, got {s.tolist()}.")
    g = torch.Generator().manual_seed(_checks.seed(seed))
    X = torch.zeros(num, dim, dtype=DTYPE)
    X[:, : s.shape[0]] = torch.randn(num, s.shape[0], generator=g, dtype=DTYPE) * s
    return X


def kept_dimensions(data, sigma, scales, queries: int = 64, seed: int = 1) -> torch.Tensor:
    """Per tangent axis, the fraction of noisy queries at which the empirical score keeps that direction.

    Queries are fresh points of the data law plus noise sigma. Along a tangent axis of standard
    deviation s, infinitely many training points give the posterior variance s^2 sigma^2 / (s^2 + sigma^2);
    the direction is *kept* at a query when the empirical posterior variance along it is above half
    that value (below, the denoiser has collapsed that direction onto a few training points).
    Returns (len(scales),) fractions in [0, 1].
    """
    X = _data(data)
    sigma = _sigma(sigma)
    s = _checks.as_tensor("scales", scales, ndim=1)
    queries = _checks.count("queries", queries, minimum=1)
    g = torch.Generator().manual_seed(_checks.seed(seed))
    clean = torch.zeros(queries, X.shape[1], dtype=DTYPE)
    clean[:, : s.shape[0]] = torch.randn(queries, s.shape[0], generator=g, dtype=DTYPE) * s
    x = clean + sigma * torch.randn(queries, X.shape[1], generator=g, dtype=DTYPE)
    w = weights(x, X, 1.0 / sigma**2)  # (Q, K)
    tangent = X[:, : s.shape[0]]  # (K, n)
    mean = w @ tangent
    var = w @ tangent**2 - mean**2  # posterior variance along each axis, (Q, n)
    limit = s**2 * sigma**2 / (s**2 + sigma**2)
    return (var > 0.5 * limit).to(DTYPE).mean(dim=0)


__all__ = [
    "weights", "energy", "denoise", "empirical_score", "score_jacobian", "posterior_covariance", "mean_shift", "pf_ode",
    "Attractors", "attractors", "circle", "ring_energy", "linear_manifold", "kept_dimensions",
]
