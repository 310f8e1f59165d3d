"""Dense associative memories (Krotov & Hopfield 2016; Demircigil et al. 2017).

Patterns are the rows of X (K, d) with entries +-1, states and cues the rows of a (B, d)
array. The energy of a binary state s is

    E(s) = - sum_mu F(<xi^mu, s>)                                              (dense energy)

with a separation function F: F(z) = z^a (``("power", a)``; a = 2 is the classical
Hopfield network up to a constant) or F(z) = exp(z) (``"exp"``). One synchronous update sets
every bit to the sign that gives the lower energy, the others held fixed:

    s_i <- sgn sum_mu [ F(xi_i^mu + h_i^mu) - F(-xi_i^mu + h_i^mu) ],   h_i^mu = sum_{j != i} xi_j^mu s_j.

sgn(0) = +1. The sum is evaluated without overflow for any power and any d: for F = exp
every term is divided by exp(max_mu h^mu + 2) (only its sign matters); for a power whose
values could overflow, the overlaps are divided by a power of two 2^k >= max |h| + 2 first
(exact in floating point, so the sign is unchanged).
"""

from __future__ import annotations

import math

import torch

from .. import _checks
from .hopfield import _patterns, _sign, _states

def _separation(separation) -> tuple[str, int | None]:
    if separation == "exp":
        return "exp", None
    if isinstance(separation, (tuple, list)) and len(separation) == 2 and separation[0] == "power":
        return "power", _checks.count("the power a of separation ('power', a)", separation[1], minimum=2)
    raise ValueError(f"separation must be 'exp' or ('power', a) with an integer a >= 2, got {separation!r}.")


def _scaled_F(h: torch.Tensor, kind: str, power: int | None):
    """F(h - 2), F(h), F(h + 2) for overlaps h (B, K), all divided by one positive number per state (row)."""
    shifted = torch.stack([h - 2, h, h + 2])  # (3, B, K)
    if kind == "exp":
        return torch.exp(shifted - (h.amax(dim=1, keepdim=True) + 2))  # the largest value is exp(0) = 1
    top = (h.abs() + 2).amax(dim=1, keepdim=True)  # (B, 1) >= every |h +- 2|
    if power * math.log2(top.max().item()) > 1000:  # top^a could overflow: divide by a power of two (exact)
        shifted = shifted / torch.exp2(torch.ceil(torch.log2(top)))
    return _integer_power(shifted, power)


def _integer_power(x: torch.Tensor, power: int) -> torch.Tensor:
    """x^power by repeated squaring (a few products; faster than torch.pow for small integer powers)."""
    result, base = None, x
    while power:
        if power & 1:
            result = base if result is None else result * base
        power >>= 1
        if power:
            base = base * base
    return result


def gain(X, states, separation) -> torch.Tensor:
    """sum_mu F(xi_i^mu + h_i^mu) - F(-xi_i^mu + h_i^mu) for every bit, up to a positive factor per state; shape (B, d).

    Its sign is the new bit of one synchronous update. With h^mu = <xi^mu, s> the full overlap,
    h_i^mu = h^mu - xi_i^mu s_i takes only the values h^mu -+ 1, so the sum is

        sum_mu xi_i^mu P_mu + s_i Q,   P_mu = (F(h^mu + 2) - F(h^mu - 2)) / 2,
                                       Q = sum_mu (2 F(h^mu) - F(h^mu + 2) - F(h^mu - 2)) / 2:

    one (B, K) x (K, d) product instead of a (B, K, d) tensor. For F(z) = z^2 it is 4 (J s)_i
    with J = X^T X - K I, the classical field, exactly (integers).
    """
    X = _patterns(X)
    return _gain(X, _states("states", states, X.shape[1]), *_separation(separation))


def _gain(X: torch.Tensor, S: torch.Tensor, kind: str, power: int | None) -> torch.Tensor:
    low, mid, high = _scaled_F(S @ X.T, kind, power)
    P = (high - low) / 2
    Q = (2 * mid - high - low).sum(dim=1, keepdim=True) / 2
    return P @ X + S * Q


def retrieve(X, cues, separation, steps: int = 5) -> torch.Tensor:
    """At most ``steps`` synchronous dense updates from each cue (stops at a fixed point); shape (B, d), float64.

    X (K, d) in {-1, +1}, cues (B, d) or (d,); separation ``("power", a)`` or ``"exp"``.
    """
    X = _patterns(X)
    S = _states("cues", cues, X.shape[1])
    kind, power = _separation(separation)
    for _ in range(_checks.count("steps", steps)):
        S, previous = _sign(_gain(X, S, kind, power)), S
        if torch.equal(S, previous):
            break
    return S


def energy(X, states, separation) -> torch.Tensor:
    """E(s) = -sum_mu F(<xi^mu, s>) for each state; shape (B,). For F = exp, returned as -exp(logsumexp) (may be -inf past 709)."""
    X = _patterns(X)
    S = _states("states", states, X.shape[1])
    kind, power = _separation(separation)
    h = S @ X.T
    return -torch.exp(torch.logsumexp(h, dim=1)) if kind == "exp" else -h.pow(power).sum(dim=1)


def capacity_estimate(d: int, power: int, flip_prob: float = 0.0) -> float:
    """Signal-to-noise estimate of the largest K retrieved without error, d^(a-1) (1 - 2 rho)^(2a-2) / (2 (2a - 3)!! ln d).

    a = 2 gives the classical d / (2 ln d). The signal of the cued pattern is 2a (d (1 - 2 rho))^(a-1);
    each other pattern adds noise of variance (2a)^2 (2a - 3)!! d^(a-1); asking for no error among
    the d bits of the K patterns needs a signal-to-noise ratio of about sqrt(2 ln d).
    """
    d, power = _checks.count("d", d, minimum=2), _checks.count("power", power, minimum=2)
    if not 0 <= flip_prob < 0.5:
        raise ValueError(f"flip_prob must lie in [0, 0.5), got {flip_prob!r}.")
    double_factorial = math.prod(range(2 * power - 3, 0, -2))
    return d ** (power - 1) * (1 - 2 * flip_prob) ** (2 * power - 2) / (2 * double_factorial * math.log(d))


def retrieved_fraction(X, cues, separation, steps: int = 5, threshold: float = 1.0) -> float:
    """Fraction of cues (cue b for pattern b) whose retrieved state has overlap >= ``threshold`` with its pattern."""
    X = _patterns(X)
    S = retrieve(X, cues, separation, steps)
    return ((S * X[: len(S)]).mean(dim=1) >= threshold).double().mean().item()


__all__ = ["retrieve", "gain", "energy", "capacity_estimate", "retrieved_fraction"]
