"""ClAM (assocmem.models.clustering): hand gradients, the beta -> infinity limit, the no-mask identity, fitting, bad input."""

import numpy as np
import pytest
import torch

from assocmem.models import clustering as cl
from assocmem.tasks import clustering as data


def blobs(n_per=30, centres=((0.0, 0.0), (6.0, 0.0), (0.0, 6.0)), spread=0.5, seed=0):
    g = torch.Generator().manual_seed(seed)
    C = torch.tensor(centres, dtype=torch.float64)
    X = torch.cat([c + spread * torch.randn(n_per, C.shape[1], generator=g, dtype=torch.float64) for c in C])
    return X, torch.arange(len(C)).repeat_interleave(n_per), C


@pytest.mark.parametrize("masked", [False, True])
def test_hand_gradient_matches_autograd(masked):
    g = torch.Generator().manual_seed(1)
    M, B, D, k = 4, 8, 5, 3
    V0, X, P = (torch.randn(M, n, D, generator=g, dtype=torch.float64) for n in (B, B, k))
    beta = torch.tensor([0.3, 1.1, 2.4, 8.0], dtype=torch.float64)
    move = (torch.rand(M, B, D, generator=g) < 0.3).double() if masked else None
    loss, grad = cl.loss_and_grad(V0, X, P, beta, move, 0.1, 10)
    Pg = P.clone().requires_grad_(True)
    VT = cl._run(V0, Pg, beta, move, 0.1, 10)
    err = VT - X if move is None else move * (VT - X)
    reference = err.square().sum(-1).mean(-1)
    auto, = torch.autograd.grad(reference.sum(), Pg)
    assert torch.allclose(loss, reference, atol=1e-13)
    assert torch.allclose(grad, auto, atol=1e-12), (grad - auto).abs().max()
    # a planted bug (a sign flip in the softmax term) would be caught
    assert not torch.allclose(grad, cl.loss_and_grad(V0, X, P, -beta, move, 0.1, 10)[1], atol=1e-6)


def test_dynamics_is_gradient_descent_on_the_energy():
    X, _, C = blobs()
    V = X[:10].clone().requires_grad_(True)
    E = cl.energy(V, C + 0.3, beta=0.7).sum()
    grad, = torch.autograd.grad(E, V)
    step = cl.dynamics(X[:10], C + 0.3, beta=0.7, alpha=0.1, steps=1)
    assert torch.allclose(step, X[:10] - 0.1 * grad, atol=1e-12)


def test_soft_assignment_becomes_hard_as_beta_grows():
    X, labels, C = blobs(spread=1.5)
    P = C + 0.2
    hard = torch.nn.functional.one_hot(cl.nearest(X, P), 3).double()
    gaps = [(cl.soft_assignments(X, P, beta) - hard).abs().max().item() for beta in (0.1, 1.0, 10.0, 100.0, 1000.0)]
    assert all(a >= b for a, b in zip(gaps, gaps[1:]))          # monotone
    assert gaps[0] > 0.3 and gaps[-1] < 1e-6
    assert torch.allclose(cl.soft_assignments(X, P, 1e-9), torch.full((len(X), 3), 1 / 3, dtype=torch.float64), atol=1e-6)
    # and the energy tends to half the squared distance to the nearest prototype
    near = (X[:, None] - P[None]).square().sum(-1).min(-1).values / 2
    assert torch.allclose(cl.energy(X, P, 1e4), near, atol=1e-3)


def test_no_mask_loss_is_scaled_kmeans_objective_at_large_beta():
    X, _, C = blobs()
    P = C + torch.tensor([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]], dtype=torch.float64)
    factor = cl.identity_factor(0.1, 10)
    assert factor == pytest.approx((1 - 0.9**10) ** 2)
    loss = cl.completion_loss(X, P, beta=200.0)
    assert loss.item() == pytest.approx(factor * cl.kmeans_objective(X, P).item(), rel=1e-12)
    # the gradients agree too (autograd on both sides): the no-mask training is k-means gradient descent
    Pg = P.clone().requires_grad_(True)
    g1, = torch.autograd.grad(cl.completion_loss(X, Pg, beta=200.0), Pg)
    Pg = P.clone().requires_grad_(True)
    g2, = torch.autograd.grad(cl.kmeans_objective(X, Pg), Pg)
    assert torch.allclose(g1, factor * g2, atol=1e-10)
    # at small beta the identity fails: the check is not vacuous
    assert abs(cl.completion_loss(X, P, beta=0.05).item() / (factor * cl.kmeans_objective(X, P).item()) - 1) > 0.1


def test_masked_loss_scores_only_masked_coordinates():
    X, _, C = blobs()
    move = torch.zeros_like(X)
    assert cl.completion_loss(X, C, 1.0, move=move).item() == 0.0
    move[:, 0] = 1
    loss = cl.completion_loss(X, C, 1.0, move=move, fill=torch.zeros(2))
    assert loss.item() > 0


