"""The two-particle chapter's figure code (assocmem.chapters.learning.two_particles)."""

import pytest
import torch

from assocmem import two_particles as tp
from assocmem.chapters.learning import two_particles as chapter


def test_heatmaps_refuse_an_unknown_axis():
    with pytest.raises(ValueError, match="over must be one of"):
        chapter.draw_time_heatmaps(*tp.paper_grid(), torch.ones(10, 10, 10), over="eta")
