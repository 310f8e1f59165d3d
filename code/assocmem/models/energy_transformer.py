"""The Energy Transformer (Hoover et al. 2023): one Transformer block that descends one energy.

Tokens x_A in R^D (A = 1..N) are normalised by an *energy* LayerNorm, the gradient of the
Lagrangian

    L(x) = D gamma sqrt(mean((x - mean x)^2) + eps) + delta^T x,
    g = dL/dx = gamma (x - mean x) / sqrt(var x + eps) + delta                    (et-layernorm)

with a scalar gamma > 0 (a vector gamma would not make g a gradient). L is convex, so its
Hessian H(x) = dg/dx is symmetric positive semi-definite. The energy has three terms:

    E_LN  = sum_A (x_A^T g_A - L(x_A))                                             (et-eln)
    E_ATT = -(1/beta) sum_h sum_C log sum_{B != C} exp(beta K_hB^T Q_hC),          (et-eatt)
            K_hB = W_K[h] g_B, Q_hC = W_Q[h] g_C (Y-dimensional), beta = 1/sqrt(Y)
    E_HN  = -1/2 sum_C sum_mu ReLU(xi_mu^T g_C)^2                                   (et-ehn)

E_LN is the Legendre transform of L written in x; as a function of g its gradient is x. Hence

    dE/dg_A = x_A + dE_ATT/dg_A + dE_HN/dg_A,                                      (et-grad)

where the last two are partial derivatives at fixed g. The dynamics are tau dx/dt = -dE/dg and a
descent step is x <- x - alpha dE/dg. Along the continuous dynamics
dE/dt = -(1/tau) (dE/dg)^T H (dE/dg) <= 0.

Variants. ``exclude_self=True`` (default) is the paper's attention energy, which leaves B = C out
of the log-sum-exp; ``exclude_self=False`` is the authors' simplified code, which keeps it. Both
use a scalar gamma here. ``leak=True`` (default) keeps the x_A term of (et-grad), the paper's
dynamics; ``leak=False`` drops it, as the authors' code does (x <- x - alpha d(E_ATT + E_HN)/dg),
and then E_ATT + E_HN alone is non-increasing along the continuous dynamics, by the same argument.

Attention mask. Every method that touches E_ATT takes ``mask=None``: a bool tensor (N, N) or
(batch, N, N) with ``mask[..., B, C]`` True when query token C may attend to key token B. Masked-out
pairs leave the log-sum-exp of (et-eatt), so a token sees only its neighbourhood (for nodes of a
graph: the adjacency matrix). ``mask=None`` is the full attention, computed exactly as before the
argument existed; an all-True mask gives the same numbers. Every query C must keep at least one key
(B != C when ``exclude_self``), else its log-sum-exp would be over nothing.

Shapes: x (batch, N, D); W_K, W_Q (H, Y, D); xi (M, D). Every energy is returned per item, (batch,).
"""

from __future__ import annotations

import math

import torch

from .. import _checks
from .._checks import DTYPE


def _tokens(x, D: int) -> torch.Tensor:
    x = _checks.as_tensor("x", x, ndim=3)
    if x.shape[-1] != D:
        raise ValueError(f"x must have shape (batch, N, D) with D = {D} (the token dimension), got shape {tuple(x.shape)}.")
    if x.shape[1] < 2:
        raise ValueError(f"x must hold at least N = 2 tokens (attention excludes B = C), got shape {tuple(x.shape)}.")
    return x


def _attention_mask(mask, x: torch.Tensor, exclude_self: bool):
    """Check ``mask`` against tokens x (batch, N, D); return it shaped to broadcast over heads, or None."""
    if mask is None:
        return None
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        raise TypeError("mask must be a bool tensor (N, N) or (batch, N, N), True where query C may attend to key B; "
                        f"got {type(mask).__name__}{'' if not isinstance(mask, torch.Tensor) else ' of dtype ' + str(mask.dtype)}.")
    batch, N = x.shape[0], x.shape[1]
    if mask.ndim not in (2, 3) or mask.shape[-2:] != (N, N) or (mask.ndim == 3 and mask.shape[0] not in (1, batch)):
        raise ValueError(f"mask must have shape (N, N) = ({N}, {N}) or (batch, N, N) = ({batch}, {N}, {N}), got shape {tuple(mask.shape)}.")
    mask = mask.to(x.device)
    allowed = mask & ~torch.eye(N, dtype=torch.bool, device=x.device) if exclude_self else mask
    if not allowed.any(-2).all():
        raise ValueError("mask leaves a query token with no key to attend to: every column C of mask needs a True entry"
                         + (" with B != C (self-attention is excluded)" if exclude_self else "")
                         + "; give isolated graph nodes at least one neighbour.")
    return mask[:, None] if mask.ndim == 3 else mask


