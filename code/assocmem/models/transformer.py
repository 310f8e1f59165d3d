"""A two-layer attention-only Transformer whose weight matrices are associative memories.

The simplified model of *Birth of a Transformer* (Bietti et al. 2023), book chapter
"Inside a small Transformer". With token embeddings e_z (rows of ``E``, V x d),
positional embeddings rho_t (rows of ``P``), unembeddings u_y (rows of ``U``) and the
causal softmax ``softmax_s`` over positions s <= t, with scores scaled by 1 / sqrt(d) and
queries equal to the residual stream (W_Q = identity):

    x_t   = e_{z_t} + rho_t                                                    (T.1)
    h^1_t = x_t + W_O^1 sum_{s<=t} softmax_s(x_t^T W_K^1 x_s / sqrt d) W_V^1 x_s   (T.2)
    h^2_t = h^1_t + W_O^2 sum_{s<=t} softmax_s(h^1_t^T W_K^2 h^1_s / sqrt d) W_V^2 h^1_s  (T.3)
    logit_y(t) = u_y^T h^2_t                                                   (T.4)

No layer norm, no MLP. E, P, U, W_V^1, W_O^1, W_V^2 are frozen random matrices (entries of
variance 1/d, so every vector has norm about 1); W_K^1, W_K^2, W_O^2 are the memories, each
trainable or frozen. The loss is the cross-entropy of the next token at the second and later
occurrences of each trigger (``induction_data``).

Every parameter carries a leading axis S (one slice per step size), so a sweep over step
sizes trains S networks with one tensor operation per step on shared data batches.

Precision and speed: the network is float32 by default (``dtype="float64"`` on request; the
gradient tests use float64). No attention materialises the (S, B, T, T) score tensor: on the
CPU, layer 1 goes through ``models.attention.causal_bilinear`` (causal blocks, only W_K^1's
gradient formed, since its keys and values are frozen) and layer 2 through
``models.attention.masked_shared_kv`` for the loss positions' queries only; on CUDA both go
through PyTorch's fused ``scaled_dot_product_attention``. The frozen random draws are the same
in both precisions (drawn in float64, then cast). ``train`` runs its steps inside
``tiers.reuse_freed_memory``, so that the step's large tensors reuse the memory freed by the
previous step instead of being page-faulted afresh (at the paper size of (b) that cost about as
much as the arithmetic). The CI tier runs on the CPU, the paper tier on CUDA when present.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from .. import _checks, tiers
from .._progress import progress
from ..tasks import induction as induction_data
from . import attention

MEMORIES = ("W_K1", "W_K2", "W_O2")
FROZEN = ("W_V1", "W_O1", "W_V2")
DEFAULT_DTYPE = torch.float32
DTYPES = {"float32": torch.float32, "float64": torch.float64}
_FIELDS = ("E", "P", "U", "W_V1", "W_O1", "W_V2")


def check_dtype(dtype) -> torch.dtype:
    """``torch.float32`` / ``torch.float64`` or their names ``"float32"`` / ``"float64"``."""
    if isinstance(dtype, str) and dtype in DTYPES:
        return DTYPES[dtype]
    if isinstance(dtype, torch.dtype) and dtype in DTYPES.values():
        return dtype
    raise ValueError(f"dtype must be torch.float32 or torch.float64 (or 'float32' / 'float64'), got {dtype!r}.")


def check_device(device) -> torch.device:
    """``None`` (the tier's choice: see ``tiers.device``), ``"cpu"``, ``"cuda"`` (``"cuda:0"``, ...) or a ``torch.device``."""
    if device is None:
        return tiers.device()
    if isinstance(device, str) and device.strip().lower() == "gpu":
        raise ValueError("device must be 'cpu' or 'cuda' (PyTorch's name for an NVIDIA GPU), got 'gpu'; pass device='cuda'.")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device must be 'cpu', 'cuda' or a torch.device, got {device!r}.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        build = "a CPU-only build of PyTorch" if torch.version.cuda is None else f"a CUDA {torch.version.cuda} build that finds no GPU"
        raise ValueError(
            f"device={str(device)!r} but PyTorch sees no CUDA GPU here (torch {torch.__version__} is {build}); "
            "pass device='cpu' (or None), or on a machine with an NVIDIA GPU install a CUDA build of PyTorch "
            "(see https://pytorch.org/get-started/locally/, e.g. pip install torch --index-url https://download.pytorch.org/whl/cu124)."
        )
    return device


@dataclass(frozen=True)
class Network:
    """The frozen part: E (V, d), P (T_max, d), U (V, d), W_V1, W_O1, W_V2 (d, d); float32 (default) or float64."""

    E: torch.Tensor
    P: torch.Tensor
    U: torch.Tensor
    W_V1: torch.Tensor
    W_O1: torch.Tensor
    W_V2: torch.Tensor

    @property
    def dim(self) -> int:
        return self.E.shape[1]

    @property
    def vocab_size(self) -> int:
        return self.E.shape[0]

    @property
    def dtype(self) -> torch.dtype:
        return self.E.dtype

    def to(self, device=None, dtype=None) -> "Network":
        dtype = self.dtype if dtype is None else check_dtype(dtype)
        device = self.E.device if device is None else device
        return Network(*(getattr(self, f).to(device=device, dtype=dtype) for f in _FIELDS))


def random_network(vocab_size: int, dim: int, max_len: int, seed: int = 0, dtype=DEFAULT_DTYPE) -> Network:
    """Frozen random matrices with i.i.d. N(0, 1/d) entries, drawn (in float64) in the order E, P, U, W_V1, W_O1, W_V2.

    ``dtype`` (float32 by default) is the precision the network computes in; the draws do not depend on it.
    """
    vocab_size = _checks.count("vocab_size", vocab_size, minimum=2)
    dim = _checks.count("dim", dim, minimum=1)
    max_len = _checks.count("max_len", max_len, minimum=2)
    dtype = check_dtype(dtype)
    g = torch.Generator().manual_seed(_checks.count("seed", seed))
    s = 1.0 / math.sqrt(dim)
    shapes = [(vocab_size, dim), (max_len, dim), (vocab_size, dim), (dim, dim), (dim, dim), (dim, dim)]
    return Network(*((s * torch.randn(*shape, generator=g, dtype=torch.float64)).to(dtype) for shape in shapes))


def _params(net: Network, values: dict | None, S: int, trainable, what: str = "params") -> dict[str, torch.Tensor]:
    """Memories as (S, d, d) if trainable, else (S or 1, d, d); missing ones start at zero."""
    if values is not None and not isinstance(values, dict):
        raise TypeError(f"{what} must be a dict from memory names {list(MEMORIES)} to matrices, got {type(values).__name__}.")
    values = dict(values or {})
    for name in values:
        _checks.choice("memory name", name, MEMORIES)
    d = net.dim
    out = {}
    for name in MEMORIES:
        W = values.get(name)
        if W is None:
            W = torch.zeros(1, d, d, dtype=net.dtype, device=net.E.device)
        else:
            W = _checks.as_tensor(f"{what}[{name!r}]", W, ndim=(2, 3))
            if W.shape[-2:] != (d, d):
                raise ValueError(f"{what}[{name!r}] must have shape (d, d) = ({d}, {d}) or (S, d, d), got {tuple(W.shape)}.")
            W = W.to(device=net.E.device, dtype=net.dtype).reshape(-1, d, d)
            if S > 1 and W.shape[0] not in (1, S):
                raise ValueError(
                    f"{what}[{name!r}] must have shape (d, d) or (S, d, d) with S = {S} (one slice per step size), "
                    f"got {tuple(W.shape)}."
                )
        if name in trainable:
            W = W.expand(S, d, d).clone()
        out[name] = W
    return out


def _broadcast_shapes(*shapes) -> tuple:
    """``torch.broadcast_shapes`` for plain shapes, without its first call's import of torch.fx and sympy (about 0.4 s)."""
    return np.broadcast_shapes(*(tuple(shape) for shape in shapes))


def _attend(q, k, v, scale: float | None = None):
    """Causal softmax attention through the fused kernel; q, k, v (..., T, d) broadcast over the leading axes.

    Scores q_t^T k_s / sqrt(d) for s <= t (``scale`` overrides 1 / sqrt(d)).
    """
    lead = _broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    q, k, v = (a.expand(*lead, *a.shape[-2:]) for a in (q, k, v))
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)


