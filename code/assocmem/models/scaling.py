"""Scaling laws for associative memories (Cabannes, Dohmatob & Bietti, ICLR 2024).

The memory of the book's core, written in one shot from data instead of learned:

    W = sum_x q(x) u_{f*(x)} e_x^T,                                    (eq-q-memory)

with N input embeddings e_x (rows of E, shape (N, d)), M output embeddings u_y (rows of
U, shape (M, d)), a target map f*: [N] -> [M] and a weight q(x) >= 0 for each input,
read by argmax: y_hat(x) = argmax_y u_y^T W e_x (ties to the smallest class). Its error
is the population 0-1 loss  L01(q) = sum_x p(x) 1{y_hat(x) != f*(x)}.

The weight q is computed from the token counts of T samples x_1..x_T ~ p by one of the
estimators of the paper:

- ``"frequency"``: q(x) = p_hat(x) = count(x) / T (what one pass of SGD from zero writes);
- ``"threshold"``: q(x) = 1 on the k most often seen tokens, k = threshold_size(d)
  (about d / (2 ln d)), and 0 elsewhere;
- ``"seen"``: q(x) = 1 on every token seen at least once.

The floor of every estimator is the data term: an association never seen is never
written, so the mass of the unseen tokens, sum_x p(x) 1{count(x) = 0}, is (up to chance
hits 1/M) a lower bound on the error (``unseen_mass``).

Scores are never formed through the d x d matrix W: writing W = U^T A with
A[y] = sum_{x: f*(x) = y} q(x) e_x (shape (M, d)) gives
S = E W^T U^T = E A^T (U U^T), which costs O(N d M) instead of O(N d^2).
Everything is float64. Batch dimensions (repetitions, estimators) lead every tensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .. import _checks, data
from .._checks import DTYPE

ESTIMATORS = ("frequency", "threshold", "seen")


# --------------------------------------------------------------------------- inputs


def _counts(counts) -> torch.Tensor:
    if not isinstance(counts, torch.Tensor):
        counts = torch.as_tensor(np.asarray(counts))
    if counts.dtype.is_floating_point or counts.dtype.is_complex or counts.dtype == torch.bool:
        raise TypeError(f"counts must hold integer token counts, got dtype {counts.dtype}.")
    if counts.ndim < 1 or counts.shape[-1] == 0:
        raise ValueError(f"counts must have shape (..., N) with N >= 1, got shape {tuple(counts.shape)}.")
    if (counts < 0).any():
        raise ValueError(f"counts must be >= 0, got a minimum of {counts.min().item()}.")
    return counts.long()


def _labels(targets, n: int, m: int) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(targets)) if not isinstance(targets, torch.Tensor) else targets
    if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
        raise TypeError(f"targets must hold integer class indices, got dtype {t.dtype}.")
    if t.ndim < 1 or t.shape[-1] != n:
        raise ValueError(f"targets must have shape (..., N) = (..., {n}), got shape {tuple(t.shape)}.")
    if t.min() < 0 or t.max() >= m:
        raise ValueError(f"targets must lie in [0, M) = [0, {m}), got values from {t.min().item()} to {t.max().item()}.")
    return t.long()


def _embeddings(E, U) -> tuple[torch.Tensor, torch.Tensor]:
    E = _checks.as_tensor("E", E)
    U = _checks.as_tensor("U", U)
    if E.ndim < 2 or U.ndim < 2:
        raise ValueError(f"E and U must have shapes (..., N, d) and (..., M, d), got {tuple(E.shape)} and {tuple(U.shape)}.")
    if E.shape[-1] != U.shape[-1]:
        raise ValueError(
            f"E and U must share the embedding dimension d: E has shape {tuple(E.shape)} (..., N, d) "
            f"and U has shape {tuple(U.shape)} (..., M, d)."
        )
    return E, U


def _weights(q, n: int) -> torch.Tensor:
    q = _checks.as_tensor("q", q)
    if q.ndim < 1 or q.shape[-1] != n:
        raise ValueError(f"q must have shape (..., N) = (..., {n}), one weight per input token, got shape {tuple(q.shape)}.")
    if (q < 0).any():
        raise ValueError(f"q must be >= 0 (a weight with which each association is written), got a minimum of {q.min().item():.3g}.")
    return q


# --------------------------------------------------------------------------- data


def _probabilities(freqs) -> torch.Tensor:
    p = _checks.as_tensor("freqs", freqs, ndim=1)
    return _checks.freqs(p, p.shape[0])


def random_targets(n: int, m: int, seed: int, repeats: int | None = None) -> torch.Tensor:
    """f*(x) drawn uniformly from [M] for each of the N inputs; shape (N,) or (repeats, N)."""
    n, m = _checks.count("n", n, minimum=1), _checks.count("m", m, minimum=1)
    generator = torch.Generator().manual_seed(_checks.count("seed", seed))
    shape = (n,) if repeats is None else (_checks.count("repeats", repeats, minimum=1), n)
    return torch.randint(0, m, shape, generator=generator)


def sample_counts(freqs, num_samples: int, seed: int, repeats: int | None = None) -> torch.Tensor:
    """Token counts of T = ``num_samples`` i.i.d. draws from ``freqs``; shape (N,) or (repeats, N), int64.

    Drawn as one multinomial per repetition (cost O(N), whatever T).
    """
    p = _probabilities(freqs)
    num_samples = _checks.count("num_samples", num_samples, minimum=1)
    rng = np.random.default_rng(_checks.count("seed", seed))
    pn = p.cpu().numpy().astype(np.float64)
    pn = pn / pn.sum()
    size = None if repeats is None else _checks.count("repeats", repeats, minimum=1)
    return torch.from_numpy(rng.multinomial(num_samples, pn, size=size)).long()


def unseen_mass(freqs, counts) -> torch.Tensor:
    """sum_x p(x) 1{count(x) = 0}: the data term, the error floor of every estimator; shape (...)."""
    counts = _counts(counts)
    p = _checks.freqs(freqs, counts.shape[-1])
    return (p * (counts == 0).to(DTYPE)).sum(-1)


def expected_unseen_mass(freqs, num_samples) -> torch.Tensor:
    """E[unseen mass] = sum_x p(x) (1 - p(x))^T, exactly; shape of ``num_samples`` (a number or a 1-D list)."""
    p = _probabilities(freqs)
    T = _checks.as_tensor("num_samples", num_samples, ndim=(0, 1))
    if (T < 0).any():
        raise ValueError(f"num_samples must be >= 0, got {T.min().item():g}.")
    return (p * torch.exp(T[..., None] * torch.log1p(-p))).sum(-1)


def zipf_unseen_asymptote(exponent: float, num_samples) -> torch.Tensor:
    """Large-T law of the unseen mass for p(x) = x^(-alpha) / zeta(alpha) on infinitely many tokens.

    sum_x p(x) exp(-T p(x)) ~ Gamma(1 - 1/alpha) / (alpha zeta(alpha)^(1/alpha)) T^(-1 + 1/alpha)  (alpha > 1).
    """
    alpha = _checks.positive("exponent", exponent)
    if alpha <= 1:
        raise ValueError(f"exponent must be > 1 for the Zipf law to be normalisable on infinitely many tokens, got {alpha}.")
    T = _checks.as_tensor("num_samples", num_samples, ndim=(0, 1))
    zeta = _zeta(alpha)
    constant = math.gamma(1 - 1 / alpha) / (alpha * zeta ** (1 / alpha))
    return constant * T ** (-1 + 1 / alpha)


def _zeta(alpha: float) -> float:
    # sum_{x <= K} x^-alpha + Euler-Maclaurin tail; exact to ~1e-12 for alpha > 1.
    K = 1000
    head = float((torch.arange(1, K + 1, dtype=DTYPE) ** -alpha).sum())
    return head + K ** (1 - alpha) / (alpha - 1) - 0.5 * K ** -alpha + alpha * K ** (-alpha - 1) / 12


# --------------------------------------------------------------------------- estimators


def threshold_size(dim: int) -> int:
    """k = max(1, round(d / (2 ln d))): how many associations a memory of dimension d stores with q = 1."""
    dim = _checks.count("dim", dim, minimum=2)
    return max(1, round(dim / (2 * math.log(dim))))


def estimator(name: str, counts, dim: int | None = None, size: int | None = None) -> torch.Tensor:
    """The weights q (..., N) that estimator ``name`` writes from the token counts (..., N); float64.

    ``"threshold"`` keeps the k most often seen tokens (ties to the smaller index), with
    k = ``size`` if given, else ``threshold_size(dim)``; never keeps an unseen token.
    """
    _checks.choice("name", name, ESTIMATORS)
    counts = _counts(counts)
    if name == "frequency":
        total = counts.sum(-1, keepdim=True)
        if (total == 0).any():
            raise ValueError("counts must hold at least one sample per repetition for the frequency estimator, got an all-zero row.")
        return counts.to(DTYPE) / total.to(DTYPE)
    seen = (counts > 0).to(DTYPE)
    if name == "seen":
        return seen
    if size is None:
        if dim is None:
            raise ValueError("estimator 'threshold' needs dim (or size), got neither.")
        size = threshold_size(dim)
    k = min(_checks.count("size", size, minimum=1), counts.shape[-1])
    # Stable descending sort on counts: equal counts keep the smaller (more frequent) index first.
    order = torch.sort(counts, dim=-1, descending=True, stable=True).indices[..., :k]
    q = torch.zeros(counts.shape, dtype=DTYPE)
    q.scatter_(-1, order, 1.0)
    return q * seen


# --------------------------------------------------------------------------- the memory


def memory(E, U, targets, q) -> torch.Tensor:
    """W = sum_x q(x) u_{f*(x)} e_x^T (eq-q-memory); shape (..., d, d). For small d: scores never need it."""
    E, U = _embeddings(E, U)
    t = _labels(targets, E.shape[-2], U.shape[-2])
    q = _weights(q, E.shape[-2])
    out_rows = torch.nn.functional.one_hot(t, U.shape[-2]).to(DTYPE) @ U      # (..., N, d): the rows u_{f*(x)}
    return torch.einsum("...n,...ni,...nj->...ij", q, out_rows, E)


def scores(E, U, targets, q) -> torch.Tensor:
    """s[..., x, y] = u_y^T W e_x for W of (eq-q-memory), as E A^T (U U^T); shape (..., N, M).

    E (B..., N, d), U (B..., M, d), targets (B..., N) or (N,), q (K..., B..., N): leading
    dimensions of q beyond those of E (several estimators on the same embeddings) are folded
    into the class dimension, so that E is multiplied once; the result is (K..., B..., N, M).
    """
    E, U = _embeddings(E, U)
    t = _labels(targets, E.shape[-2], U.shape[-2])
    return _scores(E, U, t, _weights(q, E.shape[-2]))


def _scores(E, U, t, q) -> torch.Tensor:
    n, m, d = E.shape[-2], U.shape[-2], E.shape[-1]
    try:
        batch = np.broadcast_shapes(E.shape[:-2], U.shape[:-2], t.shape[:-1])
    except ValueError:
        raise ValueError(f"E, U and targets must have broadcastable batch dimensions, got shapes {tuple(E.shape)}, "
                         f"{tuple(U.shape)} and {tuple(t.shape)}.") from None
    lead = max(q.ndim - 1 - len(batch), 0)
    extra, rest = q.shape[:lead], q.shape[lead:-1]
    try:
        if np.broadcast_shapes(rest, batch) != tuple(batch):
            raise ValueError
    except ValueError:
        raise ValueError(f"q must have shape (K..., {', '.join(map(str, batch))}, N) or broadcast to it, to match E, U and targets; "
                         f"got shape {tuple(q.shape)}.") from None
    k = int(np.prod(extra)) if extra else 1
    qk = q.reshape(k, *rest, n).expand(k, *batch, n)                         # (K, B..., N)
    qk = qk.movedim(0, -1)                                                   # (B..., N, K)
    E, U = E.expand(*batch, n, d), U.expand(*batch, m, d)
    onehot = torch.nn.functional.one_hot(t, m).to(DTYPE).expand(*batch, n, m)
    weighted = (qk[..., :, None] * onehot[..., None, :]).reshape(*batch, n, k * m)   # q(x) 1{f*(x) = y}
    A = weighted.transpose(-1, -2) @ E                                       # (B..., K M, d): A[k, y] = sum_{f*(x)=y} q_k(x) e_x
    G = U @ U.transpose(-1, -2)                                              # (B..., M, M)
    B = (A.reshape(*batch, k, m, d).transpose(-1, -2) @ G[..., None, :, :])   # (B..., K, d, M)
    B = B.movedim(-3, -2).reshape(*batch, d, k * m)                           # (B..., d, K M)
    S = (E @ B).reshape(*batch, n, k, m).movedim(-2, 0)                      # (K, B..., N, M)
    return S.reshape(*extra, *batch, n, m)


def predictions(E, U, targets, q) -> torch.Tensor:
    """argmax_y s[..., x, y] with ties to the smallest class; shape (..., N), int64."""
    return scores(E, U, targets, q).argmax(-1)


def error(E, U, freqs, targets, q) -> torch.Tensor:
    """Population 0-1 error sum_x p(x) 1{argmax_y s(x, y) != f*(x)}; shape (...)."""
    E, U = _embeddings(E, U)
    p = _checks.freqs(freqs, E.shape[-2])
    t = _labels(targets, E.shape[-2], U.shape[-2])
    return _error(E, U, p, t, _weights(q, E.shape[-2]))


def _error(E, U, p, t, q) -> torch.Tensor:
    wrong = (_scores(E, U, t, q).argmax(-1) != t).to(DTYPE)
    return (wrong * p).sum(-1)


def random_embeddings(n: int, m: int, dim: int, seed: int, repeats: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``repeats`` independent draws of (E, U) from ``data.embedding_pair`` (seeds seed, seed + 1, ...);
    shapes (repeats, N, d) and (repeats, M, d)."""
    repeats = _checks.count("repeats", repeats, minimum=1)
    pairs = [data.embedding_pair(n, m, dim, seed + r) for r in range(repeats)]
    return torch.stack([e for e, _ in pairs]), torch.stack([u for _, u in pairs])


