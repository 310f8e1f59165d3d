"""The foundations chapter's computations (assocmem.chapters.foundations.associative_memory)."""

import numpy as np
import pytest
import torch

from assocmem import data, memory
from assocmem.chapters.foundations import associative_memory as chapter


@pytest.mark.parametrize("n, m, d, seed", [(20, 20, 5, 0), (30, 7, 40, 1), (12, 3, 2, 2)])
def test_crosstalk_formula_equals_the_hebbian_step(n, m, d, seed):
    E, U = data.embedding_pair(n, m, d, seed)
    p, t = data.zipf(n, 1.0), data.targets(n, "mod", m)
    W1 = memory.hebbian_step(E, U, p, t, 2.5)[0]
    assert torch.allclose(chapter.one_step_scores(E, U, p, t, 2.5), memory.scores(W1, E, U), atol=1e-12)
    assert torch.allclose(chapter.one_step_margins(chapter.one_step_scores(E, U, p, t, 2.5), t),
                          memory.margins(W1, E, U, p, t), atol=1e-12)


def test_one_step_errors_do_not_depend_on_the_step_size_and_thin_out_with_d():
    small = chapter.one_step_errors(n=40, dims=(5, 80), seeds=range(3))
    assert np.array_equal(small, chapter.one_step_errors(n=40, dims=(5, 80), seeds=range(3), step_size=100.0))
    assert small[1].mean() < small[0].mean()


def test_hebbian_vs_gd_is_rounding_error():
    assert chapter.hebbian_vs_gd(8, 3, 4, 0) < 1e-12
