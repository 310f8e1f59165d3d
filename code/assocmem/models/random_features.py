"""A dense associative memory in a fixed number of weights: random features (DrDAM).

Hoover, Chau, Strobelt, Ram and Krotov (NeurIPS 2024). K patterns xi^mu in R^D, rows of
Xi (K, D); queries and states are rows of a (B, D) array; everything is float64.

The memory representation (MrDAM) keeps every pattern and descends

    E(x) = -(1/beta) log sum_mu exp(-(beta/2) ||x - xi^mu||^2),                     (MrDAM)
    grad E(x) = x - sum_mu softmax_mu(-(beta/2) ||x - xi^mu||^2) xi^mu.

The distributed representation (DrDAM) replaces the Gaussian kernel by an inner product
of random Fourier features phi: R^D -> R^Y (Rahimi & Recht 2007) and keeps the single
vector T = sum_mu phi(xi^mu) of Y numbers, whatever K:

    cos:    phi(x) = sqrt(2/Y) cos(sqrt(beta) S x + b),   S ~ N(0, 1)^(Y x D), b ~ U[0, 2 pi)^Y,
    sincos: phi(x) = sqrt(2/Y) [cos(sqrt(beta) S x), sin(sqrt(beta) S x)],  S ~ N(0, 1)^(Y/2 x D),

so that E[phi(x)^T phi(y)] = exp(-(beta/2) ||x - y||^2), and

    E_Dr(x) = -(1/beta) log max(phi(x)^T T, eps),                                   (DrDAM)

with eps = 1e-5 as in the authors' ``kernel_sims.py`` (the estimate can be zero or negative
far from the memories, where the logarithm does not exist; there the gradient is zero).
Adding a memory is T <- T + phi(xi_new): no new weight. ``num_features`` Y is always the
length of phi(x) (the number of weights of T), so both kinds cost the same memory.

The random matrix S (and b) is drawn from ``seed``: the same (seed, D, Y, kind) always
gives the same features, so S need not be stored.
"""

from __future__ import annotations

import math

import torch

from .. import _checks
from .._checks import DTYPE

KINDS = ("cos", "sincos")
EPS = 1e-5


# ----------------------------------------------------------------------------- checks

def _points(name: str, value, dim: int | None = None) -> torch.Tensor:
    """A (B, D) array of points (a single (D,) point becomes (1, D))."""
    x = _checks.as_tensor(name, value, ndim=(1, 2))
    x = x.unsqueeze(0) if x.ndim == 1 else x
    if x.shape[1] == 0:
        raise ValueError(f"{name} must have at least one coordinate per row, got shape {tuple(x.shape)}.")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"{name} must have D = {dim} coordinates per row to match the patterns, got shape {tuple(x.shape)}.")
    return x


def _patterns(patterns) -> torch.Tensor:
    xi = _checks.as_tensor("patterns", patterns, ndim=2)
    if xi.shape[0] == 0 or xi.shape[1] == 0:
        raise ValueError(f"patterns must hold at least one pattern of length >= 1, got shape {tuple(xi.shape)}.")
    return xi


def _num_features(value, kind: str) -> int:
    y = _checks.count("num_features", value, minimum=1)
    if kind == "sincos" and y % 2:
        raise ValueError(f"num_features must be even for kind='sincos' (Y/2 frequencies, each a cos and a sin), got {y}.")
    return y


def _memory_vector(T, kind: str) -> torch.Tensor:
    T = _checks.as_tensor("T", T, ndim=1)
    if T.shape[0] == 0:
        raise ValueError("T must hold at least one feature, got an empty vector.")
    if kind == "sincos" and T.shape[0] % 2:
        raise ValueError(f"T must have an even length Y for kind='sincos' (a cos and a sin per frequency), got length {T.shape[0]}.")
    return T


def _seed(seed) -> int:
    return _checks.count("seed", seed)


# ----------------------------------------------------------------------------- features