class EnergyTransformer(torch.nn.Module):
    """One Energy Transformer block: energy LayerNorm, multi-head energy attention, Hopfield layer.

    Parameters: ``gamma`` (scalar), ``delta`` (D,), ``W_K`` and ``W_Q`` (H, Y, D), ``xi`` (M, D).
    ``forward(x, steps, alpha)`` runs ``steps`` descent steps and returns the final tokens.
    """

    def __init__(self, D: int, heads: int = 2, Y: int = 16, memories: int = 64, eps: float = 1e-5,
                 exclude_self: bool = True, leak: bool = True, seed: int = 0, dtype=DTYPE):
        super().__init__()
        self.D = _checks.count("D", D, minimum=1)
        self.heads = _checks.count("heads", heads, minimum=1)
        self.Y = _checks.count("Y", Y, minimum=1)
        self.memories = _checks.count("memories", memories, minimum=1)
        self.eps = _checks.positive("eps", eps)
        self.exclude_self = bool(exclude_self)
        self.leak = bool(leak)
        self.beta = 1 / math.sqrt(self.Y)
        g = torch.Generator().manual_seed(_checks.seed(seed))
        self.gamma = torch.nn.Parameter(torch.ones((), dtype=dtype))
        self.delta = torch.nn.Parameter(torch.zeros(self.D, dtype=dtype))
        self.W_K = torch.nn.Parameter(torch.randn(self.heads, self.Y, self.D, generator=g, dtype=dtype) * 0.002 ** 0.5)
        self.W_Q = torch.nn.Parameter(torch.randn(self.heads, self.Y, self.D, generator=g, dtype=dtype) * 0.002 ** 0.5)
        self.xi = torch.nn.Parameter(torch.randn(self.memories, self.D, generator=g, dtype=dtype) * 0.02 ** 0.5)

    # ---- the LayerNorm and its Lagrangian ---------------------------------------------------
    def _std(self, x):
        return torch.sqrt(((x - x.mean(-1, keepdim=True)) ** 2).mean(-1, keepdim=True) + self.eps)

    def layernorm(self, x) -> torch.Tensor:
        """g = dL/dx, (batch, N, D)."""
        return self.gamma * (x - x.mean(-1, keepdim=True)) / self._std(x) + self.delta

    def lagrangian(self, x) -> torch.Tensor:
        """L(x_A) per token, (batch, N)."""
        return self.D * self.gamma * self._std(x)[..., 0] + x @ self.delta

    # ---- the three energy terms --------------------------------------------------------------
    def _scores(self, g, mask=None):
        """K, Q (batch, h, N, Y) and the scores A (batch, h, B, C); ``mask`` is already checked."""
        K = torch.einsum("hyd,bnd->bhny", self.W_K, g)
        Q = torch.einsum("hyd,bnd->bhny", self.W_Q, g)
        A = self.beta * K @ Q.transpose(-1, -2)  # (batch, h, B, C)
        if self.exclude_self:
            A = A.masked_fill(torch.eye(g.shape[1], dtype=torch.bool, device=g.device), -math.inf)
        if mask is not None:
            A = A.masked_fill(~mask, -math.inf)
        return K, Q, A

    def energy_ln(self, x, g=None) -> torch.Tensor:
        """E_LN = sum_A (x_A . g_A - L(x_A)), (batch,). ``g`` defaults to layernorm(x)."""
        g = self.layernorm(x) if g is None else g
        return (x * g).sum((-1, -2)) - self.lagrangian(x).sum(-1)

    def energy_att(self, g, mask=None) -> torch.Tensor:
        """E_ATT = -(1/beta) sum_h sum_C logsumexp_{B (!= C, allowed by mask)} beta K_hB . Q_hC, (batch,)."""
        return self._energy_att(g, _attention_mask(mask, g, self.exclude_self))

    def _energy_att(self, g, mask):
        _, _, A = self._scores(g, mask)
        return -torch.logsumexp(A, dim=-2).sum((-1, -2)) / self.beta

    def attention(self, x, mask=None) -> torch.Tensor:
        """The attention weights at tokens x: P[b, h, B, C] = softmax over B of beta K_hB . Q_hC, (batch, h, N, N).

        Column C is the distribution with which token C's query pulls on the keys; it is the softmax
        inside dE_ATT/dg, so it is what the descent step uses. Masked-out and self pairs get exactly 0."""
        x = _tokens(x, self.D)
        _, _, A = self._scores(self.layernorm(x), _attention_mask(mask, x, self.exclude_self))
        return torch.softmax(A, dim=-2)

    def energy_hn(self, g) -> torch.Tensor:
        """E_HN = -1/2 sum_C sum_mu ReLU(xi_mu . g_C)^2, (batch,)."""
        return -0.5 * (torch.relu(g @ self.xi.T) ** 2).sum((-1, -2))

    def energies(self, x, mask=None) -> dict[str, torch.Tensor]:
        """The three terms at tokens x, each (batch,)."""
        x = _tokens(x, self.D)
        g = self.layernorm(x)
        return {"ln": self.energy_ln(x, g), "att": self.energy_att(g, mask), "hn": self.energy_hn(g)}

    def energy(self, x, g=None, mask=None) -> torch.Tensor:
        """Total energy, (batch,). With ``g`` given, E(x, g) = sum x.g - L(x) + E_ATT(g) + E_HN(g) with g free:
        its partial derivative in g at g = layernorm(x) is dE/dg of (et-grad)."""
        x = _tokens(x, self.D)
        g = self.layernorm(x) if g is None else g
        ln = self.energy_ln(x, g) if self.leak else torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        return ln + self.energy_att(g, mask) + self.energy_hn(g)

    def token_energies(self, x, mask=None) -> torch.Tensor:
        """Each token's share of the energy, (batch, N); summed over tokens it is ``energy(x)``.

        Token C's share: x_C . g_C - L(x_C) (with leak), the attention term of its own query,
        -(1/beta) sum_h logsumexp_B beta K_hB . Q_hC, and its Hopfield term."""
        x = _tokens(x, self.D)
        g = self.layernorm(x)
        _, _, A = self._scores(g, _attention_mask(mask, x, self.exclude_self))
        att = -torch.logsumexp(A, dim=-2).sum(1) / self.beta
        ln = (x * g).sum(-1) - self.lagrangian(x) if self.leak else 0
        return ln + att - 0.5 * (torch.relu(g @ self.xi.T) ** 2).sum(-1)

    # ---- the gradient in g and one descent step ----------------------------------------------
    def grad_g(self, x, mask=None) -> torch.Tensor:
        """dE/dg (batch, N, D) in closed form: x + attention term + Hopfield term (x only with leak)."""
        x = _tokens(x, self.D)
        return self._grad_g(x, _attention_mask(mask, x, self.exclude_self))

    def _grad_g(self, x, mask):
        g = self.layernorm(x)
        K, Q, A = self._scores(g, mask)
        P = torch.softmax(A, dim=-2)  # over B, for each C
        dK = -P @ Q  # dE/dK_hB = -sum_C P_BC Q_C
        dQ = -P.transpose(-1, -2) @ K  # dE/dQ_hC = -sum_B P_BC K_B
        att = torch.einsum("bhny,hyd->bnd", dK, self.W_K) + torch.einsum("bhny,hyd->bnd", dQ, self.W_Q)
        hn = -torch.relu(g @ self.xi.T) @ self.xi
        return att + hn + (x if self.leak else 0)

    def step(self, x, alpha: float = 0.1, mask=None) -> torch.Tensor:
        """x <- x - alpha dE/dg."""
        return x - _checks.positive("alpha", alpha) * self.grad_g(x, mask)

    def forward(self, x, steps: int = 8, alpha: float = 0.1, record: bool = False, mask=None):
        """Run ``steps`` descent steps; with ``record`` also return the energy at each step, (steps + 1, batch)."""
        x = _tokens(x, self.D)
        steps = _checks.count("steps", steps, minimum=0, maximum=10_000)
        alpha = _checks.positive("alpha", alpha)
        mask = _attention_mask(mask, x, self.exclude_self)  # checked once, reused at every step
        trace = [self._energy_checked(x, mask)] if record else None
        for _ in range(steps):
            x = x - alpha * self._grad_g(x, mask)
            if record:
                trace.append(self._energy_checked(x, mask))
        return (x, torch.stack(trace)) if record else x

    def _energy_checked(self, x, mask):
        g = self.layernorm(x)
        return (self.energy_ln(x, g) if self.leak else 0) + self._energy_att(g, mask) + self.energy_hn(g)
