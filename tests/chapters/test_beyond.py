"""Chapter-module code of the two "Beyond" chapters: helpers, small experiments, widgets."""

import math
import time

import ipywidgets
import numpy as np
import torch

from assocmem.chapters.beyond import dense_memories, hopfield
from assocmem.models import modern


def test_crossings_interpolate_and_report_no_crossing():
    assert hopfield.crossing([1, 2, 3], [1.0, 0.6, 0.2], 0.5) == 2.25
    assert hopfield.crossing([1, 2], [1.0, 0.9]) == math.inf
    assert dense_memories.crossing([10, 100, 1000], [1.0, 1.0, 0.0]) == 10 ** 2.5
    assert dense_memories.crossing([10, 100], [0.2, 0.0]) == 10


def test_k_grid_is_log_spaced_and_ends_at_the_largest():
    grid = dense_memories.k_grid(10_000)
    assert grid[0] == 10 and grid[-1] == 10_000 and len(grid) == 13
    assert np.allclose(np.diff(np.log10(grid)), 0.25, atol=0.02)


def test_weight_estimate_limits():
    assert abs(dense_memories.weight_theory(1e-9, 100, 64) - 1 / 100) < 1e-9
    assert dense_memories.weight_theory(60.0, 1000, 64) > 0.999


def test_the_bam_bridge_is_exact():
    assert hopfield.hebbian_bridge(seed=1) < 1e-12


def test_phases_at_two_betas():
    run = dense_memories.run_phases(d=32, Ks=(200,), betas=(0.1, 40.0), queries=10)
    assert run["weight"][200][0] < 3 / 200 and run["weight"][200][1] > 0.99
    assert run["to_mean"][200][0] < 0.1 and run["error"][200][1] < 1e-3


def test_sparse_retrieval_beats_softmax_on_digits():
    run = dense_memories.run_sparse(Ms=(50,), betas=(5, 20), seeds=1)
    assert (run["error"]["sparsemax"] < run["error"]["softmax"]).all()
    assert run["exact"]["sparsemax"][0, 1] > 0.9 and run["exact"]["softmax"].max() == 0


def test_widgets_build_fast_and_draw_labelled_figures():
    for module in (hopfield, dense_memories):
        start = time.perf_counter()
        control = module.widget()
        assert isinstance(control, ipywidgets.VBox) and time.perf_counter() - start < 10  # < 2 s idle; loose on a loaded machine
    fig = dense_memories.draw_widget(beta=64.0, M=20)
    assert all(ax.get_xlabel() for ax in fig.axes)
    fig = hopfield.draw_widget(load=0.05, flip_prob=0.0)
    assert "100 % retrieved" in fig.axes[0].get_title()


def test_sparsemax_one_hot_in_the_widget_query_at_large_beta():
    X = dense_memories.digit_memory(30, seed=0)
    q = dense_memories.digit_queries(X, "noisy", seed=0)[:1]
    assert torch.equal(modern.attention(X, q, 200.0, separation="sparsemax")[0], torch.eye(30, dtype=torch.float64)[0])
