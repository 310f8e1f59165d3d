"""Chapter module of "What a small Transformer memorises: ListOps": the cached sweep file and its helpers."""

import math

from assocmem.chapters.transformers import listops as chapter
from assocmem.models import listops as M


def test_the_cached_sweep_matches_the_paper_tier_sizes():
    sweep = chapter.cached_sweep()
    size = chapter.sizes("paper")
    assert sweep["tier"] == "paper" and sweep["task"] == M.TASK and sweep["threshold"] == chapter.THRESHOLD
    assert sweep["sizes"]["dims"] == list(size["dims"]) and sweep["sizes"]["steps"] == size["steps"]
    grid = {(r["condition"], r["dim"], r["seed"]) for r in sweep["rows"]}
    assert grid == {(c, d, s) for c in chapter.CONDITIONS for d in size["dims"] for s in size["seeds"]}
    for row in sweep["rows"]:
        assert row["params"] == M.parameter_count(M.build(row["dim"]))
        assert 0 <= row["test_accuracy"] <= 1 and 0 <= row["digit_order"] <= 1
        assert (row["sum_accuracy"] is None) == ("SUM" not in row["ops"])
        if row["condition"] == "SUM":
            assert row["sum_accuracy"] == row["test_accuracy"]  # the same held-out set
    assert len(sweep["pretraining"]) == len(size["seeds"])
    assert sweep["wall_seconds"] < 15 * 60


def test_helpers_read_the_rows():
    rows = [{"condition": "SUM", "dim": d, "seed": s, "params": 10 * d, "test_accuracy": a}
            for d, s, a in [(8, 1, 0.2), (8, 0, 0.1), (16, 0, 0.6), (16, 1, 0.7)]]
    assert chapter.per_seed(rows, "SUM", "test_accuracy").tolist() == [0.6, 0.7]
    assert chapter.per_seed(rows, "SUM", "test_accuracy", dim=8).tolist() == [0.1, 0.2]
    assert chapter.thresholds(rows, 0.5)["SUM"] == 160 and math.isinf(chapter.thresholds(rows, 0.5)["MAX+MED"])
    assert chapter.table(rows, "test_accuracy")["SUM"][80] == [0.2, 0.1]


def test_ci_sizes_are_cut_down():
    ci, paper = chapter.sizes("ci"), chapter.sizes("paper")
    assert len(ci["dims"]) * len(ci["seeds"]) * ci["steps"] < len(paper["dims"]) * len(paper["seeds"]) * paper["steps"] / 10
