"""Spherical codes and the kernelized Hopfield model: known optima, bounds, energy descent, errors."""

import math

import pytest
import torch

from assocmem.models import spherical as S


@pytest.mark.parametrize("M", [4, 12])
def test_optimal_code_reaches_the_tammes_optimum(M):
    X = S.optimal_code(M, 3)
    assert X.shape == (M, 3)
    assert torch.allclose(X.norm(dim=-1), torch.ones(M, dtype=X.dtype))
    assert abs(S.min_angle(X).item() - S.TAMMES[M]) < 1.0


def test_simplex_and_cross_polytope_in_eight_dimensions():
    assert S.pairwise_cosines(S.optimal_code(9, 8)).max().item() == pytest.approx(-1 / 8, abs=0.017)
    assert S.pairwise_cosines(S.optimal_code(16, 8)).max().item() == pytest.approx(0.0, abs=0.017)  # within 1 deg


def test_optimised_beats_random_and_single_start_is_not_enough_for_everything():
    opt = S.min_separation(S.optimal_code(24, 3)).item()
    rnd = S.min_separation(S.random_code(24, 3, codes=50)).max().item()
    assert opt > 2 * rnd


def test_min_separation_of_known_codes():
    square = torch.tensor([[1.0, 0], [0, 1], [-1, 0], [0, -1]])
    assert S.min_separation(square).item() == pytest.approx(1.0)
    assert S.min_angle(3 * square).item() == pytest.approx(90.0)


@pytest.mark.parametrize("M", [2, 4, 6, 12, 24])
def test_bounds_bracket_the_optimum(M):
    lower, upper = S.bounds(M, 3)
    optimum = 1 - math.cos(math.radians(S.TAMMES[M]))
    assert lower < optimum < upper
    assert lower == pytest.approx(2 / (3 * M))       # d = 3 closed forms
    assert upper == pytest.approx(4 / math.sqrt(M))


def test_bounds_bracket_the_simplex():
    lower, upper = S.bounds(9, 8)
    assert lower < 1 + 1 / 8 < upper


def test_energy_never_increases_under_the_update():
    g = torch.Generator().manual_seed(0)
    Xi = torch.randn(12, 4, generator=g, dtype=torch.float64)
    phi = S.FeatureMap(torch.randn(6, 4, generator=g, dtype=torch.float64), torch.zeros(6, dtype=torch.float64))
    x = torch.randn(50, 4, generator=g, dtype=torch.float64)
    for _ in range(20):
        new = S.update(x, Xi, 3.0, phi)
        assert (S.energy(new, Xi, 3.0, phi) <= S.energy(x, Xi, 3.0, phi) + 1e-12).all()
        x = new


def test_update_is_the_gradient_fixed_point_equation():
    # grad E = A x - A Xi^T softmax  =>  at x_new the convex gradient equals the old concave gradient
    g = torch.Generator().manual_seed(1)
    Xi = torch.randn(5, 3, generator=g, dtype=torch.float64)
    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(S.energy(x, Xi, 2.0), x)
    assert torch.allclose(grad, x.detach() - S.update(x.detach(), Xi, 2.0))


def test_learning_raises_separation_and_normalise_is_explicit():
    g = torch.Generator().manual_seed(2)
    Xi = torch.randn(10, 5, generator=g, dtype=torch.float64)
    phi = S.learn_feature_map(Xi, 5, normalise=True, steps=300)
    assert S.min_separation(phi(Xi, normalise=True)).item() > S.min_separation(Xi).item() + 0.3
    with pytest.raises(TypeError, match="normalise must be True"):
        S.learn_feature_map(Xi, 5, normalise="yes")
    with pytest.raises(TypeError):
        S.learn_feature_map(Xi, 5)  # no default: the choice is explicit


def test_error_messages():
    with pytest.raises(ValueError, match="num must be an integer >= 2"):
        S.optimal_code(1, 3)
    with pytest.raises(ValueError, match="dim must be an integer >= 2"):
        S.bounds(4, 1)
    with pytest.raises(TypeError, match="tau must be a pair"):
        S.optimal_code(4, 3, tau=0.1)
    with pytest.raises(ValueError, match="nonzero rows"):
        S.min_separation(torch.zeros(3, 2))
    with pytest.raises(ValueError, match="x must have shape"):
        S.update(torch.zeros(2), torch.eye(3), 1.0)
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        S.energy(torch.zeros(3), torch.eye(3), -1.0)
    with pytest.raises(TypeError, match="phi must be a FeatureMap"):
        S.kernel(torch.zeros(3), torch.eye(3), phi=torch.eye(3))


