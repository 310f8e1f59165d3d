"""Small Transformer encoders for ListOps, their training, and the probes of chapter "What a small Transformer memorises".

The model is a standard pre-norm encoder with a classification readout:

    x^0_t = E[z_t] + P[t]                                   (token and learned position embeddings, d)
    a^l   = Attn^l(LN(x^{l-1}))     (H heads, padding masked)
    h^l   = x^{l-1} + g_att a^l
    x^l   = h^l + g_ff FF^l(LN(h^l))   FF(u) = W_2 relu(W_1 u), W_1: (m, d), m = mult d
    logits = W_out LN(mean_{t not pad} x^L_t) + b           (10 classes, the value of the expression)

``g_att`` and ``g_ff`` are 1; an *ablation* sets one of them to 0 in every layer, which removes
that component's contribution to the residual stream and nothing else. The readout averages
the non-padding positions (not a ``<cls>`` position), so that a model without attention is
still a model, a bag of tokens passed through the feed-forward layers, and the accuracy lost
by ablating attention measures what attention contributed.

Shapes: ``tokens`` (B, T) int64 with ``<pad>`` = 0; ``forward`` returns logits (B, 10).
Training is AdamW on a fixed training set (so a model can memorise it) in float32 on the CPU,
seeded and deterministic; ``sweep`` finds the smallest model that reaches a held-out accuracy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .. import _checks
from .._progress import progress
from ..tasks import listops as task

ABLATIONS = (None, "attention", "feedforward")


class Block(nn.Module):
    """One pre-norm encoder layer: multi-head self-attention and a ReLU feed-forward, both residual."""

    def __init__(self, dim: int, heads: int, mult: int):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.ff = nn.Sequential(nn.Linear(dim, mult * dim), nn.ReLU(), nn.Linear(mult * dim, dim))

    def attention(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        """softmax(q k^T / sqrt(d_h)) v per head, keys at padding positions masked: (B, T, d) -> (B, T, d)."""
        B, T, d = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)
        scores = scores.masked_fill(pad[:, None, None, :], float("-inf"))
        return self.out((scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, d))

    def forward(self, x, pad, g_att: float = 1.0, g_ff: float = 1.0, record: dict | None = None):
        a = self.attention(self.norm1(x), pad)
        h = x + g_att * a
        f = self.ff(self.norm2(h))
        if record is not None:
            record.setdefault("attention", []).append(a)
            record.setdefault("feedforward", []).append(f)
        return h + g_ff * f


class ListOpsTransformer(nn.Module):
    """Encoder of ``layers`` blocks of width ``dim`` with ``heads`` heads and a feed-forward of width ``mult * dim``."""

    def __init__(self, dim: int = 16, layers: int = 1, heads: int = 2, mult: int = 2, seq_len: int | None = None):
        super().__init__()
        dim = _checks.count("dim", dim, minimum=2)
        layers = _checks.count("layers", layers, minimum=1)
        heads = _checks.count("heads", heads, minimum=1)
        mult = _checks.count("mult", mult, minimum=1)
        if dim % heads:
            raise ValueError(f"dim must be divisible by heads, got dim={dim}, heads={heads}; pick dim a multiple of heads.")
        seq_len = task.max_length(2) if seq_len is None else _checks.count("seq_len", seq_len, minimum=2)
        self.config = {"dim": dim, "layers": layers, "heads": heads, "mult": mult, "seq_len": seq_len}
        self.embed = nn.Embedding(len(task.VOCAB), dim)
        self.position = nn.Embedding(seq_len, dim)
        self.blocks = nn.ModuleList(Block(dim, heads, mult) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.readout = nn.Linear(dim, task.NUM_CLASSES)

    def check_tokens(self, tokens) -> torch.Tensor:
        if not isinstance(tokens, torch.Tensor) or tokens.dtype != torch.int64 or tokens.ndim != 2:
            raise TypeError("tokens must be an int64 tensor of shape (batch, length), e.g. tasks.listops.sample(...).tokens, "
                            f"got {type(tokens).__name__} {getattr(tokens, 'dtype', '')} {tuple(getattr(tokens, 'shape', ()))}.")
        if tokens.shape[1] > self.config["seq_len"]:
            raise ValueError(f"tokens has length {tokens.shape[1]} > seq_len={self.config['seq_len']} of the model; "
                             "build the model with a larger seq_len.")
        if tokens.numel() and (int(tokens.min()) < 0 or int(tokens.max()) >= len(task.VOCAB)):
            raise ValueError(f"tokens must be ids in [0, {len(task.VOCAB)}), got values in [{int(tokens.min())}, {int(tokens.max())}].")
        return tokens

    def forward(self, tokens: torch.Tensor, ablate: str | None = None, record: dict | None = None) -> torch.Tensor:
        """Logits (B, 10); ``ablate`` in (None, "attention", "feedforward") zeroes that component in every layer."""
        tokens = self.check_tokens(tokens)
        if ablate not in ABLATIONS:
            raise ValueError(f"ablate must be one of {list(ABLATIONS)}, got {ablate!r}.")
        pad = tokens == task.PAD
        x = self.embed(tokens) + self.position.weight[: tokens.shape[1]]
        g_att, g_ff = float(ablate != "attention"), float(ablate != "feedforward")
        for block in self.blocks:
            x = block(x, pad, g_att, g_ff, record)
        keep = (~pad).unsqueeze(-1).to(x.dtype)
        pooled = (x * keep).sum(1) / keep.sum(1).clamp_min(1.0)
        return self.readout(self.norm(pooled))


def parameter_count(model: nn.Module) -> int:
    """Number of trained parameters."""
    return sum(p.numel() for p in model.parameters())


def accuracy(model: ListOpsTransformer, data: task.ListOps, ablate: str | None = None, batch: int = 2048) -> float:
    """Fraction of the expressions of ``data`` whose value is the argmax of the logits."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(data), batch):
            logits = model(data.tokens[start:start + batch], ablate=ablate)
            correct += int((logits.argmax(-1) == data.values[start:start + batch]).sum())
    return correct / len(data)


