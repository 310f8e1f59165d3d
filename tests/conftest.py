import pytest
import torch

from assocmem import data

# The unit tests work on small tensors, where a second intra-op thread only adds synchronisation:
# on a busy 2-core machine a 2x2 gradient-descent run of 1000 steps took 10-24 s with two threads and
# 0.8 s with one. (Tests of the thread context itself set and restore their own counts.)
torch.set_num_threads(1)


@pytest.fixture
def problem():
    """A small correlated problem: N = 6 inputs, M = 4 outputs, d = 3, x mod 4 targets."""
    E, U = data.embedding_pair(6, 4, 3, seed=5)
    return E, U, data.zipf(6, 1.0), data.targets(6, "mod", 4)


@pytest.fixture
def random_W():
    return torch.randn(3, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