def _unit_memories(seed=0, num=10, dim=5):
    X = torch.randn(num, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return X / X.norm(dim=-1, keepdim=True)


def test_raw_and_normalised_retrieval_differ_only_by_the_scale():
    # Phi = c Q (Q orthogonal, no bias), unit memories: raw kernel = c^2 ||x|| cos, so the raw path at beta
    # is the cosine path at beta c^2 ||x||, query by query
    Xi = _unit_memories(1)
    Q, _ = torch.linalg.qr(torch.randn(5, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64))
    c = 3.0
    phi = S.FeatureMap(c * Q, torch.zeros(5, dtype=torch.float64))
    x = torch.randn(7, 5, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    raw = S.weights(x, Xi, 2.0, phi, normalise=False)
    rescaled = torch.stack([S.weights(x[k], Xi, 2.0 * c**2 * x[k].norm().item(), None, normalise=True) for k in range(7)])
    assert torch.allclose(raw, rescaled, atol=1e-12)
    wrong = torch.stack([S.weights(x[k], Xi, 2.0 * c * x[k].norm().item(), None, normalise=True) for k in range(7)])
    assert not torch.allclose(raw, wrong, atol=1e-3)           # planted bug: beta times c instead of c^2
    assert S.feature_gain(phi, Xi) == pytest.approx(c**2)
    assert S.feature_gain(None, Xi) == pytest.approx(1.0)


def test_normalised_loss_is_blind_to_the_scale_so_its_gradient_is_orthogonal_to_the_parameters():
    Xi = _unit_memories(4)
    g = torch.Generator().manual_seed(5)
    W = torch.randn(5, 5, generator=g, dtype=torch.float64).requires_grad_(True)
    b = torch.randn(5, generator=g, dtype=torch.float64).requires_grad_(True)
    loss = S.separation_loss(Xi @ W.T + b, 0.1)
    assert S.separation_loss(Xi @ (7 * W).T + 7 * b, 0.1).item() == pytest.approx(loss.item(), rel=1e-12)
    gW, gb = torch.autograd.grad(loss, (W, b))
    theta, grad = torch.cat([W.detach().flatten(), b.detach()]), torch.cat([gW.flatten(), gb])
    assert abs(theta @ grad) < 1e-10 * theta.norm() * grad.norm()
    raw = S._raw_loss(Xi @ W.T + b, 0.1)                        # planted: the raw loss does see the scale
    rW, rb = torch.autograd.grad(raw, (W, b))
    assert abs(theta @ torch.cat([rW.flatten(), rb])) > 0.1 * theta.norm() * torch.cat([rW.flatten(), rb]).norm()


def test_the_authors_learning_rate_inflates_the_feature_scale():
    Xi = _unit_memories(0)
    start, end = S.learn_feature_map(Xi, 5, normalise=True, **S.AUTHORS_RECIPE, checkpoints=(0, 20))
    assert S.feature_gain(end, Xi) > 50 * S.feature_gain(start, Xi)
    small = S.learn_feature_map(Xi, 5, normalise=True, **{**S.AUTHORS_RECIPE, "lr": 0.01})
    assert S.feature_gain(small, Xi) < 2 * S.feature_gain(start, Xi)
    assert start.W.std().item() == pytest.approx(math.sqrt(2 / 5), rel=0.5)   # Kaiming-normal start


def test_one_sided_loss_has_the_same_value_and_no_gradient_on_the_last_row():
    F = torch.randn(6, 4, generator=torch.Generator().manual_seed(6), dtype=torch.float64).requires_grad_(True)
    one = S.separation_loss(F, 0.1, one_sided=True)
    both = S.separation_loss(F, 0.1)
    assert one.item() == pytest.approx(both.item())
    (g1,) = torch.autograd.grad(one, F)
    (g2,) = torch.autograd.grad(both, F)
    assert g1[-1].abs().max() == 0 and g2[-1].abs().max() > 1e-3
    with pytest.raises(TypeError, match="one_sided must be True or False"):
        S.separation_loss(F, 0.1, one_sided=1)


def test_checkpoints_are_the_maps_of_shorter_runs():
    Xi = _unit_memories(7)
    maps = S.learn_feature_map(Xi, 5, normalise=True, steps=30, checkpoints=(0, 10, 30))
    assert torch.equal(maps[0].W, torch.eye(5, dtype=torch.float64))
    for k, m in zip((10, 30), maps[1:]):
        assert torch.equal(m.W, S.learn_feature_map(Xi, 5, normalise=True, steps=k).W)
    with pytest.raises(ValueError, match="checkpoints must be an integer"):
        S.learn_feature_map(Xi, 5, normalise=True, steps=5, checkpoints=(6,))
    with pytest.raises(ValueError, match="init must be one of"):
        S.learn_feature_map(Xi, 5, normalise=True, init="xavier")
