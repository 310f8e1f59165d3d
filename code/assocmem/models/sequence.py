"""Sequence memories: Hopfield-like networks that store a sequence xi^1 -> xi^2 -> ... -> xi^(P+1).

A sequence of P + 1 patterns xi^mu in {-1, +1}^d (rows of ``patterns``, shape (P + 1, d), or a
batch of sequences, shape (B, P + 1, d)) is stored as the P transitions xi^mu -> xi^(mu+1),
mu = 1..P. The state s in {-1, +1}^d is updated synchronously by (Chaudhry, Zavatone-Veth,
Krotov & Pehlevan, NeurIPS 2023)

    s_i(t+1) = sgn[ sum_{mu=1}^{P} xi_i^(mu+1) f( m_mu(s(t)) ) ],    m_mu(s) = (1/d) <xi^mu, s>,   (eq-seq-update)

with the interaction (separation) function f given by ``interaction``:

- ``("power", 1)``: f(x) = x, the classical temporally asymmetric Hebbian rule ("SeqNet"),
  s(t+1) = sgn(W s(t)) with W = (1/d) sum_mu xi^(mu+1) (xi^mu)^T (see :func:`store`);
- ``("power", n)``: f(x) = x^n, the polynomial network ("DenseNet");
- ``"exp"``: f(x) = exp(d (x - 1)), the exponential network.

sgn(0) = +1 throughout, so the dynamics are deterministic.

Only the sign of the sum matters, so every field is computed up to a positive factor that
depends on the state only: (m / max|m|)^n instead of m^n and exp(d (m - max m)) instead of
exp(d (m - 1)). The largest term is then exactly 1 and nothing overflows or underflows to an
all-zero field, at any d and n (the raw exp(d (m - 1)) is below 1e-308 for every pattern when
d = 1000 and the state is a noisy cue).

``rule="pseudoinverse"`` replaces the overlaps m by the decorrelated overlaps
a = O^+ m, with O_{mu nu} = (1/d) <xi^mu, xi^nu> the overlap matrix of the P stored keys: when the
keys are linearly independent a(xi^kappa) = e_kappa exactly, so every transition is exact however
correlated the patterns are (for f(0) = 0; for "exp" the others weigh exp(-d)). For
``("power", 1)`` this is the matrix W = (1/d) sum_{mu, nu} xi^(mu+1) (O^+)_{mu nu} (xi^nu)^T.

:func:`recall_mixed` adds a symmetric (auto-associative) term that holds the current pattern and a
delayed asymmetric term that moves on after a chosen number of steps: a sequence with variable
timing.
"""

from __future__ import annotations

import math
from numbers import Integral

import torch

from .. import _checks
from .._checks import DTYPE

RULES = ("hebbian", "pseudoinverse")


# ---------------------------------------------------------------- input checks


def interaction_spec(interaction) -> tuple[str, int | None]:
    """Check ``interaction`` and return ``("power", n)`` or ``("exp", None)``."""
    if isinstance(interaction, str):
        if interaction == "exp":
            return ("exp", None)
    elif isinstance(interaction, (tuple, list)) and len(interaction) == 2 and interaction[0] == "power":
        n = interaction[1]
        if isinstance(n, Integral) and not isinstance(n, bool) and n >= 1:
            return ("power", int(n))
        raise ValueError(f"interaction ('power', n) needs an integer n >= 1, got n = {n!r}.")
    elif isinstance(interaction, (tuple, list)) and len(interaction) == 1 and interaction[0] == "exp":
        return ("exp", None)
    raise ValueError(
        f"interaction must be ('power', n) with an integer n >= 1 (n = 1 is the classical rule) or 'exp', got {interaction!r}."
    )


