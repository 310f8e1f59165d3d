"""A training-free consolidated associative memory for a frozen windowed attention model (CAMELoT).

He, Karlinsky, Kim, McAuley, Krotov and Feris (2024) add to a frozen, pretrained language model a
memory of M *slots*, each holding a key, a value, a count and an age, and let the attention read
from it; the memory needs no training. The authors released no code; this module follows the
paper's description of the method:

- **write**: when a token leaves the attention window, its key k and value v (the frozen layer's
  own projections) are compared with the slot keys by cosine similarity. If the most similar slot
  has similarity >= ``threshold``, the token is *consolidated* into it by a running average,

      key <- (c key + k) / (c + 1),   value <- (c value + v) / (c + 1),   c <- c + 1,   age <- 0;

  otherwise the token is *novel* and replaces the oldest slot (the one written longest ago; an
  empty slot first) with (k, v, count 1, age 0).
- **read**: a query q retrieves the ``top`` slots of largest q . key and their keys and values are
  concatenated to those of the local window; a slot of count c enters the softmax with the extra
  score log c, the weight that c identical tokens would have together.

Variants (``memory``): ``"none"`` (the window only), ``"fifo"`` (a ring buffer of the last M tokens
that left the window: a KV cache, no consolidation), ``"consolidated"`` (the memory above),
``"unlimited"`` (every token that left the window is kept: the full past). Options:
``top=1`` (top-1 read), ``eviction="random"`` (a novel token replaces a random slot). With
``threshold > 1`` nothing is ever merged, and the consolidated memory is exactly the FIFO cache
(a built-in check that the two implementations agree).

The frozen model (:class:`WindowModel`) is one attention layer with a window of W positions over
the documents of :mod:`assocmem.tasks.long_documents`: the input of position s is
x_s = E[token_s] + S[style_s] (fixed random embeddings, d = 32; the style is the nuisance feature),
the key of position s reads the previous token (a fixed shift, as the first layer of an induction
head provides), and the logits are

    q_t = x_t W_Q,  k_s = x_{s-1} W_K,  v_s = x_s W_V,                                  (h = 32)
    a_t = softmax_s( q_t . k_s  for t - W < s <= t ;  q_t . k_0 ) ,   o_t = sum_s a_ts v_s + a_t0 v_0,
    logits_t = o_t W_O + b,

with a learned *sink* (k_0, v_0) that the model attends to when the window holds no matching key.
It is trained in a few seconds with Adam on windows of the documents, then frozen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from .. import _checks, tiers
from ..tasks import long_documents as tasks

MEMORIES = ("none", "fifo", "consolidated", "unlimited")
EVICTIONS = ("oldest", "random")
WINDOW = 32
DIM = 32
NUISANCE = 0.5  # norm of a style vector; the content embeddings have norm 1
TASK = dict(facts=96, values=64, zipf_exponent=1.0, styles=8)


# ---------------------------------------------------------------- the frozen model


@dataclass(frozen=True)
class WindowModel:
    """Weights of the frozen one-layer model (NumPy float64).

    E (n, d) token embeddings, S (styles, d) nuisance embeddings, W_Q, W_K, W_V (d, h), W_O (h, n),
    b (n,), sink_key, sink_value (h,), window W; optionally W_D (d, n), a direct path x_t W_D added to
    the logits (the character model uses it for the statistics of the current character).
    """

    E: np.ndarray
    S: np.ndarray
    W_Q: np.ndarray
    W_K: np.ndarray
    W_V: np.ndarray
    W_O: np.ndarray
    b: np.ndarray
    sink_key: np.ndarray
    sink_value: np.ndarray
    W_D: np.ndarray | None = None
    window: int = WINDOW

    NAMES = ("E", "S", "W_Q", "W_K", "W_V", "W_O", "b", "sink_key", "sink_value", "W_D")

    def arrays(self) -> dict[str, np.ndarray]:
        out = {name: getattr(self, name) for name in self.NAMES if getattr(self, name) is not None}
        return out | {"window": np.array(self.window)}

    @classmethod
    def from_arrays(cls, arrays) -> "WindowModel":
        return cls(**{n: np.asarray(arrays[n], dtype=np.float64) for n in cls.NAMES if n in arrays}, window=int(arrays["window"]))

    def projections(self, tokens, styles) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Queries (scaled by 1 / sqrt h), keys and values of every position: three (B, T, h) arrays."""
        x = self.E[tokens] + self.S[styles]
        previous = np.zeros_like(x)
        previous[:, 1:] = x[:, :-1]
        h = self.W_Q.shape[1]
        flat = lambda a, W: (a.reshape(-1, a.shape[-1]) @ W).reshape(*a.shape[:-1], W.shape[1])  # noqa: E731
        return flat(x, self.W_Q) / math.sqrt(h), flat(previous, self.W_K), flat(x, self.W_V)


