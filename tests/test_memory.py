import numpy as np
import pytest
import scipy.linalg
import torch

from assocmem import data, memory


def _autograd_loss(E, U, p, t):
    def f(W):
        s = E @ W.T @ U.T
        return (p * (torch.logsumexp(s, dim=1) - s[torch.arange(len(t)), t])).sum()

    return f


@pytest.mark.parametrize("seed, n, m, d", [(0, 6, 4, 3), (1, 10, 10, 5), (2, 3, 7, 8), (3, 30, 2, 2)])
def test_gradient_and_hessian_match_autograd(seed, n, m, d):
    E, U = data.embedding_pair(n, m, d, seed)
    p, t = data.zipf(n, 1.2), data.targets(n, "mod", m)
    W = 3 * torch.randn(d, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    f = _autograd_loss(E, U, p, t)
    W_ = W.clone().requires_grad_(True)
    f(W_).backward()
    grad = memory.gradient(W, E, U, p, t)
    assert (grad - W_.grad).norm() / W_.grad.norm() < 1e-10
    auto_hessian = torch.autograd.functional.hessian(f, W).reshape(d * d, d * d)
    H = memory.hessian(W, E, U, p, t)
    assert (H - auto_hessian).norm() / auto_hessian.norm() < 1e-10
    assert memory.loss(W, E, U, p, t).item() == pytest.approx(f(W).item(), rel=1e-12)


def test_sharpness_matches_a_dense_eigensolver(problem, random_W):
    E, U, p, t = problem
    H = memory.hessian(random_W, E, U, p, t).numpy()
    assert memory.sharpness(random_W, E, U, p, t).item() == pytest.approx(scipy.linalg.eigh(H, eigvals_only=True)[-1], rel=1e-12)


def test_batched_memories_give_the_values_of_each_memory(problem):
    E, U, p, t = problem
    Ws = torch.randn(2, 5, 3, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    for f in (memory.loss, memory.zero_one_loss, memory.margins, memory.gradient, memory.sharpness):
        batched = f(Ws, E, U, p, t)
        single = f(Ws[1, 3], E, U, p, t)
        assert torch.allclose(batched[1, 3], single, rtol=1e-12, atol=1e-14), f.__name__


def test_hand_computed_tiny_case():
    # Two inputs, three outputs, identity embeddings: scores are the columns of W.
    E = torch.eye(2, 3, dtype=torch.float64)
    U = torch.eye(3, dtype=torch.float64)
    W = torch.tensor([[2.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 3.0, 0.0]], dtype=torch.float64)
    # s[x, y] = W[y, x]: token 0 -> (2, 1, 0), token 1 -> (0, 1, 3).
    p, t = torch.tensor([0.25, 0.75], dtype=torch.float64), torch.tensor([0, 1])
    assert memory.scores(W, E, U).tolist() == [[2.0, 1.0, 0.0], [0.0, 1.0, 3.0]]
    assert memory.margins(W, E, U, p, t).tolist() == [1.0, -2.0]
    assert memory.zero_one_loss(W, E, U, p, t).item() == 0.75
    expected = 0.25 * (np.log(np.exp(2) + np.exp(1) + 1) - 2) + 0.75 * (np.log(1 + np.exp(1) + np.exp(3)) - 1)
    assert memory.loss(W, E, U, p, t).item() == pytest.approx(expected, rel=1e-14)


def test_ties_go_to_the_smallest_class():
    E, U = data.two_token_embeddings(0.5)
    p, t = data.two_token_freqs(0.75), data.targets(2)
    W0 = torch.zeros(2, 2, dtype=torch.float64)
    assert memory.zero_one_loss(W0, E, U, p, t).item() == 0.25
    assert memory.margins(W0, E, U, p, t).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("scale", [1e3, 1e6, 1e9])
def test_huge_scores_stay_finite(problem, random_W, scale):
    E, U, p, t = problem
    W = scale * random_W
    for f in (memory.loss, memory.zero_one_loss, memory.margins, memory.gradient, memory.hessian, memory.sharpness):
        assert torch.isfinite(f(W, E, U, p, t)).all(), f.__name__
    assert torch.isfinite(memory.probabilities(W, E, U)).all()


def test_loss_of_a_perfect_large_memory_vanishes():
    E = U = data.orthonormal_embeddings(4, 4)
    p, t = data.zipf(4, 1.0), data.targets(4)
    W = 1e6 * torch.eye(4, dtype=torch.float64)
    assert memory.loss(W, E, U, p, t).item() == 0.0
    assert memory.zero_one_loss(W, E, U, p, t).item() == 0.0


def test_hebbian_step_formula(problem):
    E, U, p, t = problem
    W1 = memory.hebbian_step(E, U, p, t, [2.0])[0]
    assert torch.allclose(W1, -2.0 * memory.gradient(torch.zeros(3, 3, dtype=torch.float64), E, U, p, t), atol=1e-15)
