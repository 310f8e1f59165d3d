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


# ---------------------------------------------------------------------------------------
# Overflow, clear errors (issue 21)
# ---------------------------------------------------------------------------------------


def test_dense_retrieve_with_a_huge_power_is_finite_and_keeps_the_patterns():
    X = hopfield.random_patterns(5, 400, seed=0)
    S = hopfield.dense_retrieve(X, X, power=120)
    assert torch.isfinite(S).all() and torch.equal(S, X)
    cues = hopfield.corrupt(X, 0.1, seed=1)
    assert torch.equal(hopfield.dense_retrieve(X, cues, power=120), X)


def test_dense_retrieve_with_a_huge_power_matches_exact_integer_arithmetic():
    X = hopfield.random_patterns(7, 60, seed=2)
    S = hopfield.corrupt(X, 0.3, seed=3)
    power = 150  # 60^150 overflows float64
    got = hopfield.dense_retrieve(X, S, power=power, steps=1)
    Xi, Si = X.long().tolist(), S.long().tolist()
    for b, s in enumerate(Si):
        for i in range(60):
            total = 0
            for xi in Xi:
                h = sum(x * y for j, (x, y) in enumerate(zip(xi, s)) if j != i)
                total += (xi[i] + h) ** power - (-xi[i] + h) ** power
            assert got[b, i].item() == (1.0 if total >= 0 else -1.0)


def test_clear_errors_for_bad_arguments():
    X = hopfield.random_patterns(3, 8, seed=0)
    with pytest.raises(TypeError, match=r"flip_prob must be a probability in \[0, 1\], got 'a' of type str"):
        hopfield.corrupt(X, "a", seed=0)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        hopfield.recall_curve("classical", 0, [0.1], 0.1)
    with pytest.raises(ValueError, match="loads must be a non-empty list"):
        hopfield.recall_curve("classical", 10, [], 0.1)
    with pytest.raises(ValueError, match="components must list an odd number"):
        hopfield.mixture(X, components=(0, 1))
    with pytest.raises(ValueError, match="A and B must hold the same number of pairs"):
        hopfield.bam_weights(X, X[:2])
    with pytest.raises(ValueError, match="W must be a square"):
        hopfield.energy(torch.zeros(3, 4), torch.ones(3))


# ---------------------------------------------------------------------------------------
# Energy and dynamics of the classical network
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(2))
def test_asynchronous_energy_never_rises_and_changes_by_minus_delta_times_field(seed):
    X = hopfield.random_patterns(5, 24, seed)
    cues = torch.cat([hopfield.random_patterns(3, 24, seed + 10), hopfield.corrupt(X[:3], 0.2, seed + 20)])
    final, energies, trajectory = hopfield.async_retrieve(X, cues, sweeps=10, seed=seed, record=True)
    assert (energies.diff(dim=1) <= 0).all()
    J = hopfield.couplings(X)
    # Independent check of each step: at most one bit changes, and n dE = -(s'_i - s_i) h_i in integers.
    integer_energies = (24 * energies).round()
    assert torch.allclose(integer_energies, 24 * energies, rtol=0, atol=1e-9)
    for t in range(1, trajectory.shape[0]):
        before, after = trajectory[t - 1], trajectory[t]
        changed = (before != after).sum(dim=1)
        assert (changed <= 1).all()
        field = before @ J
        delta = ((after - before) * field).sum(dim=1)
        assert torch.equal(integer_energies[:, t] - integer_energies[:, t - 1], -delta)
    assert torch.equal(torch.where(final @ J >= 0, 1.0, -1.0).double(), final)  # a fixed point
    assert torch.equal(trajectory[-1], final) and torch.equal(trajectory[0], cues)


def test_classical_retrieval_does_not_depend_on_the_batch():
    # Ties (field exactly 0) must be resolved the same way for a row alone and inside a batch.
    X = hopfield.random_patterns(40, 200, seed=1)
    starts = hopfield.random_patterns(12, 200, seed=2)
    together = hopfield.classical_retrieve(X, starts, steps=3)
    alone = torch.cat([hopfield.classical_retrieve(X, starts[b : b + 1], steps=3) for b in range(12)])
    assert torch.equal(together, alone)


def _brute_period(J, s, steps):
    seen = [s]
    for _ in range(steps):
        s = torch.where(s @ J >= 0, 1.0, -1.0).double()
        if torch.equal(s, seen[-1]):
            return 1
        if len(seen) >= 2 and torch.equal(s, seen[-2]):
            return 2
        seen.append(s)
    return 0


def test_synchronous_orbits_end_in_fixed_points_or_two_cycles():
    X = hopfield.random_patterns(40, 100, seed=3)
    starts = hopfield.random_patterns(24, 100, seed=4)
    _, period = hopfield.sync_orbit(X, starts, steps=200)
    J = hopfield.couplings(X)
    assert period.tolist() == [_brute_period(J, s, 200) for s in starts]
    assert set(period.tolist()) == {1, 2}


def test_fixed_point_fraction_matches_a_direct_check():
    got = hopfield.fixed_point_fraction(30, 6, trials=20, seed=5)
    X = hopfield.random_patterns(20 * 6, 30, 5).reshape(20, 6, 30)
    expected = torch.tensor([torch.equal(hopfield.classical_retrieve(x, x, steps=1), x) for x in X])
    assert torch.equal(got, expected) and 0 < got.sum() < 20


def test_fixed_point_theory_is_one_for_one_pattern_and_decreases():
    theory = hopfield.fixed_point_theory(200, torch.tensor([1.0, 10.0, 20.0, 30.0]))
    assert theory[0] == 1 and (theory.diff() < 0).all() and theory[-1] < 1e-6


@pytest.mark.parametrize("seed", range(3))
def test_the_three_mixture_overlaps_each_component_by_about_one_half(seed):
    X = hopfield.random_patterns(3, 2000, seed)
    m = X @ hopfield.mixture(X) / 2000
    assert ((m - 0.5).abs() < 0.05).all()


def test_classify_recognises_patterns_mixtures_and_spin_glass_states():
    X = hopfield.random_patterns(30, 400, seed=6)
    mix = hopfield.mixture(X, (2, 5, 7), signs=[1.0, -1.0, 1.0])
    far = hopfield.random_patterns(1, 400, seed=7)
    kinds = hopfield.classify(torch.cat([X[:1], -X[1:2], mix[None], far]), X, close=0.9, far=0.5)
    assert [hopfield.KINDS[k] for k in kinds] == ["pattern", "pattern", "mixture", "spin glass"]


def test_bam_recalls_few_pairs_and_its_energy_never_rises():
    A, B = hopfield.random_patterns(4, 60, seed=8), hopfield.random_patterns(4, 50, seed=9)
    assert torch.equal(hopfield.bam_weights(A, B), sum(torch.outer(a, b) for a, b in zip(A, B)))
    a, b, E = hopfield.bam_retrieve(A, B, hopfield.corrupt(A, 0.15, seed=10), record=True)
    assert torch.equal(a, A) and torch.equal(b, B)
    assert (E.diff(dim=1) <= 0).all() and (E[:, -1] < E[:, 0]).all()