def fixed_embeddings(vocab: int, styles: int, dim: int = DIM, nuisance: float = NUISANCE, seed: int = 0):
    """Random unit token embeddings (vocab, dim) and style embeddings of norm ``nuisance`` (styles, dim)."""
    rng = np.random.default_rng(10_000 + seed)
    E = rng.standard_normal((vocab, dim))
    S = rng.standard_normal((styles, dim))
    return E / np.linalg.norm(E, axis=1, keepdims=True), nuisance * S / np.linalg.norm(S, axis=1, keepdims=True)


def _window_logits(params: dict, x: torch.Tensor, window: int) -> torch.Tensor:
    """Logits at every position of x (B, T, d) with a causal window of ``window`` positions and the sink."""
    T = x.shape[1]
    previous = torch.nn.functional.pad(x[:, :-1], (0, 0, 1, 0))
    h = params["W_Q"].shape[1]
    q = x @ params["W_Q"] / math.sqrt(h)
    k = previous @ params["W_K"]
    v = x @ params["W_V"]
    scores = q @ k.transpose(1, 2)  # (B, T, T)
    t = torch.arange(T)
    allowed = (t[None, :] <= t[:, None]) & (t[None, :] > t[:, None] - window)
    scores = scores.masked_fill(~allowed, float("-inf"))
    sink = (q @ params["sink_key"])[..., None]
    weights = torch.softmax(torch.cat([scores, sink], dim=-1), dim=-1)
    out = weights[..., :T] @ v + weights[..., T:] * params["sink_value"]
    logits = out @ params["W_O"] + params["b"]
    return logits + x @ params["W_D"] if "W_D" in params else logits


def _fit(params: dict, inputs, targets, every: int, window: int, steps: int, batch: int, lr: float, g, embed=None) -> dict:
    """Adam on the cross-entropy of ``targets`` at positions 0, every, ... of windows of ``inputs``."""
    for p in params.values():
        p.requires_grad_(True)
    opt = torch.optim.Adam(params.values(), lr=lr)
    for _ in range(steps):
        idx = torch.randint(0, inputs.shape[0], (batch,), generator=g)
        x = inputs[idx] if embed is None else embed(params, inputs[idx])
        logits = _window_logits(params, x, window)[:, 0::every]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets[idx][:, 0::every].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {name: p.detach().double().numpy() for name, p in params.items()}


def _init(dim: int, h: int, vocab: int, g, direct: bool = False) -> dict:
    params = {
        "W_Q": torch.randn(dim, h, generator=g) / math.sqrt(dim),
        "W_K": torch.randn(dim, h, generator=g) / math.sqrt(dim),
        "W_V": torch.randn(dim, h, generator=g) / math.sqrt(dim),
        "W_O": torch.randn(h, vocab, generator=g) / math.sqrt(h),
        "b": torch.zeros(vocab),
        "sink_key": torch.zeros(h),
        "sink_value": torch.zeros(h),
    }
    if direct:
        params["W_D"] = torch.zeros(dim, vocab)
    return params


def train_model(seed: int = 0, steps: int = 300, batch: int = 32, length: int = 128, lr: float = 0.02,
                window: int = WINDOW, dim: int = DIM, nuisance: float = NUISANCE) -> WindowModel:
    """Train the one-layer window model with Adam on the next-value loss, then freeze it (float64 NumPy).

    The loss is the cross-entropy of the value token at every key position of documents of
    ``length`` tokens (first statements included, so the model learns to fall back on the sink).
    The embeddings E and S are fixed (:func:`fixed_embeddings`); the rest is learned.
    """
    seed = _checks.seed(seed)
    steps = _checks.count("steps", steps, minimum=1)
    batch = _checks.count("batch", batch, minimum=1)
    window = _checks.count("window", window, minimum=1)
    docs = tasks.documents(n_docs=batch * 8, length=length, window=window, seed=5_000 + seed, **TASK)
    E, S = fixed_embeddings(docs.vocab, TASK["styles"], dim, nuisance, seed)
    inputs = torch.tensor(E[docs.tokens] + S[docs.styles], dtype=torch.float32)
    targets = torch.tensor(np.maximum(docs.targets, 0))
    g = torch.Generator().manual_seed(seed)
    arrays = _fit(_init(dim, dim, docs.vocab, g), inputs, targets, 2, window, steps, batch, lr, g)
    return WindowModel(E=E, S=S, window=window, **arrays)


