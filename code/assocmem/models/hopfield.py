"""Hopfield networks, dense associative memories and modern Hopfield networks .

Patterns are rows of X (P, n) with entries +-1; states and cues are rows of a
(B, n) array. All three memories read the similarities X s of a state with the
stored patterns; they differ in how sharply they weight them:

- classical (Hopfield 1982): Hebbian W = X^T X / n with zero diagonal, s <- sgn(W s);
- dense (Krotov & Hopfield 2016): s_i <- sgn(sum_mu F(xi_i^mu + h_i^mu) - F(-xi_i^mu + h_i^mu)),
  h_i^mu = sum_{j != i} xi_j^mu s_j, F(z) = z^power (power 2 is the classical rule);
- modern (Ramsauer et al. 2021): s <- X^T softmax(beta X s), one step of attention with the
  state as query and the patterns as keys and values.
sgn(0) = +1 throughout, so updates are deterministic.
"""

from __future__ import annotations

import torch

from .. import _checks
from .._checks import DTYPE


def _sign(z: torch.Tensor) -> torch.Tensor:
    return torch.where(z >= 0, torch.ones((), dtype=z.dtype), -torch.ones((), dtype=z.dtype))


def _patterns(X) -> torch.Tensor:
    X = _checks.as_tensor("X", X, ndim=2)
    if X.numel() == 0:
        raise ValueError(f"X must hold at least one pattern of length >= 1, got shape {tuple(X.shape)}.")
    return X


def _states(name, S, n) -> torch.Tensor:
    S = _checks.as_tensor(name, S, ndim=(1, 2))
    S = S.unsqueeze(0) if S.ndim == 1 else S
    if S.shape[1] != n:
        raise ValueError(f"{name} must have n = {n} entries per row to match the patterns X, got shape {tuple(S.shape)}.")
    return S


def random_patterns(num: int, n: int, seed: int) -> torch.Tensor:
    """``num`` i.i.d. uniform patterns in {-1, +1}^n; shape (num, n), float64."""
    num, n = _checks.count("num", num, minimum=1), _checks.count("n", n, minimum=1)
    bits = torch.randint(0, 2, (num, n), generator=torch.Generator().manual_seed(_checks.count("seed", seed)))
    return (2 * bits - 1).to(DTYPE)


def corrupt(X, flip_prob: float, seed: int) -> torch.Tensor:
    """Copies of the patterns with each entry flipped independently with probability ``flip_prob``."""
    X = _patterns(X)
    if not 0 <= flip_prob <= 1:
        raise ValueError(f"flip_prob must lie in [0, 1], got {flip_prob}.")
    flips = torch.rand(X.shape, generator=torch.Generator().manual_seed(_checks.count("seed", seed)), dtype=DTYPE) < flip_prob
    return torch.where(flips, -X, X)


def overlap(states, X) -> torch.Tensor:
    """Overlap (1/n) <s_b, xi^b> of each state with its own pattern; shape (B,), 1 means perfect recall."""
    X = _patterns(X)
    S = _states("states", states, X.shape[1])
    if S.shape[0] != X.shape[0]:
        raise ValueError(f"states must have one row per pattern ({X.shape[0]}), got {S.shape[0]}.")
    return (S * X).mean(dim=1)


def hebbian_weights(X) -> torch.Tensor:
    """W = X^T X / n with zero diagonal (no self-coupling); shape (n, n)."""
    X = _patterns(X)
    W = X.T @ X / X.shape[1]
    return W.fill_diagonal_(0.0)


def classical_retrieve(X, cues, steps: int = 20) -> torch.Tensor:
    """Synchronous updates s <- sgn(W s) of the Hebbian network, from each cue; shape (B, n)."""
    X = _patterns(X)
    S = _states("cues", cues, X.shape[1])
    W = hebbian_weights(X)
    for _ in range(_checks.count("steps", steps)):
        S, previous = _sign(S @ W), S
        if torch.equal(S, previous):  # a fixed point: later steps change nothing
            break
    return S


def dense_retrieve(X, cues, power: int = 3, steps: int = 5) -> torch.Tensor:
    """Synchronous Krotov-Hopfield updates with F(z) = z^power; shape (B, n)."""
    X = _patterns(X)
    S = _states("cues", cues, X.shape[1])
    power = _checks.count("power", power, minimum=2)
    for _ in range(_checks.count("steps", steps)):
        h = S @ X.T  # (B, P) similarities with every pattern
        rest = h.unsqueeze(-1) - X.unsqueeze(0) * S.unsqueeze(1)  # h_i^mu = sum_{j != i} xi_j^mu s_j, (B, P, n)
        gain = (rest + X).pow(power) - (rest - X).pow(power)
        S, previous = _sign(gain.sum(dim=1)), S
        if torch.equal(S, previous):
            break
    return S


def modern_step(X, states, beta: float) -> torch.Tensor:
    """One modern Hopfield update X^T softmax(beta X s) for each state; shape (B, n)."""
    X = _patterns(X)
    S = _states("states", states, X.shape[1])
    beta = _checks.positive("beta", beta)
    return torch.softmax(beta * S @ X.T, dim=-1) @ X


def modern_retrieve(X, cues, beta: float, steps: int = 1) -> torch.Tensor:
    """``steps`` modern updates, then the sign to read out a binary pattern; shape (B, n)."""
    S = _states("cues", cues, _patterns(X).shape[1])
    for _ in range(_checks.count("steps", steps, minimum=1)):
        S = modern_step(X, S, beta)
    return _sign(S)


RULES = ("classical", "dense", "modern")


def recall_curve(rule: str, n: int, loads, flip_prob: float, seed: int = 0, power: int = 3, beta: float | None = None, max_cues: int = 32):
    """Mean overlap after retrieval from corrupted cues of (at most ``max_cues``) stored patterns, per load P / n."""
    _checks.choice("rule", rule, RULES)
    beta = 1.0 / n**0.5 if beta is None else beta
    values = []
    for i, load in enumerate(loads):
        X = random_patterns(max(1, round(load * n)), n, seed + i)
        cues = corrupt(X, flip_prob, seed + 1000 + i)[:max_cues]
        if rule == "classical":
            S = classical_retrieve(X, cues)
        elif rule == "dense":
            S = dense_retrieve(X, cues, power=power)
        else:
            S = modern_retrieve(X, cues, beta=beta)
        values.append(overlap(S, X[: len(S)]).mean().item())
    return torch.tensor(values, dtype=DTYPE)


__all__ = [
    "random_patterns",
    "corrupt",
    "overlap",
    "hebbian_weights",
    "classical_retrieve",
    "dense_retrieve",
    "modern_step",
    "modern_retrieve",
    "RULES",
    "recall_curve",
]