def attention_weights(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Explicit causal attention weights softmax_s(q_t^T k_s / sqrt d), s <= t: (..., T, d) -> (..., T, T).

    Materialises the score tensor: for probes on small batches, not for training.
    """
    T = q.shape[-2]
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    future = torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1)
    return torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)


def _embed(net: Network, tokens: torch.Tensor) -> torch.Tensor:
    """x_t = e_{z_t} + rho_t of eq. (T.1): (1, B, T, d)."""
    return (net.E[tokens] + net.P[: tokens.shape[-1]]).unsqueeze(0)


def _layer1(net: Network, params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """h^1 of eq. (T.2): (S1, B, T, d), S1 = 1 when W_K^1 is shared by all step sizes."""
    # Reassociated for speed, same equation: the score x_t^T W_K1 x_s is (x_t^T W_K1) . x_s, so the
    # keys are the shared x and only the queries depend on the step size; and attention is linear in
    # its values, so A (x W_V1^T) W_O1^T = A (x (W_O1 W_V1)^T), one shared (1, B, T, d) value tensor
    # instead of two (S1, B, T, d) products (and their backward passes) per step.
    v = x @ (net.W_O1 @ net.W_V1).T
    if x.device.type == "cpu" and not (x.requires_grad or v.requires_grad):
        # keys and values are frozen: the hand-written pass forms only W_K1's gradient (see models.attention)
        return attention.causal_bilinear(x[0], params["W_K1"], v[0], 1.0 / math.sqrt(x.shape[-1]), residual=x[0])
    return x + _attend(x @ params["W_K1"].unsqueeze(1), x, v)


def hidden(net: Network, params: dict[str, torch.Tensor], tokens: torch.Tensor) -> torch.Tensor:
    """The residual stream h^2 of eqs (T.1)-(T.3); tokens (B, T) -> (S, B, T, d)."""
    h1, f = _streams(net, params, tokens)
    return h1 + f @ params["W_O2"].unsqueeze(1).transpose(-1, -2)


def _streams(net: Network, params: dict[str, torch.Tensor], tokens: torch.Tensor):
    """h^1 (S1, B, T, d) and the second attention's output f before W_O^2 (S2, B, T, d), at every position.

    S1 and S2 are 1 when the keys are shared by all step sizes (frozen), so experiment (a)
    computes both attentions once per batch and only the last product per step size.
    """
    h1 = _layer1(net, params, _embed(net, tokens))
    W_K2 = params["W_K2"].unsqueeze(1)
    return h1, _attend(h1, h1 @ W_K2.transpose(-1, -2), h1 @ net.W_V2.T)


def _queries(mask: torch.Tensor):
    """The loss positions of each sequence, packed: index (B, Q) into [0, T) and valid (B, Q) bool, Q = max count."""
    counts = mask.sum(1)
    Q = max(int(counts.max()), 1)
    order = torch.sort(mask.to(torch.int8), dim=1, descending=True, stable=True).indices[:, :Q]  # loss positions first
    valid = torch.arange(Q, device=mask.device) < counts.unsqueeze(1)
    return order, valid


def _loss_features(net: Network, params: dict[str, torch.Tensor], batch: induction_data.Batch):
    """h^1 and f at the loss positions only: two (S., n, d) tensors, n = batch.mask.sum().

    The second attention is evaluated for the loss positions' queries only (packed per sequence,
    a boolean mask s <= t), since h^2 is read nowhere else.
    """
    h1 = _layer1(net, params, _embed(net, batch.tokens))  # (S1, B, T, d)
    index, valid = _queries(batch.mask)  # (B, Q)
    S1, B, T, d = h1.shape
    Q = index.shape[1]
    # Rows of h1 flattened to (S1, B T, d): whole rows are copied (index_select, and index_add
    # backward), about 1.5x faster than an elementwise gather and its scatter.
    rows = h1.reshape(S1, B * T, d)
    at = (torch.arange(B, device=h1.device).unsqueeze(1) * T + index).reshape(-1)  # (B Q) query rows
    q = rows.index_select(1, at).view(S1, B, Q, d)
    allowed = torch.arange(T, device=h1.device) <= index.unsqueeze(-1)  # (B, Q, T): key s <= query t
    # As in layer 1, the products with W_K2 and W_V2 are moved to the Q query positions: the score
    # h_t^T W_K2 h_s is (h_t^T W_K2) . h_s, and A (h W_V2^T) = (A h) W_V2^T, so no (S, B, T, d)
    # key or value tensor is formed.
    W_K2 = params["W_K2"].unsqueeze(1)
    q2 = q @ W_K2  # (S, B, Q, d)
    if h1.device.type == "cpu":  # keys = values = h1: one hand-written pass (see models.attention)
        f = attention.masked_shared_kv(q2, h1, allowed, 1.0 / math.sqrt(d))
    else:
        lead = _broadcast_shapes(q2.shape[:-2], h1.shape[:-2])
        q2, k = (a.expand(*lead, *a.shape[-2:]) for a in (q2, h1))
        f = F.scaled_dot_product_attention(q2, k, k, attn_mask=allowed, scale=1.0 / math.sqrt(d))
    f = f @ net.W_V2.T  # (S, B, Q, d)
    # the loss positions, in batch.mask's order: sequence by sequence, positions ascending (as packed by _queries)
    loss = valid.reshape(-1).nonzero().squeeze(1)
    return rows.index_select(1, at[loss]), f.reshape(f.shape[0], B * Q, d).index_select(1, loss)


def forward(net: Network, params: dict, tokens) -> torch.Tensor:
    """Logits (S, B, T, V) of eq. (T.4) for tokens (B, T).

    ``params`` maps some of "W_K1", "W_K2", "W_O2" to (d, d) or (S, d, d) tensors; missing ones are zero.
    """
    tokens = _tokens(net, tokens)
    return hidden(net, check_params(net, params), tokens) @ net.U.T


def check_params(net: Network, params: dict | None) -> dict[str, torch.Tensor]:
    """The three memories as (S or 1, d, d) tensors in the network's dtype and device; missing ones are zero."""
    checked = _params(net, params, 1, ())
    sizes = {p.shape[0] for p in checked.values()} - {1}
    if len(sizes) > 1:
        raise ValueError(f"the memories must share their leading (step-size) axis, got sizes {sorted(sizes)}.")
    return checked


