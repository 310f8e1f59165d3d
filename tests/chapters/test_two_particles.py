"""The two-particle chapter's figure code (assocmem.chapters.learning.two_particles)."""

import math

import pytest
import torch

from assocmem import two_particles as tp
from assocmem.chapters.learning import two_particles as chapter


def test_heatmaps_refuse_an_unknown_axis():
    with pytest.raises(ValueError, match="over must be one of"):
        chapter.draw_time_heatmaps(*tp.paper_grid(), torch.ones(10, 10, 10), over="eta")


def test_margin_field_is_the_step_of_the_margin_map_per_unit_eta():
    m = torch.tensor([[0.3, -1.2], [4.0, 2.5], [-2.0, 0.0]], dtype=torch.float64)
    for eta in (0.5, 10.0):
        step = (tp.margin_step(m, 0.75, 0.95, eta) - m) / eta
        f1, f2 = chapter.margin_field(m[:, 0].numpy(), m[:, 1].numpy(), 0.75, 0.95)
        assert torch.allclose(step, torch.tensor(list(zip(f1, f2)), dtype=torch.float64), atol=1e-14)


def test_last_error_step_and_the_limit():
    m = torch.tensor([[0.0, 0.0], [1.0, -1.0], [1.0, 1.0], [-0.5, 2.0], [1.0, 1.0]], dtype=torch.float64)
    assert chapter.last_error_step(m) == 3  # t = 0 (tie lost by token 2), 1, 3 are wrong
    assert chapter.last_error_step(m[[2, 4]]) == -1
    # The eta -> infinity limit of the spike problem misclassifies a token at t = 0 and t = 1 only.
    assert chapter.last_error_step(tp.large_step_limit(0.75, 0.95, 10)) == 1


def test_neglected_push_band_solves_its_equation():
    lo, hi = chapter.neglected_push_band(0.75, 0.95)
    n_star = tp.large_step_limit(0.75, 0.95, 2)[2].min().item()
    rho = lambda eta: 2 * abs(0.25 - 0.95 * 0.75) / (1 + math.exp(eta * n_star)) / n_star
    assert rho(lo) == pytest.approx(1.0, rel=1e-12) and rho(hi) == pytest.approx(0.1, rel=1e-12)
    assert lo < hi


def test_large_step_scan_agrees_with_single_runs():
    scan = chapter.large_step_scan(low=10.0, high=1e3, num=5, steps=100)
    for eta, last in zip(scan["eta"], scan["last_error"]):
        assert last == chapter.last_error_step(tp.margin_trajectory(0.75, 0.95, float(eta), 100))
    assert scan["limit_last_error"] == 1


def test_the_authors_numbers_are_those_of_the_spike_run():
    m = tp.margin_trajectory(0.75, 0.95, torch.tensor([10.0, 1.0], dtype=torch.float64), 35)
    L = tp.loss_from_margins(m, 0.75)
    for eta, step, theirs in chapter.AUTHORS_SPIKE:
        assert abs(L[0 if eta == 10.0 else 1, step].item() - theirs) < 1e-3
