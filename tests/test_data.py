import math

import pytest
import torch

from assocmem import data

# torch.manual_seed(43); torch.randn(3, 4); torch.randn(2, 4) on the CPU generator (torch 2.x).
REFERENCE_E = [
    [-0.6484010815620422, -0.7058414220809937, 0.6432183980941772, 1.4787991046905518],
    [1.1918498277664185, -0.14461655914783478, 0.48471593856811523, 0.6921041011810303],
    [-1.3928877115249634, 0.7622734308242798, 0.8387092351913452, -1.0449841022491455],
]
REFERENCE_U = [
    [1.1096892356872559, 0.3952631652355194, 1.1804423332214355, -0.898910641670227],
    [-0.8312972784042358, 0.46801498532295227, 2.270014524459839, 0.07434491813182831],
]


def _unit(rows):
    t = torch.tensor(rows, dtype=torch.float64)
    return t / t.norm(dim=1, keepdim=True)


def test_sphere_embeddings_reproduce_the_checked_in_draw():
    E = data.sphere_embeddings(3, 4, seed=43)
    assert E.dtype == torch.float64
    assert torch.allclose(E, _unit(REFERENCE_E), atol=1e-7)


def test_embedding_pair_draws_E_then_U_after_one_seeding():
    E, U = data.embedding_pair(3, 2, 4, seed=43)
    assert torch.allclose(E, _unit(REFERENCE_E), atol=1e-7)
    assert torch.allclose(U, _unit(REFERENCE_U), atol=1e-7)


def test_drawing_embeddings_leaves_the_global_generator_alone():
    torch.manual_seed(1)
    expected = torch.rand(3)
    torch.manual_seed(1)
    data.sphere_embeddings(10, 5, seed=3)
    assert torch.equal(torch.rand(3), expected)


def test_sphere_rows_have_unit_norm():
    E = data.sphere_embeddings(50, 7, seed=0)
    assert torch.allclose(E.norm(dim=1), torch.ones(50, dtype=torch.float64), atol=1e-12)


def test_zipf():
    p = data.zipf(4, 1.0)
    harmonic = 1 + 1 / 2 + 1 / 3 + 1 / 4
    assert torch.allclose(p, torch.tensor([1, 1 / 2, 1 / 3, 1 / 4], dtype=torch.float64) / harmonic)
    assert torch.allclose(data.zipf(5, 0.0), torch.full((5,), 0.2, dtype=torch.float64))
    assert data.zipf(3, 2.0)[2].item() == pytest.approx((1 / 9) / (1 + 1 / 4 + 1 / 9))


def test_targets():
    assert data.targets(4).tolist() == [0, 1, 2, 3]
    assert data.targets(5, "mod", 2).tolist() == [0, 1, 0, 1, 0]


def test_two_token_embeddings():
    E, U = data.two_token_embeddings(0.6)
    assert torch.allclose(E, torch.tensor([[1.0, 0.0], [0.6, 0.8]], dtype=torch.float64))
    assert torch.equal(U, torch.eye(2, dtype=torch.float64))
    assert (E[0] @ E[1]).item() == pytest.approx(0.6)
    assert data.two_token_embeddings(1.0)[0][1].tolist() == [1.0, 0.0]


def test_orthonormal_embeddings():
    E = data.orthonormal_embeddings(3, 5)
    assert torch.equal(E @ E.T, torch.eye(3, dtype=torch.float64))


def test_two_token_freqs():
    assert data.two_token_freqs(0.75).tolist() == [0.75, 0.25]
    assert math.isclose(data.two_token_freqs(0.3).sum().item(), 1.0)
