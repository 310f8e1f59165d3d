"""The chapter module of "Inside a small Transformer" (assocmem.chapters.transformers.induction_head)."""

import math

import numpy as np
import torch

from assocmem import transformer as T
from assocmem.chapters.transformers import induction_head as chapter


def _run(L=5, V=12):
    """A hand-made run with 2 step sizes and L logged steps."""
    steps = np.arange(0, 10 * L, 10)
    margins_O2 = torch.full((2, L, V), -1.0)
    margins_O2[:, 2:, 5:] = 1.0  # all outputs recalled from logged index 2 (step 20)
    margins_K2 = torch.full((2, L, V), -1.0)
    margins_K2[:, 3:, :4] = 1.0  # 4 of the 5 triggers from index 3 (step 30)
    previous = torch.tensor([[0.1, 0.2, 0.3, 0.6, 0.7], [0.1, 0.1, 0.1, 0.1, 0.1]])
    eval_loss = torch.tensor([[4.0, 3.0, 3.5, 2.0, 2.1], [4.0, 3.9, 3.8, 3.7, 3.6]])
    zeros = torch.zeros(2, L)
    return T.TransformerRun(torch.tensor([1.0, 2.0]), steps, zeros, zeros, margins_O2, margins_K2, zeros[:, 0], zeros[:, 0], {},
                            eval_loss=eval_loss, eval_accuracy=zeros, previous_token=previous, positional_recall=zeros)


def test_spike_heights_are_the_largest_rise_of_the_held_out_loss():
    heights = chapter.spike_heights(_run())
    assert torch.allclose(heights, torch.tensor([0.5, -0.1]))


def test_formation_steps():
    run = _run()
    assert chapter.formation_step(run, 0) == {"W_O2": 20.0, "W_K1": 30.0, "W_K2": 30.0}
    late = chapter.formation_step(run, 1)
    assert late["W_O2"] == 20.0 and math.isinf(late["W_K1"])
    assert chapter.formation_step(run, 0, previous=0.3)["W_K1"] == 20.0


def test_network_diagram_draws_without_data():
    fig = chapter.draw_network()
    assert len(fig.axes) == 1 and not fig.axes[0].axison