def _pm_one(name: str, value, ndim) -> torch.Tensor:
    tensor = _checks.as_tensor(name, value, ndim=ndim)
    if tensor.numel() == 0 or tensor.shape[-1] == 0:
        raise ValueError(f"{name} must be non-empty, got shape {tuple(tensor.shape)}.")
    if not torch.all((tensor == 1) | (tensor == -1)):
        bad = tensor[(tensor != 1) & (tensor != -1)][0].item()
        raise ValueError(f"{name} must have entries +1 or -1 (binary patterns), got an entry {bad:g}; binarise first, e.g. torch.where(x >= 0, 1.0, -1.0).")
    return tensor


def _sequence(patterns) -> tuple[torch.Tensor, bool]:
    """Check a sequence (P + 1, d) or a batch (B, P + 1, d); returns (B, P + 1, d) and whether it was one sequence."""
    X = _pm_one("patterns", patterns, ndim=(2, 3))
    single = X.ndim == 2
    X = X.unsqueeze(0) if single else X
    if X.shape[1] < 2:
        raise ValueError(
            f"patterns must hold at least 2 patterns (one transition) along dimension -2, got shape {tuple(X.shape)}."
        )
    return X, single


def _rule(rule) -> str:
    return _checks.choice("rule", rule, RULES)


def _sign(z: torch.Tensor) -> torch.Tensor:
    return torch.where(z >= 0, torch.ones((), dtype=z.dtype, device=z.device), -torch.ones((), dtype=z.dtype, device=z.device))


# ---------------------------------------------------------------- the update


def separation(overlaps, interaction, dim: int) -> torch.Tensor:
    """f(overlaps) up to a positive factor per row (last dimension), computed without overflow.

    ``overlaps`` (..., P): normalised overlaps m_mu in [-1, 1] (or decorrelated overlaps).
    Returns c (f(m_1), ..., f(m_P)) with c > 0 constant along the last dimension: m itself for
    ("power", 1), (m / max|m|)^n for ("power", n), exp(d (m - max m)) for "exp". The largest
    entry has magnitude exactly 1, so sum_mu xi^(mu+1) f(m_mu) keeps its sign and is never
    an underflowed zero.
    """
    kind, n = interaction_spec(interaction)
    m = _checks.as_tensor("overlaps", overlaps) if not isinstance(overlaps, torch.Tensor) else overlaps.to(DTYPE)
    if kind == "power":
        if n == 1:
            return m
        scale = m.abs().amax(dim=-1, keepdim=True)
        return (m / torch.where(scale > 0, scale, torch.ones_like(scale))).pow(n)
    dim = _checks.count("dim", dim, minimum=1)
    return torch.exp(dim * (m - m.amax(dim=-1, keepdim=True)))


def _decorrelator(keys: torch.Tensor) -> torch.Tensor:
    """(O^+)^T for the overlap matrix O = K K^T / d of the keys (B, P, d); shape (B, P, P)."""
    O = keys @ keys.transpose(-1, -2) / keys.shape[-1]
    return torch.linalg.pinv(O, hermitian=True).transpose(-1, -2)


def _fields(keys, values, states, interaction, decorrelate=None) -> torch.Tensor:
    """sum_mu values_mu f(m_mu(state)) for states (B, S, d); returns (B, S, d), up to a positive factor per state.

    The overlaps G = d m = <state, xi^mu> of +-1 vectors are integers, held exactly in float64. For
    ("power", n) the field is formed from G^n in exact integer arithmetic while d^n P < 2^52 (so the
    sign is exact, ties included), else from (G / max|G|)^n; for "exp" from exp(G - max G) =
    exp(d (m - max m)).
    """
    d, P = keys.shape[-1], keys.shape[-2]
    G = states @ keys.transpose(-1, -2)  # (B, S, P), integers
    kind, n = interaction_spec(interaction)
    if decorrelate is not None:
        F = separation((G / d) @ decorrelate, interaction, d)
    elif kind == "exp":
        F = torch.exp(G - G.amax(dim=-1, keepdim=True))
    elif n == 1:
        F = G
    elif n * math.log(d) + math.log(P) < 52 * math.log(2):
        F = G.pow(n)
    else:
        scale = G.abs().amax(dim=-1, keepdim=True)
        F = (G / torch.where(scale > 0, scale, torch.ones_like(scale))).pow(n)
    return F @ values


