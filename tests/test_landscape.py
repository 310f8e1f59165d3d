import pytest
import torch

from assocmem import data, landscape, memory, train


def test_authors_parameterisation_with_identity_unembeddings():
    W = landscape.to_memory(torch.tensor([3.0, -1.0]), torch.eye(2))
    assert torch.allclose(W, 0.5 * torch.tensor([[3.0, -1.0], [-3.0, 1.0]], dtype=torch.float64))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gamma_is_the_score_difference_and_round_trips(seed):
    E, U = data.embedding_pair(7, 2, 2, seed)
    gamma = torch.randn(5, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    W = landscape.to_memory(gamma, U)
    s = memory.scores(W, E, U)
    assert torch.allclose(s[..., 0] - s[..., 1], gamma @ E.T, atol=1e-12)
    assert torch.allclose(landscape.to_gamma(W, U), gamma, atol=1e-12)


def test_grid_values_match_pointwise_evaluation():
    E, U = data.two_token_embeddings(0.5)
    p, t = data.two_token_freqs(0.75), data.targets(2)
    land = landscape.evaluate(E, U, p, t, (-1, 1), (-2, 3), num=7, with_sharpness=True)
    i, j = 2, 5
    W = landscape.to_memory(torch.stack([land.g0[j], land.g1[i]]), U)
    assert land.loss[i, j].item() == pytest.approx(memory.loss(W, E, U, p, t).item(), rel=1e-14)
    assert land.zero_one[i, j].item() == memory.zero_one_loss(W, E, U, p, t).item()
    assert land.sharpness[i, j].item() == pytest.approx(memory.sharpness(W, E, U, p, t).item(), rel=1e-12)


def test_gd_projects_onto_gamma_and_moves_along_the_gamma_gradient():
    E, U = data.two_token_embeddings(0.95)
    p, t = data.two_token_freqs(0.75), data.targets(2)
    run = train.gd(E, U, p, t, 1.0, steps=3, store_W=True)
    gammas = landscape.project(run.W, U)
    assert gammas.shape == (1, 4, 2)
    # Loss as a function of gamma; with U = I, |u_0 - u_1|^2 = 2 scales GD on W to 2 x GD on gamma.
    g = gammas[0, 0].clone().requires_grad_(True)
    memory.loss(landscape.to_memory(g, U), E, U, p, t).backward()
    assert torch.allclose(gammas[0, 1], gammas[0, 0] - 2.0 * g.grad, atol=1e-12)


def test_bad_landscape_input():
    with pytest.raises(ValueError, match="U must have M = 2 rows"):
        landscape.to_memory(torch.zeros(2), torch.eye(3))
    with pytest.raises(ValueError, match="xlim must be"):
        landscape.grid((1, -1), (0, 1))
    E, U = data.embedding_pair(4, 2, 3, 0)
    with pytest.raises(ValueError, match="d = 2 columns"):
        landscape.evaluate(E, U, data.zipf(4), data.targets(4, "mod", 2), (-1, 1), (-1, 1))
