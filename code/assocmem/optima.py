"""Optima of memories: separability of any problem, and for binary outputs the cross-entropy minimiser and the best 0-1 memory.

Separability (chapters "Many particles" and "Scarce memory"): the tokens are separable when
some memory W gives every token a positive margin, that is when the N (M - 1) linear
inequalities u_{f*(x)}^T W e_x - u_y^T W e_x > 0 (y != f*(x)) in the d^2 entries of W have a
common solution; scaling W makes every margin >= 1, so the question is one linear program
(``is_separable``, ``separating_memory``). How separable is measured by the best margin of a
memory of unit Frobenius norm, max_{|W|_F = 1} min_x m_W(x) (``max_margin``): the smaller it is,
the longer gradient descent takes to classify every token.

Binary outputs (chapter "Scarce memory"):

With M = 2 outputs the loss depends on a memory W only through the score difference
s(x, 0) - s(x, 1) = gamma . e_x, gamma = W^T (u_0 - u_1) in R^d (see ``landscape``).
With the label sign eps_x = +1 when f*(x) = 0 and -1 when f*(x) = 1, the cross-entropy
is the logistic loss

    L(gamma) = sum_x p(x) log(1 + exp(-eps_x gamma . e_x)),                  (S.1)

convex in gamma, with gradient -sum_x p(x) eps_x s(-eps_x gamma . e_x) e_x and
Hessian sum_x p(x) s(gamma . e_x) s(-gamma . e_x) e_x e_x^T (s the logistic function).
With every p(x) > 0, it has a unique minimiser when no nonzero gamma has
eps_x gamma . e_x >= 0 for every x; then Newton's method finds it to machine precision.
When such a gamma exists with one product > 0 (the tokens are separable, strictly or
weakly), L has no minimiser.

The 0-1 loss of gamma depends only on its direction: the memory predicts class 0 when
gamma . e_x >= 0 (a tie goes to class 0, as ``torch.argmax`` does), so token x is wrong
when eps_x gamma . e_x < 0, or gamma . e_x = 0 and f*(x) = 1; L01 weights the wrong
tokens by p(x). In d = 2 it is piecewise constant in the angle of gamma, with jumps only
at the 2N critical angles (two per line gamma . e_x = 0); evaluating one direction
inside every arc, every critical direction and gamma = 0 gives the best linear memory
exactly (``best_linear``).

All tensors are float64 on the CPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from . import _checks, landscape


def _binary_problem(E, U, freqs, targets):
    E, U = _checks.embeddings(E, U)
    if U.shape[0] != 2:
        raise ValueError(f"U must have M = 2 rows (a binary-output problem), got shape {tuple(U.shape)}.")
    if (U[0] - U[1]).norm() == 0:
        raise ValueError("U must have two distinct rows (u_0 != u_1): equal unembeddings cannot separate the classes.")
    p = _checks.freqs(freqs, E.shape[0])
    t = _checks.targets(targets, E.shape[0], 2)
    sign = 1.0 - 2.0 * t.to(E.dtype)  # eps_x: +1 for class 0, -1 for class 1
    return E, U, p, t, sign


def _gamma(gamma, d: int) -> torch.Tensor:
    gamma = _checks.as_tensor("gamma", gamma)
    if gamma.ndim == 0 or gamma.shape[-1] != d:
        raise ValueError(f"gamma must have shape (..., d) with d = {d}, got shape {tuple(gamma.shape)}.")
    return gamma


def logistic_loss(gamma, E, U, freqs, targets) -> torch.Tensor:
    """The cross-entropy (S.1) of the memory with score difference gamma (..., d); shape (...)."""
    E, U, p, _, sign = _binary_problem(E, U, freqs, targets)
    gamma = _gamma(gamma, E.shape[1])
    return torch.nn.functional.softplus(-sign * (gamma @ E.T)) @ p


def misclassified(gamma, E, targets) -> torch.Tensor:
    """Tokens the memory gamma (..., d) gets wrong: prediction 0 iff gamma . e_x >= 0; bool (..., N)."""
    E = _checks.as_tensor("E", E, ndim=2)
    gamma = _gamma(gamma, E.shape[1])
    t = _checks.targets(targets, E.shape[0], 2)
    predicted = (gamma @ E.T < 0).long()
    return predicted != t


def zero_one(gamma, E, freqs, targets) -> torch.Tensor:
    """L01 of the memory gamma (..., d): the frequency of the misclassified tokens; shape (...)."""
    E = _checks.as_tensor("E", E, ndim=2)
    p = _checks.freqs(freqs, E.shape[0])
    return misclassified(gamma, E, targets).to(p.dtype) @ p


def _margin_rows(E, U, t) -> np.ndarray:
    """Rows a with a . vec(W) = (u_{f*(x)} - u_y)^T W e_x (row-major vec), one per x and y != f*(x); (N (M - 1), d^2)."""
    N, M = E.shape[0], U.shape[0]
    diff = U[t][:, None, :] - U[None, :, :]  # (N, M, d): u_{f*(x)} - u_y
    keep = torch.ones(N, M, dtype=torch.bool)
    keep[torch.arange(N), t] = False
    rows = diff[keep][:, :, None] * E.repeat_interleave(M - 1, dim=0)[:, None, :]  # (N (M - 1), d, d)
    return rows.reshape(rows.shape[0], -1).numpy()


def _separation_problem(E, U, targets):
    E, U = _checks.embeddings(E, U)
    t = _checks.targets(targets, E.shape[0], U.shape[0])
    return E.cpu(), U.cpu(), t.cpu()


def separating_memory(E, U, targets) -> torch.Tensor | None:
    """A memory W (d, d) with every margin m_W(x) >= 1, or None when none exists (the tokens are not separable).

    E (N, d), U (M, d), targets (N,) the classes f*(x). Solves the feasibility linear program
    (u_{f*(x)} - u_y)^T W e_x >= 1 for every x and y != f*(x) with HiGHS, then checks the answer
    in floating point: the returned W, rescaled by its smallest margin, has every margin >= 1
    up to rounding. With M = 1 there is no inequality and W = 0 (every margin is +inf).
    """
    from scipy.optimize import linprog

    E, U, t = _separation_problem(E, U, targets)
    d = E.shape[1]
    if U.shape[0] == 1:
        return torch.zeros(d, d, dtype=E.dtype)
    A = _margin_rows(E, U, t)
    result = linprog(np.zeros(d * d), A_ub=-A, b_ub=-np.ones(A.shape[0]), bounds=[(None, None)] * (d * d), method="highs")
    if result.status != 0:  # 2: infeasible; anything else (a numerical failure) is not a certificate either
        return None
    W = torch.as_tensor(result.x, dtype=E.dtype).reshape(d, d)
    smallest = float((torch.as_tensor(A, dtype=E.dtype) @ W.reshape(-1)).min())
    if not smallest > 0:
        return None
    return W / min(smallest, 1.0)


def is_separable(E, U, targets) -> bool:
    """Whether some memory W gives every token a positive margin (equivalently every margin >= 1): an LP, see ``separating_memory``."""
    return separating_memory(E, U, targets) is not None


@dataclass
class MaxMargin:
    """Result of ``max_margin``: W (d, d) of unit Frobenius norm whose smallest margin ``margin`` is the largest possible."""

    W: torch.Tensor
    margin: float


def max_margin(E, U, targets) -> MaxMargin | None:
    """The hard-margin memory: max over |W|_F = 1 of min_x m_W(x), or None when the tokens are not separable.

    Solved as min |V|_F^2 subject to every margin of V >= 1 / |W_0|_F (SLSQP, started at V = W_0 / |W_0|_F
    for the LP solution W_0 of ``separating_memory``, so that the problem is well scaled even when the
    best margin is tiny); the best margin is min_x m_V(x) / |V|_F. A tiny best margin means a separable
    problem that gradient descent classifies only after many steps.
    """
    from scipy.optimize import minimize

    start = separating_memory(E, U, targets)
    if start is None:
        return None
    E, U, t = _separation_problem(E, U, targets)
    d = E.shape[1]
    if U.shape[0] == 1:
        return MaxMargin(torch.eye(d, dtype=E.dtype) / math.sqrt(d), math.inf)
    A = _margin_rows(E, U, t)
    scale = float(start.norm())
    v0 = start.reshape(-1).numpy() / scale
    result = minimize(
        lambda v: v @ v, v0, jac=lambda v: 2 * v, method="SLSQP",
        constraints=[{"type": "ineq", "fun": lambda v: A @ v - 1.0 / scale, "jac": lambda v: A}], options={"ftol": 1e-15, "maxiter": 1000},
    )
    candidates = [v0] + ([result.x] if np.isfinite(result.x).all() and np.linalg.norm(result.x) > 0 else [])
    best = max(candidates, key=lambda v: (A @ v).min() / np.linalg.norm(v))  # never worse than the LP point
    W = torch.as_tensor(best / np.linalg.norm(best), dtype=E.dtype).reshape(d, d)
    return MaxMargin(W, float((torch.as_tensor(A, dtype=E.dtype) @ W.reshape(-1)).min()))


def separating_direction(E, U, freqs, targets) -> torch.Tensor | None:
    """The hard-margin direction (unit gamma maximising min_x eps_x gamma . e_x) if it is > 0, else None.

    Tokens of zero frequency are ignored. Solved as min |gamma|^2 subject to
    eps_x gamma . e_x >= 1 (SLSQP), after a linear-programming feasibility check.
    """
    from scipy.optimize import linprog, minimize

    E, U, p, _, sign = _binary_problem(E, U, freqs, targets)
    keep = p > 0
    A = (sign[:, None] * E)[keep].numpy()
    d = A.shape[1]
    feasible = linprog(np.zeros(d), A_ub=-A, b_ub=-np.ones(len(A)), bounds=[(None, None)] * d, method="highs")
    if feasible.status != 0:
        return None
    result = minimize(
        lambda g: g @ g, feasible.x, jac=lambda g: 2 * g, method="SLSQP",
        constraints=[{"type": "ineq", "fun": lambda g: A @ g - 1.0, "jac": lambda g: A}], options={"ftol": 1e-14, "maxiter": 500},
    )
    g = result.x if result.success and (A @ result.x >= 1 - 1e-9).all() else feasible.x
    g = torch.as_tensor(g, dtype=E.dtype)
    return g / g.norm()


def weakly_separating_direction(E, U, freqs, targets, tol: float = 1e-9) -> torch.Tensor | None:
    """A unit gamma with eps_x gamma . e_x >= 0 for every token of positive frequency and > 0 for one, else None.

    Such a gamma exists exactly when the loss (S.1) has no minimiser (every p(x) > 0).
    Found by the linear program max sum_x eps_x gamma . e_x subject to eps_x gamma . e_x >= 0
    and |gamma_i| <= 1; the answer is verified in floating point: every product >= -tol
    (relative to |gamma|) and the largest > sqrt(tol).
    """
    from scipy.optimize import linprog

    E, U, p, _, sign = _binary_problem(E, U, freqs, targets)
    tol = _checks.positive("tol", tol)
    A = (sign[:, None] * E)[p > 0].numpy()
    d = A.shape[1]
    result = linprog(-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(A)), bounds=[(-1.0, 1.0)] * d, method="highs")
    if result.status != 0:
        return None
    g = result.x
    norm = float(np.linalg.norm(g))
    if norm == 0.0:
        return None
    products = A @ (g / norm)
    if products.min() < -tol or products.max() <= math.sqrt(tol):
        return None
    g = torch.as_tensor(g, dtype=E.dtype)
    return g / g.norm()


@dataclass
class Minimiser:
    """Result of ``cross_entropy_minimiser``.

    gamma : (d,) the minimiser, or for a separable problem the hard-margin direction (unit norm),
        along which the loss decreases to its infimum 0 without a minimiser.
    W : (d, d) the memory ``landscape.to_memory(gamma, U)``.
    loss : L(gamma) (0.0, the infimum, when separable).
    gradient_norm : |grad L(gamma)| (nan when separable).
    separable : whether some gamma classifies every token of positive frequency strictly correctly.
    iterations : Newton steps taken.
    """

    gamma: torch.Tensor
    W: torch.Tensor
    loss: float
    gradient_norm: float
    separable: bool
    iterations: int


def _loss_grad_hess(gamma, A, p):
    z = A @ gamma  # eps_x gamma . e_x
    loss = torch.nn.functional.softplus(-z) @ p
    s = torch.sigmoid(-z)
    grad = -(A.T @ (p * s))
    hess = (A.T * (p * s * (1 - s))) @ A
    return loss, grad, hess


def cross_entropy_minimiser(E, U, freqs, targets, tol: float = 1e-13, max_iter: int = 200) -> Minimiser:
    """Minimise the convex loss (S.1) over gamma by damped Newton steps (backtracking line search).

    Stops when |grad L| <= tol. Raises RuntimeError if that is not reached in ``max_iter``
    steps. A separable problem has no minimiser: the result then holds the hard-margin
    direction, ``separable=True`` and ``loss=0.0`` (the infimum). A weakly separable
    problem (some nonzero gamma with every eps_x gamma . e_x >= 0, one of them > 0, but
    none with all > 0) has no minimiser either, and its infimum is not 0: ValueError.
    """
    E, U, p, t, sign = _binary_problem(E, U, freqs, targets)
    tol = _checks.positive("tol", tol)
    max_iter = _checks.count("max_iter", max_iter, minimum=1)
    direction = separating_direction(E, U, p, t)
    if direction is not None:
        return Minimiser(direction, landscape.to_memory(direction, U), 0.0, math.nan, True, 0)
    weak = weakly_separating_direction(E, U, p, t)
    if weak is not None:
        raise ValueError(
            f"the tokens are weakly separable: gamma = {weak.tolist()} has eps_x gamma . e_x >= 0 for every token "
            "(some = 0, one > 0), so the cross-entropy decreases along it and has no minimiser."
        )
    A = sign[:, None] * E
    gamma = torch.zeros(E.shape[1], dtype=E.dtype)
    loss, grad, hess = _loss_grad_hess(gamma, A, p)
    for iteration in range(max_iter):
        if grad.norm() <= tol:
            break
        step = torch.linalg.solve(hess + 1e-300 * torch.eye(len(gamma), dtype=E.dtype), grad)
        decrement = float(grad @ step)
        size = 1.0
        while size > 1e-12:
            candidate = gamma - size * step
            new_loss, new_grad, new_hess = _loss_grad_hess(candidate, A, p)
            if new_loss <= loss - 0.25 * size * decrement or new_grad.norm() < grad.norm():
                break
            size *= 0.5
        gamma, loss, grad, hess = candidate, new_loss, new_grad, new_hess
    else:
        if grad.norm() > tol:
            raise RuntimeError(f"Newton's method did not reach |grad| <= {tol:g} in {max_iter} steps (|grad| = {grad.norm():.3g}).")
    return Minimiser(gamma, landscape.to_memory(gamma, U), float(loss), float(grad.norm()), False, iteration)


@dataclass
class BestLinear:
    """Result of ``best_linear``: a gamma (2,) reaching the lowest 0-1 loss ``error`` of any linear memory."""

    gamma: torch.Tensor
    error: float
    candidates: int


def best_linear(E, U, freqs, targets) -> BestLinear:
    """Exact minimum of L01 over all memories for d = 2, M = 2, by a search over directions.

    The candidates are gamma = 0 (every token predicted 0), the 2N critical directions
    (perpendicular to some e_x; there gamma . e_x = 0 predicts class 0 for every token
    whose critical angle coincides) and the midpoint of every arc between consecutive
    critical angles. Arc midpoints are preferred on ties, so the returned gamma gives
    the same 0-1 loss when evaluated in floating point by ``memory.zero_one_loss``.
    """
    E, U, p, t, _ = _binary_problem(E, U, freqs, targets)
    if E.shape[1] != 2:
        raise ValueError(f"best_linear needs d = 2 (a search over angles), got E of shape {tuple(E.shape)}.")
    if (E.norm(dim=1) == 0).any():
        raise ValueError("E must not have zero rows: a zero embedding has no critical angle.")
    base = torch.atan2(E[:, 1], E[:, 0])
    critical = torch.remainder(torch.cat([base + math.pi / 2, base - math.pi / 2]), 2 * math.pi).sort().values
    gaps = torch.diff(torch.cat([critical, critical[:1] + 2 * math.pi]))
    middles = critical + gaps / 2

    def directions(angles):
        return torch.stack([torch.cos(angles), torch.sin(angles)], dim=-1)

    unit = E / E.norm(dim=1, keepdim=True)
    # Arcs: signs are unambiguous at the midpoint.
    arc_errors = (((directions(middles) @ unit.T) < 0).long() != t).to(p.dtype) @ p
    # Critical directions: snap products that vanish (up to rounding) to exact ties.
    products = directions(critical) @ unit.T
    products = torch.where(products.abs() <= 1e-9, torch.zeros_like(products), products)
    critical_errors = ((products < 0).long() != t).to(p.dtype) @ p
    zero_error = float((t != 0).to(p.dtype) @ p)
    best_arc = int(arc_errors.argmin())
    best = float(arc_errors[best_arc])
    gamma = directions(middles[best_arc])
    if float(critical_errors.min()) < best - 1e-15:
        best, gamma = float(critical_errors.min()), directions(critical[int(critical_errors.argmin())])
    if zero_error < best - 1e-15:
        best, gamma = zero_error, torch.zeros(2, dtype=E.dtype)
    return BestLinear(gamma=gamma, error=best, candidates=len(middles) + len(critical) + 1)


def grid_excess_error(land, exclude: float = 1.0) -> float:
    """The authors' excess 0-1 error on a grid: L01 at the grid argmin of the loss minus the lowest
    L01 over grid points with |gamma_0| >= exclude and |gamma_1| >= exclude."""
    if not isinstance(land, landscape.Landscape):
        raise TypeError(f"land must be a landscape.Landscape, got {type(land).__name__}.")
    if isinstance(exclude, bool) or not isinstance(exclude, (int, float)):
        raise TypeError(f"exclude must be a real number >= 0, got {exclude!r}.")
    exclude = float(exclude)
    if not exclude >= 0:
        raise ValueError(f"exclude must be >= 0, got {exclude}.")
    i, j = divmod(int(land.loss.argmin()), land.loss.shape[1])
    mask = (land.g1.abs()[:, None] >= exclude) & (land.g0.abs()[None, :] >= exclude)
    if not mask.any():
        raise ValueError(f"no grid point has |gamma_0| >= {exclude} and |gamma_1| >= {exclude}; widen the window.")
    return float(land.zero_one[i, j] - land.zero_one[mask].min())


@dataclass
class Excess:
    """Excess 0-1 error of the cross-entropy minimiser, grid-free: ``ce_error - best.error``."""

    minimiser: Minimiser
    best: BestLinear
    ce_error: float

    @property
    def value(self) -> float:
        return self.ce_error - self.best.error


def excess_error(E, U, freqs, targets) -> Excess:
    """L01 of the cross-entropy minimiser (its limit direction when separable) minus the exact best L01 (d = 2)."""
    E, U, p, t, _ = _binary_problem(E, U, freqs, targets)
    minimiser = cross_entropy_minimiser(E, U, p, t)
    best = best_linear(E, U, p, t)
    return Excess(minimiser, best, float(zero_one(minimiser.gamma, E, p, t)))
