"""Clustering with an associative memory (ClAM, Saha, Krotov, Zaki and Ram 2023) and its k-means baselines.

The memory stores k prototypes rho_1 .. rho_k (the rows of P, (k, D)) and has the energy

    E_beta(v) = -(1/beta) log sum_mu exp(-beta/2 ||rho_mu - v||^2),                    (clam-energy)

whose gradient is grad E_beta(v) = sum_mu s_mu(v) (v - rho_mu) with the soft assignment
s(v) = softmax_mu(-beta/2 ||rho_mu - v||^2). The state follows T steps of gradient descent,

    v_{t+1} = v_t + alpha m * sum_mu s_mu(v_t) (rho_mu - v_t),                        (clam-dynamics)

with alpha = 0.1, T = 10 and m in {0, 1}^D the coordinates allowed to move. As beta -> infinity
s(v) -> the one-hot vector of the nearest prototype and E_beta(v) -> min_mu 1/2 ||rho_mu - v||^2:
the dynamics become "move a fraction alpha towards the nearest prototype", a hard assignment.

Training (``fit``) is self-supervised pattern completion: each coordinate of a data point x is
masked with probability ``mask_prob``; the masked coordinates (m = 1) are set to a fill value
(the column mean, max or min) and completed by the dynamics, the others stay clamped at x, and the
loss is the completion error

    L(P) = mean_batch || m * (v_T - x) ||^2,                                            (clam-loss)

minimised over P with Adam. With ``mask=False`` every coordinate moves (m = 1) and v_0 = x. Then,
at large beta, v_T = rho_c + (1 - alpha)^T (x - rho_c) for the nearest prototype rho_c of x, and

    L(P) = (1 - (1 - alpha)^T)^2 mean_batch ||x - rho_c(x)||^2,                          (clam-identity)

a constant times the k-means objective: ClAM without the mask *is* k-means. Clusters at inference:
each point goes to its nearest prototype.

``fit_grid`` trains a whole grid of configurations (beta, learning rate, mask fill) and seeds at
once, as one batch of independent models (a leading model axis), with the same data order and the
same masks for every configuration of a seed; ``fit`` is one entry of it. Baselines: Lloyd's
k-means from scikit-learn (``kmeans``, with n_init restarts keeping the lowest objective, and
``kmeans_restarts``, single restarts to be selected like the grid). Scores: silhouette and adjusted
Rand index from ``sklearn.metrics``.

Shapes: X (N, D) float64 (standardised), P (k, D), labels (N,). float64 throughout.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from .. import _checks, tiers
from .._progress import progress

FILLS = ("mean", "max", "min")
#: The authors' grid: beta x Adam learning rate x mask fill, 36 configurations.
GRID = {"beta": (1.1, 1.5, 1.9, 2.4), "lr": (1e-3, 1e-2, 1e-1), "fill": FILLS}


# ---------------------------------------------------------------- dynamics, energy, losses


def _prototypes(P, D: int | None = None) -> torch.Tensor:
    P = _checks.as_tensor("prototypes", P, ndim=(2, 3))
    if P.shape[-2] == 0:
        raise ValueError("prototypes must hold at least one prototype (k >= 1), got k = 0.")
    if D is not None and P.shape[-1] != D:
        raise ValueError(f"prototypes must have D = {D} columns to match the data, got shape {tuple(P.shape)}.")
    return P


def soft_assignments(V: torch.Tensor, P: torch.Tensor, beta) -> torch.Tensor:
    """s(v) = softmax_mu(-beta/2 ||rho_mu - v||^2): V (..., B, D), P (..., k, D), beta scalar or (...) -> (..., B, k)."""
    beta = torch.as_tensor(beta, dtype=V.dtype, device=V.device)
    sq = (V.unsqueeze(-2) - P.unsqueeze(-3)).square().sum(-1)  # (..., B, k)
    return torch.softmax(-0.5 * beta.reshape(beta.shape + (1, 1)) * sq, dim=-1)


def energy(V, P, beta: float) -> torch.Tensor:
    """E_beta(v) of (clam-energy) for each row of V (B, D): a stable logsumexp, shape (B,)."""
    V = _checks.as_tensor("V", V, ndim=2)
    P = _prototypes(P, V.shape[1])
    beta = _checks.positive("beta", beta)
    sq = (V[:, None, :] - P[None, :, :]).square().sum(-1)
    return -torch.logsumexp(-0.5 * beta * sq, dim=-1) / beta


def _run(V, P, beta, move, alpha: float, steps: int):
    # (clam-dynamics) on a batch of models: V (M, B, D), P (M, k, D), beta (M,), move (M, B, D) or None.
    for _ in range(steps):
        s = soft_assignments(V, P, beta)                       # (M, B, k)
        pull = s @ P - V                                       # sum_mu s_mu (rho_mu - v), (M, B, D)
        V = V + alpha * (pull if move is None else move * pull)
    return V


@torch.no_grad()
def loss_and_grad(V0, X, P, beta, move, alpha: float, steps: int):
    """(clam-loss) of each model and its gradient in P, by a hand-written backward pass through the T steps.

    V0, X (M, B, D): start states and targets; P (M, k, D); beta (M,); move (M, B, D) or None (every
    coordinate moves and is scored). Returns (loss (M,), dL/dP (M, k, D)). Backward, with
    u = alpha m * g_{t+1} and z_mu = -beta/2 ||rho_mu - v_t||^2, s = softmax(z):
    dL/dP += s^T u - beta (diag(sum_b dz) P - dz^T V_t), g_t = g_{t+1} - u + beta (dz P - (sum_mu dz) v_t),
    with dz = s * (u P^T - <s, u P^T>). Checked against autograd in the tests; faster than autograd on
    these tiny tensors, where the graph bookkeeping dominates.
    """
    B = V0.shape[1]
    b = beta.reshape(-1, 1, 1)
    states, weights = [], []
    V = V0
    for _ in range(steps):
        s = soft_assignments(V, P, beta)
        states.append(V)
        weights.append(s)
        pull = s @ P - V
        V = V + alpha * (pull if move is None else move * pull)
    err = V - X if move is None else move * (V - X)
    loss = err.square().sum(-1).mean(-1)
    g = 2 * err / B if move is None else 2 * move * err / B
    dP = torch.zeros_like(P)
    for V, s in zip(reversed(states), reversed(weights)):
        u = alpha * g if move is None else alpha * move * g
        ds = u @ P.transpose(-1, -2)                                  # (M, B, k)
        dz = s * (ds - (s * ds).sum(-1, keepdim=True))
        dzV = dz.transpose(-1, -2) @ V                                # (M, k, D)
        dP += s.transpose(-1, -2) @ u - b * (dz.sum(-2).unsqueeze(-1) * P - dzV)
        g = g - u + b * (dz @ P - dz.sum(-1, keepdim=True) * V)
    return loss, dP


def dynamics(V, P, beta: float, *, alpha: float = 0.1, steps: int = 10, move=None) -> torch.Tensor:
    """v_T of (clam-dynamics) for each row of V (B, D); ``move`` (B, D) of 0/1 (None: every coordinate moves)."""
    V = _checks.as_tensor("V", V, ndim=2)
    P = _prototypes(P, V.shape[1])
    beta, alpha = _checks.positive("beta", beta), _checks.positive("alpha", alpha)
    steps = _checks.count("steps", steps)
    if move is not None:
        move = _checks.as_tensor("move", move, ndim=2)
        if move.shape != V.shape:
            raise ValueError(f"move must have the shape of V, {tuple(V.shape)}, got {tuple(move.shape)}.")
        move = move[None]
    return _run(V[None], P[None], torch.tensor([beta], dtype=V.dtype), move, alpha, steps)[0]


def completion_loss(X, P, beta: float, *, move=None, fill=None, alpha: float = 0.1, steps: int = 10) -> torch.Tensor:
    """(clam-loss) on the batch X (B, D): masked coordinates (``move`` = 1) start at ``fill`` (D,) and are completed.

    With ``move=None`` nothing is masked: every coordinate moves from v_0 = x and the loss is over all of them.
    Differentiable in P.
    """
    X = _checks.as_tensor("X", X, ndim=2)
    P = P if isinstance(P, torch.Tensor) and P.requires_grad else _prototypes(P, X.shape[1])
    beta = torch.tensor([_checks.positive("beta", beta)], dtype=X.dtype)
    if move is None:
        VT = _run(X[None], P[None], beta, None, alpha, steps)[0]
        return (VT - X).square().sum(-1).mean()
    move = _checks.as_tensor("move", move, ndim=2)
    fill = torch.zeros(X.shape[1], dtype=X.dtype) if fill is None else _checks.as_tensor("fill", fill, ndim=1)
    V0 = torch.where(move > 0, fill, X)
    VT = _run(V0[None], P[None], beta, move[None], alpha, steps)[0]
    return (move * (VT - X)).square().sum(-1).mean()


def identity_factor(alpha: float = 0.1, steps: int = 10) -> float:
    """(1 - (1 - alpha)^T)^2, the constant of (clam-identity)."""
    return (1 - (1 - alpha) ** steps) ** 2


def nearest(X, P) -> torch.Tensor:
    """Index of the nearest prototype of each row of X (N, D): labels (N,)."""
    return torch.cdist(X, P).argmin(dim=-1)


def kmeans_objective(X, P) -> torch.Tensor:
    """mean_i min_mu ||x_i - rho_mu||^2 (the k-means objective per point)."""
    X = _checks.as_tensor("X", X, ndim=2)
    P = P if isinstance(P, torch.Tensor) and P.requires_grad else _prototypes(P, X.shape[1])
    return (X[:, None, :] - P[None, :, :]).square().sum(-1).min(dim=-1).values.mean()


# ---------------------------------------------------------------- training


@dataclass
class Clustering:
    """One clustering: ``labels`` (N,), ``prototypes`` (k, D), the configuration that made it, its scores."""

    labels: torch.Tensor
    prototypes: torch.Tensor
    config: dict = field(default_factory=dict)
    losses: torch.Tensor | None = None  # mean training loss per epoch

    @property
    def k(self) -> int:
        return int(self.prototypes.shape[0])

    def used(self) -> int:
        """Number of non-empty clusters."""
        return int(torch.unique(self.labels).numel())


@dataclass
class Grid:
    """A trained grid: ``prototypes`` (S, C, k, D), ``labels`` (S, C, N), ``configs`` (C dicts), ``seeds`` (S,)."""

    prototypes: torch.Tensor
    labels: torch.Tensor
    configs: list
    seeds: tuple
    mask: bool
    losses: torch.Tensor  # (S, C, epochs)

    def get(self, seed_index: int, config_index: int) -> Clustering:
        config = dict(self.configs[config_index], seed=self.seeds[seed_index], mask=self.mask)
        return Clustering(self.labels[seed_index, config_index], self.prototypes[seed_index, config_index], config,
                          self.losses[seed_index, config_index])


def _check_data(X, k):
    X = _checks.as_tensor("X", X, ndim=2)
    k = _checks.count("k", k, minimum=1)
    if X.shape[0] < k:
        raise ValueError(f"X must have at least k = {k} rows (one point per cluster), got {X.shape[0]}.")
    if X.shape[1] == 0:
        raise ValueError("X must have at least one column (feature), got shape (N, 0).")
    return X, k


def _configs(betas, lrs, fills) -> list[dict]:
    betas = [_checks.positive("beta", b) for b in np.atleast_1d(betas).tolist()]
    lrs = [_checks.positive("lr", r) for r in np.atleast_1d(lrs).tolist()]
    fills = [fills] if isinstance(fills, str) else list(fills)
    for f in fills:
        _checks.choice("fill", f, FILLS)
    if not betas or not lrs or not fills:
        raise ValueError("betas, lrs and fills must each hold at least one value.")
    return [{"beta": b, "lr": r, "fill": f} for b, r, f in itertools.product(betas, lrs, fills)]


def fit_grid(X, k: int, *, betas=GRID["beta"], lrs=GRID["lr"], fills=GRID["fill"], seeds=(0,), mask: bool = True,
             epochs: int = 200, batch_size: int = 8, mask_prob: float = 0.2, alpha: float = 0.1, steps: int = 10,
             show_progress: bool | None = None, threads: int | None = None) -> Grid:
    """Train every configuration of betas x lrs x fills for every seed, as one batch of S * C independent models.

    Each seed fixes the initial prototypes (k distinct data points drawn at random), the data order
    of every epoch and the masks; every configuration of that seed sees the same ones, so configurations
    differ only by their hyperparameters. Adam (beta1 0.9, beta2 0.999, eps 1e-8, as ``torch.optim.Adam``)
    with each model's own learning rate. With ``mask=False`` the fill is unused (configs that differ
    only by it are identical). ``threads=None`` runs on one thread at the CI tier (tiny tensors: see
    ``tiers.threads``) and leaves the count alone at the paper tier.
    """
    X, k = _check_data(X, k)
    configs = _configs(betas, lrs, fills)
    seeds = tuple(_checks.seed(s) for s in (seeds if isinstance(seeds, (list, tuple, range)) else [seeds]))
    if not seeds:
        raise ValueError("seeds must hold at least one seed.")
    epochs = _checks.count("epochs", epochs, minimum=1)
    batch_size = _checks.count("batch_size", batch_size, minimum=1)
    steps = _checks.count("steps", steps, minimum=1)
    alpha = _checks.positive("alpha", alpha)
    if not 0 < mask_prob < 1:
        raise ValueError(f"mask_prob must lie in (0, 1), got {mask_prob!r}.")
    if not isinstance(mask, (bool, np.bool_)):
        raise TypeError(f"mask must be True or False, got {mask!r}.")
    N, D = X.shape
    S, C = len(seeds), len(configs)
    stats = {"mean": X.mean(0), "max": X.max(0).values, "min": X.min(0).values}
    fill = torch.stack([stats[c["fill"]] for c in configs])                         # (C, D)
    beta = torch.tensor([c["beta"] for c in configs], dtype=X.dtype).repeat(S)     # (S*C,)
    lr = torch.tensor([c["lr"] for c in configs], dtype=X.dtype).repeat(S)[:, None, None]
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    start = torch.stack([X[torch.randperm(N, generator=g)[:k]] for g in gens])      # (S, k, D)
    P = start[:, None].expand(S, C, k, D).reshape(S * C, k, D).clone()
    losses = torch.zeros(S, C, epochs, dtype=X.dtype)
    if threads is None and tiers.current() == "ci":
        threads = 1
    with tiers.threads(threads):
        _train(X, P, fill, beta, lr, gens, mask, mask_prob, alpha, steps, epochs, batch_size, losses, show_progress)
    P = P.reshape(S, C, k, D)
    labels = nearest(X[None, None].expand(S, C, N, D), P)
    return Grid(P, labels, configs, seeds, bool(mask), losses)


def _train(X, P, fill, beta, lr, gens, mask, mask_prob, alpha, steps, epochs, batch_size, losses, show_progress):
    # Minibatch Adam on the S * C models at once (see fit_grid); updates P and losses in place.
    N, D = X.shape
    S, C = losses.shape[:2]
    m1, m2 = torch.zeros_like(P), torch.zeros_like(P)
    b1, b2, eps, t = 0.9, 0.999, 1e-8, 0
    for epoch in progress(range(epochs), total=epochs, desc="ClAM grid", show=show_progress):
        orders = torch.stack([torch.randperm(N, generator=g) for g in gens])       # (S, N)
        for first in range(0, N, batch_size):
            idx = orders[:, first:first + batch_size]                               # (S, B)
            xb = X[idx]                                                             # (S, B, D)
            B = xb.shape[1]
            if mask:
                move = torch.stack([(torch.rand(B, D, generator=g, dtype=X.dtype) < mask_prob) for g in gens]).to(X.dtype)
                v0 = torch.where(move[:, None] > 0, fill[None, :, None, :], xb[:, None])   # (S, C, B, D)
                move_m = move[:, None].expand(S, C, B, D).reshape(S * C, B, D)
            else:
                v0 = xb[:, None].expand(S, C, B, D)
                move_m = None
            x_m = xb[:, None].expand(S, C, B, D).reshape(S * C, B, D)
            per_model, grad = loss_and_grad(v0.reshape(S * C, B, D), x_m, P, beta, move_m, alpha, steps)
            t += 1
            with torch.no_grad():
                m1.mul_(b1).add_(grad, alpha=1 - b1)
                m2.mul_(b2).addcmul_(grad, grad, value=1 - b2)
                step = lr * (m1 / (1 - b1 ** t)) / ((m2 / (1 - b2 ** t)).sqrt() + eps)
                P.sub_(step)
                losses[:, :, epoch] += per_model.reshape(S, C) * B / N


def fit(X, k: int, *, beta: float = 1.1, mask: bool = True, seed: int = 0, lr: float = 1e-2, fill: str = "max",
        epochs: int = 200, batch_size: int = 8, mask_prob: float = 0.2, alpha: float = 0.1, steps: int = 10) -> Clustering:
    """ClAM on standardised X (N, D) with k prototypes: ``.labels`` (N,), ``.prototypes`` (k, D).

    Defaults: the authors' fixed values (alpha 0.1, T = 10, batch 8, mask probability 0.2, 200 epochs)
    and the configuration beta 1.1, Adam lr 0.01, masked coordinates filled with the column maximum.
    ``mask=False`` trains without self-supervision (the k-means limit, (clam-identity)).
    """
    grid = fit_grid(X, k, betas=[beta], lrs=[lr], fills=[fill], seeds=[seed], mask=mask, epochs=epochs,
                    batch_size=batch_size, mask_prob=mask_prob, alpha=alpha, steps=steps)
    return grid.get(0, 0)


# ---------------------------------------------------------------- baselines and scores


def kmeans(X, k: int, *, n_init: int = 1000, seed: int = 0) -> Clustering:
    """Lloyd's k-means (scikit-learn, k-means++ starts), the best objective of ``n_init`` restarts."""
    from sklearn.cluster import KMeans

    X, k = _check_data(X, k)
    n_init = _checks.count("n_init", n_init, minimum=1)
    model = KMeans(n_clusters=k, n_init=n_init, random_state=_checks.seed(seed), algorithm="lloyd").fit(X.numpy())
    P = torch.as_tensor(model.cluster_centers_, dtype=X.dtype)
    return Clustering(torch.as_tensor(model.labels_, dtype=torch.long), P, {"n_init": n_init, "seed": seed})