def train_char_model(codes, vocab: int, seed: int = 0, steps: int = 600, batch: int = 32, length: int = 192,
                     lr: float = 0.01, window: int = 64, dim: int = 48) -> WindowModel:
    """The same layer as a character model: learned embeddings, a direct path W_D, trained on encoded text (N,).

    Training windows of ``length`` characters start at random offsets; the loss is the next-character
    cross-entropy at every position.
    """
    seed = _checks.seed(seed)
    codes = torch.as_tensor(np.asarray(codes, dtype=np.int64))
    g = torch.Generator().manual_seed(seed)
    starts = torch.randint(0, codes.numel() - length - 1, (4096,), generator=g)
    inputs = torch.stack([codes[s : s + length] for s in starts.tolist()])
    targets = torch.stack([codes[s + 1 : s + length + 1] for s in starts.tolist()])
    params = _init(dim, dim, vocab, g, direct=True) | {"E": torch.randn(vocab, dim, generator=g) / math.sqrt(dim)}
    arrays = _fit(params, inputs, targets, 1, window, steps, batch, lr, g, embed=lambda p, tok: p["E"][tok])
    return WindowModel(S=np.zeros((1, dim)), window=window, **arrays)


@lru_cache(maxsize=8)
def trained_model(seed: int = 0) -> WindowModel:
    """``train_model(seed)``, computed once per session."""
    with tiers.threads(1):  # as write_weights of the chapter trains the stored models
        return train_model(seed)


# ---------------------------------------------------------------- the memories


