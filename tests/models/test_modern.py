import itertools

import pytest
import torch

from assocmem.models import modern


def _brute_sparsemax(z):
    """Projection onto the simplex by enumerating supports: p_S = z_S - (sum z_S - 1) / |S|, kept if p >= 0; the nearest wins."""
    best, best_distance = None, float("inf")
    n = len(z)
    for k in range(1, n + 1):
        for support in itertools.combinations(range(n), k):
            idx = list(support)
            p = torch.zeros(n, dtype=torch.float64)
            p[idx] = z[idx] - (z[idx].sum() - 1) / k
            if (p >= 0).all():
                distance = (p - z).norm().item()
                if distance < best_distance:
                    best, best_distance = p, distance
    return best


@pytest.mark.parametrize("seed", range(8))
def test_sparsemax_is_the_projection_onto_the_simplex(seed):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(6, generator=g, dtype=torch.float64) * (0.3 + seed)
    assert torch.allclose(modern.sparsemax(z), _brute_sparsemax(z), atol=1e-12)


def test_sparsemax_properties_along_any_dim():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(3, 5, 7, generator=g, dtype=torch.float64) * 3
    for dim in (0, 1, -1):
        p = modern.sparsemax(z, dim=dim)
        assert p.shape == z.shape and (p >= 0).all()
        assert torch.allclose(p.sum(dim=dim), torch.ones((), dtype=torch.float64), atol=1e-12)
        assert torch.allclose(modern.sparsemax(z + 1e6, dim=dim), p, atol=1e-9)  # shift invariance
        assert torch.allclose(p, modern.sparsemax(z.movedim(dim, -1)).movedim(-1, dim))
    one_hot = modern.sparsemax(torch.tensor([3.0, 1.9, 0.0]))
    assert one_hot.tolist() == [1.0, 0.0, 0.0]  # a lead >= 1 gives a one-hot weight, exactly
    assert torch.allclose(modern.sparsemax(torch.tensor([1e300, 0.0], dtype=torch.float64)), torch.tensor([1.0, 0.0], dtype=torch.float64))


def _problem(K=40, d=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(K, d, generator=g, dtype=torch.float64) / d**0.5
    state = X[:5] + 0.3 * torch.randn(5, d, generator=g, dtype=torch.float64) / d**0.5
    return X, state


def test_step_is_scaled_dot_product_attention():
    X, state = _problem()
    for beta in (0.5, 3.0, 40.0):
        theirs = torch.nn.functional.scaled_dot_product_attention(state[None], X[None], X[None], scale=beta)[0]
        assert (modern.step(X, state, beta) - theirs).abs().max() <= 1e-12
    batched = state.reshape(5, 1, 16).expand(5, 3, 16)
    assert modern.step(X, batched, 2.0).shape == (5, 3, 16)


@pytest.mark.parametrize("seed, beta", [(0, 0.5), (1, 4.0), (2, 30.0)])
def test_energies_never_rise_along_their_updates(seed, beta):
    X, state = _problem(seed=seed)
    for separation, E in (("softmax", modern.energy), ("sparsemax", modern.sparse_energy)):
        s, previous = state, E(X, state, beta)
        for _ in range(15):
            s = modern.step(X, s, beta, separation=separation)
            current = E(X, s, beta)
            assert (current <= previous + 1e-12).all(), separation
            previous = current
    assert (modern.energy(X, state, beta) >= 0).all()


@pytest.mark.parametrize("separation, E", [("softmax", modern.energy), ("sparsemax", modern.sparse_energy)])
def test_the_update_is_the_fixed_point_of_the_energy_gradient(separation, E):
    # grad E(s) = s - X^T p(beta X s): autograd against the update, so a scale error in either is caught.
    X, state = _problem(seed=4)
    s = state.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(E(X, s, 3.0).sum(), s)
    assert torch.allclose(grad, state - modern.step(X, state, 3.0, separation=separation), atol=1e-10)


def test_sparsemax_retrieves_exactly_where_softmax_does_not():
    X = torch.eye(8, dtype=torch.float64)
    query = X[2] + 0.05 * torch.ones(8, dtype=torch.float64)
    assert torch.equal(modern.step(X, query, 10.0, separation="sparsemax"), X[2])
    assert (modern.step(X, query, 10.0) - X[2]).abs().max() > 1e-6


def test_energy_is_finite_for_huge_beta_and_attention_sums_to_one():
    X, state = _problem()
    assert torch.isfinite(modern.energy(X, state, 1e6)).all()
    assert torch.allclose(modern.attention(X, state, 1e6).sum(dim=-1), torch.ones(5, dtype=torch.float64))


def test_bad_input_is_named():
    X, state = _problem()
    with pytest.raises(ValueError, match=r"state must have shape \(\.\.\., d\) with d = 16"):
        modern.step(X, torch.ones(3, 4), 1.0)
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        modern.energy(X, state, -1.0)
    with pytest.raises(ValueError, match="separation must be one of"):
        modern.step(X, state, 1.0, separation="entmax")
    with pytest.raises(ValueError, match="z must be finite"):
        modern.sparsemax(torch.tensor([float("nan"), 1.0]))
    with pytest.raises(ValueError, match=r"dim must lie in \[-1, 1\)"):
        modern.sparsemax(torch.ones(3), dim=2)
