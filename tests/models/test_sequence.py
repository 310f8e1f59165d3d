"""Sequence memories (assocmem.models.sequence) and their pattern generators (assocmem.tasks.sequences)."""

import math

import pytest
import torch

from assocmem.models import sequence as sq
from assocmem.tasks import sequences as tasks


def sign(z):
    return torch.where(z >= 0, 1.0, -1.0).to(torch.float64)


def test_a_tiny_sequence_by_hand():
    # d = 4, two transitions a -> b -> c. With s = a the field is b f(1) + c f(m_b) with m_b = <b, a>/4 = 0,
    # so the next state is b; from b the field is b f(0) + c f(1) = c.
    a = torch.tensor([1.0, 1, 1, 1], dtype=torch.float64)
    b = torch.tensor([1.0, -1, 1, -1], dtype=torch.float64)
    c = torch.tensor([1.0, 1, -1, -1], dtype=torch.float64)
    X = torch.stack([a, b, c])
    for interaction in (("power", 1), ("power", 2), ("power", 3), "exp"):
        assert torch.equal(sq.recall(X, 0, 2, interaction), X), interaction
    W = sq.store(X)
    assert torch.equal(W, (torch.outer(b, a) + torch.outer(c, b)) / 4)
    # from -a the classical field is -b (odd f), the quadratic one is +b (even f)
    assert torch.equal(sq.recall(X, -a, 1, ("power", 1))[1], -b)
    assert torch.equal(sq.recall(X, -a, 1, ("power", 2))[1], b)


@pytest.mark.parametrize("seed", range(3))
def test_the_classical_rule_is_the_matrix_form(seed):
    # d = 64 (a power of two, so 1/d is exact and ties are decided identically in both forms)
    X = sq.random_sequences(64, 12, trials=3, seed=seed)
    cues = sign(torch.randn(3, 64, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))
    W = sum(torch.einsum("bi,bj->bij", X[:, mu + 1], X[:, mu]) for mu in range(12)) / 64
    assert torch.allclose(sq.store(X), W, atol=0, rtol=0)
    for start in (0, cues):
        trajectory = sq.recall(X, start, 15, ("power", 1))
        S = X[:, 0] if isinstance(start, int) else cues
        for t in range(15):
            S = sign(torch.einsum("bij,bj->bi", W, S))
            assert torch.equal(trajectory[:, t + 1], S)


def test_recall_shapes_and_a_perfect_recall_returns_the_patterns():
    X = sq.random_sequences(50, 4, trials=2, seed=0)
    assert sq.recall(X, 0, None, ("power", 2)).shape == (2, 5, 50)
    assert torch.equal(sq.recall(X[0], 0, None, ("power", 2)), X[0])
    assert sq.recall(X[0], X[0, 2], 7).shape == (8, 50)
    assert sq.store(X[0]).shape == (50, 50) and sq.store(X).shape == (2, 50, 50)


@pytest.mark.parametrize("interaction", [("power", 1), ("power", 2), ("power", 5), "exp"])
def test_transition_errors_agree_with_running_the_dynamics(interaction):
    X = sq.random_sequences(40, 30, trials=6, seed=1)
    errors = sq.transition_errors(X, interaction)
    trajectory = sq.recall(X, 0, 30, interaction)
    recalled = (trajectory == X).all(-1).all(-1)
    assert torch.equal(errors.sum(-1) == 0, recalled)
    # each transition on its own: one step from xi^mu
    for mu in (0, 7, 29):
        one = sq.recall(X, X[:, mu], 1, interaction)[:, 1]
        assert torch.equal((one != X[:, mu + 1]).sum(-1), errors[:, mu])


