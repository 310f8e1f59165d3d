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


def test_the_widget_grid_is_the_direct_energy_grid_at_every_noise_level():
    """The factored grid sum (and its direct fallback where the sums underflow, at small sigma) gives _energy_grid."""
    X = D.circle(48, seed=3)
    for sigma in (0.02, 0.05, 0.2):
        g, direct = chapter._energy_grid(X, 1 / sigma**2, num=40)
        g_fast, fast = chapter.separable_energy_grid(X, 1 / sigma**2, num=40)
        assert (g == g_fast).all()
        assert abs(fast - direct).max() < 1e-12, sigma
        assert direct.max() - direct.min() > 0.1  # a landscape, not a constant


def test_the_widget_grid_orients_its_axes_like_the_direct_grid():
    """A planted bug: the factored grid transposed (the two coordinates swapped) differs from the direct one."""
    X = D.circle(5, seed=1)
    _, direct = chapter._energy_grid(X, 100.0, num=30)
    _, fast = chapter.separable_energy_grid(X, 100.0, num=30)
    assert abs(fast - direct).max() < 1e-12 and abs(fast.T - direct).max() > 1e-2
