"""Full-batch gradient descent and minibatch SGD on the memory (book section "Learning with gradient descent").

A sequence of step sizes runs as one batched computation: the memories of all S
runs are stacked into one tensor W of shape (S, d, d) and updated together, so a
sweep costs one tensor operation per step rather than S Python loops.

Logging follows the authors' convention: the values at index t are measured on
W_t, before update t (so ``loss[:, 0]`` is L(W_0)).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from . import _checks, memory
from ._progress import progress


@dataclass
class Run:
    """Result of a GD or SGD run over S step sizes and T steps.

    Attributes
    ----------
    step_sizes : (S,) the step sizes, in the order given.
    loss : (S, T) population cross-entropy L(W_t).
    zero_one : (S, T) population 0-1 loss L01(W_t).
    margins : (S, T, N) margins m_{W_t}(x).
    W_final : (S, d, d) the memory after the last update, W_T.
    W : (S, T + 1, d, d) every iterate W_0..W_T, or None unless ``store_W=True``.
    """

    step_sizes: torch.Tensor
    loss: torch.Tensor
    zero_one: torch.Tensor
    margins: torch.Tensor
    W_final: torch.Tensor
    W: torch.Tensor | None = None

    @property
    def accuracy(self) -> torch.Tensor:
        """Frequency-weighted accuracy 1 - L01(W_t); shape (S, T)."""
        return 1.0 - self.zero_one


def _setup(E, U, freqs, targets, step_size, steps, W0):
    E, U = _checks.embeddings(E, U)
    p = _checks.freqs(freqs, E.shape[0])
    t = _checks.targets(targets, E.shape[0], U.shape[0])
    eta = _checks.step_sizes(step_size)
    steps = _checks.count("steps", steps)
    d, S = E.shape[1], eta.shape[0]
    if W0 is None:
        W = torch.zeros(S, d, d, dtype=E.dtype)
    else:
        W0 = _checks.memory_matrix(W0, d)
        if W0.ndim == 2:
            W = W0.expand(S, d, d).clone()
        elif W0.shape == (S, d, d):
            W = W0.clone()
        else:
            raise ValueError(f"W0 must have shape ({d}, {d}) or ({S}, {d}, {d}) (one per step size), got {tuple(W0.shape)}.")
    return E, U, p, t, eta, steps, W


def _run(E, U, p, t, eta, steps, W, gradient_at, store_W, show_progress, desc):
    """The shared loop: log on W_t, then W_{t+1} = W_t - eta * gradient_at(scores of W_t, t)."""
    S, N = eta.shape[0], E.shape[0]
    loss = torch.empty(S, steps, dtype=E.dtype)
    zero_one = torch.empty(S, steps, dtype=E.dtype)
    margins = torch.empty(S, steps, N, dtype=E.dtype)
    history = torch.empty(S, steps + 1, *W.shape[1:], dtype=E.dtype) if store_W else None
    scale = eta[:, None, None]
    for step in progress(range(steps), total=steps, desc=desc, show=show_progress):
        s = memory._scores(W, E, U)
        if not torch.isfinite(s).all():
            worst = eta[~torch.isfinite(s).flatten(1).all(dim=1)].max().item()
            raise ValueError(f"the scores overflowed float64 at step {step} (step_size {worst:g}); use a smaller step_size.")
        loss[:, step] = memory._token_losses(s, t) @ p
        zero_one[:, step] = memory._zero_one(s, t, p)
        margins[:, step] = memory._margins(s, t)
        if store_W:
            history[:, step] = W
        W = W - scale * gradient_at(s, step)
    if store_W:
        history[:, steps] = W
    return Run(step_sizes=eta, loss=loss, zero_one=zero_one, margins=margins, W_final=W, W=history)


def gd(E, U, freqs, targets, step_size, steps, W0=None, *, store_W: bool = False, show_progress: bool | None = None) -> Run:
    """Full-batch gradient descent W_{t+1} = W_t - eta grad L(W_t) for each step size eta.

    ``step_size`` is a positive number or a 1-D sequence of S of them; ``W0`` is
    (d, d) shared by all runs or (S, d, d), zero by default.
    """
    E, U, p, t, eta, steps, W = _setup(E, U, freqs, targets, step_size, steps, W0)
    return _run(E, U, p, t, eta, steps, W, lambda s, _: memory._gradient_from_scores(s, E, U, p, t), store_W, show_progress, "GD")


#: Tokens drawn per call of the sampler: bounds the memory of the draws (8 bytes a token) whatever
#: the batch size. Draws come in blocks of whole steps, so up to this size the stream is the one
#: of a single torch.multinomial call over every step (as the authors draw their batches).
CHUNK = 1 << 22


def batch_counts(freqs, steps: int, batch_size: int, seed: int = 0):
    """The minibatches of ``sgd`` as empirical frequencies: yields ``steps`` tensors (N,) summing to 1 (none for 0 steps).

    Step k's batch is ``batch_size`` tokens drawn i.i.d. from ``freqs`` (with replacement) by a
    private generator seeded with ``seed``: draws k * batch_size .. (k + 1) * batch_size - 1 of one
    stream. The stream is drawn in blocks of at most ``CHUNK`` tokens (a batch larger than that in
    several calls), so a huge batch costs time, not memory.
    """
    p = _checks.as_tensor("freqs", freqs, ndim=1)
    p = _checks.freqs(p, p.shape[0])
    steps = _checks.count("steps", steps)
    batch_size = _checks.count("batch_size", batch_size, minimum=1)
    generator = torch.Generator().manual_seed(_checks.seed(seed))
    return _draw_counts(p, steps, batch_size, generator)  # checked now, drawn lazily


def _draw_counts(p, steps, batch_size, generator):
    N = p.shape[0]
    if batch_size <= CHUNK:
        per_block = max(1, CHUNK // batch_size)
        for first in range(0, steps, per_block):
            block = min(per_block, steps - first)
            tokens = torch.multinomial(p, block * batch_size, replacement=True, generator=generator).reshape(block, batch_size)
            for row in tokens:
                yield torch.bincount(row, minlength=N).to(p.dtype) / batch_size
        return
    for _ in range(steps):
        counts = torch.zeros(N, dtype=torch.int64)
        left = batch_size
        while left:
            draw = min(left, CHUNK)
            counts += torch.bincount(torch.multinomial(p, draw, replacement=True, generator=generator), minlength=N)
            left -= draw
        yield counts.to(p.dtype) / batch_size


def sgd(
    E, U, freqs, targets, step_size, steps, batch_size, W0=None, seed=0, *, store_W: bool = False, show_progress: bool | None = None
) -> Run:
    """Minibatch SGD: each step draws ``batch_size`` tokens i.i.d. from ``freqs`` and descends their mean cross-entropy.

    All step sizes see the same sequence of batches (drawn from a private generator
    seeded with ``seed``), so runs differ only by their step size. Logged losses are
    population losses.
    """
    E, U, p, t, eta, steps, W = _setup(E, U, freqs, targets, step_size, steps, W0)
    counts = batch_counts(p, steps, batch_size, seed)

    def batch_gradient(s, step):
        # The mean over the batch is the population gradient under the empirical token frequencies.
        return memory._gradient_from_scores(s, E, U, next(counts), t)

    return _run(E, U, p, t, eta, steps, W, batch_gradient, store_W, show_progress, "SGD")
