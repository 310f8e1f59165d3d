"""Modern (continuous) Hopfield networks (Ramsauer et al. 2021) and their sparse version (Hu et al. 2023).

Patterns are the rows of X (K, d), real-valued; a state (query) is a vector of R^d, and
``state`` may carry any leading batch axes, shape (..., d). The energy is

    E(s) = -beta^-1 log sum_mu exp(beta <xi^mu, s>) + 1/2 <s, s> + beta^-1 log K + 1/2 max_mu |xi^mu|^2,

and its concave-convex procedure (CCCP) is the update

    s <- X^T softmax(beta X s),                                                  (one attention head)

attention with the state as the query and the patterns as keys and values. The sparse
network replaces the softmax by sparsemax, the Euclidean projection onto the simplex,
which can put exactly zero weight on every pattern but one; its energy replaces the
log-sum-exp by the convex conjugate Psi*(z) = <p, z> - 1/2 |p|^2, p = sparsemax(z).
All computations are float64 and stable for scores of any size.
"""

from __future__ import annotations

import math

import torch

from .. import _checks

SEPARATIONS = ("softmax", "sparsemax")


def _patterns(X) -> torch.Tensor:
    X = _checks.as_tensor("X", X, ndim=2)
    if X.numel() == 0:
        raise ValueError(f"X must hold at least one pattern of dimension >= 1, got shape {tuple(X.shape)}.")
    return X


def _state(state, d: int) -> torch.Tensor:
    S = _checks.as_tensor("state", state)
    if S.ndim == 0 or S.shape[-1] != d:
        raise ValueError(f"state must have shape (..., d) with d = {d} to match the patterns X, got shape {tuple(S.shape)}.")
    return S


def sparsemax(z, dim: int = -1) -> torch.Tensor:
    """The Euclidean projection of z onto the probability simplex along ``dim`` (Martins & Astudillo 2016).

    sparsemax(z) = max(z - tau, 0) with tau such that the result sums to 1; the support is
    {i : 1 + k z_(k) > sum_{j <= k} z_(j)} over the sorted entries z_(1) >= z_(2) >= ...
    Same shape as z; exactly zero outside the support.
    """
    z = _checks.as_tensor("z", z)
    if z.ndim == 0:
        raise ValueError("z must have at least one dimension, got a scalar.")
    if not -z.ndim <= dim < z.ndim:
        raise ValueError(f"dim must lie in [{-z.ndim}, {z.ndim}) for z of shape {tuple(z.shape)}, got {dim!r}.")
    if z.shape[dim] == 0:
        raise ValueError(f"z must have at least one entry along dim {dim}, got shape {tuple(z.shape)}.")
    z = z.movedim(dim, -1)
    z = z - z.amax(dim=-1, keepdim=True)  # shift-invariant; keeps the cumulative sums small
    ordered = z.sort(dim=-1, descending=True).values
    k = torch.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    cumulative = ordered.cumsum(dim=-1)
    support = (1 + k * ordered > cumulative).sum(dim=-1, keepdim=True)  # >= 1: the largest entry is always in
    tau = (cumulative.gather(-1, support - 1) - 1) / support.to(z.dtype)
    return torch.clamp(z - tau, min=0).movedim(-1, dim)


def _weights(scores: torch.Tensor, separation: str) -> torch.Tensor:
    return torch.softmax(scores, dim=-1) if separation == "softmax" else sparsemax(scores, dim=-1)


def attention(X, state, beta: float, separation: str = "softmax") -> torch.Tensor:
    """The weights softmax(beta X s) (or sparsemax) that one update puts on each pattern; shape (..., K)."""
    X = _patterns(X)
    S = _state(state, X.shape[1])
    beta = _checks.positive("beta", beta)
    _checks.choice("separation", separation, SEPARATIONS)
    return _weights(beta * S @ X.T, separation)


def step(X, state, beta: float, separation: str = "softmax") -> torch.Tensor:
    """One update s <- X^T softmax(beta X s) (or sparsemax); shape (..., d) like ``state``."""
    X = _patterns(X)
    return attention(X, state, beta, separation) @ X


def retrieve(X, state, beta: float, steps: int = 1, separation: str = "softmax") -> torch.Tensor:
    """``steps`` updates from ``state``; shape (..., d)."""
    for _ in range(_checks.count("steps", steps, minimum=1)):
        state = step(X, state, beta, separation)
    return state


def energy(X, state, beta: float) -> torch.Tensor:
    """The modern Hopfield energy of each state (see the module docstring); shape (...,). Non-negative."""
    X = _patterns(X)
    S = _state(state, X.shape[1])
    beta = _checks.positive("beta", beta)
    lse = torch.logsumexp(beta * S @ X.T, dim=-1) / beta
    constant = math.log(X.shape[0]) / beta + 0.5 * (X * X).sum(dim=1).max()
    return -lse + 0.5 * (S * S).sum(dim=-1) + constant


def sparse_energy(X, state, beta: float) -> torch.Tensor:
    """E(s) = -beta^-1 Psi*(beta X s) + 1/2 <s, s>, Psi*(z) = <p, z> - 1/2 |p|^2 with p = sparsemax(z); shape (...,).

    grad Psi* = sparsemax, so the sparse update is the CCCP step of this energy, which it never raises.
    """
    X = _patterns(X)
    S = _state(state, X.shape[1])
    beta = _checks.positive("beta", beta)
    z = beta * S @ X.T
    p = sparsemax(z)
    conjugate = (p * z).sum(dim=-1) - 0.5 * (p * p).sum(dim=-1)
    return -conjugate / beta + 0.5 * (S * S).sum(dim=-1)


__all__ = ["SEPARATIONS", "sparsemax", "attention", "step", "retrieve", "energy", "sparse_energy"]
