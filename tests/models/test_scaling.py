import math

import numpy as np
import pytest
import torch

from assocmem import data
from assocmem.models import scaling as sc


def _problem(n=60, m=4, d=16, seed=0, repeats=3):
    p = data.zipf(n, 1.5)
    t = sc.random_targets(n, m, seed)
    E, U = sc.random_embeddings(n, m, d, seed, repeats)
    return p, t, E, U


def test_orthonormal_embeddings_recall_every_stored_token():
    n, m = 12, 3
    E = data.orthonormal_embeddings(n, n + m)
    U = torch.eye(n + m, dtype=torch.float64)[n:]                  # orthonormal, and orthogonal to E (not needed)
    t = sc.random_targets(n, m, seed=1)
    p = data.zipf(n, 1.0)
    counts = torch.tensor([50, 0, 7, 3, 0, 1, 1, 0, 2, 0, 0, 1])
    for name in sc.ESTIMATORS:
        q = sc.estimator(name, counts, size=4)
        stored = q > 0
        pred = sc.predictions(E, U, t, q)
        assert torch.equal(pred[stored], t[stored]), name
        # An unstored token scores 0 everywhere and is read as class 0: wrong unless f*(x) = 0.
        lost = (~stored) & (t != 0)
        assert torch.isclose(sc.error(E, U, p, t, q), p[lost].sum(), atol=1e-15), name


def test_a_hand_computed_memory():
    # d = 2, U = I: scores are the two coordinates of W e_x.
    E = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=torch.float64)
    U = torch.eye(2, dtype=torch.float64)
    t = torch.tensor([0, 1, 1])
    q = torch.tensor([1.0, 0.5, 0.0], dtype=torch.float64)
    # W = 1 * u_0 e_0^T + 0.5 * u_1 e_1^T = [[1, 0], [0.3, 0.4]]
    W = sc.memory(E, U, t, q)
    assert torch.allclose(W, torch.tensor([[1.0, 0.0], [0.3, 0.4]], dtype=torch.float64), atol=1e-15)
    S = sc.scores(E, U, t, q)
    expected = torch.tensor([[1.0, 0.3], [0.6, 0.5], [0.0, 0.4]], dtype=torch.float64)  # s[x, y] = (W e_x)_y
    assert torch.allclose(S, expected, atol=1e-15)
    # Token 1 (stored with weight 0.5) is overwritten by token 0; token 2 (unstored) is right by crosstalk.
    assert sc.predictions(E, U, t, q).tolist() == [0, 0, 1]
    p = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64)
    assert math.isclose(sc.error(E, U, p, t, q).item(), 0.3, abs_tol=1e-15)


def test_scores_through_the_factorisation_equal_scores_through_W():
    p, _, E, U = _problem()
    t = sc.random_targets(60, 4, seed=5, repeats=3)
    qs = torch.stack([p, p**2, (p > 0.01).double()])[:, None]       # (K, 1, N) against a batch of R = 3
    S = sc.scores(E, U, t, qs)
    assert S.shape == (3, 3, 60, 4)
    for k in range(3):
        W = sc.memory(E, U, t, qs[k, 0])
        direct = torch.einsum("rmi,rij,rnj->rnm", U, W, E)
        assert torch.allclose(S[k], direct, atol=1e-13)
        for r in range(3):
            assert torch.allclose(S[k, r], sc.scores(E[r], U[r], t[r], qs[k, 0]), atol=1e-14)


def test_error_decreases_with_the_dimension_on_average():
    sweep = sc.dimension_sweep(n=300, m=5, exponent=1.5, num_samples=3000, dims=(8, 32, 128), repeats=6, seed=0)
    for name in ("frequency", "threshold"):
        mean = sweep.mean(name)
        assert (mean[1:] < mean[:-1]).all(), (name, mean)
    assert sweep.errors["frequency"].shape == (3, 6) and sweep.floor.shape == (3, 6)


def test_thresholding_beats_frequency_weighting_at_moderate_dimension():
    sweep = sc.dimension_sweep(n=500, m=10, exponent=2.0, num_samples=20_000, dims=(64, 128), repeats=6, seed=1)
    assert (sweep.mean("threshold") < sweep.mean("frequency")).all()


def test_the_estimators():
    counts = torch.tensor([[5, 0, 5, 2, 1, 0], [0, 3, 1, 1, 0, 9]])
    freq = sc.estimator("frequency", counts)
    assert torch.allclose(freq, counts.double() / counts.sum(-1, keepdim=True)) and torch.allclose(freq.sum(-1), torch.ones(2, dtype=torch.float64))
    assert sc.estimator("seen", counts).tolist() == [[1, 0, 1, 1, 1, 0], [0, 1, 1, 1, 0, 1]]
    # Top-3 by count, ties to the smaller index: row 0 keeps 0, 2 (count 5) and 3; row 1 keeps 5, 1 and 2.
    assert sc.estimator("threshold", counts, size=3).tolist() == [[1, 0, 1, 1, 0, 0], [0, 1, 1, 0, 0, 1]]
    # Never an unseen token, even when k exceeds the number seen.
    assert sc.estimator("threshold", counts, size=6).tolist() == sc.estimator("seen", counts).tolist()
    assert sc.threshold_size(32) == 5 and sc.threshold_size(512) == 41
    assert sc.estimator("threshold", counts, dim=32).sum(-1).tolist() == [4, 4]


