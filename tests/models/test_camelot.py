"""The consolidated memory of CAMELoT and its frozen window model (assocmem.models.camelot)."""

import math

import numpy as np
import pytest
import torch

from assocmem.models import camelot as cm
from assocmem.tasks import long_documents as L


def random_model(seed=0, h=16, d=16, window=8, vocab=L.documents(1, 2).vocab):
    rng = np.random.default_rng(seed)
    E, S = cm.fixed_embeddings(vocab, 8, d, 0.5, seed)
    m = lambda *shape: rng.standard_normal(shape) / math.sqrt(shape[0])  # noqa: E731
    return cm.WindowModel(E=E, S=S, W_Q=3 * m(d, h), W_K=3 * m(d, h), W_V=m(d, h), W_O=m(h, vocab), b=np.zeros(vocab),
                          sink_key=m(h), sink_value=m(h), window=window)


@pytest.fixture(scope="module")
def setting():
    return random_model(), L.documents(n_docs=3, length=200, window=8, seed=4, **cm.TASK)


def test_merge_is_a_running_average_with_counts():
    mem = cm.Memory(batch=1, slots=4, dim=3, threshold=0.8)
    ks = [np.array([[1.0, 0.1, 0.0]]), np.array([[1.0, -0.1, 0.05]]), np.array([[0.9, 0.0, -0.1]])]
    vs = [np.array([[1.0, 2.0, 3.0]]), np.array([[3.0, 2.0, 1.0]]), np.array([[0.0, 0.0, 6.0]])]
    for t, (k, v) in enumerate(zip(ks, vs)):
        mem.write(k, v, t)
        assert mem.counts[0].tolist().count(t + 1) == 1 and (mem.stamps[0] >= 0).sum() == 1  # one slot, count t + 1
    slot = int(mem.counts[0].argmax())
    assert np.allclose(mem.keys[0, slot], np.mean(ks, axis=0)[0]) and np.allclose(mem.values[0, slot], [4 / 3, 4 / 3, 10 / 3])
    _, _, bias = mem.contents()
    assert bias[0, slot] == pytest.approx(math.log(3)) and np.isneginf(np.delete(bias[0], slot)).all()


def test_a_novel_token_replaces_the_oldest_slot_and_a_merge_refreshes_it():
    mem = cm.Memory(batch=1, slots=2, dim=3, threshold=0.9)
    e = np.eye(3)[:, None, :]  # e[i] has shape (1, 3)
    mem.write(e[0], e[0], 0)  # slot of a
    mem.write(e[1], e[1], 1)  # slot of b
    mem.write(e[0], e[0], 2)  # merges into a: a is now the most recent
    mem.write(e[2], e[2], 3)  # novel: replaces b, the slot written longest ago
    held = {tuple(k) for k in mem.keys[0]}
    assert held == {tuple(e[0][0]), tuple(e[2][0])} and sorted(mem.counts[0]) == [1, 2]
    assert mem.merges == 1 and mem.writes == 4


@pytest.mark.parametrize("slots", [5, 20])
def test_threshold_above_one_is_exactly_the_fifo_cache(setting, slots):
    model, docs = setting
    fifo = cm.run(model, docs, "fifo", slots=slots)
    never = cm.run(model, docs, "consolidated", slots=slots, threshold=1.01)
    merging = cm.run(model, docs, "consolidated", slots=slots, threshold=0.5)
    assert never.memory.merges == 0 and merging.memory.merges > 0
    assert np.allclose(fifo.log_prob, never.log_prob, atol=1e-12, rtol=0)
    assert np.abs(fifo.log_prob - merging.log_prob).max() > 1e-3  # the check can fail


def test_unlimited_never_evicts_and_is_a_fifo_cache_that_never_wraps(setting):
    model, docs = setting
    unlimited = cm.run(model, docs, "unlimited")
    assert unlimited.memory.size == docs.tokens.shape[1] - model.window
    big = cm.run(model, docs, "fifo", slots=docs.tokens.shape[1])
    small = cm.run(model, docs, "fifo", slots=10)
    assert np.allclose(unlimited.log_prob, big.log_prob, atol=1e-12, rtol=0)
    assert np.abs(unlimited.log_prob - small.log_prob).max() > 1e-3


def test_the_window_only_run_is_the_training_forward_pass(setting):
    model, docs = setting
    mine = cm.run(model, docs, "none").log_prob[:, 0::2]
    params = {k: torch.tensor(getattr(model, k)) for k in ("W_Q", "W_K", "W_V", "W_O", "b", "sink_key", "sink_value")}
    x = torch.tensor(model.E[docs.tokens] + model.S[docs.styles])
    logp = torch.log_softmax(cm._window_logits(params, x, model.window), dim=-1)[:, 0::2]
    reference = logp.gather(-1, torch.tensor(docs.tokens[:, 1::2])[..., None])[..., 0].numpy()
    assert np.allclose(mine, reference, atol=1e-10, rtol=0)


def test_read_returns_the_slots_of_largest_similarity():
    mem = cm.FIFOCache(batch=1, slots=4, dim=2)
    for t, k in enumerate([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0], [-1.0, 0.0]]):
        mem.write(np.array([k]), np.array([[t, t]], dtype=float), t)
    keys, values, scores = cm._read(mem, np.array([[1.0, 0.1]]), top=1)
    assert keys.tolist() == [[[2.0, 0.0]]] and values.tolist() == [[[2.0, 2.0]]] and scores.tolist() == [[2.0]]
    _, values, _ = cm._read(mem, np.array([[1.0, 0.1]]), top=2)
    assert sorted(values[0, :, 0].tolist()) == [0.0, 2.0]


def test_random_eviction_fills_the_memory_then_differs_from_oldest(setting):
    model, docs = setting
    rand = cm.run(model, docs, "consolidated", slots=8, threshold=1.01, eviction="random", seed=1)
    assert (rand.memory.stamps >= 0).all()
    assert np.abs(rand.log_prob - cm.run(model, docs, "fifo", slots=8).log_prob).max() > 1e-3


def test_bad_input_is_refused(setting):
    model, docs = setting
    with pytest.raises(ValueError, match="memory must be one of"):
        cm.run(model, docs, "lru")
    with pytest.raises(ValueError, match="eviction must be one of"):
        cm.run(model, docs, "consolidated", eviction="newest")
    with pytest.raises(ValueError, match="slots must be an integer >= 1"):
        cm.run(model, docs, "fifo", slots=0)
    with pytest.raises(TypeError, match="threshold must be a finite number"):
        cm.run(model, docs, "consolidated", threshold="high")
    with pytest.raises(ValueError, match="seed"):
        cm.evaluate("fifo", seed=-1, model=model)
    wrong = L.documents(1, 20, facts=200, values=64)
    with pytest.raises(ValueError, match="token ids"):
        cm.run(model, wrong, "fifo")
