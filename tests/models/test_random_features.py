"""Random-feature dense associative memory (DrDAM) against the exact one (MrDAM)."""

import math

import pytest
import torch

from assocmem import tiers
from assocmem.models import random_features as rf

D64 = torch.float64


def _points(n, d, seed, scale=1.0):
    return scale * torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=D64)


@pytest.fixture(autouse=True)
def _one_thread():
    with tiers.threads(1):
        yield


@pytest.mark.parametrize("kind", rf.KINDS)
def test_features_shape_determinism_and_norm(kind):
    x = _points(5, 3, 0)
    phi = rf.features(x, 64, 0.7, seed=3, kind=kind)
    assert phi.shape == (5, 64) and phi.dtype == D64
    assert torch.equal(phi, rf.features(x, 64, 0.7, seed=3, kind=kind))
    assert not torch.equal(phi, rf.features(x, 64, 0.7, seed=4, kind=kind))
    assert rf.features(x[0], 64, 0.7, seed=3, kind=kind).shape == (64,)
    if kind == "sincos":  # cos^2 + sin^2 = 1: every point has ||phi||^2 = 1 = k(x, x) exactly
        assert torch.allclose((phi * phi).sum(-1), torch.ones(5, dtype=D64), atol=1e-12)


@pytest.mark.parametrize("kind", rf.KINDS)
def test_kernel_estimate_is_unbiased_and_its_variance_is_the_derived_one(kind):
    # Pairs at kernel values 0.1 .. 0.9; 600 independent feature draws of Y = 32.
    ks = torch.tensor([0.1, 0.5, 0.9], dtype=D64)
    x = torch.zeros(3, 4, dtype=D64)
    y = torch.zeros(3, 4, dtype=D64)
    beta = 2.0
    y[:, 0] = torch.sqrt(-2 * torch.log(ks) / beta)
    draws = torch.stack([(rf.features(x, 32, beta, s, kind) * rf.features(y, 32, beta, s, kind)).sum(-1) for s in range(600)])
    variance = rf.kernel_variance(x, y, beta, 32, kind)
    assert ((draws.mean(0) - ks).abs() <= 4 * (variance / 600).sqrt()).all()
    ratio = draws.var(0) / variance
    assert ((ratio > 0.8) & (ratio < 1.25)).all(), ratio


def test_variance_decays_like_one_over_y():
    x, y = torch.zeros(1, 3, dtype=D64), torch.full((1, 3), 0.4, dtype=D64)
    spread = []
    for Y in (16, 256):
        draws = torch.stack([(rf.features(x, Y, 1.0, s) * rf.features(y, Y, 1.0, s)).sum() for s in range(400)])
        spread.append(draws.var().item())
    assert 10 < spread[0] / spread[1] < 26  # 16 expected
    assert math.isclose(rf.kernel_variance(x, y, 1.0, 16).item() / rf.kernel_variance(x, y, 1.0, 256).item(), 16.0)


def test_sincos_variance_is_never_larger_and_vanishes_at_zero_distance():
    x = torch.zeros(50, 2, dtype=D64)
    y = torch.linspace(0, 4, 50, dtype=D64)[:, None] * torch.tensor([1.0, 0.0], dtype=D64)
    cos, sincos = rf.kernel_variance(x, y, 1.0, 10, "cos"), rf.kernel_variance(x, y, 1.0, 10, "sincos")
    assert (sincos <= cos + 1e-15).all() and sincos[0] == 0 and math.isclose(cos[0].item(), 0.05)


@pytest.mark.parametrize("kind", rf.KINDS)
def test_kernel_sum_variance_matches_monte_carlo(kind):
    xi = _points(6, 3, 1, scale=0.8)
    q = xi[:2] + 0.2 * _points(2, 3, 2)
    exact = rf.exact_kernel_sum(q, xi, 1.5)
    draws = torch.stack([rf.kernel_sum(q, rf.store(xi, 16, 1.5, s, kind), 1.5, s, kind) for s in range(800)])
    predicted = rf.kernel_sum_variance(q, xi, 1.5, 16, kind)
    ratio = draws.var(0) / predicted
    assert ((ratio > 0.82) & (ratio < 1.2)).all(), ratio
    assert ((draws.mean(0) - exact).abs() <= 4 * (predicted / 800).sqrt()).all()
    # the correlated terms matter: the sum of the per-pair variances is a different (wrong) number
    naive = rf.kernel_variance(q.repeat_interleave(6, 0), xi.repeat(2, 1), 1.5, 16, kind).reshape(2, 6).sum(1)
    assert not torch.allclose(naive, predicted, rtol=0.05)