def test_recall_success_counts_exact_sequences_and_is_seeded():
    assert sq.recall_success(100, 5, ("power", 1), trials=10, seed=0) == 1.0
    assert sq.recall_success(100, 60, ("power", 1), trials=10, seed=0) == 0.0
    a = sq.recall_success(60, 9, ("power", 1), trials=30, seed=4)
    assert a == sq.recall_success(60, 9, ("power", 1), trials=30, seed=4)
    X = sq.random_sequences(60, 9, 30, seed=4)
    assert a == (sq.transition_errors(X).sum(-1) == 0).double().mean().item()


def test_capacity_ladder_at_d_100():
    assert sq.recall_success(100, 20, ("power", 1), trials=20, seed=0) < 0.2
    assert sq.recall_success(100, 100, ("power", 2), trials=20, seed=0) >= 0.8
    assert sq.recall_success(100, 400, ("power", 2), trials=10, seed=0) <= 0.2
    assert sq.recall_success(100, 400, ("power", 3), trials=5, seed=0) == 1.0


def test_stable_exp_at_d_1000():
    # A cue with 40 % of the bits of xi^1 flipped: every raw term exp(d (m - 1)) is below exp(-700) and
    # the naive field underflows to exactly zero; the max-subtracted field still points to xi^2.
    X = sq.random_sequences(1000, 20, 1, seed=2)[0]
    flip = torch.rand(1000, generator=torch.Generator().manual_seed(3)) < 0.4
    cue = torch.where(flip, -X[0], X[0])
    m = X[:-1] @ cue / 1000
    assert m.max() < 0.3
    assert torch.all(torch.exp(1000 * (m - 1)) @ X[1:] == 0)
    assert torch.equal(sq.recall(X, cue, 1, "exp")[1], X[1])
    assert torch.equal(sq.recall(X, 0, None, "exp"), X)
    weights = sq.separation(m, "exp", 1000)
    assert torch.isfinite(weights).all() and weights.max() == 1.0


def test_stable_power_with_a_large_exponent():
    # n = 2000: m^2000 underflows for every |m| < 0.7 (the cue has overlap 0.55 with xi^4), while
    # (m / max|m|)^2000 keeps the nearest key at exactly 1.
    X = sq.random_sequences(200, 10, 1, seed=5)[0]
    flip = torch.rand(200, generator=torch.Generator().manual_seed(6)) < 0.3
    cue = torch.where(flip, -X[3], X[3])
    m = X[:-1] @ cue / 200
    assert torch.all(m.pow(2000) @ X[1:] == 0)
    assert torch.equal(sq.recall(X, cue, 1, ("power", 2001))[1], X[4])
    assert torch.equal(sq.recall(X, cue, 1, ("power", 2000))[1], X[4])
    assert torch.equal(sq.recall(X, 0, None, ("power", 2000)), X)


def test_exp_step_is_sign_of_softmax_attention():
    X = sq.random_sequences(32, 50, 1, seed=7)[0]
    cues = sign(torch.randn(20, 32, generator=torch.Generator().manual_seed(8), dtype=torch.float64))
    attention = torch.softmax(cues @ X[:-1].T, dim=-1) @ X[1:]
    assert torch.equal(torch.stack([sq.recall(X, c, 1, "exp")[1] for c in cues]), sign(attention))


def test_pseudoinverse_recalls_correlated_sequences_where_hebbian_fails():
    X = tasks.shared_component(100, 30, 0.5, trials=10, seed=0)
    overlaps = X[:, :-1] @ X[:, :-1].transpose(-1, -2) / 100
    assert overlaps.mean() > 0.45  # strongly correlated keys
    for interaction in (("power", 1), ("power", 2)):
        assert (sq.transition_errors(X, interaction, "hebbian").sum(-1) == 0).double().mean() == 0
        assert (sq.transition_errors(X, interaction, "pseudoinverse").sum(-1) == 0).all()
    # the matrix form of the pseudoinverse rule maps every key exactly to its successor
    W = sq.store(X, rule="pseudoinverse")
    assert torch.equal(sign(X[:, :-1] @ W.transpose(-1, -2)), X[:, 1:])
    assert torch.equal(sq.recall(X, 0, None, ("power", 1), rule="pseudoinverse"), X)


