"""The sequence-memory chapter's code (assocmem.chapters.beyond.sequences)."""

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from assocmem.chapters.beyond import sequences as chapter  # noqa: E402
from assocmem.models import sequence as sq  # noqa: E402


def test_fitted_exponent_and_base_recover_known_laws():
    d = np.array([10.0, 20, 40, 80])
    assert chapter.fitted_exponent(d, 3 * d**2.5) == pytest.approx(2.5)
    assert chapter.fitted_base(d, 7 * 1.3**d) == pytest.approx(1.3)


def test_measured_capacity_brackets_the_crossing_of_one_half():
    P = chapter.measured_capacity(64, ("power", 1), trials=16, seed=0)
    assert 4 < P < 16  # derived capacity 8.5
    below = sq.recall_success(64, int(P * 0.6), ("power", 1), trials=32, seed=1)
    above = sq.recall_success(64, int(P * 1.6) + 1, ("power", 1), trials=32, seed=1)
    assert below > 0.5 > above


def test_sizes_grow_at_the_paper_tier():
    ci, paper = chapter.sizes("ci"), chapter.sizes("paper")
    assert paper["dim"] > ci["dim"]
    assert all(max(paper["dims"][k]) > max(ci["dims"][k]) for k in ci["dims"])


def test_the_widget_builds_and_redraws_fast():
    start = time.perf_counter()
    box = chapter.widget()
    built = time.perf_counter() - start
    controls = box.children[0].children
    start = time.perf_counter()
    controls[1].value = 60  # P
    redraw = time.perf_counter() - start
    assert built < 5 and redraw < 2, (built, redraw)
    plt.close("all")
