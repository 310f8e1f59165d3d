"""Memories as spherical codes: optimal codes, their bounds, and the kernelized Hopfield model (KHM).

A *spherical code* is a set of M unit vectors x_1 .. x_M in R^d (the rows of X, (M, d)). Its
minimal separation is

    Delta_min(X) = min_{mu != nu} (1 - <x_mu, x_nu>),                              (sph-separation)

and an optimal code maximises it (in d = 3 this is the Tammes problem). ``optimal_code`` finds one
by minimising the smoothed maximum of the pairwise cosines,

    L_tau(X) = tau log sum_{mu < nu} exp(<x_mu, x_nu> / tau),                       (sph-loss)

over unit rows, with tau annealed geometrically from 0.1 to 0.005 (as tau -> 0, L_tau -> the
largest cosine, so its minimiser approaches the max-min code), from several random starts at once
(a leading restart axis), keeping the best. ``bounds`` gives the lower and upper bounds on the
optimal Delta_min that Hu, Wu and Liu (2024) use,

    lower = 1/2 (sqrt(pi) Gamma((d+1)/2) / (M Gamma(d/2 + 1)))^(2/(d-1)),
    upper = 2 (2 sqrt(pi) Gamma((d+1)/2) / (M Gamma(d/2)))^(1/(d-1)).               (sph-bounds)

The kernelized Hopfield model with feature map Phi(u) = W u + b has the kernel
K(u, v) = Phi(u)^T Phi(v), the energy and the update

    E(x) = 1/2 K(x, x) - lse(beta, K(Xi, x)),   lse(beta, z) = (1/beta) log sum_mu exp(beta z_mu),
    x <- Xi^T softmax(beta K(Xi, x)),                                               (sph-khm)

with memories Xi (M, d). The update stays in input space; only the similarity is in feature space.
With b = 0 and W of full column rank, K(x, x) = x^T A x with A = W^T W positive definite, and the
update is the concave-convex step of E (the gradient of the convex part at the new point equals
the gradient of the concave part at the old one), so E never increases. With ``normalise=True``
the features are projected onto the unit sphere, K(u, v) = cos(Phi(u), Phi(v)); the energy then has
no such guarantee and the update is used only as a retrieval rule.

``learn_feature_map`` is U-Hop+'s separation training: it minimises L_tau of the (normalised)
features Phi(xi_mu) over W and b with Adam. Whether the loss sees normalised or raw features is
an explicit argument, because the authors train on normalised features but retrieve with raw
ones, and the scale of (W, b) (which the normalised loss never sees, so its gradient is
orthogonal to (W, b) and steps only grow it) then acts as an inverse temperature:
``feature_gain`` = mean ||Phi(xi)||^2 / mean ||xi||^2 is the factor by which raw features multiply
beta. ``AUTHORS_RECIPE`` holds the authors' training settings (Adam at lr = 1 for 20 steps,
Kaiming-normal start, a loss with one member of each pair detached), under which the gain grows
a hundredfold; at lr = 0.01 it barely moves.

Shapes: x (..., d) batched over leading axes, Xi (M, d), W (D, d), b (D,). float64 throughout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .. import _checks
from .._checks import DTYPE

#: Known optimal minimal angles (degrees) of M points on the sphere in R^3 (the Tammes problem).
TAMMES = {2: 180.0, 3: 120.0, 4: 109.4712, 5: 90.0, 6: 90.0, 7: 77.8695, 8: 74.8585, 9: 70.5288,
          10: 66.1468, 11: 63.4349, 12: 63.4349, 13: 57.1367, 14: 55.6706, 15: 53.6579, 16: 52.2444,
          17: 51.0903, 18: 49.5567, 19: 47.6919, 20: 47.4310, 24: 43.6908}


def _code(X, name: str = "X") -> torch.Tensor:
    X = _checks.as_tensor(name, X, ndim=(2, 3))
    if X.shape[-2] < 2 or X.shape[-1] < 1:
        raise ValueError(f"{name} must hold at least 2 points of dimension >= 1 in its last two axes, got shape {tuple(X.shape)}.")
    norms = X.norm(dim=-1, keepdim=True)
    if (norms == 0).any():
        raise ValueError(f"{name} must have nonzero rows (they are projected onto the unit sphere), got a zero row.")
    return X / norms


def _num_dim(num, dim) -> tuple[int, int]:
    return _checks.count("num", num, minimum=2), _checks.count("dim", dim, minimum=2)


def pairwise_cosines(X) -> torch.Tensor:
    """Cosines <x_mu, x_nu> for mu < nu of the rows of X (..., M, d) after normalisation; (..., M (M-1) / 2)."""
    X = _code(X)
    G = X @ X.transpose(-1, -2)
    i, j = torch.triu_indices(X.shape[-2], X.shape[-2], offset=1)
    return G[..., i, j]


def min_separation(X) -> torch.Tensor:
    """Delta_min = min over pairs of 1 - <x_mu, x_nu> of the normalised rows of X (..., M, d); a scalar per code."""
    return 1 - pairwise_cosines(X).max(dim=-1).values


def min_angle(X) -> torch.Tensor:
    """The smallest angle between two rows of X, in degrees."""
    return torch.rad2deg(torch.arccos((1 - min_separation(X)).clamp(-1, 1)))


def separation_loss(features, tau: float, one_sided: bool = False) -> torch.Tensor:
    """L_tau = tau log sum_{mu<nu} exp(cos_{mu nu} / tau) of the normalised rows, (...,) (eq. sph-loss).

    ``one_sided=True`` gives the same value but lets the gradient flow only through the first
    member mu of each pair mu < nu (the second is detached), as in the authors' training script;
    the last row then receives no gradient of its own. It is not the gradient of any function of
    the features, and in the chapter's runs it does not raise Delta_min.
    """
    tau = _checks.positive("tau", tau)
    if not isinstance(one_sided, bool):
        raise TypeError(f"one_sided must be True or False, got {one_sided!r}.")
    if not one_sided:
        return tau * torch.logsumexp(pairwise_cosines(features) / tau, dim=-1)
    X = _code(features, "features")
    G = X @ X.detach().transpose(-1, -2)
    i, j = torch.triu_indices(X.shape[-2], X.shape[-2], offset=1)
    return tau * torch.logsumexp(G[..., i, j] / tau, dim=-1)


def _raw_loss(F, tau: float) -> torch.Tensor:
    G = F @ F.transpose(-1, -2)
    i, j = torch.triu_indices(F.shape[-2], F.shape[-2], offset=1)
    return tau * torch.logsumexp(G[..., i, j] / tau, dim=-1)


def random_code(num: int, dim: int, seed: int = 0, codes: int | None = None) -> torch.Tensor:
    """M points drawn uniformly on the sphere S^(d-1): (num, dim), or (codes, num, dim)."""
    num, dim = _num_dim(num, dim)
    g = torch.Generator().manual_seed(_checks.seed(seed))
    shape = (num, dim) if codes is None else (_checks.count("codes", codes, minimum=1), num, dim)
    X = torch.randn(shape, generator=g, dtype=DTYPE)
    return X / X.norm(dim=-1, keepdim=True)


def optimal_code(num: int, dim: int, seed: int = 0, restarts: int = 8, steps: int = 600,
                 tau=(0.1, 0.005), lr: float = 0.03) -> torch.Tensor:
    """A near-optimal spherical code of ``num`` points in R^``dim``: (num, dim) unit rows.

    Adam on unconstrained rows (projected onto the sphere in the loss) minimising L_tau, tau
    annealed geometrically from tau[0] to tau[1] over ``steps`` steps, from ``restarts`` random
    starts at once; the start with the largest Delta_min is returned. A single start can end in a
    local optimum several degrees short; the restarts are what make the defaults reliable.
    """
    num, dim = _num_dim(num, dim)
    restarts = _checks.count("restarts", restarts, minimum=1)
    steps = _checks.count("steps", steps, minimum=1, maximum=10**6)
    try:
        tau0, tau1 = (_checks.positive("tau", t) for t in tau)
    except TypeError:
        raise TypeError(f"tau must be a pair (start, end) of positive numbers, got {tau!r}.") from None
    lr = _checks.positive("lr", lr)
    Z = random_code(num, dim, seed=seed, codes=restarts).clone().requires_grad_(True)
    opt = torch.optim.Adam([Z], lr=lr)
    i, j = torch.triu_indices(num, num, offset=1)
    for k in range(steps):
        t = tau0 * (tau1 / tau0) ** (k / max(steps - 1, 1))
        X = Z / Z.norm(dim=-1, keepdim=True)
        C = (X @ X.transpose(-1, -2))[:, i, j]
        loss = (t * torch.logsumexp(C / t, dim=-1)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        X = Z / Z.norm(dim=-1, keepdim=True)
        return X[min_separation(X).argmax()].clone()


def bounds(num: int, dim: int) -> tuple[float, float]:
    """(lower, upper) bounds on the optimal Delta_min of ``num`` points on S^(dim-1) (eq. sph-bounds)."""
    num, dim = _num_dim(num, dim)
    d = dim
    log_lower = math.log(0.5) + (2 / (d - 1)) * (0.5 * math.log(math.pi) + math.lgamma((d + 1) / 2)
                                                  - math.log(num) - math.lgamma(d / 2 + 1))
    log_upper = math.log(2) + (1 / (d - 1)) * (math.log(2) + 0.5 * math.log(math.pi) + math.lgamma((d + 1) / 2)
                                                - math.log(num) - math.lgamma(d / 2))
    return math.exp(log_lower), math.exp(log_upper)


# ---------------------------------------------------------------------------------------------
# The kernelized Hopfield model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureMap:
    """Phi(u) = W u + b, W (D, d), b (D,); ``scale`` is the mean feature norm of the memories it was trained on."""

    W: torch.Tensor
    b: torch.Tensor
    scale: float = 1.0

    def __call__(self, x, normalise: bool) -> torch.Tensor:
        F = x @ self.W.T + self.b
        return F / F.norm(dim=-1, keepdim=True) if _normalise(normalise) else F

    @staticmethod
    def identity(dim: int) -> "FeatureMap":
        dim = _checks.count("dim", dim, minimum=1)
        return FeatureMap(torch.eye(dim, dtype=DTYPE), torch.zeros(dim, dtype=DTYPE))


def _normalise(value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"normalise must be True (features on the unit sphere) or False (raw features), got {value!r}.")
    return value


def _memories(Xi) -> torch.Tensor:
    Xi = _checks.as_tensor("Xi", Xi, ndim=2)
    if Xi.shape[0] < 1 or Xi.shape[1] < 1:
        raise ValueError(f"Xi must hold at least one memory of dimension >= 1, got shape {tuple(Xi.shape)}.")
    return Xi


def _queries(x, d: int) -> torch.Tensor:
    x = _checks.as_tensor("x", x)
    if x.ndim == 0 or x.shape[-1] != d:
        raise ValueError(f"x must have shape (..., d) with d = {d} (the memory dimension), got shape {tuple(x.shape)}.")
    return x


def _phi(phi, d: int) -> FeatureMap:
    if phi is None:
        return FeatureMap.identity(d)
    if not isinstance(phi, FeatureMap):
        raise TypeError(f"phi must be a FeatureMap or None (the identity), got {type(phi).__name__}.")
    if phi.W.shape[1] != d:
        raise ValueError(f"phi must map R^{d} (the memory dimension), got W of shape {tuple(phi.W.shape)}.")
    return phi


def kernel(x, Xi, phi: FeatureMap | None = None, normalise: bool = False) -> torch.Tensor:
    """K(Xi, x) = Phi(Xi) Phi(x): (..., M) for x (..., d)."""
    Xi = _memories(Xi)
    x = _queries(x, Xi.shape[1])
    phi = _phi(phi, Xi.shape[1])
    return phi(x, normalise) @ phi(Xi, normalise).T


def energy(x, Xi, beta: float, phi: FeatureMap | None = None, normalise: bool = False) -> torch.Tensor:
    """E(x) = 1/2 K(x, x) - (1/beta) log sum_mu exp(beta K(xi_mu, x)), (...,) (eq. sph-khm)."""
    beta = _checks.positive("beta", beta)
    Xi = _memories(Xi)
    x = _queries(x, Xi.shape[1])
    phi = _phi(phi, Xi.shape[1])
    F = phi(x, normalise)
    return 0.5 * (F * F).sum(-1) - torch.logsumexp(beta * kernel(x, Xi, phi, normalise), dim=-1) / beta


def weights(x, Xi, beta: float, phi: FeatureMap | None = None, normalise: bool = False) -> torch.Tensor:
    """softmax(beta K(Xi, x)): (..., M)."""
    beta = _checks.positive("beta", beta)
    return torch.softmax(beta * kernel(x, Xi, phi, normalise), dim=-1)


def update(x, Xi, beta: float, phi: FeatureMap | None = None, normalise: bool = False) -> torch.Tensor:
    """One KHM step x <- Xi^T softmax(beta K(Xi, x)): (..., d)."""
    return weights(x, Xi, beta, phi, normalise) @ _memories(Xi)


def retrieve(x, Xi, beta: float, phi: FeatureMap | None = None, normalise: bool = False,
             iterations: int = 100) -> torch.Tensor:
    """The weights softmax(beta K(Xi, x_T)) after ``iterations`` updates: (..., M)."""
    iterations = _checks.count("iterations", iterations, minimum=0, maximum=10**5)
    for _ in range(iterations):
        x = update(x, Xi, beta, phi, normalise)
    return weights(x, Xi, beta, phi, normalise)


#: The authors' synthetic metastable-state script (``synthetic_metastable.py`` with ``feature_map.py``
#: of the public Optimal-Hopfield-Memory code): Adam at its default lr = 1 for 20 full-batch steps,
#: a Kaiming-normal affine map with bias, one-sided loss at tau = 0.1, no weight normalisation.
AUTHORS_RECIPE = dict(lr=1.0, steps=20, init="kaiming", one_sided=True, tau=0.1, bias=True)


def learn_feature_map(Xi, dim: int, *, normalise: bool, tau: float = 0.1, steps: int = 500, lr: float = 0.01,
                      seed: int = 0, bias: bool = True, init: str = "identity", one_sided: bool = False,
                      checkpoints=None):
    """U-Hop+'s separation training: Adam on Phi(u) = W u + b minimising L_tau of the features of the memories.

    ``normalise=True`` puts the features on the unit sphere inside the loss (the authors' choice),
    so the loss is blind to the scale of (W, b): L(cW, cb) = L(W, b) for every c > 0, hence its
    gradient is orthogonal to (W, b) and a small gradient step can only grow ||(W, b)||. Adam's
    steps have a size of about ``lr`` per entry whatever the gradient's size, so at lr = 1 (the
    authors' default) the feature scale, and with it the effective beta of a retrieval with raw
    features, grows by orders of magnitude within 20 steps; at lr = 0.01 it barely moves.
    ``normalise=False`` uses raw inner products.

    ``init="identity"``: W starts at the identity when ``dim`` equals the memory dimension (the
    plain model), else at a Gaussian map with rows of norm about 1, and b at 0.
    ``init="kaiming"``: PyTorch's ``nn.Linear`` with Kaiming-normal weights, as in the authors'
    script: W ~ N(0, 2/d) entrywise, b ~ U(-1/sqrt d, 1/sqrt d).
    ``one_sided`` is passed to ``separation_loss``. ``checkpoints`` (step counts) returns the list
    of maps after those many steps instead of the final one.
    """
    Xi = _memories(Xi)
    if Xi.shape[0] < 2:
        raise ValueError(f"Xi must hold at least 2 memories for a separation loss, got shape {tuple(Xi.shape)}.")
    normalise = _normalise(normalise)
    dim = _checks.count("dim", dim, minimum=1)
    tau = _checks.positive("tau", tau)
    steps = _checks.count("steps", steps, minimum=0, maximum=10**6)
    lr = _checks.positive("lr", lr)
    init = _checks.choice("init", init, ("identity", "kaiming"))
    if not isinstance(one_sided, bool):
        raise TypeError(f"one_sided must be True or False, got {one_sided!r}.")
    if checkpoints is None:
        wanted = {steps}
    else:
        wanted = {_checks.count("checkpoints", c, minimum=0, maximum=steps) for c in checkpoints}
        if not wanted:
            raise ValueError("checkpoints must name at least one step count, got an empty sequence.")
    d = Xi.shape[1]
    g = torch.Generator().manual_seed(_checks.seed(seed))
    if init == "kaiming":
        W0 = torch.randn(dim, d, generator=g, dtype=DTYPE) * math.sqrt(2 / d)
        b0 = (2 * torch.rand(dim, generator=g, dtype=DTYPE) - 1) / math.sqrt(d) if bias else torch.zeros(dim, dtype=DTYPE)
    else:
        W0 = torch.eye(dim, dtype=DTYPE) if dim == d else torch.randn(dim, d, generator=g, dtype=DTYPE) / math.sqrt(d)
        b0 = torch.zeros(dim, dtype=DTYPE)
    W = W0.clone().requires_grad_(True)
    b = b0.clone().requires_grad_(bias)
    opt = torch.optim.Adam([W, b] if bias else [W], lr=lr)

    def snapshot() -> FeatureMap:
        Wd, bd = W.detach().clone(), b.detach().clone()
        return FeatureMap(Wd, bd, float((Xi @ Wd.T + bd).norm(dim=-1).mean() / Xi.norm(dim=-1).mean()))

    maps = {0: snapshot()} if 0 in wanted else {}
    for k in range(1, steps + 1):
        F = Xi @ W.T + b
        loss = separation_loss(F, tau, one_sided) if normalise else _raw_loss(F, tau)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if k in wanted:
            maps[k] = snapshot()
    if checkpoints is None:
        return maps[steps]
    return [maps[_checks.count("checkpoints", c)] for c in checkpoints]


def feature_gain(phi: FeatureMap, Xi) -> float:
    """Mean ||Phi(xi_mu)||^2 / mean ||xi_mu||^2: the factor by which raw features multiply beta.

    With unit memories and a map that keeps their feature norms equal, the raw kernel is
    ||Phi(xi)|| ||Phi(x)|| cos = gain x cos (for unit queries), so retrieval with raw features
    at beta is the cosine model at beta x gain.
    """
    Xi = _memories(Xi)
    phi = _phi(phi, Xi.shape[1])
    return float((phi(Xi, False).norm(dim=-1) ** 2).mean() / (Xi.norm(dim=-1) ** 2).mean())