def kmeans_restarts(X, k: int, *, restarts: int = 36, seed: int = 0) -> list[Clustering]:
    """``restarts`` single k-means runs (n_init = 1, seeds seed .. seed + restarts - 1), to be selected like a grid."""
    restarts = _checks.count("restarts", restarts, minimum=1)
    return [kmeans(X, k, n_init=1, seed=seed + r) for r in range(restarts)]


def silhouette(X, labels) -> float:
    """Mean silhouette (Euclidean) of a clustering; -1 when it has a single cluster (the score is undefined)."""
    from sklearn.metrics import silhouette_score

    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        return -1.0
    return float(silhouette_score(np.asarray(X), labels))


def ari(y, labels) -> float:
    """Adjusted Rand index between true classes y and cluster labels."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(np.asarray(y), np.asarray(labels)))


def select(X, candidates, k: int | None = None, min_size: int = 1) -> tuple[Clustering, float]:
    """The candidate with the highest silhouette among those with all k clusters non-empty (the protocol of the table).

    ``k`` defaults to the number of prototypes; ``min_size`` > 1 also requires every cluster to hold at least
    that many points (a silhouette can be raised by isolating a few outliers). Raises when no candidate qualifies.
    """
    min_size = _checks.count("min_size", min_size, minimum=1)
    best, best_score = None, -math.inf
    for c in candidates:
        if c.used() < (k or c.k) or torch.bincount(c.labels, minlength=c.k).min().item() < min_size:
            continue
        score = silhouette(X, c.labels)
        if score > best_score:
            best, best_score = c, score
    if best is None:
        raise ValueError("no candidate uses all k clusters; train longer or with more seeds.")
    return best, best_score


__all__ = ["FILLS", "GRID", "Clustering", "Grid", "soft_assignments", "energy", "dynamics", "completion_loss",
           "identity_factor", "nearest", "kmeans_objective", "fit_grid", "fit", "kmeans", "kmeans_restarts",
           "silhouette", "ari", "select"]
