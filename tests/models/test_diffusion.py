"""Diffusion models as dense associative memories (assocmem.models.diffusion)."""

import math

import pytest
import torch

from assocmem.models import diffusion as D

f64 = torch.float64


@pytest.fixture
def data():
    return torch.randn(12, 3, generator=torch.Generator().manual_seed(0), dtype=f64)


def gaussian_mixture_log_density(x, X, sigma):
    """log (1/K) sum_mu N(x; xi_mu, sigma^2 I), written out independently."""
    K, dim = X.shape
    sq = ((x[:, None, :] - X[None]) ** 2).sum(-1)
    return torch.logsumexp(-sq / (2 * sigma**2), dim=1) - math.log(K) - 0.5 * dim * math.log(2 * math.pi * sigma**2)


def test_minus_sigma2_log_density_is_the_energy_up_to_a_constant(data):
    x = torch.randn(50, 3, generator=torch.Generator().manual_seed(1), dtype=f64)
    for sigma in (0.1, 0.7, 3.0):
        gap = -sigma**2 * gaussian_mixture_log_density(x, data, sigma) - D.energy(x, data, 1 / sigma**2)
        expected = sigma**2 * (math.log(12) + 1.5 * math.log(2 * math.pi * sigma**2))
        assert torch.allclose(gap, torch.full_like(gap, expected), atol=1e-10)


def test_the_empirical_score_is_minus_beta_times_the_energy_gradient(data):
    x = torch.randn(40, 3, generator=torch.Generator().manual_seed(2), dtype=f64, requires_grad=True)
    sigma = 0.4
    (grad,) = torch.autograd.grad(D.energy(x, data, 1 / sigma**2).sum(), x)
    assert torch.allclose(D.empirical_score(x.detach(), data, sigma), -grad / sigma**2, atol=1e-10)
    # and the score of the explicit mixture density
    (log_grad,) = torch.autograd.grad(gaussian_mixture_log_density(x, data, sigma).sum(), x)
    assert torch.allclose(D.empirical_score(x.detach(), data, sigma), log_grad, atol=1e-9)


def test_the_jacobian_of_the_score_matches_autograd(data):
    x = torch.randn(3, generator=torch.Generator().manual_seed(3), dtype=f64)
    sigma = 0.5
    J = torch.autograd.functional.jacobian(lambda y: D.empirical_score(y, data, sigma), x)
    assert torch.allclose(D.score_jacobian(x, data, sigma), J, atol=1e-9)


def test_mean_shift_never_raises_the_energy_and_ends_at_fixed_points(data):
    beta = 4.0
    x = 3 * torch.randn(30, 3, generator=torch.Generator().manual_seed(4), dtype=f64)
    energies = [D.energy(x, data, beta)]
    for _ in range(40):
        x = D.denoise(x, data, 1 / math.sqrt(beta))
        energies.append(D.energy(x, data, beta))
    steps = torch.stack(energies)
    assert (steps[1:] - steps[:-1]).max() <= 1e-12
    end, moved = D.mean_shift(x, data, beta, steps=5000, tol=1e-12)
    assert moved.max() < 1e-12 and torch.allclose(D.denoise(end, data, 1 / math.sqrt(beta)), end, atol=1e-10)


def test_probability_flow_steps_lower_the_energy_of_their_noise_level(data):
    starts = 2 * torch.randn(20, 3, generator=torch.Generator().manual_seed(5), dtype=f64)
    path, sigmas = D.pf_ode(starts, data, 2.0, 0.05, 40)
    assert path.shape == (41, 20, 3) and math.isclose(sigmas[-1].item(), 0.05, rel_tol=1e-12)
    for k in range(40):
        beta = 1 / sigmas[k].item() ** 2
        assert (D.energy(path[k + 1], data, beta) - D.energy(path[k], data, beta)).max() <= 1e-12