def store(patterns, rule: str = "hebbian") -> torch.Tensor:
    """The classical (f(x) = x) sequence memory as a matrix; shape (d, d), or (B, d, d) for a batch.

    ``rule="hebbian"``: W = (1/d) sum_{mu=1}^{P} xi^(mu+1) (xi^mu)^T, the temporally asymmetric
    Hebbian rule (Sompolinsky & Kanter 1986; Kleinfeld 1986).
    ``rule="pseudoinverse"``: W = (1/d) sum_{mu, nu} xi^(mu+1) (O^+)_{mu nu} (xi^nu)^T with
    O = (1/d) K K^T the overlap matrix of the keys xi^1..xi^P; W xi^kappa = xi^(kappa+1) whenever
    the keys are linearly independent.
    ``recall(patterns, start, steps, ("power", 1), rule)`` iterates s <- sgn(W s).
    """
    X, single = _sequence(patterns)
    keys, values = X[:, :-1], X[:, 1:]
    if _rule(rule) == "pseudoinverse":
        keys = _decorrelator(keys).transpose(-1, -2) @ keys  # rows sum_nu (O^+)_{mu nu} xi^nu
    W = values.transpose(-1, -2) @ keys / X.shape[-1]
    return W[0] if single else W


def _start_states(start, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The start states (B, d) and the sequences (B, P + 1, d); one sequence is shared by a batch of start states."""
    if isinstance(start, Integral) and not isinstance(start, bool):
        if not 0 <= start < X.shape[1]:
            raise ValueError(f"start must be a pattern index in [0, {X.shape[1] - 1}] or a state, got {start}.")
        return X[:, int(start)].clone(), X
    S = _pm_one("start", start, ndim=(1, 2))
    if S.shape[-1] != X.shape[-1]:
        raise ValueError(f"start must have d = {X.shape[-1]} entries to match the patterns, got shape {tuple(S.shape)}.")
    S = S.to(X.device)
    if S.ndim == 1:
        return S.expand(X.shape[0], -1).clone(), X
    if X.shape[0] == 1:
        return S.clone(), X.expand(S.shape[0], -1, -1)
    if S.shape[0] != X.shape[0]:
        raise ValueError(f"start must have one state per sequence ({X.shape[0]}) or belong to one sequence, got shape {tuple(S.shape)}.")
    return S.clone(), X


def _batched_start(start) -> bool:
    """Whether ``start`` (already checked) is a batch of states (B, d)."""
    return not isinstance(start, Integral) and torch.as_tensor(start).ndim == 2


def recall(patterns, start=0, steps: int | None = None, interaction=("power", 1), rule: str = "hebbian") -> torch.Tensor:
    """Run the sequence network (eq-seq-update) for ``steps`` synchronous steps from ``start``.

    patterns: (P + 1, d) or (B, P + 1, d) entries +-1, the sequence(s) xi^1..xi^(P+1); the keys are
    xi^1..xi^P and the values xi^2..xi^(P+1).
    start: an index into the patterns (0 means xi^1) or a state (d,) or (B, d) of +-1 entries (B start
    states for one sequence (P + 1, d) run as B independent recalls of that sequence).
    steps: number of updates (default P, the length of the stored sequence).
    interaction: ("power", n) or "exp"; rule: "hebbian" or "pseudoinverse".
    Returns the trajectory, shape (steps + 1, d) or (B, steps + 1, d): entry t is the state after t
    updates (entry 0 is the start), so a perfect recall from start = 0 with steps = P returns the
    patterns themselves.
    """
    X, single = _sequence(patterns)
    interaction_spec(interaction)
    steps = X.shape[1] - 1 if steps is None else _checks.count("steps", steps)
    S, X = _start_states(start, X)
    single = single and not _batched_start(start)
    keys, values = X[:, :-1], X[:, 1:]
    decorrelate = _decorrelator(keys) if _rule(rule) == "pseudoinverse" else None
    trajectory = [S]
    for _ in range(steps):
        S = _sign(_fields(keys, values, S.unsqueeze(1), interaction, decorrelate).squeeze(1))
        trajectory.append(S)
    out = torch.stack(trajectory, dim=1)
    return out[0] if single else out


def transition_errors(patterns, interaction=("power", 1), rule: str = "hebbian") -> torch.Tensor:
    """Wrong bits of each one-step transition started exactly at a stored key; shape (P,) or (B, P).

    Entry mu counts the i with sgn[field_i(xi^mu)] != xi_i^(mu+1). All P transitions are computed at
    once (one (P, P) matrix of overlaps per sequence). A recall from xi^1 reproduces the whole
    sequence if and only if every entry is zero: by induction, the state after t exact steps is
    xi^(t+1).
    """
    X, single = _sequence(patterns)
    keys, values = X[:, :-1], X[:, 1:]
    decorrelate = _decorrelator(keys) if _rule(rule) == "pseudoinverse" else None
    nxt = _sign(_fields(keys, values, keys, interaction, decorrelate))
    wrong = (nxt != values).sum(dim=-1)
    return wrong[0] if single else wrong


def random_sequences(dim: int, length: int, trials: int, seed: int, device=None) -> torch.Tensor:
    """``trials`` sequences of ``length + 1`` i.i.d. uniform +-1 patterns; shape (trials, length + 1, dim)."""
    dim = _checks.count("dim", dim, minimum=1)
    length = _checks.count("length", length, minimum=1)
    trials = _checks.count("trials", trials, minimum=1)
    generator = torch.Generator().manual_seed(_checks.count("seed", seed))
    bits = torch.randint(0, 2, (trials, length + 1, dim), generator=generator)
    return (2 * bits - 1).to(DTYPE).to(device or "cpu")


def recall_success(dim: int, length: int, interaction=("power", 1), trials: int = 20, seed: int = 0, rule: str = "hebbian", device=None) -> float:
    """Fraction of ``trials`` random sequences (P = ``length`` transitions of d = ``dim`` bits) recalled exactly.

    Each trial draws xi^1..xi^(P+1) uniformly in {-1, +1}^d, stores them, starts the network at
    xi^1 and counts a success when every one of the P transitions is exact (all d bits). Computed
    with :func:`transition_errors` in chunks of trials so that memory stays below ~ 250 MB.
    """
    interaction_spec(interaction)
    _rule(rule)
    X = random_sequences(dim, length, trials, seed, device=device)
    chunk = max(1, int(1e7 // (length * length + 2 * length * dim)))
    successes = 0
    for lo in range(0, trials, chunk):
        errors = transition_errors(X[lo : lo + chunk], interaction, rule)
        successes += int((errors.sum(dim=-1) == 0).sum())
    return successes / trials


# ---------------------------------------------------------------- the mixed network (variable timing)


def _log_f(m: torch.Tensor, interaction, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """log |f(m)| and sgn f(m), so that products and sums of f can be formed without overflow."""
    kind, n = interaction_spec(interaction)
    if kind == "exp":
        return dim * (m - 1), torch.ones_like(m)
    log = n * torch.log(m.abs())  # -inf where m = 0, which weighs 0
    sign = torch.sign(m) ** n
    return log, torch.where(m == 0, torch.ones_like(sign), sign)


def _signed_sum(log_weights: torch.Tensor, signs: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """sum_k signs_k exp(log_weights_k) values_k up to a positive factor; (B, K), (B, K), (B, K, d) -> (B, d)."""
    top = log_weights.amax(dim=-1, keepdim=True)
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
    weights = signs * torch.exp(log_weights - top)
    return (weights.unsqueeze(-2) @ values).squeeze(-2)


def recall_mixed(patterns, start=0, steps: int | None = None, interaction=("power", 3), delays=2, strength: float = 2.0, gated: bool = True) -> torch.Tensor:
    """A sequence with its own dwell time in each pattern: symmetric term + delayed asymmetric term.

    With m_mu(t) = (1/d) <xi^mu, s(t)> and tau_mu = ``delays[mu]`` (one delay per transition, or one
    for all), the update is

        s(t+1) = sgn[ sum_{mu=1}^{P+1} xi^mu f(m_mu(t))                                  (hold)
                      + lambda sum_{mu=1}^{P} xi^(mu+1) f(m_mu(t)) f(m_mu(t - tau_mu)) ]   (move on, gated)

    and with ``gated=False`` the second term is lambda sum_mu xi^(mu+1) f(m_mu(t - tau_mu)), the
    symmetric-plus-delayed-asymmetric network of Sompolinsky & Kanter (1986) and Kleinfeld (1986).
    States before t = 0 are taken as 0 (no overlap with any pattern). With lambda = ``strength`` > 1
    the move-on term wins once it is active, so the network stays tau_mu + 1 steps in xi^mu: the
    gate (the current overlap as a factor) switches the transition off as soon as the state has
    left xi^mu, so that a long delay of an earlier transition cannot pull the state back.

    patterns (P + 1, d) or (B, P + 1, d); returns the trajectory (steps + 1, d) or (B, steps + 1, d).
    The default number of steps is the sum of the dwell times, sum_mu (tau_mu + 1).
    """
    X, single = _sequence(patterns)
    B, count, d = X.shape
    P = count - 1
    interaction_spec(interaction)
    strength = _checks.positive("strength", strength)
    if isinstance(delays, Integral) and not isinstance(delays, bool):
        tau = torch.full((P,), _checks.count("delays", delays), dtype=torch.long)
    else:
        tau = torch.as_tensor(delays)
        if tau.dtype.is_floating_point or tau.dtype == torch.bool or tau.ndim != 1 or tau.shape[0] != P or (tau < 0).any():
            raise ValueError(f"delays must be an integer >= 0 or {P} integers >= 0 (one per transition), got {delays!r}.")
        tau = tau.long()
    steps = int((tau + 1).sum()) if steps is None else _checks.count("steps", steps)
    S, X = _start_states(start, X)
    single = single and not _batched_start(start)
    B = X.shape[0]
    keys, values = X[:, :-1], X[:, 1:]
    history = torch.zeros(B, int(tau.max()) + steps + 1, count, dtype=DTYPE, device=X.device)  # overlaps m(t) with all P + 1 patterns
    offset = int(tau.max())  # history[:, offset + t] holds m(t); earlier rows are the zero past
    index = torch.arange(P, device=X.device)
    trajectory = [S]
    for t in range(steps):
        m = (S.unsqueeze(1) @ X.transpose(-1, -2)).squeeze(1) / d  # (B, P + 1)
        history[:, offset + t] = m
        delayed = history[:, offset + t - tau.to(X.device), index]  # (B, P): m_mu(t - tau_mu)
        log_hold, sign_hold = _log_f(m, interaction, d)
        log_move, sign_move = _log_f(delayed, interaction, d)
        if gated:
            log_move, sign_move = log_move + log_hold[:, :P], sign_move * sign_hold[:, :P]
        log_w = torch.cat([log_hold, log_move + math.log(strength)], dim=-1)
        signs = torch.cat([sign_hold, sign_move], dim=-1)
        S = _sign(_signed_sum(log_w, signs, torch.cat([X, values], dim=1)))
        trajectory.append(S)
    out = torch.stack(trajectory, dim=1)
    return out[0] if single else out


def dwell_times(trajectory, patterns) -> list[list[int]]:
    """The run-length encoding of a recalled trajectory: [(pattern index, steps spent), ...] per sequence.

    trajectory (T, d) or (B, T, d); patterns (P + 1, d) or (B, P + 1, d). A state equal to no
    pattern is reported as index -1. Returns one list of (index, count) pairs per sequence.
    """
    X, single = _sequence(patterns)
    S = _pm_one("trajectory", trajectory, ndim=(2, 3))
    S = S.unsqueeze(0) if S.ndim == 2 else S
    if S.shape[-1] != X.shape[-1] or S.shape[0] != X.shape[0]:
        raise ValueError(f"trajectory {tuple(S.shape)} does not match patterns {tuple(X.shape)}: expected (B, T, d) with the same B and d.")
    equal = (S.unsqueeze(2) == X.unsqueeze(1)).all(dim=-1)  # (B, T, P + 1)
    which = torch.where(equal.any(-1), equal.double().argmax(-1), torch.full(equal.shape[:2], -1))
    runs = []
    for row in which.tolist():
        seq: list[list[int]] = []
        for value in row:
            if seq and seq[-1][0] == value:
                seq[-1][1] += 1
            else:
                seq.append([value, 1])
        runs.append([tuple(r) for r in seq])
    return runs


# ---------------------------------------------------------------- theory: signal and crosstalk


def overlap_moment(dim: int, order: int) -> float:
    """E[m^order] for the overlap m = (1/d) sum_j s_j of d independent signs (exact, any d)."""
    dim = _checks.count("dim", dim, minimum=1)
    order = _checks.count("order", order)
    total = 0.0
    for k in range(dim + 1):
        log_p = math.lgamma(dim + 1) - math.lgamma(k + 1) - math.lgamma(dim - k + 1) - dim * math.log(2)
        value = (2 * k - dim) / dim
        if value != 0 or order == 0:
            total += math.exp(log_p + order * math.log(abs(value))) * (1 if value >= 0 or order % 2 == 0 else -1)
    return total


def crosstalk_variance(dim: int, length: int, interaction) -> float:
    """Variance of the crosstalk sum_{nu != mu} xi_i^(nu+1) f(m_nu) on one bit at the state xi^mu.

    The P - 1 other keys have independent overlaps m_nu = (1/d) <xi^nu, xi^mu>, so the variance is
    (P - 1) E[f(m)^2]: (P - 1) E[m^(2n)] for f(x) = x^n ((2n - 1)!! / d^n for large d), and
    (P - 1) ((1 + e^-4) / 2)^d for f(x) = exp(d (x - 1)) = exp(-2 h) with h the Hamming distance.
    The signal is f(1) = 1.
    """
    kind, n = interaction_spec(interaction)
    dim = _checks.count("dim", dim, minimum=1)
    length = _checks.count("length", length, minimum=1)
    if kind == "exp":
        return (length - 1) * math.exp(dim * math.log((1 + math.exp(-4)) / 2))
    return (length - 1) * overlap_moment(dim, 2 * n)


def theory_success(dim: int, length: int, interaction) -> float:
    """Derived probability that all P d bits of a stored random sequence are recalled exactly.

    ("power", n): each bit is wrong when the crosstalk (approximately Gaussian, variance sigma^2
    from :func:`crosstalk_variance`) beats the signal 1, q = Phi(-1 / sigma); treating the P d bits
    as independent, success = (1 - q)^(P d).
    "exp": the crosstalk exp(-2 h) of a key at Hamming distance h >= 1 is at most e^-2, so a
    transition fails only when another key equals the current one (h = 0, a tie on the bits where
    their successors differ). With P keys drawn uniformly from 2^d states (birthday problem),
    success = exp(-P (P - 1) / 2^(d + 1)).
    """
    kind, _ = interaction_spec(interaction)
    dim = _checks.count("dim", dim, minimum=1)
    length = _checks.count("length", length, minimum=1)
    if kind == "exp":
        return math.exp(-length * (length - 1) / 2.0 ** (dim + 1))
    sigma2 = crosstalk_variance(dim, length, interaction)
    if sigma2 <= 0:
        return 1.0
    q = 0.5 * math.erfc(1.0 / math.sqrt(2.0 * sigma2))
    return math.exp(length * dim * math.log1p(-q)) if q < 1 else 0.0


def crosstalk(patterns, interaction=("power", 1)) -> torch.Tensor:
    """The crosstalk of every bit of every transition: xi_i^(mu+1) [sum_nu xi_i^(nu+1) f(m_nu(xi^mu))] - 1.

    Uses the unscaled f(m) = m^n (no overflow since |m| <= 1; for large n the small terms underflow
    harmlessly); the signal f(1) = 1 is subtracted, so a bit is wrong when its entry is below -1.
    patterns (P + 1, d) or (B, P + 1, d); returns (P, d) or (B, P, d). Only for ("power", n).
    """
    kind, n = interaction_spec(interaction)
    if kind != "power":
        raise ValueError(f"crosstalk is defined here for ('power', n) only, got {interaction!r}.")
    X, single = _sequence(patterns)
    keys, values = X[:, :-1], X[:, 1:]
    m = keys @ keys.transpose(-1, -2) / X.shape[-1]
    noise = values * (m.pow(n) @ values) - 1
    return noise[0] if single else noise


def theory_capacity(dim: int, interaction, success: float = 0.5, max_length: float = 1e12) -> float:
    """The sequence length P at which :func:`theory_success` falls to ``success`` (bisection in log P)."""
    if not 0 < success < 1:
        raise ValueError(f"success must lie in (0, 1), got {success!r}.")
    lo, hi = 1.0, float(max_length)
    if theory_success(dim, 2, interaction) < success:
        return 1.0
    if theory_success(dim, int(hi), interaction) >= success:
        return hi
    for _ in range(200):  # bisection on log P, bounded
        mid = math.sqrt(lo * hi)
        if theory_success(dim, max(2, int(round(mid))), interaction) >= success:
            lo = mid
        else:
            hi = mid
        if hi / lo < 1.0005:
            break
    return math.sqrt(lo * hi)


def double_factorial(k: int) -> int:
    """k!! = k (k - 2) (k - 4) ... (1 or 2); (-1)!! = 1."""
    return math.prod(range(k, 0, -2)) if k > 0 else 1


def asymptotic_capacity(dim: int, interaction, criterion: str = "sequence") -> float:
    """The large-d capacity of the signal-to-noise argument.

    ("power", n): a bit fails with probability q ~ exp(-1 / (2 sigma^2)), sigma^2 ~ P (2n - 1)!! / d^n.
    ``criterion="transition"``: one transition exact (d q ~ 1), P = d^n / (2 (2n - 1)!! ln d); for
    n = 1 the classical d / (2 ln d).
    ``criterion="sequence"``: all P transitions exact (P d q ~ 1), the solution of
    P = d^n / (2 (2n - 1)!! ln(P d)), which is d^n / (2 (n + 1) (2n - 1)!! ln d) to leading order.
    "exp" (birthday bound, see :func:`theory_success`): one transition fails with probability about
    P / 2^d, so "transition" gives 2^d / 2 and "sequence" (success 1/2) sqrt(2 ln 2) 2^(d/2).
    """
    kind, n = interaction_spec(interaction)
    dim = _checks.count("dim", dim, minimum=2)
    sequence = _checks.choice("criterion", criterion, ("sequence", "transition")) == "sequence"
    if kind == "exp":
        return math.sqrt(2 * math.log(2)) * 2 ** (dim / 2) if sequence else 2.0 ** (dim - 1)
    base = dim**n / (2 * double_factorial(2 * n - 1))
    capacity = base / math.log(dim)
    if sequence:
        for _ in range(100):  # fixed point of P = base / ln(P d); converges in a few steps
            capacity, previous = base / math.log(max(capacity, 1.0) * dim), capacity
            if abs(capacity - previous) <= 1e-9 * capacity:
                break
    return capacity


__all__ = [
    "RULES",
    "interaction_spec",
    "separation",
    "store",
    "recall",
    "transition_errors",
    "random_sequences",
    "recall_success",
    "crosstalk",
    "recall_mixed",
    "dwell_times",
    "overlap_moment",
    "crosstalk_variance",
    "theory_success",
    "theory_capacity",
    "double_factorial",
    "asymptotic_capacity",
]