@dataclass
class Run:
    """One trained model and its measurements (accuracies are fractions in [0, 1])."""

    model: ListOpsTransformer
    ops: tuple[str, ...]
    params: int
    train_accuracy: float
    test_accuracy: float
    history: list = field(default_factory=list)  # (step, held-out accuracy)


def fit(model: ListOpsTransformer, train: task.ListOps, test: task.ListOps | None = None, steps: int = 1000,
        batch_size: int = 128, lr: float = 3e-3, weight_decay: float = 0.01, seed: int = 0, log_every: int = 0,
        show: bool | None = None) -> list:
    """AdamW on minibatches drawn (with a seeded generator) from the fixed set ``train``; linear warm-up over the
    first 5 % of the steps and cosine decay after. Returns the logged (step, held-out accuracy) pairs."""
    steps = _checks.count("steps", steps, minimum=1)
    batch_size = _checks.count("batch_size", batch_size, minimum=1)
    lr = _checks.positive("lr", lr)
    generator = torch.Generator().manual_seed(_checks.seed(seed) + 1)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    warm = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps))))
    history = []
    for step in progress(range(steps), total=steps, desc="ListOps training", show=show):
        model.train()
        index = torch.randint(len(train), (min(batch_size, len(train)),), generator=generator)
        loss = nn.functional.cross_entropy(model(train.tokens[index]), train.values[index])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        if log_every and test is not None and ((step + 1) % log_every == 0 or step + 1 == steps):
            history.append((step + 1, accuracy(model, test)))
    return history


def build(dim: int, layers: int = 1, heads: int = 2, mult: int = 2, seed: int = 0) -> ListOpsTransformer:
    """A freshly initialised model, its weights drawn from ``seed``."""
    torch.manual_seed(_checks.seed(seed))
    return ListOpsTransformer(dim=dim, layers=layers, heads=heads, mult=mult)