class Memory:
    """M slots for B documents at once: keys, values (B, M, h), counts (B, M), write times (B, M).

    ``threshold`` > 1 never merges; ``eviction`` "oldest" replaces the slot written longest ago
    (empty slots first), "random" a uniformly drawn slot once the memory is full.
    """

    def __init__(self, batch: int, slots: int, dim: int, threshold: float, eviction: str = "oldest", seed: int = 0):
        self.keys = np.zeros((batch, slots, dim))
        self.unit = np.zeros((batch, slots, dim))
        self.values = np.zeros((batch, slots, dim))
        self.counts = np.zeros((batch, slots))
        self.stamps = np.full((batch, slots), -1.0)  # write time; -1 marks an empty slot
        self.threshold = float(threshold)
        self.eviction = eviction
        self.rng = np.random.default_rng(seed)
        self.rows = np.arange(batch)
        self.merges = 0
        self.writes = 0

    def write(self, k: np.ndarray, v: np.ndarray, time: int) -> None:
        """Write one token per document: k, v (B, h)."""
        unit = k / np.maximum(np.linalg.norm(k, axis=1, keepdims=True), 1e-300)
        cos = np.matmul(self.unit, unit[:, :, None])[..., 0]
        cos[self.stamps < 0] = -np.inf
        best = cos.argmax(axis=1)
        merge = cos[self.rows, best] >= self.threshold
        if self.eviction == "oldest":
            novel_slot = self.stamps.argmin(axis=1)
        else:
            empty = self.stamps < 0
            novel_slot = np.where(empty.any(axis=1), empty.argmax(axis=1), self.rng.integers(0, self.keys.shape[1], size=len(self.rows)))
        slot = np.where(merge, best, novel_slot)
        c = np.where(merge, self.counts[self.rows, slot], 0.0)[:, None]
        self.keys[self.rows, slot] = (c * self.keys[self.rows, slot] + k) / (c + 1)
        self.values[self.rows, slot] = (c * self.values[self.rows, slot] + v) / (c + 1)
        merged = self.keys[self.rows, slot]
        self.unit[self.rows, slot] = merged / np.maximum(np.linalg.norm(merged, axis=1, keepdims=True), 1e-300)
        self.counts[self.rows, slot] = c[:, 0] + 1
        self.stamps[self.rows, slot] = time
        self.merges += int(merge.sum())
        self.writes += len(self.rows)

    def contents(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Keys, values (B, M, h) and log-count scores (B, M), -inf for empty slots."""
        with np.errstate(divide="ignore"):
            bias = np.where(self.stamps >= 0, np.log(np.maximum(self.counts, 1)), -np.inf)
        return self.keys, self.values, bias


class FIFOCache:
    """A ring buffer of the last M tokens that left the window (count 1 each), written in order."""

    def __init__(self, batch: int, slots: int, dim: int):
        self.keys = np.zeros((batch, slots, dim))
        self.values = np.zeros((batch, slots, dim))
        self.filled = np.zeros(slots, dtype=bool)
        self.next = 0

    def write(self, k, v, time) -> None:
        self.keys[:, self.next] = k
        self.values[:, self.next] = v
        self.filled[self.next] = True
        self.next = (self.next + 1) % self.keys.shape[1]

    def contents(self):
        bias = np.where(self.filled, 0.0, -np.inf)[None].repeat(self.keys.shape[0], axis=0)
        return self.keys, self.values, bias


class UnlimitedCache:
    """Every token that left the window, kept: at most T entries per document."""

    def __init__(self, batch: int, capacity: int, dim: int):
        self.keys = np.zeros((batch, capacity, dim))
        self.values = np.zeros((batch, capacity, dim))
        self.size = 0

    def write(self, k, v, time) -> None:
        self.keys[:, self.size] = k
        self.values[:, self.size] = v
        self.size += 1

    def contents(self):
        bias = np.where(np.arange(self.keys.shape[1]) < self.size, 0.0, -np.inf)
        return self.keys, self.values, np.broadcast_to(bias, self.keys.shape[:2])


def _read(memory, q: np.ndarray, top: int):
    """The ``top`` slots of largest q . key (empty slots excluded): keys, values (B, r, h), scores (B, r)."""
    keys, values, bias = memory.contents()
    B, n = bias.shape
    r = min(top, n)
    if r == 0:
        return np.zeros((B, 0, q.shape[1])), np.zeros((B, 0, q.shape[1])), np.zeros((B, 0))
    similarity = np.matmul(keys, q[:, :, None])[..., 0]
    similarity = np.where(np.isfinite(bias), similarity, -np.inf)
    # A stable sort breaks ties (two identical keys) by position, so that memories holding the same
    # entries in the same order read the same slots.
    pick = np.argsort(-similarity, axis=1, kind="stable")[:, :r] if r < n else np.broadcast_to(np.arange(n), (B, n))
    rows = np.arange(B)[:, None]
    scores = similarity[rows, pick] + bias[rows, pick]
    return keys[rows, pick], values[rows, pick], scores


@dataclass
class MemoryRun:
    """Per-query results of one run over a batch of documents.

    log_prob (B, T): log-probability of the right value at each key position (0 elsewhere);
    correct (B, T) bool: argmax equals the right value; docs: the documents; memory: the final memory.
    """

    log_prob: np.ndarray
    correct: np.ndarray
    docs: tasks.LongDocuments
    memory: object


def run(model: WindowModel, docs: tasks.LongDocuments, memory: str = "consolidated", slots: int = 64,
        threshold: float = 0.8, top: int = 4, eviction: str = "oldest", seed: int = 0) -> MemoryRun:
    """Run the frozen model over ``docs`` with a memory, token by token (the B documents in parallel).

    At step t the token at position t - W leaves the window and is written to the memory; then, at a
    key position, the query reads the memory and attends over the window, the sink and the retrieved
    slots (see the module docstring).
    """
    _checks.choice("memory", memory, MEMORIES)
    _checks.choice("eviction", eviction, EVICTIONS)
    slots = _checks.count("slots", slots, minimum=1)
    top = _checks.count("top", top, minimum=1)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not math.isfinite(threshold):
        raise TypeError(f"threshold must be a finite number (a cosine similarity; > 1 never merges), got {threshold!r}.")
    if docs.tokens.max() >= model.E.shape[0]:
        raise ValueError(f"docs use {docs.tokens.max() + 1} token ids but the model knows {model.E.shape[0]}; draw them with the model's task settings.")
    W = model.window
    Q, K, V = model.projections(docs.tokens, docs.styles)
    B, T, h = Q.shape
    if memory == "fifo":
        store = FIFOCache(B, slots, h)
    elif memory == "unlimited":
        store = UnlimitedCache(B, T, h)
    elif memory == "consolidated":
        store = Memory(B, slots, h, threshold, eviction, seed)
    else:
        store = None
    r = 0 if store is None else top
    every = docs.every
    positions = np.arange(0, T, every)
    mem_k = np.zeros((B, len(positions), r, h))
    mem_v = np.zeros((B, len(positions), r, h))
    mem_s = np.full((B, len(positions), r), -np.inf)
    for t in range(T):
        if store is not None and t - W >= 0:
            store.write(K[:, t - W], V[:, t - W], t - W)
        if store is not None and t % every == 0:
            i = t // every
            k, v, s = _read(store, Q[:, t], r)
            n = s.shape[1]
            mem_k[:, i, :n], mem_v[:, i, :n], mem_s[:, i, :n] = k, v, s
    # The window part, all key positions at once, one offset o of the window at a time: the key positions
    # are 0, e, 2e, ..., so position t - o of every query is a strided slice of the zero-padded keys.
    Tq = len(positions)
    q = Q[:, 0::every]  # (B, Tq, h)
    pad = lambda a: np.concatenate([np.zeros((B, W, h)), a], axis=1)  # noqa: E731
    K_pad, V_pad = pad(K), pad(V)
    win_s = np.empty((B, Tq, W))
    for o in range(W):
        win_s[:, :, o] = (q * K_pad[:, W - o : W - o + T : every]).sum(-1)
    win_s[:, positions[:, None] < np.arange(W)[None, :]] = -np.inf  # offsets before the document's start
    sink_s = (q.reshape(-1, h) @ model.sink_key).reshape(B, Tq, 1)
    scores = np.concatenate([win_s, sink_s, mem_s], axis=-1)  # mem_s: q . key + log count, -inf where empty
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=-1, keepdims=True)
    out = weights[..., W, None] * model.sink_value + np.einsum("bqr,bqrh->bqh", weights[..., W + 1:], mem_v)
    for o in range(W):
        out += weights[:, :, o, None] * V_pad[:, W - o : W - o + T : every]
    logits = (out.reshape(-1, h) @ model.W_O).reshape(B, Tq, -1) + model.b
    if model.W_D is not None:
        x = model.E[docs.tokens[:, 0::every]] + model.S[docs.styles[:, 0::every]]
        logits = logits + (x.reshape(B * Tq, -1) @ model.W_D).reshape(B, Tq, -1)
    logits = logits - logits.max(axis=-1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    target = docs.tokens[:, np.minimum(positions + 1, T - 1)]  # the last position is never a query
    lp = np.take_along_axis(log_probs, target[..., None], axis=-1)[..., 0]
    log_prob = np.zeros((B, T))
    correct = np.zeros((B, T), dtype=bool)
    log_prob[:, positions] = lp
    correct[:, positions] = log_probs.argmax(axis=-1) == target
    return MemoryRun(log_prob, correct, docs, store)


def summary(result: MemoryRun) -> dict:
    """Perplexity over the queries (exp of the mean negative log-probability of the right value) and accuracies."""
    docs = result.docs
    mean = lambda a: float(a.mean()) if a.size else float("nan")  # noqa: E731
    out = {
        "perplexity": float(np.exp(-result.log_prob[docs.query].mean())),
        "beyond_window_accuracy": mean(result.correct[docs.beyond]),
        "within_window_accuracy": mean(result.correct[docs.query & ~docs.beyond]),
        "accuracy": mean(result.correct[docs.query]),
        "queries": int(docs.query.sum()),
        "beyond_fraction": float(docs.beyond.sum() / docs.query.sum()),
    }
    if isinstance(result.memory, Memory):
        out["merge_fraction"] = result.memory.merges / max(result.memory.writes, 1)
    return out


def evaluate(memory: str, slots: int = 64, threshold: float = 0.8, seed: int = 0, top: int = 4, eviction: str = "oldest",
             drift: bool = False, n_docs: int = 16, length: int = 1024, model: WindowModel | None = None) -> dict:
    """Perplexity and beyond-window accuracy of the frozen model (trained with ``seed``) with a memory.

    The documents are drawn from :func:`assocmem.tasks.long_documents.documents` with seed
    ``100 + seed`` (the training documents use other seeds). Returns the dict of :func:`summary`
    ("perplexity", "beyond_window_accuracy", ...).
    """
    seed = _checks.seed(seed)
    model = trained_model(seed) if model is None else model
    docs = tasks.documents(n_docs=n_docs, length=length, window=model.window, drift=drift, seed=100 + seed, **TASK)
    return summary(run(model, docs, memory, slots, threshold, top, eviction, seed))
