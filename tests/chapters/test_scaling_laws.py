"""The scaling-laws chapter's code (assocmem.chapters.foundations.scaling_laws)."""

import math

import pytest
import torch

from assocmem.chapters.foundations import scaling_laws as chapter
from assocmem.models import scaling


def test_theory_slopes():
    assert chapter.theory_slopes(2.0) == {"frequency": -0.25, "threshold": -1.0}
    assert chapter.theory_slopes(3.0)["frequency"] == pytest.approx(-1 / 3)


def test_capacity_picture_numbers_are_consistent():
    c = chapter.capacity(128, 10_000, 2.0, "threshold", n=500)
    stored = c["q"] > 0
    assert int(stored.sum()) == scaling.threshold_size(128)
    assert c["right"][stored].all()                      # 1 / sigma = sqrt(M d / (2 k)) = 6.5: every stored token is recalled
    assert math.isclose(c["sigma"], math.sqrt(2 * scaling.threshold_size(128) / (10 * 128)))
    assert math.isclose(c["error"], float((c["freqs"] * (~c["right"]).double()).sum()))
    assert c["error"] >= 0.85 * c["floor"]               # unstored tokens are right only by chance (1 in M)


def test_crosstalk_check_agrees_with_the_proposition():
    mean, variance, predicted = chapter.crosstalk_check(n=60, m=5, dim=16, draws=1500, seed=3)
    assert abs(variance / predicted - 1) < 0.15
    assert abs(mean) < 4 * math.sqrt(predicted / 1500)


def test_sizes_follow_the_tier():
    assert chapter.sizes("ci")["n"] < chapter.sizes("paper")["n"]
    assert max(chapter.sizes("ci")["dims"]) < max(chapter.sizes("paper")["dims"])
    assert chapter.sizes("ci")["repeats"] < chapter.sizes("paper")["repeats"]