def train(ops, dim: int, layers: int = 1, seed: int = 0, steps: int = 1000, train_size: int = 4000,
          test_size: int = 1000, data_seed: int | None = None, model: ListOpsTransformer | None = None,
          log_every: int = 0, show: bool | None = None, **fit_kwargs) -> Run:
    """Train a model (a new one of width ``dim``, or ``model`` to continue it) on depth-2 expressions of ``ops``.

    The training and held-out sets are drawn from ``data_seed`` (default ``seed``), the model and the
    minibatches from ``seed``.
    """
    ops = task.operators(ops)
    train_set, test_set = datasets(ops, train_size, test_size, seed if data_seed is None else data_seed)
    if model is None:
        model = build(dim, layers, seed=seed)
    history = fit(model, train_set, test_set, steps=steps, seed=seed, log_every=log_every, show=show, **fit_kwargs)
    return Run(model, ops, parameter_count(model), accuracy(model, train_set), accuracy(model, test_set), history)


_DATA: dict = {}

#: The expressions of every experiment: depth 2, 2 or 3 arguments per operator, exactly one of the root's
#: arguments a sub-expression (so a SUM-only expression adds 3 to 5 digits modulo 10).
TASK = {"depth": 2, "min_args": 2, "max_args": 3, "nest": 0.0}


def datasets(ops, train_size: int, test_size: int, seed: int) -> tuple[task.ListOps, task.ListOps]:
    """``tasks.listops.split`` with the settings ``TASK``, kept for the session (the sweep reuses each set for every width)."""
    key = (task.operators(ops), train_size, test_size, seed)
    if key not in _DATA:
        _DATA[key] = task.split(key[0], train_size, test_size, seed=seed, **TASK)
    return _DATA[key]


# ---------------------------------------------------------------- probes


def digit_order(model: ListOpsTransformer) -> float:
    """|Spearman rho| between the digit values 0-9 and the digit embeddings' projections on their first
    principal component: near 1 when the embeddings lie along a line in number order."""
    E = model.embed.weight.detach()[task.DIGIT0:task.DIGIT0 + 10].double()  # (10, d)
    E = E - E.mean(0)
    _, _, Vh = torch.linalg.svd(E, full_matrices=False)
    projection = E @ Vh[0]
    # Spearman rho = Pearson correlation of the ranks (the digit values are their own ranks; no ties in floats)
    ranks = projection.argsort().argsort().double()
    values = torch.arange(10, dtype=torch.float64)
    ranks, values = ranks - ranks.mean(), values - values.mean()
    return float(abs((ranks * values).sum() / (ranks.norm() * values.norm())))


def attribution(model: ListOpsTransformer, data: task.ListOps) -> dict[str, float]:
    """Held-out accuracy intact and with each component ablated, and the drops (intact minus ablated)."""
    full = accuracy(model, data)
    out = {"intact": full}
    for part in ("attention", "feedforward"):
        out[part] = accuracy(model, data, ablate=part)
        out[f"{part}_drop"] = full - out[part]
    return out


def component_share(model: ListOpsTransformer, data: task.ListOps) -> float:
    """Mean norm of the attention outputs over the mean norm of attention plus feed-forward outputs (non-padding
    positions, all layers): a second, ablation-free measure of which component writes more to the stream."""
    record: dict = {}
    model.eval()
    with torch.no_grad():
        model(data.tokens, record=record)
    keep = data.tokens != task.PAD
    norms = {k: torch.stack([t.norm(dim=-1)[keep].mean() for t in v]).sum() for k, v in record.items()}
    return float(norms["attention"] / (norms["attention"] + norms["feedforward"]))


# ---------------------------------------------------------------- experiments


