import math

import pytest
import torch

from assocmem.models import dense, hopfield


def _energy_gap_sign(X, s, F):
    """sgn of E(s with s_i = -1) - E(s with s_i = +1) for every bit, E = -sum_mu F(<xi, s>), by direct evaluation."""
    out = []
    for i in range(len(s)):
        plus, minus = s.clone(), s.clone()
        plus[i], minus[i] = 1.0, -1.0
        out.append(1.0 if sum(F(v) for v in (X @ plus).tolist()) >= sum(F(v) for v in (X @ minus).tolist()) else -1.0)
    return out


@pytest.mark.parametrize("separation, F", [(("power", 3), lambda z: z**3), (("power", 4), lambda z: z**4), (("power", 7), lambda z: z**7),
                                           ("exp", math.exp)])
def test_one_update_gives_each_bit_the_sign_of_lower_energy(separation, F):
    X = hopfield.random_patterns(9, 15, seed=1)
    for b, s in enumerate(hopfield.corrupt(X[:3], 0.3, seed=2)):
        assert dense.retrieve(X, s, separation, steps=1)[0].tolist() == _energy_gap_sign(X, s, F), (separation, b)


def test_power_two_is_the_classical_network_exactly():
    X = hopfield.random_patterns(30, 50, seed=3)
    cues = hopfield.random_patterns(20, 50, seed=4)  # random starts produce ties in the classical field
    assert torch.equal(dense.retrieve(X, cues, ("power", 2), steps=1), hopfield.classical_retrieve(X, cues, steps=1))
    gain = dense.gain(X, cues, ("power", 2))
    assert torch.equal(gain, 4 * cues @ hopfield.couplings(X))


def test_exp_is_stable_where_a_direct_evaluation_overflows():
    X = hopfield.random_patterns(6, 2000, seed=5)  # exp(2000) overflows
    cues = hopfield.corrupt(X, 0.2, seed=6)
    S = dense.retrieve(X, cues, "exp")
    assert torch.equal(S, X)
    assert torch.isfinite(dense.gain(X, cues, "exp")).all()


def test_exp_gain_matches_a_log_domain_evaluation():
    X = hopfield.random_patterns(5, 12, seed=7)
    s = hopfield.corrupt(X[:1], 0.3, seed=8)[0]
    # Direct: sum_mu exp(h + xi) - exp(h - xi), computed in float64 (no overflow at d = 12), up to the positive rescaling.
    h = (X @ s).unsqueeze(1) - X * s
    direct = (torch.exp(h + X) - torch.exp(h - X)).sum(dim=0)
    got = dense.gain(X, s, "exp")[0]
    ratio = got / direct
    assert torch.allclose(ratio, ratio[0].expand_as(ratio), rtol=1e-12) and ratio[0] > 0


def test_capacity_estimate_is_the_classical_threshold_for_power_two():
    assert dense.capacity_estimate(200, 2) == pytest.approx(200 / (2 * math.log(200)))
    assert dense.capacity_estimate(100, 3) == pytest.approx(100**2 / (6 * math.log(100)))
    assert dense.capacity_estimate(100, 4, 0.1) < dense.capacity_estimate(100, 4)


def test_higher_powers_store_more_patterns():
    X = hopfield.random_patterns(200, 60, seed=9)
    cues = hopfield.corrupt(X[:16], 0.1, seed=10)
    fractions = [dense.retrieved_fraction(X, cues, ("power", a)) for a in (2, 3, 5)]
    assert fractions[0] == 0.0 and fractions[2] == 1.0


def test_energy_of_a_stored_pattern_is_lower_than_of_its_corruption():
    X = hopfield.random_patterns(20, 50, seed=11)
    cues = hopfield.corrupt(X, 0.2, seed=12)
    for sep in (("power", 3), "exp"):
        assert (dense.energy(X, X, sep) < dense.energy(X, cues, sep)).all()


def test_bad_separations_are_rejected_with_a_clear_message():
    X = hopfield.random_patterns(3, 8, seed=0)
    for bad in ("softmax", ("power",), ("poly", 3), 3):
        with pytest.raises(ValueError, match=r"separation must be 'exp' or \('power', a\)"):
            dense.retrieve(X, X, bad)
    with pytest.raises(ValueError, match=r"the power a of separation \('power', a\) must be an integer >= 2, got 1"):
        dense.retrieve(X, X, ("power", 1))
    with pytest.raises(ValueError, match="cues must have n = 8 entries per row"):
        dense.retrieve(X, torch.ones(2, 5), "exp")
