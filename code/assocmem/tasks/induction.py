"""The trigger / induction-head task of *Birth of a Transformer* (book chapter "Inside a small Transformer").

A global bigram model over a vocabulary of ``V`` tokens (Zipf-like unigrams ``pi`` and
transition rows drawn from a Dirichlet law centred on ``pi``) generates the sequences,
except that ``k`` *trigger* tokens are always followed, within a sequence, by that
sequence's own *output* token (one output per trigger, drawn afresh for each sequence
from ``pi`` restricted to the non-trigger tokens). Predicting the token after the second
and later occurrences of a trigger needs the context: it is the token that followed the
trigger's first occurrence, which an induction head can copy. Nothing is downloaded:
every law is drawn from a seed.

Shapes: a batch holds ``tokens`` and ``targets`` (B, T) int64 (``targets[:, t]`` is the
token at position t + 1), ``mask`` (B, T) bool (second and later trigger occurrences)
and ``outputs`` (B, k) int64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .. import _checks
from .._checks import DTYPE

TRIGGER_CHOICES = ("frequent", "sampled")


@dataclass(frozen=True)
class BigramModel:
    """unigram (V,) float64, transitions (V, V) float64 rows summing to 1, triggers (k,) int64."""

    unigram: torch.Tensor
    transitions: torch.Tensor
    triggers: torch.Tensor
    seed: int

    @property
    def vocab_size(self) -> int:
        return self.unigram.shape[0]

    @property
    def output_law(self) -> torch.Tensor:
        """The law of a sequence's output tokens: the unigram restricted to non-triggers, shape (V,)."""
        law = self.unigram.clone()
        law[self.triggers] = 0.0
        return law / law.sum()


@dataclass(frozen=True)
class Batch:
    """tokens, targets (B, T) int64; mask (B, T) bool; outputs (B, k) int64."""

    tokens: torch.Tensor
    targets: torch.Tensor
    mask: torch.Tensor
    outputs: torch.Tensor

    def to(self, device) -> "Batch":
        return Batch(*(getattr(self, f).to(device) for f in ("tokens", "targets", "mask", "outputs")))


def bigram_model(
    vocab_size: int = 65,
    num_triggers: int = 5,
    exponent: float = 1.0,
    concentration: float = 1.0,
    triggers: str = "frequent",
    seed: int = 0,
) -> BigramModel:
    """Draw the global bigram law from ``seed``.

    unigram: pi(x) proportional to (x + 1)^(-exponent) (token 0 the most frequent);
    transition row x ~ Dirichlet(concentration * V * pi), so every row has mean pi;
    triggers: the ``num_triggers`` most frequent tokens (``"frequent"``) or a draw without
    replacement from pi (``"sampled"``). At least one token must stay a non-trigger.
    """
    vocab_size = _checks.count("vocab_size", vocab_size, minimum=2)
    num_triggers = _checks.count("num_triggers", num_triggers, minimum=0)
    if num_triggers >= vocab_size:
        raise ValueError(
            f"num_triggers must be smaller than vocab_size = {vocab_size} (outputs are non-trigger tokens), got {num_triggers}."
        )
    exponent = float(exponent)
    if not np.isfinite(exponent) or exponent < 0:
        raise ValueError(f"exponent must be a finite number >= 0, got {exponent!r}.")
    concentration = _checks.positive("concentration", concentration)
    _checks.choice("triggers", triggers, TRIGGER_CHOICES)
    seed = _checks.count("seed", seed)
    rng = np.random.default_rng(seed)
    unigram = np.arange(1, vocab_size + 1, dtype=np.float64) ** (-exponent)
    unigram /= unigram.sum()
    transitions = rng.dirichlet(concentration * vocab_size * unigram, size=vocab_size)
    transitions /= transitions.sum(axis=1, keepdims=True)
    if triggers == "frequent":
        trig = np.arange(num_triggers)
    else:
        trig = np.sort(rng.choice(vocab_size, size=num_triggers, replace=False, p=unigram))
    return BigramModel(
        torch.as_tensor(unigram, dtype=DTYPE),
        torch.as_tensor(transitions, dtype=DTYPE),
        torch.as_tensor(trig, dtype=torch.int64),
        seed,
    )


