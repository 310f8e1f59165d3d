"""The induction-head task: a global bigram law with sequence-specific trigger outputs (assocmem.tasks.induction)."""

import math

import pytest
import torch

from assocmem.tasks import induction as induction_data


@pytest.fixture(scope="module")
def law():
    return induction_data.bigram_model(vocab_size=20, num_triggers=3, seed=4)


@pytest.fixture(scope="module")
def batch(law):
    return induction_data.sample(law, batch_size=16, seq_len=40, seed=7)


def test_bigram_law(law):
    assert law.unigram.shape == (20,) and law.transitions.shape == (20, 20)
    assert torch.allclose(law.transitions.sum(1), torch.ones(20, dtype=torch.float64))
    assert torch.equal(law.triggers, torch.arange(3))  # the most frequent tokens
    assert (law.unigram[:-1] > law.unigram[1:]).all()
    assert law.output_law[law.triggers].eq(0).all() and math.isclose(law.output_law.sum().item(), 1.0)
    sampled = induction_data.bigram_model(vocab_size=20, num_triggers=6, triggers="sampled", seed=1)
    assert sampled.triggers.unique().numel() == 6


def test_batch_shapes_and_shift(batch):
    assert batch.tokens.shape == batch.targets.shape == batch.mask.shape == (16, 40)
    assert batch.outputs.shape == (16, 3)
    assert batch.tokens.dtype == torch.int64 and batch.mask.dtype == torch.bool
    assert torch.equal(batch.targets[:, :-1], batch.tokens[:, 1:])


def test_triggers_followed_by_the_sequences_output(law, batch):
    seen = 0
    for j, trigger in enumerate(law.triggers.tolist()):
        where = batch.tokens == trigger
        expected = batch.outputs[:, j : j + 1].expand(-1, 40)
        assert torch.equal(batch.targets[where], expected[where])
        seen += int(where.sum())
    assert seen > 50
    assert not torch.isin(batch.outputs, law.triggers).any()
    assert batch.outputs.unique().numel() > 3  # outputs vary across sequences


def test_mask_marks_second_and_later_occurrences(law, batch):
    expected = torch.zeros_like(batch.mask)
    for b in range(batch.tokens.shape[0]):
        counts = {}
        for t, z in enumerate(batch.tokens[b].tolist()):
            if z in law.triggers.tolist():
                counts[z] = counts.get(z, 0) + 1
                expected[b, t] = counts[z] >= 2
    assert torch.equal(batch.mask, expected)
    assert batch.mask.any()


def test_seed_reproducibility(law):
    a = induction_data.sample(law, 8, 30, seed=5)
    b = induction_data.sample(law, 8, 30, seed=5)
    c = induction_data.sample(law, 8, 30, seed=6)
    assert torch.equal(a.tokens, b.tokens) and torch.equal(a.outputs, b.outputs)
    assert not torch.equal(a.tokens, c.tokens)
    again = induction_data.bigram_model(vocab_size=20, num_triggers=3, seed=4)
    assert torch.equal(again.transitions, law.transitions)
    assert not torch.equal(induction_data.bigram_model(vocab_size=20, num_triggers=3, seed=5).transitions, law.transitions)


def test_bigram_statistics():
    """Away from triggers, empirical transitions follow the drawn rows."""
    law = induction_data.bigram_model(vocab_size=6, num_triggers=1, seed=0)
    b = induction_data.sample(law, 2000, 20, seed=0)
    prev, nxt = b.tokens.flatten(), b.targets.flatten()
    keep = prev == 3
    empirical = torch.bincount(nxt[keep], minlength=6).double() / keep.sum()
    assert (empirical - law.transitions[3]).abs().max() < 0.03


# ---------------------------------------------------------------- bad laws fail at the boundary


def _law_with(law, **changes):
    fields = dict(unigram=law.unigram, transitions=law.transitions, triggers=law.triggers, seed=law.seed) | changes
    return induction_data.BigramModel(**fields)


def test_sample_rejects_unnormalised_transitions(law):
    bad = _law_with(law, transitions=2.0 * law.transitions)
    with pytest.raises(ValueError, match="transitions must sum to 1|rows of transitions must sum to 1|every row of transitions"):
        induction_data.sample(bad, 4, 10)


def test_sample_rejects_nan_transitions(law):
    transitions = law.transitions.clone()
    transitions[2, 3] = float("nan")
    with pytest.raises(ValueError, match="transitions must be finite"):
        induction_data.sample(_law_with(law, transitions=transitions), 4, 10)


def test_sample_rejects_negative_unigram(law):
    unigram = law.unigram.clone()
    unigram[0], unigram[1] = -0.1, unigram[1] + unigram[0] + 0.1
    with pytest.raises(ValueError, match="unigram must be non-negative"):
        induction_data.sample(_law_with(law, unigram=unigram), 4, 10)


def test_sample_rejects_out_of_range_triggers(law):
    with pytest.raises(ValueError, match="triggers must be distinct tokens"):
        induction_data.sample(_law_with(law, triggers=torch.tensor([0, 25])), 4, 10)


def test_a_valid_law_passes_the_check(law):
    assert induction_data.check_law(law) is law
