"""Softmax attention with hand-written backward passes, for the induction-head Transformer on the CPU.

Both functions compute exactly what ``torch.nn.functional.scaled_dot_product_attention``
computes, and are used by :mod:`assocmem.models.transformer` on the CPU only (on CUDA the
fused kernels are faster). They are faster on the CPU because they skip gradients nobody
needs and fold the step-size axis into the matrix products:

``causal_bilinear(x, W, v, scale)``  (layer 1)
    out_{s,t} = sum_{t'<=t} softmax_{t'}(scale x_t^T W_s x_t') v_t', for x (B, T, d) and
    v (B, T, dv) shared by the S slices W_s and carrying no gradient (layer 1's keys are the
    frozen embeddings x, its values x (W_O^1 W_V^1)^T). The backward pass forms only the
    gradient of W: with q_t = W_s^T x_t, dq = scale sum_t' P (dP - delta) x_t', dP = dout v^T,
    delta_t = dout_t . out_t, and dW_s = sum_t x_t dq_t^T: two matrix products per block
    instead of the fused kernel's four (it also forms dk and dv). The S slices share x and v,
    so each product is one (S block, d) x (d, t) product per sequence; queries go in blocks of
    ``block`` positions, each against the keys before its end (the causal triangle costs
    about (T + block) / (2T) of the full square).

``masked_shared_kv(q, k, allowed, scale)``  (layer 2 at the loss positions)
    out_q = sum_s softmax_s(scale q_q . k_s, s allowed) k_s, keys equal to values (layer 2's
    keys and values are h^1, the value map W_V^2 applied afterwards), q (S, B, Q, d),
    k (S or 1, B, T, d), ``allowed`` (B, Q, T) boolean with at least one key per query. The
    backward pass gives dq = scale (P o (dP - delta)) k and dk = scale (P o (dP - delta))^T q + P^T dout
    without the masked-score copies of the generic path.

Shapes broadcast as in the transformer (a leading axis of 1 is shared by the slices); the
gradients are checked against autograd through the generic attention in float64
(tests/models/test_attention.py).
"""

from __future__ import annotations

import torch

BLOCK = 32  # query positions per block in layer 1: of 16, 32 and 64, 32 was fastest at the paper size of (b) (one thread, 2026-12-02)


