"""The linear associative memory and its cross-entropy loss (book chapter chap-associative-memory).

A memory W (d, d) scores output y for input x as s_W(x, y) = u_y^T W e_x (book: chap-associative-memory, eq-scores).
Every function takes ``(W, E, U, freqs, targets)`` with E (N, d), U (M, d),
freqs (N,), targets (N,) integer classes, and accepts a batch of memories W of
shape (..., d, d); results then carry the leading batch dimensions.
All computations are float64 and stable for scores of any size (log-sum-exp form).
"""

from __future__ import annotations

import torch

from . import _checks


def _inputs(W, E, U, freqs=None, targets=None):
    E, U = _checks.embeddings(E, U)
    W = _checks.memory_matrix(W, E.shape[1], device=E.device)
    n, m = E.shape[0], U.shape[0]
    p = None if freqs is None else _checks.freqs(freqs, n, device=E.device)
    t = None if targets is None else _checks.targets(targets, n, m, device=E.device)
    return W, E, U, p, t


def _scores(W, E, U):
    return E @ W.transpose(-1, -2) @ U.T


def _checked_scores(W, E, U):
    """The scores, refused when they overflow float64: a loss or an argmax of inf scores would be NaN or arbitrary."""
    s = _scores(W, E, U)
    if not torch.isfinite(s).all():
        sizes = f"max |E| = {E.abs().max().item():.3g}, max |U| = {U.abs().max().item():.3g}, max |W| = {W.abs().max().item():.3g}"
        raise ValueError(f"the scores u_y^T W e_x overflow float64 ({sizes}); rescale E, U or W "
                         "(the model is invariant to moving a scale from W into E or U only up to that overflow).")
    return s


def scores(W, E, U) -> torch.Tensor:
    """s[..., x, y] = u_y^T W e_x; shape (..., N, M)."""
    W, E, U, _, _ = _inputs(W, E, U)
    return _checked_scores(W, E, U)


def probabilities(W, E, U) -> torch.Tensor:
    """p_W(y | x) = softmax_y s[x, y]; shape (..., N, M)."""
    W, E, U, _, _ = _inputs(W, E, U)
    return torch.softmax(_checked_scores(W, E, U), dim=-1)


def _token_losses(s, t):
    correct = s.gather(-1, t.expand(*s.shape[:-1]).unsqueeze(-1)).squeeze(-1)
    return torch.logsumexp(s, dim=-1) - correct


def _margins(s, t):
    index = t.expand(*s.shape[:-1]).unsqueeze(-1)
    correct = s.gather(-1, index).squeeze(-1)
    if s.shape[-1] == 1:
        return torch.full_like(correct, torch.inf)
    others = s.scatter(-1, index, -torch.inf)
    return correct - others.amax(dim=-1)


def _zero_one(s, t, p):
    # torch.argmax returns the first maximal index: ties go to the smallest class (W = 0 predicts 0).
    wrong = (s.argmax(dim=-1) != t).to(p.dtype)
    return wrong @ p


def token_losses(W, E, U, freqs, targets) -> torch.Tensor:
    """Per-token cross-entropy l(x) = logsumexp_y s[x, y] - s[x, f*(x)]; shape (..., N)."""
    W, E, U, _, t = _inputs(W, E, U, freqs, targets)
    return _token_losses(_checked_scores(W, E, U), t)


def loss(W, E, U, freqs, targets) -> torch.Tensor:
    """Population cross-entropy L(W) = sum_x p(x) l(x) (eq-loss); shape (...)."""
    W, E, U, p, t = _inputs(W, E, U, freqs, targets)
    return _token_losses(_checked_scores(W, E, U), t) @ p


def zero_one_loss(W, E, U, freqs, targets) -> torch.Tensor:
    """L01(W) = sum_x p(x) 1{argmax_y s[x, y] != f*(x)}, ties to the smallest class; shape (...)."""
    W, E, U, p, t = _inputs(W, E, U, freqs, targets)
    return _zero_one(_checked_scores(W, E, U), t, p)


def margins(W, E, U, freqs, targets) -> torch.Tensor:
    """m(x) = s[x, f*(x)] - max_{y != f*(x)} s[x, y]; shape (..., N). ``freqs`` is only validated.

    With a single output class (M = 1) there is no competitor and every margin is +inf.
    """
    W, E, U, _, t = _inputs(W, E, U, freqs, targets)
    return _margins(_checked_scores(W, E, U), t)


def _residual(s, t):
    """r[..., x, y] = p_W(y|x) - 1{y = f*(x)}: the gradient of token x's loss with respect to its scores."""
    r = torch.softmax(s, dim=-1)
    r[..., torch.arange(len(t)), t] -= 1.0
    return r


def _gradient_from_scores(s, E, U, p, t):
    residual = _residual(s, t) * p[:, None]
    return U.T @ residual.transpose(-1, -2) @ E


def gradient(W, E, U, freqs, targets) -> torch.Tensor:
    """grad L(W) = sum_x p(x) sum_y (p_W(y|x) - 1{y = f*(x)}) u_y e_x^T (eq-gradient); shape (..., d, d)."""
    W, E, U, p, t = _inputs(W, E, U, freqs, targets)
    return _gradient_from_scores(_checked_scores(W, E, U), E, U, p, t)


def _hessian(W, E, U, p):
    probs = torch.softmax(_checked_scores(W, E, U), dim=-1)  # (..., N, M)
    mean_u = probs @ U  # (..., N, d)
    second = torch.einsum("...xy,yi,yk->...xik", probs, U, U)
    cov = second - mean_u.unsqueeze(-1) * mean_u.unsqueeze(-2)  # (..., N, d, d)
    # Row-major vec(W): H[(i, j), (k, l)] = sum_x p(x) Cov_x[i, k] e_x[j] e_x[l].
    H = torch.einsum("x,...xik,xj,xl->...ijkl", p, cov, E, E)
    d = E.shape[1]
    return H.reshape(*H.shape[:-4], d * d, d * d)


def hessian(W, E, U, freqs, targets) -> torch.Tensor:
    """Hessian of L at W for row-major vec(W): sum_x p(x) Cov_{p_W(.|x)}(u) kron e_x e_x^T; shape (..., d^2, d^2)."""
    W, E, U, p, _ = _inputs(W, E, U, freqs, targets)
    return _hessian(W, E, U, p)


def sharpness(W, E, U, freqs, targets) -> torch.Tensor:
    """Largest Hessian eigenvalue; GD with step eta is locally unstable where eta * sharpness > 2. Shape (...)."""
    W, E, U, p, _ = _inputs(W, E, U, freqs, targets)
    return torch.linalg.eigvalsh(_hessian(W, E, U, p))[..., -1]


def hebbian_step(E, U, freqs, targets, step_size) -> torch.Tensor:
    """The first GD step from W_0 = 0 in closed form (book: prop-hebbian-step); shape (S, d, d).

    W_1 = eta sum_x p(x) (u_{f*(x)} - mean_y u_y) e_x^T: at W = 0 the softmax is
    uniform, so the anti-Hebbian correction is the mean unembedding.
    """
    E, U = _checks.embeddings(E, U)
    p = _checks.freqs(freqs, E.shape[0])
    t = _checks.targets(targets, E.shape[0], U.shape[0])
    eta = _checks.step_sizes(step_size)
    hebbian = (U[t] - U.mean(dim=0)).T @ (p[:, None] * E)
    return eta[:, None, None] * hebbian
