"""Hopfield networks, dense associative memories and modern Hopfield networks .

Patterns are rows of X (P, n) with entries +-1; states and cues are rows of a
(B, n) array. All three memories read the similarities X s of a state with the
stored patterns; they differ in how sharply they weight them:

- classical (Hopfield 1982): Hebbian W = X^T X / n with zero diagonal, s <- sgn(W s)
  (computed as sgn(J s) with the integer couplings J = n W, so that ties are exact);
- dense (Krotov & Hopfield 2016): s_i <- sgn(sum_mu F(xi_i^mu + h_i^mu) - F(-xi_i^mu + h_i^mu)),
  h_i^mu = sum_{j != i} xi_j^mu s_j, F(z) = z^power (power 2 is the classical rule);
- modern (Ramsauer et al. 2021): s <- X^T softmax(beta X s), one step of attention with the
  state as query and the patterns as keys and values.
sgn(0) = +1 throughout, so updates are deterministic.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
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
    if isinstance(flip_prob, bool) or not isinstance(flip_prob, Real):
        raise TypeError(f"flip_prob must be a probability in [0, 1], got {flip_prob!r} of type {type(flip_prob).__name__}.")
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
    J = couplings(X)  # sgn(J s) = sgn(W s) with J = n W integer-valued: ties (J s = 0) are exact, whatever the batch
    for _ in range(_checks.count("steps", steps)):
        S, previous = _sign(S @ J), S
        if torch.equal(S, previous):  # a fixed point: later steps change nothing
            break
    return S


def dense_retrieve(X, cues, power: int = 3, steps: int = 5) -> torch.Tensor:
    """Synchronous Krotov-Hopfield updates with F(z) = z^power; shape (B, n).

    ``models.dense.retrieve(X, cues, ("power", power), steps)``: computed without overflow
    for any power and any n (the terms are rescaled by a power of two before raising them).
    """
    from . import dense  # dense builds on this module's helpers

    return dense.retrieve(X, cues, ("power", _checks.count("power", power, minimum=2)), steps)


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
    n = _checks.count("n", n, minimum=1)
    loads = _checks.as_tensor("loads", loads, ndim=(0, 1)).reshape(-1)
    if loads.numel() == 0 or (loads <= 0).any():
        raise ValueError(f"loads must be a non-empty list of loads P / n > 0, got {loads.tolist()!r}.")
    max_cues = _checks.count("max_cues", max_cues, minimum=1)
    beta = 1.0 / n**0.5 if beta is None else beta
    values = []
    for i, load in enumerate(loads.tolist()):
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


# ---------------------------------------------------------------------------------------
# Energy, asynchronous and synchronous dynamics of the classical network
# ---------------------------------------------------------------------------------------


def couplings(X) -> torch.Tensor:
    """Integer couplings J = X^T X with zero diagonal (W = J / n); shape (n, n). Integer-valued float64: exact."""
    X = _patterns(X)
    return (X.T @ X).fill_diagonal_(0.0)


def energy(W, states) -> torch.Tensor:
    """E(s) = -1/2 s^T W s for each state; W (n, n), states (B, n) or (n,); shape (B,)."""
    W = _checks.as_tensor("W", W, ndim=2)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square (n, n) matrix, got shape {tuple(W.shape)}.")
    S = _states("states", states, W.shape[0])
    return -0.5 * ((S @ W) * S).sum(dim=1)


def async_retrieve(X, cues, sweeps: int = 20, seed: int = 0, record: bool = False):
    """Asynchronous updates s_i <- sgn(sum_j W_ij s_j), one bit at a time in a random order per sweep.

    Stops after a sweep that changes no bit (a fixed point) or after ``sweeps`` sweeps.
    Returns the final states (B, n); with ``record`` also the energies after every single-bit
    update, shape (B, 1 + updates), computed exactly from the integer couplings as
    -s^T J s / (2 n) (so that a comparison of two energies is exact), and the states after
    every update, shape (1 + updates, B, n).
    """
    X = _patterns(X)
    S = _states("cues", cues, X.shape[1])
    n = X.shape[1]
    J = couplings(X)
    generator = torch.Generator().manual_seed(_checks.count("seed", seed))
    sweeps = _checks.count("sweeps", sweeps, minimum=1)
    # One bit at a time is a loop of tiny operations: numpy runs them several times faster than torch.
    s, j = S.cpu().numpy().copy(), J.cpu().numpy()
    energies, states = [], []
    for _ in range(sweeps):
        changed = False
        for i in torch.randperm(n, generator=generator).tolist():
            new = np.where(s @ j[i] >= 0, 1.0, -1.0)  # J is symmetric: row i is column i
            if not changed and not np.array_equal(new, s[:, i]):
                changed = True
            s[:, i] = new
            if record:
                states.append(s.copy())
        if not changed:
            break
    final = torch.from_numpy(s).to(S.device)
    if not record:
        return final
    trajectory = torch.from_numpy(np.stack([S.cpu().numpy()] + states)).to(S.device)  # (1 + updates, B, n)
    energies = -0.5 * torch.einsum("tbi,ij,tbj->bt", trajectory, J, trajectory) / n  # exact: integers / (2 n)
    return final, energies, trajectory


def sync_orbit(X, cues, steps: int = 50):
    """Synchronous updates s <- sgn(W s) until the state repeats with period 1 or 2; returns (states, period).

    ``period`` (B,) is 1 at a fixed point, 2 on a two-cycle, 0 if neither was reached within
    ``steps`` (synchronous dynamics with symmetric W always end in period 1 or 2). The
    Lyapunov function L(s_t, s_{t-1}) = -s_t^T W s_{t-1} never increases along them.
    """
    X = _patterns(X)
    S = _states("cues", cues, X.shape[1])
    J = couplings(X)  # integer-valued: exact ties
    previous, period = None, torch.zeros(S.shape[0], dtype=torch.long)
    for _ in range(_checks.count("steps", steps, minimum=1)):
        new = _sign(S @ J)
        fixed = (new == S).all(dim=1)
        cycle = (new == previous).all(dim=1) & ~fixed if previous is not None else torch.zeros_like(fixed)
        period = torch.where((period == 0) & fixed, 1, torch.where((period == 0) & cycle, 2, period))
        if (period > 0).all():
            break
        previous, S = S, new
    return S, period


def fixed_point_fraction(n: int, K: int, trials: int, seed: int = 0) -> torch.Tensor:
    """Per trial, whether all K random patterns are fixed points of sgn(W s); shape (trials,) bool."""
    n, K, trials = _checks.count("n", n, minimum=2), _checks.count("K", K, minimum=1), _checks.count("trials", trials, minimum=1)
    X = random_patterns(trials * K, n, seed).reshape(trials, K, n)
    # The fields X J with J = X^T X - K I, computed as (X X^T) X - K X: K^2 n work per trial instead of n^2 K.
    fields = (X @ X.transpose(1, 2)) @ X - K * X
    return (_sign(fields) == X).flatten(1).all(dim=1)


def fixed_point_theory(n: int, K) -> torch.Tensor:
    """(1 - Phi(-sqrt((n - 1) / (K - 1))))^(n K): all n K bits stable, the crosstalk taken as independent Gaussians.

    The field on bit i of a stored pattern is (n - 1) xi_i plus a sum of (K - 1)(n - 1) random signs.
    """
    K = _checks.as_tensor("K", K, ndim=(0, 1))
    flip = 0.5 * torch.erfc(torch.sqrt((n - 1) / (K - 1).clamp(min=1e-12)) / 2**0.5)
    return torch.exp(n * K * torch.log1p(-flip))


def mixture(X, components=(0, 1, 2), signs=None) -> torch.Tensor:
    """The mixture state sgn(sum_k sign_k xi^{c_k}) of an odd number of patterns; shape (n,)."""
    X = _patterns(X)
    components = list(components)
    if len(components) % 2 == 0 or not components:
        raise ValueError(f"components must list an odd number of patterns (no ties), got {components!r}.")
    signs = torch.ones(len(components), dtype=DTYPE) if signs is None else _checks.as_tensor("signs", signs, ndim=1)
    return _sign(signs @ X[components])


KINDS = ("pattern", "mixture", "spin glass", "other")


def classify(states, X, close: float = 0.9, far: float = 0.3) -> torch.Tensor:
    """Kind of each state, as an index into ``KINDS``; shape (B,).

    pattern: |overlap| >= ``close`` with some pattern (or its negative);
    mixture: overlap >= ``close`` with the 3-mixture of its three largest |overlaps| (signs included);
    spin glass: |overlap| < ``far`` with every pattern and not a mixture; other: the rest.
    """
    X = _patterns(X)
    S = _states("states", states, X.shape[1])
    m = S @ X.T / X.shape[1]  # (B, K)
    top = m.abs().max(dim=1).values
    kind = torch.full((S.shape[0],), 3, dtype=torch.long)
    if X.shape[0] >= 3:
        idx = m.abs().topk(3, dim=1).indices  # (B, 3)
        signs = torch.sign(torch.gather(m, 1, idx))
        mixed = _sign((signs.unsqueeze(-1) * X[idx]).sum(dim=1))  # (B, n)
        is_mixture = (mixed * S).mean(dim=1) >= close
        kind = torch.where(is_mixture, 1, kind)
    else:
        is_mixture = torch.zeros(S.shape[0], dtype=torch.bool)
    kind = torch.where(~is_mixture & (top < far), 2, kind)
    return torch.where(top >= close, 0, kind)


# ---------------------------------------------------------------------------------------
# Kosko's bidirectional associative memory
# ---------------------------------------------------------------------------------------


def bam_weights(A, B) -> torch.Tensor:
    """M = sum_k a^k (b^k)^T = A^T B for pairs A (m, n), B (m, p) in {-1, +1}; shape (n, p)."""
    A, B = _patterns(A), _checks.as_tensor("B", B, ndim=2)
    if B.shape[0] != A.shape[0]:
        raise ValueError(f"A and B must hold the same number of pairs, got {A.shape[0]} and {B.shape[0]} rows.")
    return A.T @ B


def bam_energy(M, a, b) -> torch.Tensor:
    """E(a, b) = -a^T M b for each pair of rows; shape (batch,)."""
    return -((a @ M) * b).sum(dim=1)


def bam_retrieve(A, B, cues, steps: int = 20, record: bool = False):
    """Alternating updates b <- sgn(M^T a), a <- sgn(M b) from key cues (batch, n), until neither changes.

    Returns (a, b); with ``record`` also the energies -a^T M b after every half step, shape
    (batch, 1 + 2 * steps taken); the first entry is the energy of the cue and the first b.
    """
    M = bam_weights(A, B)
    a = _states("cues", cues, M.shape[0])
    b = _sign(a @ M)
    energies = [bam_energy(M, a, b)]
    for _ in range(_checks.count("steps", steps, minimum=1)):
        new_a = _sign(b @ M.T)
        energies.append(bam_energy(M, new_a, b))
        new_b = _sign(new_a @ M)
        energies.append(bam_energy(M, new_a, new_b))
        done = torch.equal(new_a, a) and torch.equal(new_b, b)
        a, b = new_a, new_b
        if done:
            break
    return (a, b, torch.stack(energies, dim=1)) if record else (a, b)


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
    "couplings",
    "energy",
    "async_retrieve",
    "sync_orbit",
    "fixed_point_fraction",
    "fixed_point_theory",
    "mixture",
    "KINDS",
    "classify",
    "bam_weights",
    "bam_energy",
    "bam_retrieve",
]
