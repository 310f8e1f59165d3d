"""The many-particles chapter's batched runs (assocmem.chapters.learning.many_particles)."""

import pytest
import torch

from assocmem import memory, particles, tiers, train
from assocmem.chapters.learning import many_particles as chapter


def test_score_sweep_is_gradient_descent_on_each_problem():
    problems = [chapter.many_particles_problem(d, seed) for d, seed in [(3, 43), (3, 44), (3, 45)]]
    etas = [3.0, 10.0, 20.0]
    loss, zero_one, scores = chapter.score_sweep(problems, etas, 60)
    with tiers.threads(1):
        for b, (E, U, p, t) in enumerate(problems):
            gd = train.gd(E, U, p, t, etas[b], 60, show_progress=False)
            assert (loss[b] - gd.loss[0]).abs().max() < 1e-12
            assert (zero_one[b] - gd.zero_one[0]).abs().max() < 1e-12
            assert (scores[b] - memory.scores(gd.W_final[0], E, U)).abs().max() < 1e-10
            ref = particles.score_gd(E, U, p, t, etas[b], 60, show_progress=False)
            assert (loss[b] - ref.loss[0]).abs().max() < 1e-12


def test_sharpness_from_scores_matches_the_hessian_of_w():
    E, U, p, t = chapter.many_particles_problem(4, 43)
    with tiers.threads(1):
        gd = train.gd(E, U, p, t, [3.0, 20.0], 25, store_W=True, show_progress=False)
    W = gd.W[:, [0, 7, 25]]                                   # (2, 3, d, d)
    expected = memory.sharpness(W, E, U, p, t)
    got = chapter.sharpness_from_scores(memory.scores(W, E, U), E, U, p)
    assert (got - expected).abs().max() < 1e-12


def test_first_perfect_is_the_step_after_the_last_error():
    z = torch.tensor([[0.5, 0.0, 0.2, 0.0, 0.0], [0.1, 0.1, 0.1, 0.1, 0.1], [0.0, 0.0, 0.0, 0.0, 0.0]])
    assert chapter.first_perfect(z).tolist() == [3, 5, 0]


def test_long_run_finds_the_d3_problem_separable_with_a_small_margin():
    run = chapter.long_run(d=3, seed=43, step_sizes=(20.0,), steps=600)
    assert run.separable and 0 < run.best_margin < 0.02
    assert chapter.first_perfect(run.zero_one)[0] < 600


def test_score_sweep_needs_one_step_size_per_problem():
    with pytest.raises(ValueError, match="one step size per problem"):
        chapter.score_sweep([chapter.many_particles_problem(3, 43)] * 2, [1.0], 5)