def _tokens(net: Network, tokens) -> torch.Tensor:
    tokens = torch.as_tensor(tokens)
    if tokens.dtype not in (torch.int64, torch.int32) or tokens.ndim != 2:
        raise TypeError(f"tokens must be a (B, T) integer array, got dtype {tokens.dtype} and shape {tuple(tokens.shape)}.")
    if tokens.shape[0] == 0:
        raise ValueError(f"tokens must hold at least one sequence (B >= 1), got shape {tuple(tokens.shape)}.")
    if tokens.shape[1] < 2:
        raise ValueError(f"sequence length must be >= 2, got {tokens.shape[1]}.")
    if tokens.shape[1] > net.P.shape[0]:
        raise ValueError(f"sequence length must be <= max_len = {net.P.shape[0]}, got {tokens.shape[1]}.")
    if tokens.min() < 0 or tokens.max() >= net.vocab_size:
        raise ValueError(f"tokens must lie in [0, {net.vocab_size}), got {tokens.min().item()} to {tokens.max().item()}.")
    return tokens.to(net.E.device).long()


def _cross_entropy(h: torch.Tensor, U: torch.Tensor, y: torch.Tensor):
    """Mean cross-entropy and accuracy of logits h U^T against y; h (S, n, d), y (n,) -> two (S,)."""
    return _logit_loss(h @ U.T, y)


