"""Token distributions, target maps and embeddings (book chapter chap-associative-memory).

All tensors are float64 on the CPU. Random embeddings reproduce the draws of the
authors' scripts: ``torch.manual_seed(seed)`` followed by ``torch.randn(num, dim)``
on the CPU generator, rows normalised to unit norm, then cast to float64. A private
generator is used so that drawing embeddings never changes the global random state.
"""

from __future__ import annotations

import math

import torch

from . import _checks
from ._checks import DTYPE


def zipf(n: int, exponent: float = 1.0) -> torch.Tensor:
    """Zipf frequencies p(x) proportional to x^(-exponent) for x = 1..n; shape (n,)."""
    n = _checks.count("n", n, minimum=1)
    if isinstance(exponent, bool) or not isinstance(exponent, (int, float)) or not math.isfinite(exponent):
        raise TypeError(f"exponent must be a finite real number, got {exponent!r}.")
    if exponent < 0:
        raise ValueError(f"exponent must be >= 0 (0 gives the uniform law), got {exponent}.")
    weights = torch.arange(1, n + 1, dtype=DTYPE) ** (-float(exponent))
    return weights / weights.sum()


def two_token_freqs(p1: float) -> torch.Tensor:
    """Frequencies (p1, 1 - p1) of the two-particle problem."""
    p1 = _checks.positive("p1", p1)
    if p1 >= 1:
        raise ValueError(f"p1 must lie in (0, 1), got {p1}.")
    return torch.tensor([p1, 1.0 - p1], dtype=DTYPE)


TARGET_KINDS = ("identity", "mod")


def targets(n: int, kind: str = "identity", m: int | None = None) -> torch.Tensor:
    """Target map f*(x) for x = 0..n-1: ``"identity"`` (f*(x) = x) or ``"mod"`` (f*(x) = x mod m)."""
    n = _checks.count("n", n, minimum=1)
    _checks.choice("kind", kind, TARGET_KINDS)
    x = torch.arange(n)
    if kind == "identity":
        return x
    if m is None:
        raise ValueError("m must be given for kind='mod' (the number of output classes), got None.")
    return x % _checks.count("m", m, minimum=1)


def orthonormal_embeddings(num: int, dim: int) -> torch.Tensor:
    """The first ``num`` standard basis vectors of R^dim as rows; shape (num, dim), needs dim >= num."""
    num = _checks.count("num", num, minimum=1)
    dim = _checks.count("dim", dim, minimum=1)
    if dim < num:
        raise ValueError(f"dim must be >= num for orthonormal embeddings, got num = {num} and dim = {dim}.")
    return torch.eye(num, dim, dtype=DTYPE)


def _unit_rows(generator: torch.Generator, num: int, dim: int) -> torch.Tensor:
    draws = torch.randn(num, dim, generator=generator)
    return (draws / draws.norm(dim=1, keepdim=True)).to(DTYPE)


def sphere_embeddings(num: int, dim: int, seed: int) -> torch.Tensor:
    """``num`` i.i.d. uniform unit vectors in R^dim as rows (the authors' draw); shape (num, dim)."""
    num = _checks.count("num", num, minimum=1)
    dim = _checks.count("dim", dim, minimum=1)
    seed = _checks.seed(seed)
    return _unit_rows(torch.Generator().manual_seed(seed), num, dim)


def embedding_pair(n_in: int, n_out: int, dim: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Input embeddings E (n_in, dim) then unembeddings U (n_out, dim), both drawn after one seeding."""
    n_in = _checks.count("n_in", n_in, minimum=1)
    n_out = _checks.count("n_out", n_out, minimum=1)
    dim = _checks.count("dim", dim, minimum=1)
    generator = torch.Generator().manual_seed(_checks.seed(seed))
    E = _unit_rows(generator, n_in, dim)
    U = _unit_rows(generator, n_out, dim)
    return E, U


def two_token_embeddings(alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
    """e_1 = (1, 0), e_2 = (alpha, sqrt(1 - alpha^2)) and U = I_2; <e_1, e_2> = alpha."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
        raise TypeError(f"alpha must be a real number in [-1, 1], got {alpha!r}.")
    if not -1.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [-1, 1] (it is the cosine between e_1 and e_2), got {alpha}.")
    alpha = float(alpha)
    E = torch.tensor([[1.0, 0.0], [alpha, math.sqrt(1.0 - alpha * alpha)]], dtype=DTYPE)
    return E, torch.eye(2, dtype=DTYPE)