def test_the_pseudoinverse_rule_recalls_digits():
    S, labels = tasks.digit_sequence(20, offset=0)
    assert S.shape == (21, 64) and labels.tolist() == [k % 10 for k in range(21)]
    assert torch.equal(sq.recall(S, 0, None, ("power", 1), "pseudoinverse"), S)
    assert (sq.transition_errors(S, ("power", 1)) > 0).sum() >= 15


def test_mixed_network_dwell_times():
    X = sq.random_sequences(100, 5, 1, seed=0)[0]
    delays = [2, 0, 5, 1, 3]
    trajectory = sq.recall_mixed(X, 0, None, ("power", 3), delays, 2.0)
    assert trajectory.shape == (sum(t + 1 for t in delays) + 1, 100)
    runs = sq.dwell_times(trajectory, X)[0]
    assert runs[:-1] == [(mu, tau + 1) for mu, tau in enumerate(delays)] and runs[-1][0] == 5
    # one common delay without the gate: the Sompolinsky-Kanter network, every pattern held tau + 1 steps
    uniform = sq.dwell_times(sq.recall_mixed(X, 0, 20, "exp", 3, 2.0, gated=False), X)[0]
    assert uniform[:-1] == [(mu, 4) for mu in range(5)]
    # lambda < 1: the symmetric term always wins and the network never leaves xi^1
    assert sq.dwell_times(sq.recall_mixed(X, 0, 10, ("power", 3), 1, 0.5), X)[0] == [(0, 11)]


def test_crosstalk_variance_matches_the_derivation():
    for n in (1, 2, 3):
        noise = sq.crosstalk(sq.random_sequences(64, 200, 3, seed=n), ("power", n))
        assert noise.var().item() == pytest.approx(sq.crosstalk_variance(64, 200, ("power", n)), rel=0.1)
    assert sq.overlap_moment(10, 2) == pytest.approx(1 / 10)
    assert sq.overlap_moment(10, 4) == pytest.approx((3 * 100 - 20) / 10**4)
    assert sq.overlap_moment(7, 3) == pytest.approx(0.0, abs=1e-15)
    assert sq.double_factorial(5) == 15 and sq.double_factorial(-1) == 1


def test_theory_is_monotone_and_gives_the_classical_capacity():
    values = [sq.theory_success(100, P, ("power", 2)) for P in (50, 100, 200, 400)]
    assert values == sorted(values, reverse=True) and values[0] > 0.99 and values[-1] < 0.01
    assert sq.asymptotic_capacity(100, ("power", 1), "transition") == pytest.approx(100 / (2 * math.log(100)))
    P = sq.asymptotic_capacity(1000, ("power", 2))
    assert P == pytest.approx(1000**2 / (6 * math.log(P * 1000)))
    c = sq.theory_capacity(64, ("power", 2))
    assert sq.theory_success(64, math.floor(c) - 1, ("power", 2)) >= 0.5 >= sq.theory_success(64, math.ceil(c) + 1, ("power", 2))
    assert sq.theory_success(12, 75, "exp") == pytest.approx(math.exp(-75 * 74 / 2**13))
    assert sq.asymptotic_capacity(20, "exp") == pytest.approx(math.sqrt(2 * math.log(2)) * 2**10)


