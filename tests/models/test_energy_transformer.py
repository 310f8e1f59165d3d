"""The Energy Transformer (assocmem.models.energy_transformer)."""

import math

import pytest
import torch

from assocmem.models import energy_transformer as ET

f64 = torch.float64


def model(seed=0, **kw):
    net = ET.EnergyTransformer(D=12, heads=2, Y=5, memories=20, seed=seed, **kw)
    with torch.no_grad():  # larger than the initialisation, so every term matters
        g = torch.Generator().manual_seed(seed + 100)
        net.W_K.copy_(torch.randn(net.W_K.shape, generator=g, dtype=f64) * 0.4)
        net.W_Q.copy_(torch.randn(net.W_Q.shape, generator=g, dtype=f64) * 0.4)
        net.xi.copy_(torch.randn(net.xi.shape, generator=g, dtype=f64) * 0.4)
        net.gamma.fill_(1.3)
        net.delta.copy_(0.2 * torch.randn(12, generator=g, dtype=f64))
    return net


def tokens(seed=1, batch=3, N=7):
    return torch.randn(batch, N, 12, generator=torch.Generator().manual_seed(seed), dtype=f64)


def test_layernorm_is_the_gradient_of_the_lagrangian():
    net = model()
    x = tokens().requires_grad_(True)
    (grad,) = torch.autograd.grad(net.lagrangian(x).sum(), x)
    assert torch.allclose(grad, net.layernorm(x.detach()), atol=1e-12)


def test_the_lagrangian_hessian_is_positive_semidefinite():
    net = model()
    x = tokens()[0, 0]
    H = torch.autograd.functional.jacobian(lambda v: net.layernorm(v[None, None])[0, 0], x)
    assert torch.allclose(H, H.T, atol=1e-12)
    assert torch.linalg.eigvalsh(H).min() > -1e-12


@pytest.mark.parametrize("exclude_self", [True, False])
@pytest.mark.parametrize("leak", [True, False])
def test_the_descent_step_is_minus_alpha_times_the_autograd_gradient_in_g(exclude_self, leak):
    net = model(exclude_self=exclude_self, leak=leak)
    x = tokens()
    g = net.layernorm(x).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(net.energy(x, g).sum(), g)
    alpha = 0.07
    assert torch.allclose(net.step(x, alpha) - x, -alpha * grad, atol=1e-12)


def test_the_g_gradient_of_e_ln_is_x_as_for_a_legendre_transform():
    # E_LN(x(g)) as a function of g: its total derivative in g is x (checked through the chain rule dE/dx = H dE/dg)
    net = model()
    x = tokens().requires_grad_(True)
    (dE_dx,) = torch.autograd.grad(net.energy_ln(x).sum(), x)
    x0 = x.detach()[0, 0]
    H = torch.autograd.functional.jacobian(lambda v: net.layernorm(v[None, None])[0, 0], x0)
    assert torch.allclose(dE_dx[0, 0], H @ x0, atol=1e-10)


def test_the_self_exclusion_changes_the_attention_energy():
    x = tokens()
    with_self, without = model(exclude_self=False), model(exclude_self=True)
    g = with_self.layernorm(x)
    assert (with_self.energy_att(g) < without.energy_att(g)).all()  # one more positive term in every log-sum-exp


