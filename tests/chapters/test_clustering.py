"""The ClAM chapter's code (assocmem.chapters.systems.clustering)."""

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from assocmem.chapters.systems import clustering as chapter  # noqa: E402
from assocmem.models import clustering as cl  # noqa: E402


def test_sizes_grow_at_the_paper_tier():
    ci, paper = chapter.sizes("ci"), chapter.sizes("paper")
    assert chapter.grid_size(paper) == 36 > chapter.grid_size(ci)
    assert set(ci["datasets"]) < set(paper["datasets"])
    assert paper["epochs"] > ci["epochs"] and len(paper["seeds"]) > len(ci["seeds"])
    assert paper["grid"] == cl.GRID


def test_hardening_curves_reach_the_identity():
    X = np.random.default_rng(0).normal(size=(60, 3))
    X[:20] += 6
    X[20:40] -= 6
    P = np.stack([X[:20].mean(0), X[20:40].mean(0), X[40:].mean(0)])
    import torch

    curves = chapter.hardening(torch.as_tensor(X), torch.as_tensor(P), [0.01, 1.0, 100.0])
    assert curves["confidence"][0] < 0.9 and curves["confidence"][-1] > 1 - 1e-9
    assert abs(curves["ratio"][-1] - 1) < 1e-9 and abs(curves["ratio"][0] - 1) > 0.01


def test_format_table_has_one_line_per_row():
    rows = [{"dataset": "iris", "kmeans": 0.46, "best36": 0.48, "masked": np.array([0.5, 0.44]), "nomask": np.array([0.458]),
             "nomask_best": 0.458, "gain": 0.5 / 0.46 - 1}]
    text = chapter.format_table(rows)
    assert len(text.splitlines()) == 2 and "+8.7%" in text and "0.500, 0.440" in text


def test_the_widget_builds_and_updates_in_place():
    box = chapter.widget()
    fig = box.frame.figure
    start = time.perf_counter()
    box.controls["beta"].value = 10.0
    redraw = time.perf_counter() - start
    assert redraw < 2, redraw
    assert box.frame.figure is fig and "β = 10" in fig.beta_title.get_text()  # updated in place, not redrawn
    plt.close("all")