def test_shared_component_sets_the_overlap():
    X = tasks.shared_component(200, 40, 0.3, trials=2, seed=0)
    assert torch.equal(X[:, :, :60], X[:, :1, :60].expand(-1, 41, -1))
    O = X @ X.transpose(-1, -2) / 200
    off = O[:, ~torch.eye(41, dtype=torch.bool)]
    assert off.mean().item() == pytest.approx(0.3, abs=0.03)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: sq.recall(torch.ones(3, 4), 0, 1, ("power", 0)), ValueError, r"integer n >= 1, got n = 0"),
        (lambda: sq.recall(torch.ones(3, 4), 0, 1, ("power", 2.5)), ValueError, r"integer n >= 1, got n = 2.5"),
        (lambda: sq.recall(torch.ones(3, 4), 0, 1, "softmax"), ValueError, r"interaction must be \('power', n\).*got 'softmax'"),
        (lambda: sq.recall(torch.ones(3, 4), 0, 1, ("power", 1), rule="oja"), ValueError, r"rule must be one of \['hebbian', 'pseudoinverse'\], got 'oja'"),
        (lambda: sq.recall(torch.full((3, 4), 0.5), 0, 1), ValueError, r"patterns must have entries \+1 or -1.*0.5"),
        (lambda: sq.recall(torch.ones(1, 4), 0, 1), ValueError, r"at least 2 patterns"),
        (lambda: sq.recall(torch.ones(4), 0, 1), ValueError, r"patterns must have 2 or 3 dimensions"),
        (lambda: sq.recall(torch.ones(3, 4), 3, 1), ValueError, r"start must be a pattern index in \[0, 2\].*got 3"),
        (lambda: sq.recall(torch.ones(3, 4), torch.ones(5), 1), ValueError, r"start must have d = 4 entries"),
        (lambda: sq.recall(torch.ones(2, 3, 4), torch.ones(3, 4), 1), ValueError, r"start must have one state per sequence \(2\)"),
        (lambda: sq.recall(torch.ones(3, 4), 0, -1), ValueError, r"steps must be an integer >= 0, got -1"),
        (lambda: sq.recall(torch.ones(3, 4), 0, 2.0), TypeError, r"steps must be an integer, got the float 2.0"),
        (lambda: sq.recall_success(0, 5), ValueError, r"dim must be an integer >= 1, got 0"),
        (lambda: sq.recall_success(10, 5, trials=0), ValueError, r"trials must be an integer >= 1, got 0"),
        (lambda: sq.recall_mixed(torch.ones(3, 4), 0, 1, ("power", 2), [1, 2, 3]), ValueError, r"delays must be .* 2 integers >= 0"),
        (lambda: sq.recall_mixed(torch.ones(3, 4), 0, 1, ("power", 2), 1, strength=-1.0), ValueError, r"strength must be a finite number > 0, got -1.0"),
        (lambda: sq.crosstalk(torch.ones(3, 4), "exp"), ValueError, r"crosstalk is defined here for \('power', n\) only"),
        (lambda: sq.theory_capacity(10, ("power", 1), success=1.5), ValueError, r"success must lie in \(0, 1\), got 1.5"),
        (lambda: tasks.shared_component(10, 3, 1.5), ValueError, r"shared must be a fraction of the bits in \[0, 1\], got 1.5"),
        (lambda: tasks.digit_sequence(20, offset=500), ValueError, r"offset \+ length // 10 must be below"),
        (lambda: tasks.digit_images(threshold=20), ValueError, r"threshold must lie in \[0, 16\)"),
    ],
)
def test_bad_input_is_refused_with_a_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_one_sequence_with_a_batch_of_start_states():
    X = sq.random_sequences(40, 8, 1, seed=9)[0]
    starts = X[[0, 3, 5]]
    out = sq.recall(X, starts, 4, ("power", 2))
    assert out.shape == (3, 5, 40)
    for b, k in enumerate((0, 3, 5)):
        assert torch.equal(out[b], sq.recall(X, k, 4, ("power", 2)))
    assert sq.recall(X, starts[:1], 2).shape == (1, 3, 40) and sq.recall(X, starts[0], 2).shape == (3, 40)
    mixed = sq.recall_mixed(X, starts, 6, ("power", 3), 1, 2.0)
    assert mixed.shape == (3, 7, 40) and torch.equal(mixed[1], sq.recall_mixed(X, 3, 6, ("power", 3), 1, 2.0))
