import pytest
import torch

from assocmem import data


@pytest.fixture
def problem():
    """A small correlated problem: N = 6 inputs, M = 4 outputs, d = 3, x mod 4 targets."""
    E, U = data.embedding_pair(6, 4, 3, seed=5)
    return E, U, data.zipf(6, 1.0), data.targets(6, "mod", 4)


@pytest.fixture
def random_W():
    return torch.randn(3, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