def sweep(conditions, dims, seeds, steps: int, layers: int = 1, train_size: int = 4000, test_size: int = 1000,
          show: bool | None = None, **fit_kwargs) -> list[dict]:
    """Train every (condition, width, seed) and record parameters, accuracies, the digit-order score and the
    ablations. ``conditions`` maps a name to an operator selection; returns one dict per run."""
    rows = []
    grid = [(name, ops, dim, seed) for name, ops in dict(conditions).items() for dim in dims for seed in seeds]
    for name, ops, dim, seed in progress(grid, total=len(grid), desc="ListOps sweep", show=show):
        run = train(ops, dim, layers=layers, seed=seed, steps=steps, train_size=train_size, test_size=test_size, show=False,
                    **fit_kwargs)
        _, test_set = datasets(run.ops, train_size, test_size, seed)
        ablation = attribution(run.model, test_set)
        # every model that saw SUM is also scored on pure-SUM held-out expressions (the SUM-only law's held-out set)
        sum_accuracy = accuracy(run.model, datasets("SUM", train_size, test_size, seed)[1]) if "SUM" in run.ops else None
        rows.append({"condition": name, "ops": list(run.ops), "dim": dim, "layers": layers, "seed": seed,
                     "params": run.params, "train_accuracy": run.train_accuracy, "test_accuracy": run.test_accuracy,
                     "sum_accuracy": sum_accuracy, "digit_order": digit_order(run.model), "attention_drop": ablation["attention_drop"],
                     "feedforward_drop": ablation["feedforward_drop"],
                     "attention_share": component_share(run.model, test_set)})
    return rows


def smallest_reaching(rows: list[dict], condition: str, threshold: float, key: str = "test_accuracy",
                      rule: str = "all") -> float:
    """Fewest parameters among the widths at which the runs of ``condition`` reach ``threshold`` (``rule``:
    "all" seeds, or "any" seed); inf if none does."""
    _checks.choice("rule", rule, ("all", "any"))
    reach = {}
    for row in rows:
        if row["condition"] != condition:
            continue
        ok = row[key] >= threshold
        params = row["params"]
        reach[params] = (reach.get(params, rule == "all") and ok) if rule == "all" else (reach.get(params, False) or ok)
    hits = [p for p, ok in reach.items() if ok]
    return float(min(hits)) if hits else math.inf


def pretrain_then_sum(dim: int, seed: int, pretrain_steps: int, sum_steps: int, layers: int = 1,
                      train_size: int = 4000, test_size: int = 1000, pretrain_ops=("MAX", "MED"), **fit_kwargs) -> dict:
    """Held-out SUM accuracy of a width-``dim`` model trained on SUM for ``sum_steps`` from scratch, and of the same
    initial model pretrained on ``pretrain_ops`` for ``pretrain_steps`` first; also a from-scratch run given the
    pretraining's steps on SUM too (equal compute)."""
    scratch = train("SUM", dim, layers=layers, seed=seed, steps=sum_steps, train_size=train_size, test_size=test_size, show=False, **fit_kwargs)
    longer = train("SUM", dim, layers=layers, seed=seed, steps=sum_steps + pretrain_steps, train_size=train_size,
                   test_size=test_size, show=False, **fit_kwargs)
    pre = train(pretrain_ops, dim, layers=layers, seed=seed, steps=pretrain_steps, train_size=train_size,
                test_size=test_size, show=False, **fit_kwargs)
    pre_order = digit_order(pre.model)
    tuned = train("SUM", dim, layers=layers, seed=seed, steps=sum_steps, train_size=train_size, test_size=test_size,
                  model=pre.model, show=False, **fit_kwargs)
    return {"dim": dim, "seed": seed, "params": scratch.params, "scratch": scratch.test_accuracy,
            "scratch_equal_steps": longer.test_accuracy, "pretrain_accuracy": pre.test_accuracy,
            "pretrained": tuned.test_accuracy, "pretrained_train_accuracy": tuned.train_accuracy,
            "scratch_train_accuracy": scratch.train_accuracy, "pretrained_digit_order": pre_order,
            "scratch_digit_order": digit_order(scratch.model)}
