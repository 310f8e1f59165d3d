"""Chapter module of "The Energy Transformer" (assocmem.chapters.beyond.energy_transformer)."""

import numpy as np
import torch
from sklearn.datasets import load_digits

from assocmem.chapters.beyond import energy_transformer as C


def test_patches_round_trip_to_the_images():
    train, test = C.digits()
    images = load_digits().images / 16.0
    assert train.shape == (1500, 16, 4) and test.shape == (297, 16, 4)
    assert np.allclose(C.to_images(torch.cat([train, test])), images)
    # patch 1 is rows 0-1, columns 2-3
    assert np.allclose(train[0, 1].numpy(), images[0, 0:2, 2:4].reshape(-1))


def test_masks_hide_exactly_four_patches_and_are_seeded():
    m = C.random_masks(50, seed=3)
    assert (m.sum(1) == 4).all()
    assert torch.equal(m, C.random_masks(50, seed=3)) and not torch.equal(m, C.random_masks(50, seed=4))


def test_without_descent_a_masked_patch_ignores_the_image():
    model = C.Completer(seed=0)
    train, _ = C.digits()
    mask = torch.zeros(2, 16, dtype=torch.bool)
    mask[:, 5] = True
    with torch.no_grad():
        zero = model(train[:2], mask, T=0)
        some = model(train[:2], mask, T=3)
    assert torch.allclose(zero[0, 5], zero[1, 5])  # the per-position constant: the mean-patch baseline is its best
    assert not torch.allclose(some[0, 5], some[1, 5])  # the descent carries context


def test_the_checked_in_weights_load_and_complete():
    curve = C.error_curve(seeds=(0,), steps=(0, 8))
    assert curve.mse.shape == (1, 2) and curve.mse[0, 1] < curve.mse[0, 0]
    assert curve.energy_rise[0] <= 0