def test_the_energy_terms_match_a_loop():
    net = model()
    x = tokens(batch=1)[0]
    g = net.layernorm(x[None])[0]
    att = 0.0
    for h in range(2):
        K, Q = g @ net.W_K[h].T, g @ net.W_Q[h].T
        for C in range(7):
            att -= torch.logsumexp(torch.stack([net.beta * K[B] @ Q[C] for B in range(7) if B != C]), 0) / net.beta
    hn = -0.5 * sum(torch.relu(net.xi[m] @ g[C]) ** 2 for m in range(20) for C in range(7))
    parts = net.energies(x[None])
    assert torch.allclose(parts["att"][0], att, atol=1e-10)
    assert torch.allclose(parts["hn"][0], hn, atol=1e-10)
    L = sum(12 * net.gamma * torch.sqrt(x[A].var(unbiased=False) + net.eps) + net.delta @ x[A] for A in range(7))
    assert torch.allclose(parts["ln"][0], (x * g).sum() - L, atol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("leak", [True, False])
def test_the_energy_never_increases_along_small_discrete_steps(seed, leak):
    net = model(seed=seed, leak=leak)
    with torch.no_grad():
        _, trace = net(tokens(seed=seed + 10, batch=5), steps=60, alpha=0.01, record=True)
    assert (trace[1:] - trace[:-1]).max() <= 1e-10
    assert (trace[0] - trace[-1]).min() > 0  # it does descend


def test_a_planted_sign_error_breaks_the_descent():
    net = model(seed=0)
    x = tokens(batch=5)
    with torch.no_grad():
        up = x + 0.01 * net.grad_g(x)
        assert (net.energy(up) > net.energy(x)).any()


def test_the_step_size_scales_the_first_order_decrease():
    # dE = -alpha (dE/dg)^T H (dE/dg) + O(alpha^2)
    net = model()
    x = tokens(batch=1)
    with torch.no_grad():
        v = net.grad_g(x)[0, 0]
    H = torch.autograd.functional.jacobian(lambda u: net.layernorm(u[None, None])[0, 0], x[0, 0])
    predicted = -(v @ H @ v)
    alpha = 1e-6
    moved = x.clone()
    moved[0, 0] -= alpha * v
    with torch.no_grad():
        change = (net.energy(moved) - net.energy(x))[0]
    assert math.isclose(change.item() / alpha, predicted.item(), rel_tol=1e-3)


def test_errors_name_the_argument():
    net = model()
    with pytest.raises(ValueError, match=r"x must have shape \(batch, N, D\) with D = 12"):
        net.energy(torch.zeros(2, 3, 5, dtype=f64))
    with pytest.raises(ValueError, match="x must have 3 dimensions"):
        net.energy(torch.zeros(3, 12, dtype=f64))
    with pytest.raises(ValueError, match="at least N = 2 tokens"):
        net.step(torch.zeros(1, 1, 12, dtype=f64))
    with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
        net.step(tokens(), alpha=0.0)
    with pytest.raises(ValueError, match="steps must be an integer >= 0"):
        net(tokens(), steps=-1)
    with pytest.raises(TypeError, match="steps must be an integer"):
        net(tokens(), steps=2.0)
    with pytest.raises(ValueError, match="heads must be an integer >= 1"):
        ET.EnergyTransformer(D=4, heads=0)
    with pytest.raises(ValueError, match="eps must be a finite number > 0"):
        ET.EnergyTransformer(D=4, eps=-1.0)
    with pytest.raises(ValueError, match="x must be finite"):
        net.energy(torch.full((1, 3, 12), math.nan, dtype=f64))


# ---- the attention mask ------------------------------------------------------------------------


def ring_mask(N=7, batch=None):
    """Each token attends to its two ring neighbours: (N, N) bool, symmetric."""
    i = torch.arange(N)
    d = (i[:, None] - i[None, :]) % N
    mask = (d == 1) | (d == N - 1)
    return mask if batch is None else mask.expand(batch, N, N).clone()


def test_an_all_true_mask_is_no_mask():
    net, x = model(), tokens()
    ones = torch.ones(7, 7, dtype=torch.bool)
    assert torch.equal(net.energy(x, mask=ones), net.energy(x))
    assert torch.equal(net.grad_g(x, mask=ones), net.grad_g(x))
    assert torch.equal(net(x, steps=5, mask=ones), net(x, steps=5))
    assert torch.equal(net(x, steps=5, record=True, mask=ones)[1], net(x, steps=5, record=True)[1])


def test_a_masked_out_key_has_zero_weight_and_no_pull():
    net, x = model(), tokens()
    mask = ring_mask()
    P = net.attention(x, mask)
    assert P.shape == (3, 2, 7, 7)
    assert (P[..., ~mask] == 0).all() and (P[..., mask] > 0).all()
    assert torch.allclose(P.sum(-2), torch.ones(3, 2, 7, dtype=f64))
    # moving token 3, which token 0 does not see (nor is seen by), leaves token 0's gradient unchanged
    moved = x.clone()
    moved[:, 3] += torch.randn(3, 12, generator=torch.Generator().manual_seed(9), dtype=f64)
    assert torch.allclose(net.grad_g(moved, mask)[:, 0], net.grad_g(x, mask)[:, 0], atol=1e-13)
    assert not torch.allclose(net.grad_g(moved)[:, 0], net.grad_g(x)[:, 0], atol=1e-6)  # without the mask it does


@pytest.mark.parametrize("exclude_self", [True, False])
@pytest.mark.parametrize("leak", [True, False])
@pytest.mark.parametrize("batched", [False, True])
def test_with_a_mask_the_step_is_still_minus_alpha_times_the_autograd_gradient(exclude_self, leak, batched):
    net = model(exclude_self=exclude_self, leak=leak)
    x = tokens()
    mask = ring_mask(batch=3 if batched else None)
    if batched:
        mask[1, 2, 4] = mask[1, 4, 2] = True  # one item gets an extra edge
    g = net.layernorm(x).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(net.energy(x, g, mask=mask).sum(), g)
    assert torch.allclose(net.step(x, 0.07, mask=mask) - x, -0.07 * grad, atol=1e-12)
    assert not torch.allclose(net.grad_g(x, mask), net.grad_g(x), atol=1e-6)  # the mask does something


def test_with_a_mask_the_energy_never_increases_along_small_steps():
    net = model(seed=1)
    with torch.no_grad():
        _, trace = net(tokens(seed=5, batch=5), steps=60, alpha=0.01, record=True, mask=ring_mask())
    assert (trace[1:] - trace[:-1]).max() <= 1e-10 and (trace[0] - trace[-1]).min() > 0


@pytest.mark.parametrize("leak", [True, False])
def test_the_token_energies_sum_to_the_energy(leak):
    net, x = model(leak=leak), tokens()
    for mask in (None, ring_mask()):
        assert torch.allclose(net.token_energies(x, mask).sum(-1), net.energy(x, mask=mask), atol=1e-10)


def test_bad_masks_fail_with_a_message():
    net, x = model(), tokens()
    with pytest.raises(TypeError, match="mask must be a bool tensor"):
        net.energy(x, mask=ring_mask().to(f64))
    with pytest.raises(ValueError, match=r"mask must have shape \(N, N\) = \(7, 7\)"):
        net.energy(x, mask=ring_mask(6))
    lonely = ring_mask()
    lonely[:, 4] = False
    with pytest.raises(ValueError, match="no key to attend to"):
        net(x, steps=2, mask=lonely)
    only_self = torch.eye(7, dtype=torch.bool)
    with pytest.raises(ValueError, match="B != C"):
        net.grad_g(x, mask=only_self)
    model(exclude_self=False).grad_g(x, mask=only_self)  # fine when a token may attend to itself