def test_kernel_sum_variance_chunks_agree():
    xi = _points(9, 2, 3)
    q = _points(7, 2, 4)
    assert torch.allclose(rf.kernel_sum_variance(q, xi, 1.0, 8, chunk=81), rf.kernel_sum_variance(q, xi, 1.0, 8), rtol=1e-12)


@pytest.mark.parametrize("kind", rf.KINDS)
def test_features_converge_to_the_gaussian_kernel(kind):
    x, y = _points(4, 5, 5, scale=0.5), _points(4, 5, 6, scale=0.5)
    estimate = (rf.features(x, 2**16, 1.0, 0, kind) * rf.features(y, 2**16, 1.0, 0, kind)).sum(-1)
    exact = torch.exp(-0.5 * ((x - y) ** 2).sum(-1))
    assert (estimate - exact).abs().max() < 5 / math.sqrt(2**16)


@pytest.mark.parametrize("kind", rf.KINDS)
def test_add_equals_store_of_the_union(kind):
    a, b = _points(5, 4, 7), _points(3, 4, 8)
    T = rf.store(a, 128, 0.5, 2, kind)
    T_new = rf.add(T, b, 0.5, 2, kind)
    assert torch.allclose(T_new, rf.store(torch.cat([a, b]), 128, 0.5, 2, kind), atol=1e-12)
    assert torch.allclose(rf.add(T, b[0], 0.5, 2, kind), rf.store(torch.cat([a, b[:1]]), 128, 0.5, 2, kind), atol=1e-12)
    assert torch.equal(T, rf.store(a, 128, 0.5, 2, kind))  # add returns a new vector
    assert T_new.shape == (128,)  # a new memory, no new weight


@pytest.mark.parametrize("kind", rf.KINDS)
def test_energy_gradients_match_autograd(kind):
    xi = _points(7, 3, 9)
    T = rf.store(xi, 256, 0.8, 1, kind)
    x = (xi[:4] + 0.3 * _points(4, 3, 10)).requires_grad_(True)
    rf.energy(x, T, 0.8, 1, kind).sum().backward()
    assert torch.allclose(rf.energy_grad(x.detach(), T, 0.8, 1, kind), x.grad, atol=1e-10)
    x.grad = None
    rf.exact_energy(x, xi, 0.8).sum().backward()
    assert torch.allclose(rf.exact_energy_grad(x.detach(), xi, 0.8), x.grad, atol=1e-12)


def test_energy_is_clipped_where_the_estimate_is_not_positive():
    xi = _points(3, 2, 11)
    T = rf.store(xi, 64, 1.0, 0)
    far = torch.full((200, 2), 30.0, dtype=D64) + _points(200, 2, 12, scale=5)
    s = rf.kernel_sum(far, T, 1.0, 0)
    low = s <= rf.EPS
    assert low.any()  # far from the memories the estimate is noise around zero
    assert torch.allclose(rf.energy(far, T, 1.0, 0)[low], torch.full((int(low.sum()),), -math.log(rf.EPS), dtype=D64))
    assert (rf.energy_grad(far, T, 1.0, 0)[low] == 0).all()


def test_exact_energy_is_the_log_sum_exp_and_stable_far_away():
    xi = _points(4, 3, 13)
    x = _points(2, 3, 14)
    direct = -torch.log(torch.exp(-0.5 * 2.0 * ((x[:, None] - xi) ** 2).sum(-1)).sum(-1)) / 2.0
    assert torch.allclose(rf.exact_energy(x, xi, 2.0), direct, atol=1e-12)
    assert torch.isfinite(rf.exact_energy(x + 1e3, xi, 2.0)).all()


@pytest.mark.parametrize("kind", rf.KINDS)
def test_retrieval_of_well_separated_patterns(kind):
    xi = 4.0 * torch.eye(4, dtype=D64)  # pairwise distance 5.7: separated at beta = 1
    cues = xi + 0.3 * _points(4, 4, 15)
    x_mr = rf.exact_retrieve(cues, xi, 1.0, steps=200, step_size=0.2)
    assert (x_mr - xi).norm(dim=1).max() < 1e-3
    T = rf.store(xi, 2**14, 1.0, 0, kind)
    x_dr = rf.retrieve(cues, T, 1.0, 0, kind, steps=200, step_size=0.2)
    assert (x_dr - xi).norm(dim=1).max() < 0.15
    assert (x_dr - xi).norm(dim=1).max() < 0.5 * (cues - xi).norm(dim=1).min()
    path = rf.retrieve(cues, T, 1.0, 0, kind, steps=5, step_size=0.2, trajectory=True)
    assert path.shape == (6, 4, 4) and torch.equal(path[0], cues)
    energies = torch.stack([rf.energy(p, T, 1.0, 0, kind) for p in path])
    assert (energies[1:] <= energies[:-1] + 1e-9).all()  # descent


