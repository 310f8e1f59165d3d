import pytest
import torch

from assocmem import hopfield


def test_a_single_pattern_is_a_fixed_point_and_is_recovered():
    X = hopfield.random_patterns(1, 50, seed=0)
    cue = hopfield.corrupt(X, 0.3, seed=1)
    assert torch.equal(hopfield.classical_retrieve(X, X), X)
    assert torch.equal(hopfield.classical_retrieve(X, cue), X)


def test_hebbian_weights_are_symmetric_with_zero_diagonal():
    W = hopfield.hebbian_weights(hopfield.random_patterns(7, 20, seed=0))
    assert torch.equal(W, W.T) and torch.equal(W.diagonal(), torch.zeros(20, dtype=torch.float64))


@pytest.mark.parametrize("seed", range(3))
def test_dense_rule_with_power_two_is_the_classical_rule(seed):
    X = hopfield.random_patterns(15, 40, seed)
    cues = hopfield.corrupt(X, 0.2, seed + 10)
    assert torch.equal(hopfield.dense_retrieve(X, cues, power=2, steps=1), hopfield.classical_retrieve(X, cues, steps=1))


def test_dense_energy_difference_matches_a_direct_evaluation():
    X = hopfield.random_patterns(6, 9, seed=4)
    s = hopfield.corrupt(X[:1], 0.3, seed=5)[0]
    expected = []
    for i in range(9):
        plus, minus = s.clone(), s.clone()
        plus[i], minus[i] = 1.0, -1.0
        # lower energy -sum_mu F(<xi, s>) wins; ties go to +1
        expected.append(1.0 if (X @ plus).pow(3).sum() >= (X @ minus).pow(3).sum() else -1.0)
    assert hopfield.dense_retrieve(X, s, power=3, steps=1)[0].tolist() == expected


def test_modern_step_is_softmax_attention():
    X = hopfield.random_patterns(30, 16, seed=0)
    S = hopfield.corrupt(X, 0.25, seed=1)
    ours = hopfield.modern_step(X, S, beta=0.3)
    weights = torch.softmax(0.3 * S @ X.T, dim=1)
    assert torch.allclose(ours, weights @ X, atol=1e-14)
    theirs = torch.nn.functional.scaled_dot_product_attention(S[None], X[None], X[None], scale=0.3)[0]
    assert torch.allclose(ours, theirs, atol=1e-12)


def test_classical_capacity_collapses_and_modern_does_not():
    low = hopfield.recall_curve("classical", 100, [0.05], 0.1)
    high = hopfield.recall_curve("classical", 100, [0.5], 0.1)
    modern = hopfield.recall_curve("modern", 100, [2.0], 0.1, beta=0.1)
    assert low.item() > 0.97 and high.item() < 0.6 and modern.item() == 1.0


def test_bad_input():
    X = hopfield.random_patterns(3, 8, seed=0)
    with pytest.raises(ValueError, match=r"cues must have n = 8 entries per row"):
        hopfield.classical_retrieve(X, torch.ones(2, 5))
    with pytest.raises(ValueError, match=r"flip_prob must lie in \[0, 1\]"):
        hopfield.corrupt(X, 1.5, seed=0)
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        hopfield.modern_step(X, X, beta=0.0)
    with pytest.raises(ValueError, match="power must be an integer >= 2"):
        hopfield.dense_retrieve(X, X, power=1)
    with pytest.raises(ValueError, match="rule must be one of"):
        hopfield.recall_curve("quantum", 8, [0.1], 0.1)