def _check_distribution(name: str, p: torch.Tensor, shape: tuple) -> None:
    if not isinstance(p, torch.Tensor) or tuple(p.shape) != shape or not p.dtype.is_floating_point:
        got = f"shape {tuple(p.shape)} and dtype {p.dtype}" if isinstance(p, torch.Tensor) else type(p).__name__
        raise ValueError(f"{name} must be a float tensor of shape {shape}, got {got}.")
    if not torch.isfinite(p).all():
        raise ValueError(f"{name} must be finite, got {int((~torch.isfinite(p)).sum())} NaN or infinite entries.")
    if (p < 0).any():
        raise ValueError(f"{name} must be non-negative, got a minimum of {p.min().item():.3g}.")
    sums = p.reshape(-1, shape[-1]).sum(-1)
    worst = (sums - 1).abs().max().item()
    if worst > 1e-6:
        raise ValueError(f"every row of {name} must sum to 1 (a probability law), got sums from {sums.min().item():.6g} "
                         f"to {sums.max().item():.6g}; divide each row by its sum.")


def check_law(model: BigramModel) -> BigramModel:
    """Check that ``model`` holds probability laws: unigram (V,) and transition rows (V, V) non-negative, finite,
    summing to 1, and triggers distinct tokens in [0, V) leaving at least one non-trigger."""
    V = model.unigram.shape[0] if isinstance(model.unigram, torch.Tensor) and model.unigram.ndim == 1 else None
    if V is None:
        raise ValueError(f"unigram must be a 1-D tensor, got {model.unigram!r:.60}.")
    _check_distribution("unigram", model.unigram, (V,))
    _check_distribution("transitions", model.transitions, (V, V))
    trig = model.triggers
    if not isinstance(trig, torch.Tensor) or trig.ndim != 1 or trig.dtype != torch.int64:
        raise ValueError(f"triggers must be a 1-D int64 tensor, got {trig!r:.60}.")
    if trig.numel() and (trig.min() < 0 or trig.max() >= V or trig.unique().numel() != trig.numel() or trig.numel() >= V):
        raise ValueError(f"triggers must be distinct tokens in [0, {V}) leaving a non-trigger, got {trig.tolist()}.")
    return model


def _categorical(cdf: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One draw per row of a batch of cumulative laws cdf (B, V); returns (B,) int64."""
    u = torch.rand(cdf.shape[0], 1, generator=generator, dtype=DTYPE)
    return (cdf < u).sum(-1).clamp_max(cdf.shape[-1] - 1)


def trigger_mask(tokens: torch.Tensor, triggers: torch.Tensor) -> torch.Tensor:
    """mask[b, t] = True iff tokens[b, t] is a trigger seen earlier in sequence b; (B, T) bool."""
    hits = tokens.unsqueeze(-1) == triggers.to(tokens.device)  # (B, T, k)
    return (hits & (hits.cumsum(1) >= 2)).any(-1)


def sample(model: BigramModel, batch_size: int, seq_len: int, seed: int | torch.Generator = 0) -> Batch:
    """A batch of ``batch_size`` sequences of length ``seq_len`` (plus the next token as target).

    Vectorised over the batch: one array operation per position (the chain is Markov, so
    positions are generated in order). Positions after a trigger take the sequence's output.
    """
    if not isinstance(model, BigramModel):
        raise TypeError(f"model must be a BigramModel (from bigram_model), got {type(model).__name__}.")
    check_law(model)
    batch_size = _checks.count("batch_size", batch_size, minimum=1)
    seq_len = _checks.count("seq_len", seq_len)
    if seq_len < 2:
        raise ValueError(f"seq_len must be >= 2 (a trigger needs a second occurrence), got {seq_len}.")
    generator = seed if isinstance(seed, torch.Generator) else torch.Generator().manual_seed(_checks.count("seed", seed))
    V, k = model.vocab_size, model.triggers.numel()
    cdf_out = model.output_law.cumsum(0).expand(batch_size * max(k, 1), V)
    outputs = _categorical(cdf_out, generator).reshape(batch_size, max(k, 1))[:, :k]
    slot = torch.full((V,), -1, dtype=torch.int64)
    slot[model.triggers] = torch.arange(k)
    cdf = model.transitions.cumsum(1)
    z = torch.empty(batch_size, seq_len + 1, dtype=torch.int64)
    z[:, 0] = _categorical(model.unigram.cumsum(0).expand(batch_size, V), generator)
    rows = torch.arange(batch_size)
    for t in range(1, seq_len + 1):
        prev = z[:, t - 1]
        nxt = _categorical(cdf[prev], generator)
        s = slot[prev]
        if k:
            nxt = torch.where(s >= 0, outputs[rows, s.clamp_min(0)], nxt)
        z[:, t] = nxt
    tokens, targets = z[:, :-1].contiguous(), z[:, 1:].contiguous()
    return Batch(tokens, targets, trigger_mask(tokens, model.triggers), outputs)


__all__ = ["BigramModel", "Batch", "bigram_model", "sample", "trigger_mask", "check_law"]