def projection(dim: int, num_features: int, seed: int, kind: str = "cos", device=None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The random frequencies S (F, D), F = Y (cos) or Y/2 (sincos), and phases b (Y,) or None.

    Drawn from ``seed`` alone (the same arguments always give the same draw).
    """
    _checks.choice("kind", kind, KINDS)
    dim = _checks.count("dim", dim, minimum=1)
    y = _num_features(num_features, kind)
    generator = torch.Generator().manual_seed(_seed(seed))
    rows = y if kind == "cos" else y // 2
    S = torch.randn(rows, dim, generator=generator, dtype=DTYPE)
    b = 2 * math.pi * torch.rand(rows, generator=generator, dtype=DTYPE) if kind == "cos" else None
    if device is not None:
        S = S.to(device)
        b = None if b is None else b.to(device)
    return S, b


def _phases(x: torch.Tensor, S: torch.Tensor, b: torch.Tensor | None, beta: float) -> torch.Tensor:
    h = math.sqrt(beta) * x @ S.T
    return h if b is None else h + b


def _phi(h: torch.Tensor, y: int, kind: str) -> torch.Tensor:
    scale = math.sqrt(2.0 / y)
    if kind == "cos":
        return scale * torch.cos(h)
    return scale * torch.cat([torch.cos(h), torch.sin(h)], dim=-1)


def features(x, num_features: int, beta: float, seed: int, kind: str = "cos") -> torch.Tensor:
    """Random Fourier features phi(x), shape (B, Y) (or (Y,) for one point x of shape (D,)).

    phi(x)^T phi(y) is an unbiased estimate of exp(-(beta/2) ||x - y||^2) (see the module docstring).
    """
    single = _checks.as_tensor("x", x, ndim=(1, 2)).ndim == 1
    x = _points("x", x)
    beta = _checks.positive("beta", beta)
    S, b = projection(x.shape[1], num_features, seed, kind, device=x.device)
    phi = _phi(_phases(x, S, b, beta), num_features, kind)
    return phi[0] if single else phi


def store(patterns, num_features: int, beta: float, seed: int, kind: str = "cos") -> torch.Tensor:
    """The DrDAM memory T = sum_mu phi(xi^mu), shape (Y,): Y numbers whatever the number K of patterns."""
    xi = _patterns(patterns)
    return features(xi, num_features, beta, seed, kind).sum(dim=0)


def add(T, pattern, beta: float, seed: int, kind: str = "cos") -> torch.Tensor:
    """T + phi(pattern) (or + sum of phi over the rows of a (n, D) array): a new memory, no new weight.

    Returns a new vector of the same shape (Y,); ``T`` is not modified. The features are those
    of ``store`` with the same ``beta``, ``seed`` and ``kind`` (Y is read from T).
    """
    T = _memory_vector(T, kind)
    new = _points("pattern", pattern)
    return T + features(new, T.shape[0], beta, seed, kind).to(T.device).sum(dim=0)


# ----------------------------------------------------------------------------- DrDAM energy and dynamics

def _kernel_sum_and_grad(x: torch.Tensor, T: torch.Tensor, S, b, beta: float, kind: str, grad: bool = True):
    """phi(x)^T T, shape (B,), and its gradient in x, shape (B, D)."""
    y = T.shape[0]
    h = _phases(x, S, b, beta)
    scale = math.sqrt(2.0 / y)
    cos, sin = torch.cos(h), torch.sin(h)
    if kind == "cos":
        value = scale * cos @ T
        slope = None if not grad else -scale * math.sqrt(beta) * (sin * T) @ S
    else:
        Tc, Ts = T[: y // 2], T[y // 2:]
        value = scale * (cos @ Tc + sin @ Ts)
        slope = None if not grad else scale * math.sqrt(beta) * (cos * Ts - sin * Tc) @ S
    return value, slope


def _setup(x, T, beta, seed, kind):
    _checks.choice("kind", kind, KINDS)
    T = _memory_vector(T, kind)
    x = _points("x", x).to(T.device)
    beta = _checks.positive("beta", beta)
    S, b = projection(x.shape[1], T.shape[0], seed, kind, device=T.device)
    return x, T, beta, S, b


def kernel_sum(x, T, beta: float, seed: int, kind: str = "cos") -> torch.Tensor:
    """The DrDAM estimate phi(x)^T T of sum_mu exp(-(beta/2) ||x - xi^mu||^2); shape (B,)."""
    x, T, beta, S, b = _setup(x, T, beta, seed, kind)
    return _kernel_sum_and_grad(x, T, S, b, beta, kind, grad=False)[0]


def energy(x, T, beta: float, seed: int, kind: str = "cos", eps: float = EPS) -> torch.Tensor:
    """E_Dr(x) = -(1/beta) log max(phi(x)^T T, eps); shape (B,)."""
    eps = _checks.positive("eps", eps)
    value = kernel_sum(x, T, beta, seed, kind)
    return -torch.log(value.clamp(min=eps)) / beta


def _energy_grad(x, T, S, b, beta, kind, eps):
    value, slope = _kernel_sum_and_grad(x, T, S, b, beta, kind)
    inside = (value > eps).unsqueeze(-1)
    return torch.where(inside, -slope / (beta * value.clamp(min=eps).unsqueeze(-1)), torch.zeros((), dtype=x.dtype, device=x.device))


def energy_grad(x, T, beta: float, seed: int, kind: str = "cos", eps: float = EPS) -> torch.Tensor:
    """grad E_Dr(x) = -(1/beta) grad(phi(x)^T T) / phi(x)^T T (zero where the sum is <= eps); shape (B, D)."""
    eps = _checks.positive("eps", eps)
    x, T, beta, S, b = _setup(x, T, beta, seed, kind)
    return _energy_grad(x, T, S, b, beta, kind, eps)


def retrieve(queries, T, beta: float, seed: int, kind: str = "cos", steps: int = 100, step_size: float = 0.1,
             eps: float = EPS, trajectory: bool = False) -> torch.Tensor:
    """Gradient descent x <- x - step_size * grad E_Dr(x) from every query at once.

    Returns the end states (B, D), or with ``trajectory=True`` every state (steps + 1, B, D).
    """
    eps = _checks.positive("eps", eps)
    step_size = _checks.positive("step_size", step_size)
    steps = _checks.count("steps", steps)
    x, T, beta, S, b = _setup(queries, T, beta, seed, kind)
    path = [x]
    for _ in range(steps):
        x = x - step_size * _energy_grad(x, T, S, b, beta, kind, eps)
        if trajectory:
            path.append(x)
    return torch.stack(path) if trajectory else x


# ----------------------------------------------------------------------------- exact (MrDAM) counterparts

def _log_kernels(x: torch.Tensor, xi: torch.Tensor, beta: float) -> torch.Tensor:
    """-(beta/2) ||x_b - xi^mu||^2, shape (B, K), without forming the (B, K, D) differences."""
    sq = (x * x).sum(-1, keepdim=True) - 2 * x @ xi.T + (xi * xi).sum(-1)
    return -0.5 * beta * sq.clamp(min=0.0)


def exact_kernel(x, patterns, beta: float) -> torch.Tensor:
    """exp(-(beta/2) ||x_b - xi^mu||^2), shape (B, K)."""
    xi = _patterns(patterns)
    x = _points("x", x, xi.shape[1]).to(xi.device)
    return torch.exp(_log_kernels(x, xi, _checks.positive("beta", beta)))


def exact_kernel_sum(x, patterns, beta: float) -> torch.Tensor:
    """sum_mu exp(-(beta/2) ||x - xi^mu||^2), shape (B,)."""
    return exact_kernel(x, patterns, beta).sum(-1)


def exact_energy(x, patterns, beta: float) -> torch.Tensor:
    """E(x) = -(1/beta) logsumexp_mu(-(beta/2) ||x - xi^mu||^2), shape (B,) (stable at any distance)."""
    xi = _patterns(patterns)
    x = _points("x", x, xi.shape[1]).to(xi.device)
    beta = _checks.positive("beta", beta)
    return -torch.logsumexp(_log_kernels(x, xi, beta), dim=-1) / beta


def _exact_grad(x, xi, beta):
    return x - torch.softmax(_log_kernels(x, xi, beta), dim=-1) @ xi


def exact_energy_grad(x, patterns, beta: float) -> torch.Tensor:
    """grad E(x) = x - sum_mu softmax_mu(-(beta/2) ||x - xi^mu||^2) xi^mu, shape (B, D)."""
    xi = _patterns(patterns)
    x = _points("x", x, xi.shape[1]).to(xi.device)
    return _exact_grad(x, xi, _checks.positive("beta", beta))


def exact_retrieve(queries, patterns, beta: float, steps: int = 100, step_size: float = 0.1, trajectory: bool = False) -> torch.Tensor:
    """Gradient descent on the MrDAM energy from every query at once; (B, D) or (steps + 1, B, D)."""
    xi = _patterns(patterns)
    x = _points("queries", queries, xi.shape[1]).to(xi.device)
    beta = _checks.positive("beta", beta)
    step_size = _checks.positive("step_size", step_size)
    path = [x]
    for _ in range(_checks.count("steps", steps)):
        x = x - step_size * _exact_grad(x, xi, beta)
        if trajectory:
            path.append(x)
    return torch.stack(path) if trajectory else x


# ----------------------------------------------------------------------------- the variance of the estimate

def kernel_variance(x, y, beta: float, num_features: int, kind: str = "cos") -> torch.Tensor:
    """Var[phi(x)^T phi(y)] over the random features, for pairs of rows; shape (B,).

    With k = exp(-(beta/2) ||x - y||^2):  cos: (1 - k^2 + k^4 / 2) / Y;  sincos: (1 - k^2)^2 / Y.
    """
    _checks.choice("kind", kind, KINDS)
    x = _points("x", x)
    y_ = _points("y", y, x.shape[1])
    if x.shape[0] != y_.shape[0] and 1 not in (x.shape[0], y_.shape[0]):
        raise ValueError(f"x and y must have the same number of rows (or one row), got shapes {tuple(x.shape)} and {tuple(y_.shape)}.")
    beta = _checks.positive("beta", beta)
    Y = _num_features(num_features, kind)
    k = torch.exp(-0.5 * beta * ((x - y_) ** 2).sum(-1))
    per_feature = 1 - k**2 + k**4 / 2 if kind == "cos" else (1 - k**2) ** 2
    return per_feature / Y


def kernel_sum_variance(x, patterns, beta: float, num_features: int, kind: str = "cos", chunk: int = 2**22) -> torch.Tensor:
    """Var[phi(x)^T T] over the random features, exactly; shape (B,).

    With a_mu = x - xi^mu, k(v) = exp(-(beta/2) ||v||^2) and k_mu = k(a_mu), the terms of one
    feature are correlated across memories (they share S and b):

        cos:    Y Var = sum_{mu, nu} [ k(xi^mu - xi^nu) + k(a_mu + a_nu) / 2 - k_mu k_nu ],
        sincos: Y Var = sum_{mu, nu} [ k(xi^mu - xi^nu) + k(a_mu + a_nu) - 2 k_mu k_nu ]

    (sincos has Y/2 frequencies, each term cos(w^T a_mu) with covariance
    (k(a_mu - a_nu) + k(a_mu + a_nu)) / 2 - k_mu k_nu; the diagonal gives ``kernel_variance``).

    Costs K^2 D per query; the queries are processed in groups of at most ``chunk`` / K^2.
    """
    _checks.choice("kind", kind, KINDS)
    xi = _patterns(patterns)
    x = _points("x", x, xi.shape[1]).to(xi.device)
    beta = _checks.positive("beta", beta)
    Y = _num_features(num_features, kind)
    K = xi.shape[0]
    pair = torch.exp(_log_kernels(xi, xi, beta)).sum()  # sum_{mu nu} k(xi^mu - xi^nu)
    k = torch.exp(_log_kernels(x, xi, beta))  # (B, K)
    group = max(1, _checks.count("chunk", chunk, minimum=1) // (K * K))
    sums = []
    for start in range(0, x.shape[0], group):  # bounded: ceil(B / group) groups
        a = x[start:start + group, None, :] - xi  # (G, K, D)
        norms = (a * a).sum(-1)  # (G, K)
        sq = norms[:, :, None] + norms[:, None, :] + 2 * a @ a.transpose(1, 2)  # ||a_mu + a_nu||^2
        sums.append(torch.exp(-0.5 * beta * sq.clamp(min=0.0)).sum((1, 2)))
    plus = torch.cat(sums)
    product = k.sum(-1) ** 2
    total = pair + plus / 2 - product if kind == "cos" else pair + plus - 2 * product
    return total.clamp(min=0.0) / Y


def relative_error(estimate, exact) -> torch.Tensor:
    """|estimate - exact| / exact, elementwise."""
    estimate = _checks.as_tensor("estimate", estimate)
    exact = _checks.as_tensor("exact", exact)
    return (estimate - exact).abs() / exact.abs()


def weights(num_memories: int, dim: int, num_features: int | None = None) -> int:
    """Numbers a memory keeps: K D for MrDAM (``num_features=None``), Y for DrDAM (S is redrawn from the seed)."""
    K = _checks.count("num_memories", num_memories)
    D = _checks.count("dim", dim, minimum=1)
    return K * D if num_features is None else _checks.count("num_features", num_features, minimum=1)


def step_flops(num_queries: int, dim: int, num_memories: int | None = None, num_features: int | None = None) -> int:
    """Multiply-adds of one gradient step on B queries: about 2 B K D (MrDAM) or 2 B Y D (DrDAM).

    MrDAM forms the K distances (B K D) and the softmax-weighted sum of patterns (B K D); DrDAM
    forms the Y phases (B Y D, or B Y D / 2 for sincos, counted as B Y D) and back-projects the
    gradient through S (B Y D). Give exactly one of ``num_memories`` and ``num_features``.
    """
    B = _checks.count("num_queries", num_queries, minimum=1)
    D = _checks.count("dim", dim, minimum=1)
    if (num_memories is None) == (num_features is None):
        raise ValueError("give exactly one of num_memories (MrDAM) and num_features (DrDAM).")
    size = num_memories if num_features is None else num_features
    return 2 * B * D * _checks.count("num_memories" if num_features is None else "num_features", size, minimum=1)


__all__ = [
    "KINDS",
    "EPS",
    "projection",
    "features",
    "store",
    "add",
    "kernel_sum",
    "energy",
    "energy_grad",
    "retrieve",
    "exact_kernel",
    "exact_kernel_sum",
    "exact_energy",
    "exact_energy_grad",
    "exact_retrieve",
    "kernel_variance",
    "kernel_sum_variance",
    "relative_error",
    "weights",
    "step_flops",
]
