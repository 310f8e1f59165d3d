"""Helpers of the random-features chapter module (the experiments themselves run in the chapter)."""

import math

import numpy as np
import pytest
import torch

from assocmem.chapters.beyond import random_features as chapter


def test_loglog_slope_recovers_a_power_law():
    x = np.array([256, 1024, 4096, 16384])
    assert math.isclose(chapter.loglog_slope(x, 3.0 * x**-0.5), -0.5, abs_tol=1e-12)


def test_crossover_interpolates_in_log_space_and_reports_none():
    K = np.array([16, 32, 64, 128])
    needed = np.array([4000.0, 4000.0, 4000.0, 4000.0])  # flat: below 8 K from K = 500 on
    assert math.isinf(chapter.crossover(K, needed, 8.0))
    needed = 8.0 * K * np.array([4.0, 2.0, 0.5, 0.25])  # ratio 4, 2, 1/2, 1/4: crosses between 32 and 64
    cross = chapter.crossover(K, needed, 8.0)
    assert math.isclose(cross, 32 * 2 ** 0.5, rel_tol=1e-12)  # log ratio 1 -> -1: halfway in log K
    assert chapter.crossover(K, 0.5 * 8.0 * K, 8.0) == 16.0


def test_time_crossover_reads_the_measured_curve():
    run = chapter.CostRun(memories=np.array([1]), num_features=100, mr_weights=np.array([1]), dr_weights=np.array([1]),
                          time_memories=np.array([10, 100, 1000]), mr_seconds=np.array([1e-4, 1e-3, 1e-2]), dr_seconds=1e-3,
                          needed={}, need_memories=np.array([1]), target=0.1, dim=8)
    assert math.isclose(chapter.time_crossover(run), 100.0, rel_tol=1e-9)
    run.dr_seconds = 1.0
    assert math.isinf(chapter.time_crossover(run))


def test_cleaned_counts_cues_brought_at_least_halfway():
    memories = torch.zeros(3, 2, dtype=torch.float64)
    cues = torch.ones(3, 2, dtype=torch.float64)
    states = torch.stack([0.4 * cues[0], 0.6 * cues[1], 1.2 * cues[2]])
    assert chapter.cleaned(states, cues, memories) == pytest.approx(1 / 3)


def test_pooled_median_is_over_seeds_and_queries():
    values = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)  # (seeds, Y, queries)
    run = chapter.ErrorRun(np.array([1, 2, 3]), values, values, np.zeros((2, 3)), np.zeros((2, 4)))
    assert np.allclose(run.pooled(values), [np.median(values[:, i]) for i in range(3)])
    assert np.allclose(run.kernel_error, np.median(values, axis=-1))


def test_memories_and_queries_are_seeded():
    a, b = chapter.gaussian_memories(seed=1), chapter.gaussian_memories(seed=1)
    assert torch.equal(a, b) and a.shape == (chapter.NUM_MEMORIES, chapter.DIM)
    q = chapter.noisy_queries(a, 5, seed=1)
    assert q.shape == (5, chapter.DIM) and 0 < (q - a[:5]).norm(dim=1).max() < 3


@pytest.mark.parametrize("num_features, beta", [(64, 0.25), (2048, 1.0), (4096, 8.0)])
def test_widget_slice_energy_is_the_direct_energy(num_features, beta):
    """The widget's factored grid sum gives the slice energy ``slice_run`` computes point by point."""
    fast, T = chapter.widget_slice_run(num_features, beta, resolution=12)
    direct = chapter.slice_run(num_features=(num_features,), beta=beta, resolution=12)
    assert np.array_equal(fast.u, direct.u) and np.array_equal(fast.exact, direct.exact)
    np.testing.assert_allclose(fast.approx[num_features], direct.approx[num_features], rtol=0, atol=1e-9)
    assert np.ptp(direct.approx[num_features]) > 1.0  # the comparison is over a landscape, not a constant


def test_grid_kernel_sum_sees_a_swapped_axis():
    """A planted bug (the two grid axes swapped) is caught by the comparison above."""
    xi = chapter.gaussian_memories()
    origin, e1, e2 = chapter._plane(xi)
    T = chapter.rf.store(xi, 512, 1.0, 0)
    S, b = chapter.rf.projection(chapter.DIM, 512, 0)
    u = np.linspace(-3, 3, 9)
    grid = chapter.grid_kernel_sum(T, S, b, 1.0, origin, e1, e2, u)
    U, V = np.meshgrid(u, u)
    points = origin + torch.as_tensor(U.ravel())[:, None] * e1 + torch.as_tensor(V.ravel())[:, None] * e2
    direct = chapter.rf.kernel_sum(points, T, 1.0, 0).reshape(U.shape)
    assert torch.allclose(grid, direct, atol=1e-10, rtol=0)
    assert not torch.allclose(grid.T, direct, atol=1e-3, rtol=0)