def test_retrieval_is_batched_over_queries():
    xi = _points(5, 3, 16, scale=2)
    q = xi + 0.2 * _points(5, 3, 17)
    T = rf.store(xi, 512, 1.0, 0)
    together = rf.retrieve(q, T, 1.0, 0, steps=20)
    alone = torch.cat([rf.retrieve(q[i], T, 1.0, 0, steps=20) for i in range(5)])
    assert torch.allclose(together, alone, atol=1e-12)
    together = rf.exact_retrieve(q, xi, 1.0, steps=20)
    alone = torch.cat([rf.exact_retrieve(q[i], xi, 1.0, steps=20) for i in range(5)])
    assert torch.allclose(together, alone, atol=1e-12)


def test_a_planted_bug_is_caught_by_the_gradient_check():
    # A DrDAM gradient without the 1/phi^T T factor is the gradient of -phi^T T / beta, not of E_Dr.
    xi = _points(4, 2, 18)
    T = rf.store(xi, 128, 1.0, 0)
    x = xi[:2] + 0.5
    value = rf.kernel_sum(x, T, 1.0, 0)
    wrong = rf.energy_grad(x, T, 1.0, 0) * value[:, None]
    assert not torch.allclose(wrong, rf.energy_grad(x, T, 1.0, 0), atol=1e-6)


def test_counts_of_weights_and_flops():
    assert rf.weights(100, 8) == 800 and rf.weights(100, 8, 4096) == rf.weights(10**6, 8, 4096) == 4096
    assert rf.step_flops(40, 8, num_memories=1024) == rf.step_flops(40, 8, num_features=1024) == 2 * 40 * 8 * 1024


def test_bad_input():
    xi = _points(3, 4, 0)
    T = rf.store(xi, 16, 1.0, 0)
    with pytest.raises(ValueError, match=r"kind must be one of \['cos', 'sincos'\], got 'rbf'"):
        rf.features(xi, 16, 1.0, 0, kind="rbf")
    with pytest.raises(ValueError, match=r"num_features must be even for kind='sincos'.*got 15"):
        rf.store(xi, 15, 1.0, 0, kind="sincos")
    with pytest.raises(ValueError, match=r"num_features must be an integer >= 1, got 0"):
        rf.features(xi, 0, 1.0, 0)
    with pytest.raises(TypeError, match=r"num_features must be an integer, got the float 16.0"):
        rf.store(xi, 16.0, 1.0, 0)
    with pytest.raises(ValueError, match=r"beta must be a finite number > 0, got -1"):
        rf.energy(xi, T, -1, 0)
    with pytest.raises(ValueError, match=r"T must have 1 dimensions, got shape \(2, 8\)"):
        rf.energy(xi, T.reshape(2, 8), 1.0, 0)
    with pytest.raises(ValueError, match=r"T must have an even length Y for kind='sincos'.*length 15"):
        rf.energy(xi, T[:15], 1.0, 0, kind="sincos")
    with pytest.raises(ValueError, match=r"queries must have D = 4 coordinates per row to match the patterns, got shape \(2, 3\)"):
        rf.exact_retrieve(torch.zeros(2, 3), xi, 1.0)
    with pytest.raises(ValueError, match=r"patterns must hold at least one pattern"):
        rf.store(torch.zeros(0, 4), 16, 1.0, 0)
    with pytest.raises(ValueError, match=r"step_size must be a finite number > 0, got 0"):
        rf.retrieve(xi, T, 1.0, 0, step_size=0)
    with pytest.raises(ValueError, match=r"x must be finite"):
        rf.energy(torch.full((1, 4), float("nan")), T, 1.0, 0)
    with pytest.raises(ValueError, match=r"seed must be an integer >= 0, got -2"):
        rf.features(xi, 16, 1.0, -2)
    with pytest.raises(ValueError, match=r"give exactly one of num_memories"):
        rf.step_flops(4, 8)