# --------------------------------------------------------------------------- sweeps


@dataclass
class Sweep:
    """Errors of the estimators over a grid of dimensions (or of sample sizes).

    errors[name]: tensor (G, R) for a grid of G values and R repetitions; floor: (G, R), the unseen mass.
    """

    grid: list
    errors: dict
    floor: torch.Tensor
    freqs: torch.Tensor
    num_samples: list
    dims: list

    def mean(self, name: str) -> torch.Tensor:
        """Mean over repetitions; shape (G,)."""
        return (self.floor if name == "floor" else self.errors[name]).mean(-1)

    def slope(self, name: str) -> float:
        """Least-squares slope of log(mean error) against log(grid value)."""
        return fit_slope(self.grid, self.mean(name))


def fit_slope(x, y) -> float:
    """Slope of the least-squares line through (log x, log y)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y.numpy() if isinstance(y, torch.Tensor) else y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError(f"x and y must be 1-D of the same length >= 2, got shapes {x.shape} and {y.shape}.")
    if not (np.isfinite(y).all() and (y > 0).all() and (x > 0).all()):
        raise ValueError(f"x and y must be > 0 everywhere to take their logs (an error of exactly 0 has no log), got y = {y}.")
    lx, ly = np.log(x), np.log(y)
    return float(np.polyfit(lx, ly, 1)[0])


BUDGET = 2**23  # float64 entries of E held at once (64 MiB): repetitions are processed in blocks that fit


def _memory_errors(counts, freqs, targets, dim, estimators, k_size, seed):
    """Errors (K, R) of the K estimators, with embeddings seeded seed + r for repetition r."""
    n = counts.shape[-1]
    qs = torch.stack([estimator(name, counts, dim=dim, size=k_size) for name in estimators])  # (K, R, N)
    repeats = counts.shape[0]
    block = max(1, BUDGET // (n * dim))
    out = []
    for start in range(0, repeats, block):
        stop = min(repeats, start + block)
        E, U = random_embeddings(n, _num_classes(targets), dim, seed + start, stop - start)
        out.append(_error(E, U, freqs, targets[start:stop], qs[:, start:stop]))
    return torch.cat(out, dim=1)


def _num_classes(targets) -> int:
    return int(targets.max()) + 1


def _check_grid(name, values, minimum):
    values = [_checks.count(name, v, minimum=minimum) for v in values]
    if not values:
        raise ValueError(f"{name} must hold at least one value, got an empty list.")
    return values


def dimension_sweep(
    n: int = 5000,
    m: int = 10,
    exponent: float = 2.0,
    num_samples: int = 100_000,
    dims=(32, 64, 128, 256, 512),
    repeats: int = 4,
    seed: int = 0,
    estimators=ESTIMATORS,
    threshold: int | None = None,
) -> Sweep:
    """Error of each estimator against d at fixed T; one draw of the samples, the targets and the
    embeddings per repetition (the same samples and targets for every d)."""
    dims = _check_grid("dims", dims, 2)
    for name in estimators:
        _checks.choice("estimators", name, ESTIMATORS)
    p = data.zipf(_checks.count("n", n, minimum=1), exponent)
    counts = sample_counts(p, num_samples, seed, repeats)                    # (R, N)
    t = random_targets(n, m, seed, repeats)                                 # (R, N)
    rows = {name: [] for name in estimators}
    for dim in dims:
        errs = _memory_errors(counts, p, t, dim, estimators, threshold, 100_000 * seed + 10 * dim)
        for name, e in zip(estimators, errs):
            rows[name].append(e)
    floor = unseen_mass(p, counts).expand(len(dims), -1)
    return Sweep(dims, {k: torch.stack(v) for k, v in rows.items()}, floor, p, [num_samples], dims)


def sample_sweep(
    n: int = 5000,
    m: int = 10,
    exponent: float = 2.0,
    num_samples=(100, 1000, 10_000, 100_000, 1_000_000),
    dim: int = 256,
    repeats: int = 4,
    seed: int = 0,
    estimators=ESTIMATORS,
    threshold: int | None = None,
) -> Sweep:
    """Error of each estimator against T at fixed d; the embeddings and targets are shared by every T."""
    Ts = _check_grid("num_samples", num_samples, 1)
    for name in estimators:
        _checks.choice("estimators", name, ESTIMATORS)
    p = data.zipf(_checks.count("n", n, minimum=1), exponent)
    t = random_targets(n, m, seed, repeats)
    rows = {name: [] for name in estimators}
    floors = []
    for i, T in enumerate(Ts):
        counts = sample_counts(p, T, 10_000 * seed + i + 1, repeats)
        errs = _memory_errors(counts, p, t, dim, estimators, threshold, 100_000 * seed + 10 * dim)
        for name, e in zip(estimators, errs):
            rows[name].append(e)
        floors.append(unseen_mass(p, counts))
    return Sweep(Ts, {k: torch.stack(v) for k, v in rows.items()}, torch.stack(floors), p, Ts, [dim])


def crosstalk_variance(U, targets, q, x: int, y: int) -> torch.Tensor:
    """Variance of the crosstalk in the gap s(x, f*(x)) - s(x, y) (eq-crosstalk-variance):

        (1/d) sum_{x' != x} q(x')^2 <u_{f*(x)} - u_y, u_{f*(x')}>^2,

    over the input embeddings drawn i.i.d. uniformly on the unit sphere of R^d, given U; a scalar."""
    U = _checks.as_tensor("U", U, ndim=2)
    q = _weights(q, q.shape[-1] if hasattr(q, "shape") else len(q))
    if q.ndim != 1:
        raise ValueError(f"q must have shape (N,), got shape {tuple(q.shape)}.")
    n = q.shape[0]
    t = _labels(targets, n, U.shape[0])
    if t.ndim != 1:
        raise ValueError(f"targets must have shape (N,), got shape {tuple(t.shape)}.")
    x = _checks.count("x", x)
    y = _checks.count("y", y)
    if x >= n:
        raise ValueError(f"x must be an input token in [0, N) = [0, {n}), got {x}.")
    if y >= U.shape[0] or y == t[x].item():
        raise ValueError(f"y must be a wrong class for x: in [0, M) = [0, {U.shape[0]}) and != f*(x) = {t[x].item()}, got {y}.")
    c = (U[t[x]] - U[y]) @ U[t].T                     # (N,)
    others = torch.ones(n, dtype=DTYPE)
    others[x] = 0
    return (others * q**2 * c**2).sum() / U.shape[1]


__all__ = [
    "ESTIMATORS", "random_targets", "sample_counts", "unseen_mass", "expected_unseen_mass", "zipf_unseen_asymptote",
    "threshold_size", "estimator", "memory", "scores", "predictions", "error", "random_embeddings",
    "Sweep", "fit_slope", "dimension_sweep", "sample_sweep", "crosstalk_variance",
]
