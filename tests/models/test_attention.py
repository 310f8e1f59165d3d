"""The hand-written attention passes against autograd through the generic attention, in float64."""

from __future__ import annotations


import pytest
import torch
import torch.nn.functional as F

from assocmem.models import attention


def _causal_reference(q, k, v, scale):
    T = q.shape[-2]
    scores = (q @ k.transpose(-1, -2)) * scale
    scores = scores.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
    return torch.softmax(scores, -1) @ v


@pytest.mark.parametrize("S, T, block", [(3, 11, 4), (1, 8, 32), (2, 16, 16), (2, 7, 1)])
def test_causal_bilinear_matches_autograd(S, T, block):
    g = torch.Generator().manual_seed(S * 100 + T)
    B, d = 3, 5
    x = torch.randn(B, T, d, generator=g, dtype=torch.float64)
    W = torch.randn(S, d, d, generator=g, dtype=torch.float64, requires_grad=True)
    v = torch.randn(B, T, 4, generator=g, dtype=torch.float64)
    weight = torch.randn(S, B, T, 4, generator=g, dtype=torch.float64)
    out = attention.causal_bilinear(x, W, v, 0.7, block=block)
    ref = _causal_reference(x @ W.unsqueeze(1), x, v, 0.7)  # queries x_t^T W_s, keys x, values v
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    grad, = torch.autograd.grad((out * weight).sum(), W)
    grad_ref, = torch.autograd.grad((ref * weight).sum(), W)
    torch.testing.assert_close(grad, grad_ref, rtol=1e-10, atol=1e-12)
    assert torch.autograd.gradcheck(lambda W: attention.causal_bilinear(x, W, v, 0.7, block=block), (W,))


def test_causal_bilinear_adds_the_residual_in_its_output_pass_and_passes_the_gradient_through():
    g = torch.Generator().manual_seed(7)
    B, T, d, S = 2, 9, 4, 3
    x = torch.randn(B, T, d, generator=g, dtype=torch.float64)
    W = torch.randn(S, d, d, generator=g, dtype=torch.float64, requires_grad=True)
    v = torch.randn(B, T, d, generator=g, dtype=torch.float64)
    r = torch.randn(B, T, d, generator=g, dtype=torch.float64)
    out = attention.causal_bilinear(x, W, v, 0.5, block=4, residual=r)
    assert out.is_contiguous()
    torch.testing.assert_close(out, r + attention.causal_bilinear(x, W, v, 0.5, block=4), rtol=0, atol=1e-15)
    assert torch.autograd.gradcheck(lambda W: attention.causal_bilinear(x, W, v, 0.5, block=4, residual=r), (W,))
    with pytest.raises(ValueError, match="residual must have the values' shape"):
        attention.causal_bilinear(x, W, v, 0.5, residual=r[:, :-1])


def test_causal_bilinear_refuses_inputs_it_cannot_differentiate():
    x = torch.randn(1, 4, 3)
    W = torch.randn(2, 3, 3)
    with pytest.raises(ValueError, match="no gradient to x or v"):
        attention.causal_bilinear(x.requires_grad_(), W, x.detach(), 1.0)
    with pytest.raises(ValueError, match=r"W \(S, d, d\)"):
        attention.causal_bilinear(x.detach(), W[0], x.detach(), 1.0)


@pytest.mark.parametrize("S_q, S_k", [(3, 3), (3, 1), (1, 1)])
def test_masked_shared_kv_matches_the_fused_attention(S_q, S_k):
    g = torch.Generator().manual_seed(7 * S_q + S_k)
    B, Q, T, d = 2, 4, 9, 5
    q = torch.randn(S_q, B, Q, d, generator=g, dtype=torch.float64, requires_grad=True)
    k = torch.randn(S_k, B, T, d, generator=g, dtype=torch.float64, requires_grad=True)
    index = torch.sort(torch.randint(0, T, (B, Q), generator=g), 1).values
    allowed = torch.arange(T) <= index.unsqueeze(-1)
    weight = torch.randn(max(S_q, S_k), B, Q, d, generator=g, dtype=torch.float64)
    out = attention.masked_shared_kv(q, k, allowed, 0.3)
    lead = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2])
    qe, ke = (a.expand(*lead, *a.shape[-2:]) for a in (q, k))
    ref = F.scaled_dot_product_attention(qe, ke, ke, attn_mask=allowed, scale=0.3)
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    grads = torch.autograd.grad((out * weight).sum(), (q, k))
    grads_ref = torch.autograd.grad((ref * weight).sum(), (q, k))
    for a, b in zip(grads, grads_ref):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    assert torch.autograd.gradcheck(lambda q, k: attention.masked_shared_kv(q, k, allowed, 0.3), (q, k))


def test_a_planted_bug_in_the_backward_pass_is_caught(monkeypatch):
    """The comparison above can fail: a backward pass that forgets the values' share of dk (P^T dout) is caught."""
    original = attention._MaskedSharedKV.backward

    def forgetful(ctx, grad_out):
        dq, dk = original(ctx, grad_out)[:2]
        p = ctx.saved_tensors[2]
        return dq, dk - attention._sum_to(torch.matmul(p.transpose(-1, -2), grad_out), dk.shape), None, None

    monkeypatch.setattr(attention._MaskedSharedKV, "backward", staticmethod(forgetful))
    with pytest.raises(AssertionError):
        test_masked_shared_kv_matches_the_fused_attention(3, 1)