def _sum_to(grad: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """Sum a broadcast gradient back to the shape of its input (leading axes of size 1)."""
    dims = [i for i, (g, s) in enumerate(zip(grad.shape, shape)) if s == 1 and g != 1]
    return grad.sum(dims, keepdim=True) if dims else grad


class _CausalBilinear(torch.autograd.Function):
    # Layout (B, T, S, d): the queries of every slice come from one (B T, d) x (d, S d) product,
    # and a block of positions a:b holds all S slices contiguously, so its (B, n S, d) query
    # matrix is a view, its rows ordered (position, slice).
    @staticmethod
    def forward(ctx, x, W, v, scale: float, block: int, residual):
        B, T, d = x.shape
        S, dv = W.shape[0], v.shape[-1]
        x2 = x.reshape(B * T, d)
        # q[b, t, s] = scale x_bt^T W_s (the score scale folded into the queries: one pass fewer over the scores)
        q = (x2 @ (W.transpose(0, 1).reshape(d, S * d) * scale)).view(B, T, S, d)
        out = x.new_empty(B, T, S, dv)
        keep = ctx.needs_input_grad[1]
        weights = []
        for a in range(0, T, block):
            b = min(a + block, T)
            n = b - a
            scores = torch.bmm(q[:, a:b].view(B, n * S, d), x[:, :b].transpose(1, 2))
            # only the block's own keys a:b can lie in its future (key s > position a + i)
            future = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(1).unsqueeze(1)
            scores.view(B, n, S, b)[..., a:].masked_fill_(future, float("-inf"))
            p = torch.softmax(scores, -1)  # (B, n S, b)
            torch.bmm(p, v[:, :b], out=out[:, a:b].view(B, n * S, dv))
            if keep:
                weights.append(p)
        if keep:
            ctx.weights, ctx.scale, ctx.block = weights, scale, block
            ctx.save_for_backward(x, v, out)
        # (S, B, T, dv), the layout later products read; the residual is added in the same pass as the
        # permuting copy (one pass over the output instead of a copy and then an add)
        result = out.new_empty(S, B, T, dv)
        if residual is None:
            return result.copy_(out.permute(2, 0, 1, 3))
        return torch.add(residual, out.permute(2, 0, 1, 3), out=result)

    @staticmethod
    def backward(ctx, grad_out):
        x, v, out = ctx.saved_tensors
        B, T, S, dv = out.shape
        d = x.shape[-1]
        g = grad_out.permute(1, 2, 0, 3)  # (B, T, S, dv), copied block by block below
        dq = out.new_empty(B, T, S, d)
        for i, a in enumerate(range(0, T, ctx.block)):
            b = min(a + ctx.block, T)
            n = b - a
            gb = g[:, a:b].reshape(B, n * S, dv)
            delta = torch.linalg.vecdot(gb, out[:, a:b].view(B, n * S, dv)).unsqueeze(-1)  # dout_t . out_t
            dp = torch.bmm(gb, v[:, :b].transpose(1, 2))
            dp.sub_(delta).mul_(ctx.weights[i])
            torch.bmm(dp, x[:, :b], out=dq[:, a:b].view(B, n * S, d))
        dW = (x.reshape(B * T, d).T @ dq.view(B * T, S * d)).mul_(ctx.scale)  # (d, S d)
        return None, dW.view(d, S, d).transpose(0, 1), None, None, None, None


def causal_bilinear(x: torch.Tensor, W: torch.Tensor, v: torch.Tensor, scale: float, block: int = BLOCK,
                    residual: torch.Tensor | None = None) -> torch.Tensor:
    """Causal attention with scores scale x_t^T W_s x_s' (keys x) and values v: (S, B, T, dv).

    x (B, T, d) and v (B, T, dv) are shared by the slices and get no gradient; W (S, d, d) does.
    ``residual`` (B, T, dv), if given and without gradient, is added to every slice's output.
    """
    if residual is not None and (residual.requires_grad or residual.shape != v.shape):
        raise ValueError(f"residual must have the values' shape {tuple(v.shape)} and no gradient; got "
                         f"{tuple(residual.shape)}, requires_grad={residual.requires_grad}.")
    if x.requires_grad or v.requires_grad:
        raise ValueError("causal_bilinear gives no gradient to x or v; pass tensors that do not require one "
                         "(or use scaled_dot_product_attention).")
    if x.ndim != 3 or v.ndim != 3 or W.ndim != 3 or W.shape[1:] != (x.shape[-1], x.shape[-1]):
        raise ValueError(f"causal_bilinear needs x (B, T, d), W (S, d, d), v (B, T, dv); got {tuple(x.shape)}, "
                         f"{tuple(W.shape)}, {tuple(v.shape)}.")
    return _CausalBilinear.apply(x, W, v, scale, block, residual)


class _MaskedSharedKV(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, allowed, scale: float):
        qs = q * scale
        scores = torch.matmul(qs, k.transpose(-1, -2))  # (S, B, Q, T)
        scores.masked_fill_(~allowed, float("-inf"))
        p = torch.softmax(scores, -1)
        out = torch.matmul(p, k)
        if any(ctx.needs_input_grad[:2]):
            ctx.save_for_backward(qs, k, p, out)
            ctx.scale = scale
        return out

    @staticmethod
    def backward(ctx, grad_out):
        qs, k, p, out = ctx.saved_tensors
        dp = torch.matmul(grad_out, k.transpose(-1, -2))
        dp.sub_((grad_out * out).sum(-1, keepdim=True)).mul_(p)  # d(scores)
        dq = dk = None
        if ctx.needs_input_grad[0]:
            dq = _sum_to(torch.matmul(dp, k).mul_(ctx.scale), qs.shape)
        if ctx.needs_input_grad[1]:
            # k is both the keys (through the scores) and the values
            dk = _sum_to(torch.matmul(dp.transpose(-1, -2), qs).add_(torch.matmul(p.transpose(-1, -2), grad_out)), k.shape)
        return dq, dk, None, None


def masked_shared_kv(q: torch.Tensor, k: torch.Tensor, allowed: torch.Tensor, scale: float) -> torch.Tensor:
    """softmax(scale q k^T over the allowed keys) k: q (S, B, Q, d), k (S or 1, B, T, d), allowed (B, Q, T)."""
    return _MaskedSharedKV.apply(q, k, allowed, scale)


__all__ = ["causal_bilinear", "masked_shared_kv", "BLOCK"]
