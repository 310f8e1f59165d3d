"""The sparse-distributed-memory chapter's code (assocmem.chapters.systems.sparse_distributed_memory)."""

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from assocmem.chapters.systems import sparse_distributed_memory as chapter  # noqa: E402
from assocmem.models import sdm  # noqa: E402

TASKS = ((0, 1), (2, 3), (4, 5))


@pytest.fixture(scope="module")
def small():
    return sdm.run(["relu", "topk", "sdm_bias", "sdm"], [0, 1], TASKS, neurons=120, epochs=2, lr=0.2)


@pytest.fixture(scope="module")
def k_sweep():
    return sdm.run(["sdm"], [0], TASKS, k=[1, 5, 20], neurons=120, epochs=2, lr=0.2)


def test_sizes_grow_at_the_paper_tier():
    ci, paper = chapter.sizes("ci"), chapter.sizes("paper")
    assert len(paper["seeds"]) > len(ci["seeds"]) and paper["epochs"] > ci["epochs"]
    assert set(ci["ks"]) <= set(paper["ks"]) and set(ci["lrs"]) <= set(paper["lrs"])
    assert {1, 10, 100} <= set(ci["ks"]) and {0.01, ci["lr"]} <= set(ci["lrs"])  # the values the chapter's claims read


def test_summary_and_table_read_the_right_runs(small):
    rows = chapter.summary(small, ("relu", "sdm"))
    for kind, (final, worst) in rows.items():
        index = small.select(kind)
        assert torch.equal(final, small.overall[index, -1])
        assert torch.equal(worst, small.accuracy[index, -1].min(-1).values)
        assert (worst <= final + 1e-6).all()  # the worst task is never above the accuracy on all classes, a weighted mean over tasks
    text = chapter.table(small, ("relu", "sdm"))
    assert "SDMLP" in text and "ReLU MLP" in text and len(text.splitlines()) == 4


def test_usage_order_groups_neurons_by_task():
    usage = torch.tensor([[0.0, 0.9, 0.0, 0.2], [0.6, 0.0, 0.01, 0.0]])
    used, owner = chapter.usage_order(usage)
    assert used.tolist() == [1, 3, 0] and owner.tolist() == [0, 0, 1]
    assert chapter.off_diagonal(torch.arange(9.0).reshape(3, 3)).tolist() == [1, 2, 3, 5, 6, 7]


def test_the_figures_draw(small):
    for fig in (chapter.draw_neurons(small, kinds=("sdm", "topk"), seed=1), chapter.draw_curves(small), chapter.draw_attention(32, 10)):
        assert fig.axes
    plt.close("all")


def test_the_widget_builds_and_redraws_fast(k_sweep):
    start = time.perf_counter()
    box = chapter.widget(k=5, result=k_sweep)
    built = time.perf_counter() - start
    control = box.children[0].children[0]
    start = time.perf_counter()
    control.value = 20
    redraw = time.perf_counter() - start
    assert built < 5 and redraw < 2, (built, redraw)
    with pytest.raises(ValueError, match="precomputed"):
        chapter.draw_k(k_sweep, 7)
    plt.close("all")