def _logit_loss(logits: torch.Tensor, y: torch.Tensor):
    """Mean cross-entropy and accuracy of logits (S, n, V) against y (n,): two (S,)."""
    loss = torch.logsumexp(logits, -1) - logits.gather(-1, y.expand(logits.shape[0], -1).unsqueeze(-1)).squeeze(-1)
    acc = (logits.argmax(-1) == y).to(logits.dtype)
    return loss.mean(-1), acc.mean(-1)


def induction_loss(net: Network, params: dict[str, torch.Tensor], batch: induction_data.Batch):
    """Mean cross-entropy and accuracy at the masked positions, per slice: two (S,) tensors.

    Raises if the batch has no position in the loss (no trigger occurs twice in any sequence),
    instead of returning the NaN of a mean over nothing.
    """
    n = int(batch.mask.sum())
    if n == 0:
        raise ValueError(
            f"the batch has no position in the loss (no trigger occurs twice in any of its {batch.tokens.shape[0]} sequences "
            f"of length {batch.tokens.shape[1]}); use longer sequences, more sequences or more triggers."
        )
    h1, f = _loss_features(net, params, batch)  # (S., n, d)
    h = h1 + f @ params["W_O2"].transpose(-1, -2)  # (S, n, d)
    return _cross_entropy(h, net.U, batch.targets[batch.mask])