def test_two_far_points_are_two_memories_and_two_close_points_one_spurious_attractor():
    beta = 100.0  # sigma = 0.1
    far = torch.tensor([[0.0, 0.0], [1.0, 0.0]], dtype=f64)
    found = D.attractors(far, beta, torch.tensor([[0.4, 0.0], [0.6, 0.1]], dtype=f64))
    assert found.count == 2 and found.memories == 2 and found.stored.all()
    close = torch.tensor([[0.0, 0.0], [0.05, 0.0]], dtype=f64)  # half a noise width apart: one merged well
    found = D.attractors(close, beta, torch.tensor([[1.0, 1.0]], dtype=f64))
    assert found.count == 1 and found.spurious == 1 and not found.stored.any()
    assert torch.allclose(found.points[0], close.mean(0), atol=1e-6)


def test_ring_energy_is_the_limit_of_many_points_on_the_circle():
    beta = 50.0
    X = D.circle(4000, evenly=True)
    R = torch.tensor([0.3, 0.9, 1.0, 1.4], dtype=f64)
    x = torch.stack([R, torch.zeros_like(R)], -1)
    finite = D.energy(x, X, beta) + math.log(4000) / beta
    assert torch.allclose(finite, D.ring_energy(R, beta), atol=1e-8)


def test_kept_dimensions_all_or_nothing_at_the_extremes():
    scales = (1.0, 0.5)
    many = D.kept_dimensions(D.linear_manifold(20000, 5, scales, seed=0), 0.3, scales, queries=32)
    one = D.kept_dimensions(D.linear_manifold(1, 5, scales, seed=0), 0.3, scales, queries=32)
    assert (many > 0.9).all() and (one == 0).all()


def test_bad_inputs_name_the_argument(data):
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., D\) with D = 3"):
        D.energy(torch.zeros(4, 2), data, 1.0)
    with pytest.raises(ValueError, match="data must hold at least one training point"):
        D.denoise(torch.zeros(2), torch.zeros(0, 2), 0.1)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        D.empirical_score(torch.zeros(3), data, 0.0)
    with pytest.raises(ValueError, match="sigma_min must be below sigma_max"):
        D.pf_ode(torch.zeros(3), data, 0.1, 0.2, 5)
    with pytest.raises(ValueError, match="radius must be >= 0"):
        D.ring_energy(torch.tensor([-1.0]), 10.0)
    with pytest.raises(ValueError, match="scales must hold at most dim = 2"):
        D.linear_manifold(5, 2, (1.0, 1.0, 1.0))


def test_a_probability_flow_step_is_the_euler_step_of_the_ode(data):
    starts = torch.randn(5, 3, generator=torch.Generator().manual_seed(6), dtype=f64)
    path, sigmas = D.pf_ode(starts, data, 1.0, 0.1, 4)
    for k in range(4):
        s_k, s_next = sigmas[k].item(), sigmas[k + 1].item()
        euler = path[k] - s_k * (s_next - s_k) * D.empirical_score(path[k], data, s_k)  # dx/dsigma = -sigma score
        assert torch.allclose(path[k + 1], euler, atol=1e-12)


def test_attractors_merge_greedily_like_the_pairwise_rule():
    """Each end joins the first attractor found within ``merge``: the basins equal a pairwise greedy pass."""
    X = D.circle(24, seed=4)
    beta = 150.0
    starts = 2.6 * torch.rand(60, 2, generator=torch.Generator().manual_seed(9), dtype=f64) - 1.3
    found = D.attractors(X, beta, starts, steps=2000, tol=1e-9)
    near = X + 1e-3 * torch.randn(X.shape, generator=torch.Generator().manual_seed(0), dtype=f64) / math.sqrt(beta)
    ends, _ = D.mean_shift(torch.cat([near, starts]), X, beta, 2000, 1e-9)
    known, label = [], []
    for point in ends:  # the rule, one pair at a time
        hit = next((j for j, k in enumerate(known) if (point - k).norm() < 0.1 / math.sqrt(beta)), None)
        label.append(len(known) if hit is None else hit)
        if hit is None:
            known.append(point)
    assert torch.equal(found.points, torch.stack(known))
    assert torch.equal(found.basin, torch.bincount(torch.tensor(label[24:]), minlength=len(known)))
    assert found.count < ends.shape[0]  # something merged: the rule was exercised
