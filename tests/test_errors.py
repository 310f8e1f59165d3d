"""Every bad input fails at the boundary with a message naming the argument and what was expected."""

import pytest
import torch

from assocmem import data, memory, train

MEMORY_FUNCTIONS = [memory.loss, memory.zero_one_loss, memory.margins, memory.gradient, memory.hessian, memory.sharpness]


@pytest.mark.parametrize("f", MEMORY_FUNCTIONS)
def test_memory_rejects_mismatched_shapes(problem, f):
    E, U, p, t = problem
    with pytest.raises(ValueError, match=r"W must have shape .*\(3, 3\).* got shape \(2, 2\)"):
        f(torch.zeros(2, 2), E, U, p, t)
    with pytest.raises(ValueError, match="E and U must share the embedding dimension"):
        f(torch.zeros(3, 3), E, U[:, :2], p, t)
    with pytest.raises(ValueError, match=r"freqs must have one entry per input token \(N = 6\), got 5"):
        f(torch.zeros(3, 3), E, U, p[:5] / p[:5].sum(), t)
    with pytest.raises(ValueError, match=r"targets must have shape \(N,\) = \(6,\)"):
        f(torch.zeros(3, 3), E, U, p, t[:4])


@pytest.mark.parametrize("f", MEMORY_FUNCTIONS)
def test_memory_rejects_bad_frequencies_and_targets(problem, f):
    E, U, p, t = problem
    W = torch.zeros(3, 3)
    bad = p.clone()
    bad[0], bad[1] = -0.1, bad[1] + bad[0] + 0.1
    with pytest.raises(ValueError, match="freqs must be non-negative"):
        f(W, E, U, bad, t)
    with pytest.raises(ValueError, match="freqs must sum to 1, got a sum of 2"):
        f(W, E, U, 2 * p, t)
    with pytest.raises(ValueError, match=r"targets must lie in \[0, M\) = \[0, 4\).*from 0 to 4"):
        f(W, E, U, p, torch.tensor([0, 1, 2, 3, 4, 0]))
    with pytest.raises(ValueError, match="targets must lie"):
        f(W, E, U, p, torch.tensor([-1, 1, 2, 3, 0, 0]))
    with pytest.raises(TypeError, match="targets must hold integer class indices"):
        f(W, E, U, p, torch.full((6,), 0.5))
    with pytest.raises(ValueError, match="W must be finite"):
        f(torch.full((3, 3), float("nan")), E, U, p, t)


def test_train_rejects_bad_step_sizes_and_steps(problem):
    E, U, p, t = problem
    with pytest.raises(ValueError, match=r"step_size must be > 0, got -0.1"):
        train.gd(E, U, p, t, -0.1, 10)
    with pytest.raises(ValueError, match=r"step_size must be > 0, got 0"):
        train.gd(E, U, p, t, [1.0, 0.0], 10)
    with pytest.raises(ValueError, match="step_size must hold at least one value"):
        train.gd(E, U, p, t, [], 10)
    with pytest.raises(ValueError, match="step_size must have 0 or 1 dimensions"):
        train.gd(E, U, p, t, [[1.0]], 10)
    with pytest.raises(TypeError, match=r"steps must be an integer, got the float 10.0; pass int\(10.0\)"):
        train.gd(E, U, p, t, 1.0, 10.0)
    with pytest.raises(ValueError, match="steps must be an integer >= 0, got -3"):
        train.gd(E, U, p, t, 1.0, -3)
    with pytest.raises(TypeError, match="steps must be an integer"):
        train.gd(E, U, p, t, 1.0, "10")
    with pytest.raises(ValueError, match=r"W0 must have shape \(3, 3\) or \(2, 3, 3\)"):
        train.gd(E, U, p, t, [1.0, 2.0], 5, W0=torch.zeros(3, 3, 3))
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        train.sgd(E, U, p, t, 1.0, 5, batch_size=0)
    with pytest.raises(TypeError, match="step_size must be an array of numbers"):
        train.gd(E, U, p, t, "fast", 5)


def test_data_rejects_bad_arguments():
    with pytest.raises(ValueError, match="kind must be one of \\['identity', 'mod'\\], got 'modulo'"):
        data.targets(5, "modulo", 2)
    with pytest.raises(ValueError, match="m must be given for kind='mod'"):
        data.targets(5, "mod")
    with pytest.raises(ValueError, match=r"alpha must lie in \[-1, 1\].*got 1.5"):
        data.two_token_embeddings(1.5)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        data.zipf(0)
    with pytest.raises(ValueError, match="exponent must be >= 0"):
        data.zipf(5, -1.0)
    with pytest.raises(ValueError, match="dim must be >= num"):
        data.orthonormal_embeddings(5, 3)
    with pytest.raises(TypeError, match="seed must be an integer"):
        data.sphere_embeddings(3, 2, seed=1.5)
    with pytest.raises(ValueError, match=r"p1 must lie in \(0, 1\)"):
        data.two_token_freqs(1.0)
