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


def test_the_score_groups_hide_every_node_exactly_once():
    hide = C.score_groups(200)
    assert hide.shape == (C.SCORE_GROUPS, 200) and (hide.sum(0) == 1).all()
    assert hide.sum(1).min() >= 200 // C.SCORE_GROUPS


def test_the_checked_in_graph_weights_load_and_find_the_swapped_attributes():
    study = C.graph_study(seeds=(0,))
    assert set(study.auc) == set(C.METHODS) and study.auc["et"].shape == (1, 3)
    assert study.auc["et"][0, 2] > 0.9  # contextual anomalies, from the neighbours alone
    assert study.auc["degree"][0, 1] > 0.9  # and the cliques by degree


def test_a_hidden_node_is_predicted_from_its_neighbourhood_only():
    G = C.graph(0)
    model = C.trained_graph(0)
    X = G.attributes[None].clone()
    hide = torch.zeros(1, 200, dtype=torch.bool)
    hide[0, 0] = True
    # one step reaches two hops: token B's key is pulled by the queries C' that see it, and their
    # softmax is normalised over the keys C' sees. So after T = 1 a node three hops away cannot matter
    A = G.adjacency.to(torch.float64)
    reach = torch.linalg.matrix_power(A + torch.eye(200, dtype=torch.float64), 2)[0] > 0
    far = torch.nonzero(~reach).flatten()[0]
    with torch.no_grad():
        before = model(X, hide, G.adjacency, T=1)[0, 0]
        X[0, far] += 5.0
        after = model(X, hide, G.adjacency, T=1)[0, 0]
        X[0, far] -= 5.0
        two_hops = torch.nonzero(reach & ~G.adjacency[0]).flatten()
        X[0, two_hops[two_hops != 0][0]] += 5.0
        moved = model(X, hide, G.adjacency, T=1)[0, 0]
    assert torch.allclose(before, after, atol=1e-12) and not torch.allclose(before, moved, atol=1e-3)


def test_the_attention_maps_are_column_distributions():
    P, masked, completed, mask = C.attention_maps()
    assert P.shape == (2, 16, 16) and mask.sum() == 4
    assert np.allclose(P.sum(1), 1.0) and np.allclose(np.diagonal(P, axis1=1, axis2=2), 0.0)
