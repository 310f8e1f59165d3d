"""Tests of assocmem.optima: cross-entropy minimiser, exact best 0-1 memory, excess error."""

import math

import numpy as np
import pytest
import torch

from assocmem import data, landscape, memory, optima, tiers

U2 = torch.eye(2, dtype=torch.float64)


def problem(n, seed, d=2, exponent=1.0):
    E = data.sphere_embeddings(n, d, seed)
    U = torch.eye(2, d, dtype=torch.float64) if d >= 2 else None
    return E, U, data.zipf(n, exponent), data.targets(n, "mod", 2)


def dense_directions(num):
    angles = torch.linspace(0, 2 * math.pi, num + 1, dtype=torch.float64)[:-1]
    return torch.stack([torch.cos(angles), torch.sin(angles)], dim=-1)


@pytest.mark.parametrize("n, seed, d", [(30, 9, 2), (30, 7, 2), (3, 81, 2), (40, 1, 3), (12, 5, 2)])
def test_minimiser_is_stationary_and_beats_neighbours(n, seed, d):
    E, U, p, t = problem(n, seed, d)
    m = optima.cross_entropy_minimiser(E, U, p, t)
    assert not m.separable
    # Zero gradient in W space (memory.gradient) and in gamma space (autograd).
    assert memory.gradient(m.W, E, U, p, t).norm() < 1e-12
    g = m.gamma.clone().requires_grad_(True)
    optima.logistic_loss(g, E, U, p, t).backward()
    assert g.grad.norm() < 1e-12
    # The logistic loss of gamma is the cross-entropy of its memory.
    assert abs(memory.loss(m.W, E, U, p, t).item() - m.loss) < 1e-14
    # Every nearby point is worse.
    directions = torch.randn(200, d, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for radius in (1e-4, 1e-2, 1.0):
        nearby = m.gamma + radius * directions / directions.norm(dim=1, keepdim=True)
        assert (optima.logistic_loss(nearby, E, U, p, t) > m.loss).all()


def test_minimiser_agrees_with_long_gradient_descent():
    E, U, p, t = problem(30, 9)
    m = optima.cross_entropy_minimiser(E, U, p, t)
    from assocmem import train

    with tiers.threads(1):
        run = train.gd(E, U, p, t, 5.0, 1000, show_progress=False)
    assert (landscape.to_gamma(run.W_final[0], U) - m.gamma).norm() < 1e-6


@pytest.mark.parametrize("seed", range(8))
def test_exact_search_matches_dense_brute_force(seed):
    n = 5 + 5 * seed
    E, U, p, t = problem(n, 100 + seed)
    best = optima.best_linear(E, U, p, t)
    directions = dense_directions(100_000)
    dense = optima.zero_one(directions, E, p, t)
    # The exact search is never worse than any direction, and a dense sweep finds its value.
    assert best.error <= dense.min().item() + 1e-15
    assert abs(best.error - dense.min().item()) < 1e-12
    # The returned gamma really has that 0-1 loss, evaluated through the memory (argmax of scores).
    W = landscape.to_memory(best.gamma, U)
    assert abs(memory.zero_one_loss(W, E, U, p, t).item() - best.error) < 1e-15
    # Never worse than any grid point.
    land = landscape.evaluate(E, U, p, t, (-3, 3), (-3, 3), 60)
    assert best.error <= land.zero_one.min().item() + 1e-15


def test_exact_search_uses_the_tie_convention():
    # Tokens 1 and 2 (class 0) are antipodal: only gamma perpendicular to both, i.e. a critical
    # direction where gamma . e_x = 0 predicts class 0, stores them both; token 3 (class 1) then
    # needs gamma . e_3 < 0. The only perfect memory is gamma along (0, -1).
    E = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    p = torch.tensor([0.4, 0.35, 0.25], dtype=torch.float64)
    t = torch.tensor([0, 0, 1])
    best = optima.best_linear(E, U2, p, t)
    assert best.error == 0.0
    assert torch.allclose(best.gamma, torch.tensor([0.0, -1.0], dtype=torch.float64), atol=1e-12)
    # A dense sweep that avoids the exact angle cannot reach 0.
    angles = torch.linspace(0.001, 2 * math.pi - 0.001, 9999, dtype=torch.float64)
    dense = optima.zero_one(torch.stack([torch.cos(angles), torch.sin(angles)], -1), E, p, t)
    assert dense.min().item() > 0.2


def test_zero_memory_is_a_candidate():
    # Every token of class 0 but two of them antipodal-ish with a class-1 token in between:
    # the best memory may be gamma = 0 (all predicted 0); it must never do worse than that.
    E, U, p, _ = problem(20, 3)
    t = torch.zeros(20, dtype=torch.long)
    t[7] = 1
    best = optima.best_linear(E, U, p, t)
    assert best.error <= p[7].item() + 1e-15


def test_separable_problem_has_zero_excess():
    E, U, p, t = problem(3, 39)
    ex = optima.excess_error(E, U, p, t)
    assert ex.minimiser.separable
    assert ex.value == 0.0 and ex.best.error == 0.0 and ex.ce_error == 0.0
    # The loss decreases to 0 along the returned direction.
    losses = optima.logistic_loss(torch.stack([s * ex.minimiser.gamma for s in (1.0, 10.0, 100.0)]), E, U, p, t)
    assert (torch.diff(losses) < 0).all() and losses[-1] < 1e-3
    # A hand-made separable problem: classes on opposite sides of a line.
    E2 = torch.tensor([[1.0, 0.2], [-1.0, 0.3], [0.8, -0.5], [-0.9, -0.1]], dtype=torch.float64)
    t2 = torch.tensor([0, 1, 0, 1])
    p2 = torch.full((4,), 0.25, dtype=torch.float64)
    ex2 = optima.excess_error(E2, U2, p2, t2)
    assert ex2.minimiser.separable and ex2.value == 0.0
    assert (optima.misclassified(ex2.minimiser.gamma, E2, t2) == False).all()  # noqa: E712


def test_weakly_separable_problem_has_no_minimiser():
    # Tokens 1 and 2 (class 0) antipodal, token 3 (class 1) perpendicular: gamma = (0, -1) has
    # eps_x gamma . e_x = (0, 0, 1) >= 0, no gamma has all three > 0, and the e_x span the plane.
    E = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    p = torch.tensor([0.4, 0.35, 0.25], dtype=torch.float64)
    t = torch.tensor([0, 0, 1])
    assert optima.separating_direction(E, U2, p, t) is None
    weak = optima.weakly_separating_direction(E, U2, p, t)
    assert weak is not None and torch.allclose(weak, torch.tensor([0.0, -1.0], dtype=torch.float64), atol=1e-9)
    # The loss decreases strictly along the weak direction from any point: no minimiser.
    starts = torch.randn(20, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    along = optima.logistic_loss(starts[:, None, :] + torch.tensor([0.0, 1.0, 10.0])[None, :, None] * weak, E, U2, p, t)
    assert (torch.diff(along, dim=1) < 0).all()
    with pytest.raises(ValueError, match="weakly separable"):
        optima.cross_entropy_minimiser(E, U2, p, t)
    # Generic non-separable problems are not flagged (their minimisers exist and are stationary).
    for n, seed in [(30, 9), (30, 7), (3, 81)]:
        En, Un, pn, tn = problem(n, seed)
        assert optima.weakly_separating_direction(En, Un, pn, tn) is None


def test_grid_excess_matches_manual_computation():
    E, U, p, t = problem(30, 9)
    land = landscape.evaluate(E, U, p, t, (-1, 0.5), (-0.5, 1.5), 40)
    i, j = divmod(int(land.loss.argmin()), 40)
    mask = (land.g1.abs()[:, None] >= 1) & (land.g0.abs()[None, :] >= 1)
    expected = land.zero_one[i, j] - land.zero_one[mask].min()
    assert optima.grid_excess_error(land) == pytest.approx(expected.item(), abs=1e-15)
    assert optima.grid_excess_error(land, exclude=0.0) == pytest.approx((land.zero_one[i, j] - land.zero_one.min()).item(), abs=1e-15)


def test_misclassified_matches_memory_margins():
    E, U, p, t = problem(25, 4)
    gammas = torch.randn(50, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    wrong = optima.misclassified(gammas, E, t)
    margins = memory.margins(landscape.to_memory(gammas, U), E, U, p, t)
    assert torch.equal(wrong, margins <= 0)
    assert torch.allclose(optima.zero_one(gammas, E, p, t), memory.zero_one_loss(landscape.to_memory(gammas, U), E, U, p, t))


def test_bad_input():
    E, U, p, t = problem(10, 0)
    with pytest.raises(ValueError, match="U"):
        optima.cross_entropy_minimiser(E, torch.eye(3, 2, dtype=torch.float64), p, t)
    with pytest.raises(ValueError, match="U"):
        optima.best_linear(E, torch.ones(2, 2, dtype=torch.float64), p, t)
    with pytest.raises(ValueError, match="d = 2"):
        E3, U3, p3, t3 = problem(10, 0, d=3)
        optima.best_linear(E3, U3, p3, t3)
    with pytest.raises(ValueError, match="freqs"):
        optima.excess_error(E, U, p * 2, t)
    with pytest.raises(ValueError, match="targets"):
        optima.best_linear(E, U, p, t + 1)
    with pytest.raises(TypeError, match="E"):
        optima.cross_entropy_minimiser("E", U, p, t)
    with pytest.raises(ValueError, match="gamma"):
        optima.logistic_loss(torch.zeros(3), E, U, p, t)
    with pytest.raises(ValueError, match="tol"):
        optima.cross_entropy_minimiser(E, U, p, t, tol=-1.0)
    with pytest.raises(TypeError, match="land"):
        optima.grid_excess_error(np.zeros((3, 3)))
    land = landscape.evaluate(E, U, p, t, (-0.5, 0.5), (-0.5, 0.5), 5)
    with pytest.raises(ValueError, match="no grid point"):
        optima.grid_excess_error(land)
    with pytest.raises(ValueError, match="exclude"):
        optima.grid_excess_error(land, exclude=-1.0)
    with pytest.raises(TypeError, match="exclude"):
        optima.grid_excess_error(land, exclude="1")
    with pytest.raises(ValueError, match="zero rows"):
        optima.best_linear(torch.tensor([[0.0, 0.0], [1.0, 0.0]], dtype=torch.float64), U, torch.tensor([0.5, 0.5]), torch.tensor([0, 1]))


# Separability of any problem (N tokens, M classes, d dimensions): an LP in the d^2 entries of W.

def planted_problem(n, m, d, seed):
    """Targets read off a random memory, so that memory separates the tokens by construction."""
    generator = torch.Generator().manual_seed(seed)
    E = torch.randn(n, d, generator=generator, dtype=torch.float64)
    U = torch.randn(m, d, generator=generator, dtype=torch.float64)
    W = torch.randn(d, d, generator=generator, dtype=torch.float64)
    return E, U, memory.scores(W, E, U).argmax(dim=-1), W


@pytest.mark.parametrize("n, m, d, seed", [(8, 4, 3, 0), (12, 5, 3, 1), (30, 3, 4, 2), (5, 5, 2, 3)])
def test_planted_memory_problems_are_separable(n, m, d, seed):
    E, U, t, W_true = planted_problem(n, m, d, seed)
    p = torch.full((n,), 1.0 / n, dtype=torch.float64)
    assert memory.margins(W_true, E, U, p, t).min() > 0  # the planted memory itself separates
    assert optima.is_separable(E, U, t)
    W = optima.separating_memory(E, U, t)
    assert memory.margins(W, E, U, p, t).min() >= 1 - 1e-9
    best = optima.max_margin(E, U, t)
    assert abs(best.W.norm().item() - 1) < 1e-12
    assert abs(memory.margins(best.W, E, U, p, t).min().item() - best.margin) < 1e-12
    # Never below the planted memory's normalised margin, nor above the Lagrange dual's bound.
    planted = (memory.margins(W_true, E, U, p, t).min() / W_true.norm()).item()
    assert best.margin >= planted - 1e-9
    # Optimality (KKT) of V = W / margin for min |V|^2 subject to margins >= 1: 2 V is a non-negative
    # combination of the rows of the active constraints (found by an independent NNLS solve).
    from scipy.optimize import nnls

    A = optima._margin_rows(E, U, t)
    v = best.W.reshape(-1).numpy() / best.margin
    active = A @ v <= 1 + 1e-6
    lam, residual = nnls(A[active].T, 2 * v)
    assert residual <= 1e-6 * np.linalg.norm(2 * v)
    # And no random memory of unit norm does better.
    Ws = torch.randn(2000, d, d, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    Ws = Ws / Ws.flatten(1).norm(dim=1)[:, None, None]
    assert memory.margins(Ws, E, U, p, t).min(dim=-1).values.max() <= best.margin + 1e-12


def test_non_separable_problems_have_no_separating_memory():
    # Two tokens with the same embedding and different classes: s(x1, .) = s(x2, .) for every W,
    # so m(x1) > 0 and m(x2) > 0 would need s(x1, 0) > s(x1, 1) and s(x1, 1) > s(x1, 0).
    generator = torch.Generator().manual_seed(5)
    E = torch.randn(6, 3, generator=generator, dtype=torch.float64)
    E[1] = E[0]
    U = torch.randn(4, 3, generator=generator, dtype=torch.float64)
    t = torch.tensor([0, 1, 2, 3, 0, 1])
    assert not optima.is_separable(E, U, t)
    assert optima.separating_memory(E, U, t) is None and optima.max_margin(E, U, t) is None
    # A token of class 1 whose embedding is the mean of two tokens of class 0 (M = 2): the score
    # difference is linear in e_x, so it takes the average of two positive values.
    E2 = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]], dtype=torch.float64)
    assert not optima.is_separable(E2, U2, torch.tensor([0, 0, 1]))
    assert optima.is_separable(E2, U2, torch.tensor([0, 1, 1]))


@pytest.mark.parametrize("seed", range(12))
def test_is_separable_agrees_with_the_binary_direction_search(seed):
    # d = 2, M = 2: the W-space LP and the gamma-space LP of separating_direction are two formulations.
    n = 3 + seed % 4
    E, U, p, t = problem(n, 200 + seed)
    assert optima.is_separable(E, U, t) == (optima.separating_direction(E, U, p, t) is not None)


def test_single_class_is_trivially_separable_and_bad_targets_fail():
    E, U = data.embedding_pair(4, 1, 3, seed=0)
    assert optima.is_separable(E, U, torch.zeros(4, dtype=torch.long))
    E, U = data.embedding_pair(4, 3, 3, seed=0)
    with pytest.raises(ValueError, match="targets"):
        optima.is_separable(E, U, torch.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="E and U"):
        optima.is_separable(E, torch.eye(3, 2, dtype=torch.float64), torch.tensor([0, 1, 2, 0]))


def test_zero_frequency_tokens_are_ignored_by_the_binary_optima():
    # Token 2 (frequency 0) is antipodal to token 1 and has the same class: with it, no gamma
    # classifies both (gamma . e_1 > 0 and -gamma . e_1 > 0); without it the problem is separable.
    E = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    t = torch.tensor([0, 0, 1])
    p = torch.tensor([0.6, 0.0, 0.4], dtype=torch.float64)
    direction = optima.separating_direction(E, U2, p, t)
    assert direction is not None
    assert not optima.misclassified(direction, E[[0, 2]], t[[0, 2]]).any()
    assert optima.cross_entropy_minimiser(E, U2, p, t).separable
    assert optima.excess_error(E, U2, p, t).value == 0.0
    # With every token weighted the same problem is not separable (the all-token LP agrees).
    assert optima.separating_direction(E, U2, torch.tensor([0.4, 0.2, 0.4], dtype=torch.float64), t) is None
    assert not optima.is_separable(E, U2, t)
    # The weak check ignores zero-frequency tokens too: tokens 1 and 3 alone admit gamma = (1, -1).
    assert optima.weakly_separating_direction(E, U2, p, t) is not None
