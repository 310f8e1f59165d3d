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