def test_sample_counts():
    p = data.zipf(50, 1.2)
    c = sc.sample_counts(p, 1234, seed=3, repeats=4)
    assert c.shape == (4, 50) and c.dtype == torch.int64 and (c.sum(-1) == 1234).all()
    assert torch.equal(c, sc.sample_counts(p, 1234, seed=3, repeats=4))
    assert not torch.equal(c, sc.sample_counts(p, 1234, seed=4, repeats=4))
    big = sc.sample_counts(p, 10**6, seed=0)
    assert torch.allclose(big.double() / 10**6, p, atol=3e-3)


def test_unseen_mass_matches_its_expectation_and_the_zipf_law():
    p = data.zipf(2000, 2.0)
    counts = sc.sample_counts(p, 1000, seed=0, repeats=400)
    measured = sc.unseen_mass(p, counts).mean()
    exact = sc.expected_unseen_mass(p, 1000)
    assert abs(measured / exact - 1) < 0.03
    # The large-T law for Zipf on infinitely many tokens, against the exact sum on a million tokens.
    many = data.zipf(10**6, 2.0)
    for T in (10**3, 10**4):
        ratio = sc.expected_unseen_mass(many, T) / sc.zipf_unseen_asymptote(2.0, T)
        assert abs(ratio - 1) < 0.02, (T, ratio)
    slope = sc.fit_slope([1e3, 1e4], sc.expected_unseen_mass(many, [1e3, 1e4]))
    assert abs(slope - (-0.5)) < 0.02
    assert sc.expected_unseen_mass(p, 0).item() == pytest.approx(1.0)


def test_crosstalk_variance_matches_a_monte_carlo_over_embeddings():
    n, m, d = 80, 5, 16
    p = data.zipf(n, 1.5)
    t = sc.random_targets(n, m, 0)
    U = data.sphere_embeddings(m, d, seed=9)
    x = 2
    y = (t[x].item() + 1) % m
    gaps = []
    for block in range(3):
        E, _ = sc.random_embeddings(n, m, d, 100 + 1000 * block, 1000)
        S = sc.scores(E, U, t, p)
        gaps.append(S[:, x, t[x]] - S[:, x, y] - p[x] * (1 - U[t[x]] @ U[y]))
    noise = torch.cat(gaps)
    predicted = sc.crosstalk_variance(U, t, p, x, y)
    assert abs(noise.var() / predicted - 1) < 0.1
    assert abs(noise.mean()) < 4 * math.sqrt(predicted / len(noise))


def test_fit_slope_recovers_a_power_law():
    x = np.array([10.0, 100.0, 1000.0])
    assert sc.fit_slope(x, 3 * x**-0.7) == pytest.approx(-0.7)


def test_bad_input():
    p, t, E, U = _problem(repeats=1)
    E, U = E[0], U[0]
    with pytest.raises(ValueError, match=r"counts must be >= 0"):
        sc.estimator("seen", torch.tensor([1, -1, 0]))
    with pytest.raises(TypeError, match=r"counts must hold integer token counts"):
        sc.estimator("seen", torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"name must be one of"):
        sc.estimator("median", torch.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"needs dim \(or size\)"):
        sc.estimator("threshold", torch.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"all-zero row"):
        sc.estimator("frequency", torch.tensor([0, 0]))
    with pytest.raises(ValueError, match=r"q must be >= 0"):
        sc.scores(E, U, t, -p)
    with pytest.raises(ValueError, match=r"q must have shape \(\.\.\., N\) = \(\.\.\., 60\)"):
        sc.scores(E, U, t, p[:10])
    with pytest.raises(ValueError, match=r"q must have shape \(K\.\.\., 3, N\)"):
        sc.scores(torch.stack([E] * 3), torch.stack([U] * 3), t, torch.stack([p, p]))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, M\) = \[0, 4\)"):
        sc.scores(E, U, t + 4, p)
    with pytest.raises(ValueError, match=r"share the embedding dimension d"):
        sc.scores(E, U[:, :5], t, p)
    with pytest.raises(ValueError, match=r"y must be a wrong class for x"):
        sc.crosstalk_variance(U, t, p, 0, t[0].item())
    with pytest.raises(ValueError, match=r"exponent must be > 1"):
        sc.zipf_unseen_asymptote(1.0, 100)
    with pytest.raises(ValueError, match=r"x and y must be > 0 everywhere"):
        sc.fit_slope([1, 2], [0.1, 0.0])
    with pytest.raises(ValueError, match=r"freqs must sum to 1"):
        sc.sample_counts(torch.tensor([0.5, 0.2], dtype=torch.float64), 10, seed=0)
    with pytest.raises(ValueError, match=r"dims must hold at least one value"):
        sc.dimension_sweep(dims=())
    with pytest.raises(ValueError, match=r"estimators must be one of"):
        sc.sample_sweep(estimators=("oracle",))
