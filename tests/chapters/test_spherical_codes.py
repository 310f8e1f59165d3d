"""Chapter-module helpers of "Memories as spherical codes"."""

import math

import numpy as np
import pytest
import torch

from assocmem.chapters.beyond import spherical_codes as C
from assocmem.models import spherical as S


def test_log_fit_recovers_a_known_law():
    M = np.array([8, 16, 32, 64])
    a, b, r2 = C.log_fit(M, 1.0 + 2.0 * np.log(M))
    assert (a, b, r2) == pytest.approx((1.0, 2.0, 1.0))
    assert C.linear_fit_r2(M, 1.0 + 2.0 * np.log(M)) < 0.99


def test_fixed_point_test_separates_orthogonal_from_crowded_codes():
    assert C.all_fixed(torch.eye(4, dtype=torch.float64))                 # cosines 0: weight 1/(1+3e^-20)
    crowded = S.random_code(64, 2, seed=0)
    assert not C.all_fixed(crowded)


def test_smallest_dimension_is_monotone_in_the_criterion():
    # 4 memories: a tetrahedron in R^3 keeps weight 1/(1 + 3 e^(-20 * 4/3)) on itself; R^2 (a square) also passes
    assert C.smallest_dimension(4, "optimised") == 2
    assert C.smallest_dimension(64, "random", seed=0) > C.smallest_dimension(64, "optimised", seed=0)


def test_widget_draws():
    fig = C.draw_widget(6, 3)
    assert fig.axes[0].get_xlabel()


def test_digit_queries_drop_half_the_pixels_and_double_the_rest():
    Xi, q = C.digit_memories(0)
    assert Xi.shape == (100, 64) and 0 <= Xi.min() and Xi.max() <= 1
    kept = q != 0
    assert torch.allclose(q[kept], 2 * Xi[kept])
    ink = Xi != 0
    assert 0.4 < (kept & ink).sum() / ink.sum() < 0.6


def test_retrieval_error_is_the_clipped_squared_error():
    Xi = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    x = torch.tensor([[2.0, 0.5], [1.0, -3.0]], dtype=torch.float64)    # clipped to [1, 0.5] and [1, 0]
    assert C.retrieval_error(x, Xi) == pytest.approx((1 + 0.25 + 0) / 2)
    assert C.retrieval_error(Xi, Xi) == 0


def test_confined_noise_keeps_the_norm_and_stays_in_its_subspace():
    Xi, q = C.digit_memories(1)
    V = torch.linalg.svd(Xi - Xi.mean(0), full_matrices=False).Vh
    for leading in (True, False):
        e = C.confined_noise(Xi, q, V, 16, leading) - Xi
        assert torch.allclose(e.norm(dim=-1), (q - Xi).norm(dim=-1))
        other = V[16:] if leading else V[:16]
        assert (e @ other.T).abs().max() < 1e-10
    assert C.top1(S.FeatureMap.identity(64), Xi, Xi) == 1.0


def test_rescaled_plain_model_is_the_raw_path_for_an_isotropic_map():
    # the chapter's comparison is exact for the first step when the map only rescales: Phi = c I, unit memories
    # and unit queries (later steps leave the sphere: ||x_t|| < 1 lowers the raw path's effective beta)
    Xi = C.unit_memories(0)
    phi = S.FeatureMap(4.0 * torch.eye(5, dtype=torch.float64), torch.zeros(5, dtype=torch.float64))
    x = torch.randn(20, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    x = x / x.norm(dim=-1, keepdim=True)
    gain = S.feature_gain(phi, Xi)
    assert torch.allclose(S.weights(x, Xi, 0.5, phi, False), S.weights(x, Xi, 0.5 * gain, None, True))
    assert C.unit_fraction(Xi, 0.5, phi, False) > C.unit_fraction(Xi, 0.5, None, True)
