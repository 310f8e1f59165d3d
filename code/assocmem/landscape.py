"""Loss landscapes of binary-output memories (book part "Learning with gradient descent").

With M = 2 outputs only the score difference matters, s(x, 0) - s(x, 1) = gamma . e_x,
so a memory is summarised by gamma = W^T (u_0 - u_1) in R^d. The memory
W = (u_0 - u_1) gamma^T / |u_0 - u_1|^2 has exactly that gamma; with U = I it is
1/2 [[g0, g1], [-g0, -g1]] (the authors' parameterisation, transposed to our
orientation s = u_y^T W e_x). Grids are evaluated as one batch of memories.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from . import _checks, memory


def _difference(U) -> torch.Tensor:
    U = _checks.binary_outputs(U, "a binary-output landscape")
    diff = U[0] - U[1]
    if diff.norm() == 0:
        raise ValueError("U must have two distinct rows (u_0 != u_1): equal unembeddings cannot separate the classes.")
    return diff


def to_memory(gamma, U) -> torch.Tensor:
    """The memory W (..., d, d) with score difference gamma . e_x, from gamma (..., d)."""
    diff = _difference(U)
    gamma = _checks.as_tensor("gamma", gamma)
    if gamma.ndim == 0 or gamma.shape[-1] != diff.shape[0]:
        raise ValueError(f"gamma must have shape (..., d) with d = {diff.shape[0]}, got shape {tuple(gamma.shape)}.")
    return diff[:, None] * gamma.unsqueeze(-2) / (diff @ diff)


def to_gamma(W, U) -> torch.Tensor:
    """gamma = W^T (u_0 - u_1), shape (..., d), for memories W (..., d, d)."""
    diff = _difference(U)
    W = _checks.memory_matrix(W, diff.shape[0])
    return W.transpose(-1, -2) @ diff


@dataclass
class Landscape:
    """Values on a grid: ``loss[i, j]`` is at (gamma_0, gamma_1) = (g0[j], g1[i]), as matplotlib's contour expects."""

    g0: torch.Tensor
    g1: torch.Tensor
    loss: torch.Tensor
    zero_one: torch.Tensor
    sharpness: torch.Tensor | None = None

    @property
    def argmin(self) -> torch.Tensor:
        """The grid point with the lowest loss, as gamma (2,)."""
        i, j = divmod(int(self.loss.argmin()), self.loss.shape[1])
        return torch.stack([self.g0[j], self.g1[i]])


def grid(xlim, ylim, num: int = 50) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Axes g0 (num,), g1 (num,) and the points gamma (num, num, 2) with gamma[i, j] = (g0[j], g1[i])."""
    num = _checks.count("num", num, minimum=2)
    xlim, ylim = _checks.limits("xlim", xlim), _checks.limits("ylim", ylim)
    g0 = torch.linspace(xlim[0], xlim[1], num, dtype=torch.float64)
    g1 = torch.linspace(ylim[0], ylim[1], num, dtype=torch.float64)
    G1, G0 = torch.meshgrid(g1, g0, indexing="ij")
    return g0, g1, torch.stack([G0, G1], dim=-1)


def evaluate(E, U, freqs, targets, xlim, ylim, num: int = 50, with_sharpness: bool = False) -> Landscape:
    """Loss, 0-1 loss (and optionally sharpness) of every memory on a num x num grid of gamma (d = 2)."""
    E, U = _checks.embeddings(E, U)
    if E.shape[1] != 2:
        raise ValueError(f"E must have d = 2 columns for a planar landscape, got shape {tuple(E.shape)}.")
    g0, g1, points = grid(xlim, ylim, num)
    W = to_memory(points, U)
    return Landscape(
        g0=g0,
        g1=g1,
        loss=memory.loss(W, E, U, freqs, targets),
        zero_one=memory.zero_one_loss(W, E, U, freqs, targets),
        sharpness=memory.sharpness(W, E, U, freqs, targets) if with_sharpness else None,
    )


def project(W, U) -> torch.Tensor:
    """Project memories, e.g. a run's stored iterates ``run.W`` (S, T + 1, d, d), onto gamma (S, T + 1, d)."""
    return to_gamma(W, U)


def zero_error_region(E, targets, xlim, ylim) -> torch.Tensor:
    """The zero-error region of a binary task (d = 2) inside the box xlim x ylim, as a convex polygon (K, 2).

    Token x is recalled when gamma . e_x >= 0 for class 0 (argmax ties go to class 0)
    and gamma . e_x < 0 for class 1, so the region is the intersection of the half-planes
    sign_x (gamma . e_x) >= 0 (its boundary is drawn closed), sign_x = +1 for class 0 and
    -1 for class 1. For the two-particle problem it is the wedge
    {gamma_0 > 0, alpha gamma_0 + sqrt(1 - alpha^2) gamma_1 < 0}. The box is clipped by each
    half-plane in turn (Sutherland-Hodgman); the result has K = 0 vertices if the region
    misses the box or has zero area. Vertices are in counter-clockwise order.
    """
    E = _checks.as_tensor("E", E, ndim=2)
    if E.shape[1] != 2:
        raise ValueError(f"E must have d = 2 columns for a planar region, got shape {tuple(E.shape)}.")
    t = _checks.targets(targets, E.shape[0], 2)
    (x0, x1), (y0, y1) = _checks.limits("xlim", xlim), _checks.limits("ylim", ylim)
    polygon = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    normals = (1.0 - 2.0 * t.to(E.dtype))[:, None] * E  # sign_x e_x: inside where normal . gamma >= 0
    for a, b in normals.tolist():
        clipped = []
        for k, (p, q) in enumerate(zip(polygon, polygon[1:] + polygon[:1])):
            fp, fq = a * p[0] + b * p[1], a * q[0] + b * q[1]
            if fp >= 0:
                clipped.append(p)
            if (fp >= 0) != (fq >= 0):
                s = fp / (fp - fq)
                clipped.append((p[0] + s * (q[0] - p[0]), p[1] + s * (q[1] - p[1])))
        polygon = clipped
        if not polygon:
            break
    region = torch.tensor(polygon, dtype=E.dtype).reshape(-1, 2)
    # A region of zero area (e.g. e_1 = e_2 with different targets: gamma_0 >= 0 and gamma_0 < 0)
    # holds no point with the strict inequality of class 1: it is empty.
    if len(region) >= 3:
        x, y = region[:, 0], region[:, 1]
        area = 0.5 * abs((x * y.roll(-1) - x.roll(-1) * y).sum().item())
        if area <= 1e-12 * (x1 - x0) * (y1 - y0):
            region = region[:0]
    return region