def test_fit_recovers_separated_blobs_and_matches_the_grid():
    X, labels, C = blobs()
    for mask in (True, False):
        models = [cl.fit(X, 3, mask=mask, seed=s, lr=0.1, epochs=10) for s in range(3)]
        assert all(m.labels.shape == (90,) and m.prototypes.shape == (3, 2) for m in models)
        # random data points as the starting prototypes: one seed may start two in one blob (a k-means-like local minimum)
        assert max(cl.ari(labels, m.labels) for m in models) == pytest.approx(1.0)
    grid = cl.fit_grid(X, 3, betas=[1.1, 2.4], lrs=[0.1], fills=["max"], seeds=[0, 1], epochs=5)
    one = cl.fit(X, 3, beta=2.4, lr=0.1, fill="max", seed=1, epochs=5)
    assert torch.allclose(grid.get(1, 1).prototypes, one.prototypes, atol=1e-12)
    assert grid.get(1, 1).config == one.config


def test_no_mask_prototypes_approach_the_kmeans_centroids():
    X, labels, C = blobs()
    model = cl.fit(X, 3, mask=False, beta=20.0, lr=0.05, epochs=30, seed=0)
    km = cl.kmeans(X, 3, n_init=10)
    order = cl.nearest(km.prototypes, model.prototypes)
    assert torch.equal(order.sort().values, torch.arange(3))
    assert (model.prototypes[order] - km.prototypes).norm(dim=1).max() < 0.1


def test_select_skips_dead_prototypes_and_kmeans_restarts():
    X, labels, C = blobs()
    good = cl.kmeans(X, 3, n_init=5)
    dead = cl.Clustering(torch.where(labels == 2, 1, labels), torch.cat([C[:2], C[:1] + 100]))
    chosen, score = cl.select(X, [dead, good])
    assert chosen is good and score == pytest.approx(cl.silhouette(X, good.labels))
    assert cl.silhouette(X, dead.labels) > -1  # it is a valid 2-cluster solution, only skipped
    with pytest.raises(ValueError, match="no candidate"):
        cl.select(X, [dead])
    tiny = cl.Clustering(torch.where(torch.arange(90) < 2, 2, labels.clamp(max=1)), C)  # a 2-point cluster
    assert cl.select(X, [tiny, good])[0] is tiny or cl.silhouette(X, good.labels) >= cl.silhouette(X, tiny.labels)
    assert cl.select(X, [tiny, good], min_size=5)[0] is good
    assert len(cl.kmeans_restarts(X, 3, restarts=4)) == 4
    assert cl.silhouette(X, torch.zeros(90, dtype=torch.long)) == -1.0


def test_datasets_are_standardised():
    for name in data.DATASETS[:3]:
        X, y, k = data.load(name)
        assert X.shape[0] == y.shape[0] and k == len(torch.unique(y))
        assert torch.allclose(X.mean(0), torch.zeros(X.shape[1], dtype=torch.float64), atol=1e-12)
        assert torch.allclose(X.std(0, unbiased=False), torch.ones(X.shape[1], dtype=torch.float64), atol=1e-12)
    X2, _, _ = data.two_dimensional()
    assert X2.shape == (150, 2)
    with pytest.raises(ValueError, match="name"):
        data.load("mnist")


@pytest.mark.parametrize("call, error, match", [
    (lambda X: cl.fit(X[:, 0], 3), ValueError, "X must have 2"),
    (lambda X: cl.fit(X, 0), ValueError, "k must be"),
    (lambda X: cl.fit(X[:2], 3), ValueError, "at least k = 3 rows"),
    (lambda X: cl.fit(X, 3, beta=-1.0), ValueError, "beta"),
    (lambda X: cl.fit(X, 3, fill="median"), ValueError, "fill"),
    (lambda X: cl.fit(X, 3, mask_prob=1.5), ValueError, "mask_prob"),
    (lambda X: cl.fit(X, 3, seed=-1), ValueError, "seed"),
    (lambda X: cl.fit(X, 3, mask="yes"), TypeError, "mask"),
    (lambda X: cl.fit(X, 3.0), TypeError, "k must be an integer"),
    (lambda X: cl.fit(np.full((5, 2), np.nan), 2), ValueError, "finite"),
    (lambda X: cl.kmeans(X, 3, n_init=0), ValueError, "n_init"),
    (lambda X: cl.dynamics(X, torch.zeros(3, 5), 1.0), ValueError, "D = 2"),
])
def test_bad_input_fails_at_the_boundary(call, error, match):
    X, _, _ = blobs(n_per=4)
    with pytest.raises(error, match=match):
        call(X)