def swap_quartet(trigger: int, a: int, b: int, filler: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Four length-5 sequences that no memory on uniform-attention features can all recall.

    Rows (q = trigger, c = filler): q a c b q, q b c a q, c b q a q, c a q b q; the last
    position is the second occurrence of q, so the targets (token after the first q) are
    a, b, a, b. Rows 0 and 2 together hold the same (position, token) pairs as rows 1 and 3.
    When both attentions are uniform (W_K^1 = W_K^2 = 0) the logits at the last position are a
    sum over positions r of terms that depend only on (r, z_r), so for every W_O^2
    logits[0] + logits[2] = logits[1] + logits[3] (the chapter's exercise). Returns tokens
    (4, 5) int64 and targets (4,) int64.
    """
    values = [_checks.count(name, v) for name, v in (("trigger", trigger), ("a", a), ("b", b), ("filler", filler))]
    if len(set(values)) != 4:
        raise ValueError(f"trigger, a, b and filler must be four different tokens, got {values}.")
    q, a, b, c = values
    tokens = torch.tensor([[q, a, c, b, q], [q, b, c, a, q], [c, b, q, a, q], [c, a, q, b, q]])
    return tokens, torch.tensor([a, b, a, b])


def _row_margins(s: torch.Tensor) -> torch.Tensor:
    """m[..., i] = s[..., i, i] - max_{j != i} s[..., i, j]; s (..., V, V)."""
    diag = s.diagonal(dim1=-2, dim2=-1)
    other = s.masked_fill(torch.eye(s.shape[-1], dtype=torch.bool, device=s.device), float("-inf")).amax(-1)
    return diag - other


def probe_margins(net: Network, params: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Margins (S, V) of the two memories of the induction head, per token.

    ``"W_O2"``: token b read through W_V^2 and W_O^2 against the unembeddings,
    s(b, y) = u_y^T W_O^2 W_V^2 e_b, margin s(b, b) - max_{y != b} s(b, y).
    ``"W_K2"``: query e_k against the keys W_K^2 W_O^1 W_V^1 e_j,
    s(k, j) = e_k^T W_K^2 W_O^1 W_V^1 e_j, margin s(k, k) - max_{j != k} s(k, j).
    A token is recalled exactly when its margin is positive.
    """
    for name in ("W_O2", "W_K2"):
        if name not in params:
            raise ValueError(f"params must contain {name!r}, got keys {sorted(params)}.")
    W_O2, W_K2 = (params[n] if params[n].ndim == 3 else params[n].unsqueeze(0) for n in ("W_O2", "W_K2"))
    E, U = net.E, net.U
    s_o = U @ W_O2 @ net.W_V2 @ E.T  # (S, y, b)
    s_k = E @ W_K2 @ net.W_O1 @ net.W_V1 @ E.T  # (S, k, j)
    return {"W_O2": _row_margins(s_o.transpose(-1, -2)), "W_K2": _row_margins(s_k)}


def positional_margins(net: Network, W_K1: torch.Tensor, seq_len: int | None = None) -> torch.Tensor:
    """How well W_K^1 stores "position t attends to t - 1", read on the positional embeddings alone.

    With the Birth-of-a-Transformer picture W_K^1 ~ sum_t rho_t rho_{t-1}^T, the positional score
    a(t, s) = rho_t^T W_K^1 rho_s / sqrt(d) peaks at s = t - 1. Returns the margins (S, T - 1) for
    t = 1 .. T - 1: a(t, t - 1) - max over s <= t, s != t - 1 of a(t, s) (positive: W_K^1 recalls
    the previous position of t).
    """
    T = net.P.shape[0] if seq_len is None else _checks.count("seq_len", seq_len, minimum=2)
    W = W_K1 if W_K1.ndim == 3 else W_K1.unsqueeze(0)
    P = net.P[:T]
    a = P @ W @ P.T / math.sqrt(net.dim)  # (S, t, s)
    t = torch.arange(1, T, device=P.device)
    rows = a[:, 1:]  # (S, T - 1, T)
    prev = rows[:, torch.arange(T - 1), t - 1]
    s = torch.arange(T, device=P.device)
    excluded = (s[None, :] > t[:, None]) | (s[None, :] == (t - 1)[:, None])  # future or the previous position
    return prev - rows.masked_fill(excluded, float("-inf")).amax(-1)


def previous_token_attention(net: Network, params: dict[str, torch.Tensor], tokens) -> torch.Tensor:
    """Mean weight the first attention layer puts on position t - 1, over positions t >= 1 of ``tokens``: (S,).

    1 for a perfect previous-token head; 1/(t+1) on average for uniform attention (W_K^1 = 0).
    Materialises the (S, B, T, T) weights: pass a small batch.
    """
    tokens = _tokens(net, tokens)
    params = check_params(net, params)
    x = _embed(net, tokens)
    weights = attention_weights(x, x @ params["W_K1"].unsqueeze(1).transpose(-1, -2))  # (S, B, T, T)
    T = tokens.shape[1]
    return weights[..., torch.arange(1, T), torch.arange(T - 1)].mean((-1, -2))


def _loss_and_grads(net, params, trainable, batch):
    loss, acc = induction_loss(net, params, batch)
    grads = torch.autograd.grad(loss.sum(), [params[n] for n in trainable])
    return loss, acc, grads


def _update(params, trainable, grads, eta):
    with torch.no_grad():
        for name, g in zip(trainable, grads):
            params[name] -= eta * g


def sgd_step(net: Network, params: dict[str, torch.Tensor], trainable, step_size: torch.Tensor, batch) -> torch.Tensor:
    """One plain SGD step in place, W <- W - eta_s grad_W L_s(batch) for each slice s; returns the losses (S,).

    ``params`` are the (S or 1, d, d) tensors of ``check_params`` with the trainable ones (S, d, d)
    requiring gradients; ``step_size`` has shape (S,).
    """
    loss, _, grads = _loss_and_grads(net, params, trainable, batch)
    _update(params, trainable, grads, step_size.reshape(-1, 1, 1).to(device=loss.device, dtype=loss.dtype))
    return loss.detach()


def init_params(net: Network, trainable, num_step_sizes: int, init: dict | None = None) -> dict[str, torch.Tensor]:
    """Memories for ``train``: trainable ones (S, d, d) requiring gradients, frozen ones (S or 1, d, d); zero unless in ``init``."""
    S = _checks.count("num_step_sizes", num_step_sizes, minimum=1)
    params = _params(net, init, S, tuple(trainable), what="init")
    for name in trainable:
        params[name].requires_grad_(True)
    return params


def batches(law: induction_data.BigramModel, batch_size: int, seq_len: int, steps: int, seed: int = 1):
    """The training batches of ``train`` (seed + 1 there), one per step, drawn in vectorised chunks of steps."""
    batch_size = _checks.count("batch_size", batch_size, minimum=1)
    seq_len = _checks.count("seq_len", seq_len, minimum=2)
    steps = _checks.count("steps", steps, minimum=1)
    generator = torch.Generator().manual_seed(_checks.count("seed", seed))
    chunk = max(1, min(steps, 2**16 // (batch_size * max(1, seq_len // 64))))
    for t in range(0, steps, chunk):
        data = induction_data.sample(law, batch_size * min(chunk, steps - t), seq_len, generator)
        for i in range(0, data.tokens.shape[0], batch_size):
            yield induction_data.Batch(*(getattr(data, f)[i:i + batch_size] for f in ("tokens", "targets", "mask", "outputs")))


@dataclass
class TransformerRun:
    """Logs of an SGD sweep over S step sizes; index t is measured on the parameters before update t.

    loss, accuracy (S, L): training-batch loss and in-context accuracy at logged steps ``steps`` (L,);
    margins_O2, margins_K2 (S, L, V): probe margins; final_loss, final_accuracy (S,): on a held-out
    batch after the last step; params: the final memories (S or 1, d, d); seconds: wall time.
    eval_loss, eval_accuracy (S, L): the same held-out batch at every logged step (its loss is free of
    the batch-to-batch noise of ``loss``); previous_token (S, L): mean layer-1 attention on position
    t - 1 (``previous_token_attention``, on the first ``probe_size`` held-out sequences);
    positional_recall (S, L): fraction of positions t whose ``positional_margins`` are positive.
    """

    step_sizes: torch.Tensor
    steps: np.ndarray
    loss: torch.Tensor
    accuracy: torch.Tensor
    margins_O2: torch.Tensor
    margins_K2: torch.Tensor
    final_loss: torch.Tensor
    final_accuracy: torch.Tensor
    params: dict = field(repr=False)
    trainable: tuple = ()
    seconds: float = 0.0
    eval_loss: torch.Tensor | None = field(default=None, repr=False)
    eval_accuracy: torch.Tensor | None = field(default=None, repr=False)
    previous_token: torch.Tensor | None = field(default=None, repr=False)
    positional_recall: torch.Tensor | None = field(default=None, repr=False)
    dtype: torch.dtype = torch.float32

    @property
    def step_size(self) -> torch.Tensor:
        """The old name of ``step_sizes`` (read-only), kept for outside code that reads it."""
        return self.step_sizes


@contextmanager
def step_settings(threads: int | None = None, reuse_memory: bool = True):
    """The process settings ``train`` runs its steps under, for the block only (nothing outlives it).

    ``threads`` intra-op threads (``None``: unchanged; see ``tiers.threads``); denormals flushed,
    which speeds up the long causal softmaxes (``tiers.flush_denormal``); and, with
    ``reuse_memory``, freed memory kept for the next step, which spares the page faults of the
    step's large tensors, made and freed at every step (about as long as the arithmetic at the
    paper size of (b): ``tiers.reuse_freed_memory``). ``benchmarks/`` time steps under the same block.
    """
    with tiers.threads(threads), tiers.flush_denormal(), tiers.reuse_freed_memory(reuse_memory):
        yield


def train(
    step_size,
    steps: int,
    trainable=("W_O2",),
    dim: int = 32,
    seq_len: int = 64,
    batch_size: int = 64,
    vocab_size: int = 65,
    num_triggers: int = 5,
    init: dict | None = None,
    seed: int = 0,
    log_every: int = 1,
    eval_size: int = 256,
    device=None,
    threads: int | None = None,
    show: bool | None = None,
    dtype=DEFAULT_DTYPE,
    probe_size: int = 16,
) -> TransformerRun:
    """Plain SGD (no momentum, no weight decay) on the induction loss, one run per step size.

    The data law, the frozen network and the data batches all come from ``seed`` and are shared
    by the S step sizes. ``trainable`` names the memories that learn (a subset of W_K1, W_K2,
    W_O2); ``init`` optionally sets memories (frozen or starting values), the others start at 0.
    Update: W <- W - step_size * grad of the mean cross-entropy of the batch. Every ``log_every``
    steps (and at the last) the run logs the training-batch loss, the probes and the loss on a fixed
    held-out batch of ``eval_size`` sequences. ``dtype``: float32 (default) or float64.
    """
    eta = _checks.step_sizes(step_size)
    steps = _checks.count("steps", steps, minimum=1)
    trainable = tuple(trainable) if not isinstance(trainable, str) else (trainable,)
    for name in trainable:
        _checks.choice("trainable", name, MEMORIES)
    if not trainable:
        raise ValueError("trainable must name at least one of W_K1, W_K2, W_O2, got an empty list.")
    seq_len = _checks.count("seq_len", seq_len)
    if seq_len < 2:
        raise ValueError(f"seq_len must be >= 2, got {seq_len}.")
    dim = _checks.count("dim", dim, minimum=1)
    batch_size = _checks.count("batch_size", batch_size, minimum=1)
    eval_size = _checks.count("eval_size", eval_size, minimum=1)
    probe_size = _checks.count("probe_size", probe_size, minimum=1)
    num_triggers = _checks.count("num_triggers", num_triggers)
    if num_triggers == 0:
        raise ValueError(
            "num_triggers must be >= 1, got 0: the loss is taken at repeated triggers, so without triggers "
            "there is no position to learn from (the mean over them would be NaN)."
        )
    log_every = _checks.count("log_every", log_every, minimum=1)
    dtype = check_dtype(dtype)
    device = check_device(device)
    if threads is None and device.type == "cpu" and tiers.current() == "ci":
        threads = 1  # small matrices at the CI tier: see tiers.threads
    with step_settings(threads):
        return _train(eta, steps, trainable, dim, seq_len, batch_size, vocab_size, num_triggers, init, seed, log_every,
                      eval_size, device, show, dtype, probe_size)


def _train(eta, steps, trainable, dim, seq_len, batch_size, vocab_size, num_triggers, init, seed, log_every, eval_size, device,
           show, dtype, probe_size):
    law = induction_data.bigram_model(vocab_size, num_triggers, seed=seed)
    net = random_network(vocab_size, dim, seq_len, seed=seed, dtype=dtype).to(device)
    S = eta.numel()
    eta = eta.to(device=device, dtype=dtype).reshape(S, 1, 1)
    params = init_params(net, trainable, S, init)
    held_out = induction_data.sample(law, eval_size, seq_len, seed=seed + 2).to(device)
    probe_tokens = held_out.tokens[:probe_size]
    keys_frozen = not {"W_K1", "W_K2"} & set(trainable)
    with torch.no_grad():
        cached = _loss_features(net, params, held_out) if keys_frozen else None  # fixed features when only W_O2 learns
        if cached is not None:  # logits (h1 + f W_O2^T) U^T = h1 U^T + f (U W_O2)^T: the first term is fixed too
            cached = (cached[0] @ net.U.T, cached[1])
        y_held = held_out.targets[held_out.mask]

    def evaluate():
        with torch.no_grad():
            if cached is not None:
                fixed, f = cached
                return _logit_loss(fixed + f @ (net.U @ params["W_O2"]).transpose(-1, -2), y_held)
            h1, f = _loss_features(net, params, held_out)
            return _cross_entropy(h1 + f @ params["W_O2"].transpose(-1, -2), net.U, y_held)

    logs = {k: [] for k in ("t", "loss", "acc", "m_o", "m_k", "e_loss", "e_acc", "prev", "pos")}
    start = time.perf_counter()
    data = batches(law, batch_size, seq_len, steps, seed + 1)
    for t in progress(range(steps), total=steps, desc="SGD", show=show):
        batch = next(data).to(device)
        loss, acc, grads = _loss_and_grads(net, params, trainable, batch)
        if t % log_every == 0 or t == steps - 1:
            with torch.no_grad():
                probes = probe_margins(net, params)
                e_loss, e_acc = evaluate()
                logs["t"].append(t)
                logs["loss"].append(loss.detach().expand(S))
                logs["acc"].append(acc.expand(S))
                logs["m_o"].append(probes["W_O2"].expand(S, -1))
                logs["m_k"].append(probes["W_K2"].expand(S, -1))
                logs["e_loss"].append(e_loss.expand(S))
                logs["e_acc"].append(e_acc.expand(S))
                if "W_K1" in trainable or not logs["prev"]:  # a frozen W_K^1 is probed once
                    prev = previous_token_attention(net, params, probe_tokens).expand(S)
                    pos = (positional_margins(net, params["W_K1"]) > 0).to(dtype).mean(-1).expand(S)
                logs["prev"].append(prev)
                logs["pos"].append(pos)
        _update(params, trainable, grads, eta)
    final_loss, final_acc = evaluate()
    seconds = time.perf_counter() - start
    final = {n: p.detach().cpu() for n, p in params.items()}
    stack = lambda key, axis=1: torch.stack(logs[key], axis).cpu()  # noqa: E731
    return TransformerRun(
        eta.reshape(S).cpu(), np.array(logs["t"]), stack("loss"), stack("acc"), stack("m_o"), stack("m_k"),
        final_loss.expand(S).cpu(), final_acc.expand(S).cpu(), final, trainable, seconds,
        stack("e_loss"), stack("e_acc"), stack("prev"), stack("pos"), dtype,
    )


# ----------------------------------------------------------------------------------------------
# The chapter's experiments (its figures and widget: assocmem.chapters.transformers.induction_head)
# ----------------------------------------------------------------------------------------------

EXPERIMENTS = ("a", "b")


def settings(experiment: str, tier: str | None = None) -> list[dict]:
    """Keyword arguments of ``train`` for experiment (a) W_O^2 only or (b) W_K^1, W_K^2, W_O^2.

    One dict per network size. The CI tier (default) fits the chapter in a minute on 2 CPU cores:
    (a) d = 64, sequences of 64, batches of 32, 150 steps; (b) d = 64, sequences of 32, batches of 16,
    600 steps and larger step sizes {100, 200}, enough for the induction head to form. The paper
    tier uses d = 64 for (a), d in {64, 128} for (b), sequence length 256, batch 512, 300 steps and the
    authors' step sizes (batch and length are the Birth-of-a-Transformer code's defaults, not known
    values of the paper's runs).
    """
    _checks.choice("experiment", experiment, EXPERIMENTS)
    paper = tiers.current(tier) == "paper"
    if experiment == "a":
        base = dict(step_size=[20.0, 50.0, 100.0, 200.0], trainable=("W_O2",))
        sizes = ([dict(dim=64, seq_len=256, batch_size=512, steps=300, log_every=1, eval_size=256)] if paper
                 else [dict(dim=64, seq_len=64, batch_size=32, steps=150, log_every=1, eval_size=128)])
    else:
        if paper:
            base = dict(step_size=[2.0, 5.0, 10.0, 20.0], trainable=MEMORIES)
            sizes = [dict(dim=d, seq_len=256, batch_size=512, steps=300, log_every=5, eval_size=256) for d in (64, 128)]
        else:
            base = dict(step_size=CI_STEP_SIZES_B, trainable=MEMORIES)
            sizes = [dict(dim=64, seq_len=32, batch_size=16, steps=600, log_every=20, eval_size=64)]
    return [base | size for size in sizes]


CI_STEP_SIZES_B = [100.0, 200.0]


def tracked_tokens(memory: str = "W_O2", num_triggers: int = 5, count: int = 5) -> list[int]:
    """The 5 tokens whose margins the figures follow: the most frequent possible outputs (non-triggers)
    for the W_O^2 memory, the triggers for the W_K^2 memory (triggers are the most frequent tokens)."""
    _checks.choice("memory", memory, ("W_O2", "W_K2"))
    first = num_triggers if memory == "W_O2" else 0
    return list(range(first, first + count))


def longest_decrease(values) -> np.ndarray:
    """Longest run of consecutive logged steps over which each column decreases; values (L, K) -> (K,) int."""
    falling = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    if falling.ndim != 2:
        raise ValueError(f"values must have shape (L, K) (logged steps, curves), got shape {falling.shape}.")
    falling = falling[1:] < falling[:-1]
    best = np.zeros(falling.shape[1], dtype=int)
    current = np.zeros(falling.shape[1], dtype=int)
    for row in falling:
        current = np.where(row, current + 1, 0)
        best = np.maximum(best, current)
    return best


def run_experiment(experiment: str, tier: str | None = None, seed: int = 0, index: int = 0, **overrides) -> TransformerRun:
    """Train experiment ``"a"`` or ``"b"`` at the tier's ``index``-th network size (``overrides`` win)."""
    kwargs = settings(experiment, tier)[index] | overrides
    return train(seed=seed, device=tiers.device(tier), **kwargs)


__all__ = [
    "MEMORIES",
    "DEFAULT_DTYPE",
    "DTYPES",
    "check_dtype",
    "check_device",
    "attention_weights",
    "positional_margins",
    "previous_token_attention",
    "CI_STEP_SIZES_B",
    "FROZEN",
    "Network",
    "random_network",
    "hidden",
    "forward",
    "check_params",
    "induction_loss",
    "swap_quartet",
    "probe_margins",
    "sgd_step",
    "step_settings",
    "init_params",
    "batches",
    "TransformerRun",
    "train",
    "EXPERIMENTS",
    "settings",
    "tracked_tokens",
    "longest_decrease",
    "run_experiment",
]
