"""The scarce-memory chapter's SGD replay (assocmem.chapters.learning.scarce_memory)."""

import pytest
import torch

from assocmem import landscape, memory
from assocmem.chapters.learning import scarce_memory as chapter


def test_authors_batches_replay_the_global_stream_of_the_script():
    # The script: manual_seed(11), randn(10, 2) for E, two randn(2, 2) for W, then one multinomial per step.
    with torch.random.fork_rng():
        torch.manual_seed(11)
        E = torch.randn(10, 2)
        torch.randn(2, 2)
        torch.randn(2, 2)
        p = (torch.arange(10) + 1.0) ** (-2.0)
        p /= p.sum()
        expected = torch.stack([torch.multinomial(p, 10, replacement=True) for _ in range(50)])
    assert torch.equal(chapter.authors_batches(50), expected)
    E_book, _, _, _ = chapter.binary_problem(10, 11, 2.0)
    assert torch.equal(E_book, (E / E.norm(dim=1, keepdim=True)).double())


def test_sgd_on_batches_is_the_mean_batch_gradient_step():
    E, U, p, t = chapter.binary_problem(10, 11, 2.0)
    batches = chapter.seeded_batches(3, 20)
    W0 = landscape.to_memory(torch.tensor([7.5, 2.5], dtype=torch.float64), U)
    run = chapter.sgd_on_batches(E, U, p, t, 0.1, batches, W0=W0, store_W=True)
    W = W0.clone()
    for step in range(20):
        counts = torch.bincount(batches[step], minlength=10).double() / 10
        assert (run.W[0, step] - W).abs().max() < 1e-13
        assert abs(run.loss[0, step] - memory.loss(W, E, U, p, t)) < 1e-13
        W = W - 0.1 * memory.gradient(W, E, U, counts, t)
    assert (run.W_final[0] - W).abs().max() < 1e-13
    # Several streams at once give the same runs as one at a time, and each stream is used at its own step.
    streams = torch.stack([chapter.seeded_batches(s, 20) for s in range(3)])
    swept = chapter.sgd_on_batches(E, U, p, t, 0.1, streams, W0=W0)
    for s in range(3):
        one = chapter.sgd_on_batches(E, U, p, t, 0.1, streams[s], W0=W0)
        assert (swept.loss[s] - one.loss[0]).abs().max() < 1e-13
    assert not torch.equal(streams[0, 0], streams[0, 1])  # batches differ from step to step


def test_sgd_on_batches_rejects_bad_batches():
    E, U, p, t = chapter.binary_problem(10, 11, 2.0)
    with pytest.raises(ValueError, match="token indices in"):
        chapter.sgd_on_batches(E, U, p, t, 0.1, torch.full((3, 4), 10))
    with pytest.raises(ValueError, match="batches must be integer"):
        chapter.sgd_on_batches(E, U, p, t, 0.1, torch.zeros(3, 4))
