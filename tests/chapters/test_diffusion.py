"""The diffusion chapter's helpers (assocmem.chapters.beyond.diffusion)."""

import torch

from assocmem.chapters.beyond import diffusion as chapter
from assocmem.models import diffusion as D


def test_checked_in_denoisers_are_small_and_load():
    assert chapter.WEIGHTS.stat().st_size < 1_000_000
    nets = chapter.load_denoisers()
    assert sorted(nets) == sorted(chapter.TRAINED_SIZES)
    x = torch.zeros(3, 2, dtype=torch.float64)
    assert all(net(x).shape == (3, 2) for net in nets.values())


def test_the_weights_command_writes_what_the_loader_reads(tmp_path, monkeypatch):
    path = chapter.write_denoisers(tmp_path / "w.npz", sizes=chapter.TRAINED_SIZES, steps=3, batch=8)
    monkeypatch.setattr(chapter, "WEIGHTS", path)
    assert sorted(chapter.load_denoisers(path)) == sorted(chapter.TRAINED_SIZES)


def test_copy_rate_is_one_for_the_training_points_and_small_for_random_points():
    X = D.circle(64, seed=0)
    assert chapter.copy_rate(X, X) == 1.0
    assert chapter.copy_rate(D.circle(500, seed=3), X) < 0.4
