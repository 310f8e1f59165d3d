"""Small ListOps Transformers (assocmem.models.listops): shapes, ablations, probes, training, bad input."""

import math

import pytest
import torch

from assocmem.models import listops as M
from assocmem.tasks import listops as lo


@pytest.fixture(scope="module")
def data():
    return lo.sample("all", 64, seed=0, nest=0.5)


@pytest.fixture(scope="module")
def model():
    return M.build(dim=8, layers=2, heads=2, mult=2, seed=0)


def test_shapes_and_parameter_count(model, data):
    logits = model(data.tokens)
    assert logits.shape == (64, 10) and torch.isfinite(logits).all()
    d, m, V, T = 8, 16, len(lo.VOCAB), lo.max_length(2)
    block = 2 * 2 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * m + m) + (m * d + d)
    assert M.parameter_count(model) == V * d + T * d + 2 * block + 2 * d + 10 * d + 10


def test_padding_does_not_change_the_output(model, data):
    extra = torch.cat([data.tokens, torch.zeros(64, 1, dtype=torch.int64)], 1)
    assert torch.allclose(model(extra), model(data.tokens), atol=1e-5)


def test_ablations_zero_the_right_component(model, data):
    record = {}
    model(data.tokens, record=record)
    assert len(record["attention"]) == 2 and record["attention"][0].abs().sum() > 0
    # by hand: the forward pass with a component removed from every block
    pad = data.tokens == lo.PAD
    for part in ("attention", "feedforward"):
        x = model.embed(data.tokens) + model.position.weight[: data.tokens.shape[1]]
        for b in model.blocks:
            h = x if part == "attention" else x + b.attention(b.norm1(x), pad)
            x = h if part == "feedforward" else h + b.ff(b.norm2(h))
        keep = (~pad).unsqueeze(-1).float()
        expected = model.readout(model.norm((x * keep).sum(1) / keep.sum(1)))
        assert torch.allclose(model(data.tokens, ablate=part), expected, atol=1e-5), part
        assert not torch.allclose(model(data.tokens, ablate=part), model(data.tokens), atol=1e-3), part
    # zeroing the feed-forward weights of every block is the feed-forward ablation
    clone = M.build(dim=8, layers=2, seed=0)
    clone.load_state_dict(model.state_dict())
    for b in clone.blocks:
        torch.nn.init.zeros_(b.ff[2].weight), torch.nn.init.zeros_(b.ff[2].bias)
    assert torch.allclose(clone(data.tokens), model(data.tokens, ablate="feedforward"), atol=1e-6)


def test_a_tiny_model_learns_max_deterministically():
    torch.set_num_threads(1)
    run = M.train("MAX", dim=8, steps=60, train_size=200, test_size=200, seed=0, lr=2e-2, show=False)
    assert run.test_accuracy > 0.6  # MAX of 3-5 digits: far above the 10 % of chance
    again = M.train("MAX", dim=8, steps=60, train_size=200, test_size=200, seed=0, lr=2e-2, show=False)
    assert again.test_accuracy == run.test_accuracy  # seeded and deterministic


def test_digit_order_probe():
    model = M.build(dim=8, seed=0)
    with torch.no_grad():
        line = torch.linspace(-1, 1, 10)[:, None] * torch.randn(8)[None] + 0.01 * torch.randn(10, 8)
        model.embed.weight[lo.DIGIT0:lo.DIGIT0 + 10] = line
    assert M.digit_order(model) > 0.99
    with torch.no_grad():
        model.embed.weight[lo.DIGIT0:lo.DIGIT0 + 10] = line[torch.tensor([3, 8, 1, 6, 0, 9, 4, 2, 7, 5])]
    assert M.digit_order(model) < 0.5


def test_attribution_and_share(model, data):
    out = M.attribution(model, data)
    assert math.isclose(out["attention_drop"], out["intact"] - out["attention"])
    assert 0.0 < M.component_share(model, data) < 1.0


def test_smallest_reaching():
    rows = [{"condition": "a", "params": p, "test_accuracy": acc} for p, acc in
            [(10, 0.5), (10, 0.95), (20, 0.91), (20, 0.93), (30, 0.2), (30, 0.99)]]
    assert M.smallest_reaching(rows, "a", 0.9) == 20
    assert M.smallest_reaching(rows, "a", 0.9, rule="any") == 10
    assert M.smallest_reaching(rows, "a", 0.999) == math.inf


@pytest.mark.parametrize("kwargs, match", [({"dim": 9, "heads": 2}, "divisible"), ({"dim": 0}, "dim"),
                                           ({"layers": 0}, "layers"), ({"mult": 1.5}, "mult")])
def test_bad_construction(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        M.ListOpsTransformer(**kwargs)


def test_bad_forward_input(model, data):
    with pytest.raises(TypeError, match="tokens"):
        model(data.tokens.float())
    with pytest.raises(TypeError, match="tokens"):
        model(data.tokens[0])
    with pytest.raises(ValueError, match="ids"):
        model(data.tokens + 100)
    with pytest.raises(ValueError, match="seq_len"):
        model(torch.ones(2, 40, dtype=torch.int64))
    with pytest.raises(ValueError, match="ablate"):
        model(data.tokens, ablate="mlp")
    with pytest.raises(ValueError, match="ops"):
        M.train("PROD", dim=8, steps=1)


def test_digit_order_is_spearman():
    from scipy.stats import spearmanr

    for seed in range(3):
        model = M.build(dim=8, seed=seed)
        E = model.embed.weight.detach()[lo.DIGIT0:lo.DIGIT0 + 10].double()
        E = E - E.mean(0)
        pc = torch.linalg.svd(E, full_matrices=False)[2][0]
        assert math.isclose(M.digit_order(model), abs(spearmanr(range(10), (E @ pc).numpy()).statistic), abs_tol=1e-12)


def test_train_continues_a_given_model_and_pretraining_records():
    torch.set_num_threads(1)
    base = M.train("MAX", dim=8, steps=40, train_size=200, test_size=100, seed=0, lr=2e-2, show=False)
    before = {k: v.clone() for k, v in base.model.state_dict().items()}
    tuned = M.train("SUM", dim=8, steps=5, train_size=200, test_size=100, seed=0, model=base.model, show=False)
    assert tuned.model is base.model and any(not torch.equal(before[k], v) for k, v in tuned.model.state_dict().items())
    out = M.pretrain_then_sum(8, seed=0, pretrain_steps=5, sum_steps=5, train_size=100, test_size=50)
    assert {"scratch", "scratch_equal_steps", "pretrained", "pretrain_accuracy", "params"} <= set(out)
    assert out["params"] == M.parameter_count(M.build(8))
