"""The two-layer attention-only Transformer (assocmem.models.transformer, re-exported as assocmem.transformer)."""

import math

import pytest
import torch

from assocmem import data, memory
from assocmem import transformer as T
from assocmem.tasks import induction as induction_data


@pytest.fixture(scope="module")
def law():
    return induction_data.bigram_model(vocab_size=20, num_triggers=3, seed=4)


@pytest.fixture(scope="module")
def batch(law):
    return induction_data.sample(law, batch_size=16, seq_len=40, seed=7)


@pytest.fixture(scope="module")
def net():
    return T.random_network(vocab_size=20, dim=8, max_len=40, seed=3)


# ---------------------------------------------------------------- model


def _zeros(S=1, d=8):
    return {n: torch.zeros(S, d, d, dtype=torch.float64) for n in T.MEMORIES}


def test_forward_shapes_and_zero_memories(net, batch):
    logits = T.forward(net, _zeros(), batch.tokens)
    assert logits.shape == (1, 16, 40, 20)
    # With all memories at zero, attention is uniform over the prefix.
    x = net.E[batch.tokens] + net.P[:40]
    mean_prefix = x.cumsum(1) / torch.arange(1, 41, dtype=torch.float64)[:, None]
    h1 = x + mean_prefix @ net.W_V1.T @ net.W_O1.T
    assert torch.allclose(logits[0], h1 @ net.U.T, atol=1e-12)


def test_causal(net, batch):
    params = {n: 0.3 * torch.randn(1, 8, 8, generator=torch.Generator().manual_seed(i), dtype=torch.float64) for i, n in enumerate(T.MEMORIES)}
    tokens = batch.tokens.clone()
    a = T.forward(net, params, tokens)
    tokens[:, 25:] = (tokens[:, 25:] + 1) % 20
    b = T.forward(net, params, tokens)
    assert torch.allclose(a[:, :, :25], b[:, :, :25], atol=1e-12)
    assert not torch.allclose(a[:, :, 25:], b[:, :, 25:])


def test_wo2_gradient_is_a_linear_memory_gradient(net, batch):
    """With W_K^1, W_K^2 fixed, the loss is a linear memory on fixed features f: closed-form gradient."""
    g = torch.Generator().manual_seed(0)
    params = {"W_K1": 0.5 * torch.randn(1, 8, 8, generator=g, dtype=torch.float64),
              "W_K2": 0.5 * torch.randn(1, 8, 8, generator=g, dtype=torch.float64),
              "W_O2": torch.randn(1, 8, 8, generator=g, dtype=torch.float64)}
    zero = dict(params, W_O2=torch.zeros(1, 8, 8, dtype=torch.float64))
    eye = dict(params, W_O2=torch.eye(8, dtype=torch.float64)[None])
    h1 = T.hidden(net, zero, batch.tokens)[0][batch.mask]
    f = T.hidden(net, eye, batch.tokens)[0][batch.mask] - h1  # attention output of layer 2, (n, d)
    y = batch.targets[batch.mask]
    probs = torch.softmax((h1 + f @ params["W_O2"][0].T) @ net.U.T, -1)
    residual = probs - torch.nn.functional.one_hot(y, 20).double()
    closed = net.U.T @ residual.T @ f / y.numel()  # sum_i U^T (p_i - e_{y_i}) f_i^T / n
    W = params["W_O2"].clone().requires_grad_(True)
    loss, _ = T.induction_loss(net, dict(params, W_O2=W), batch)
    (auto,) = torch.autograd.grad(loss.sum(), W)
    assert torch.allclose(auto[0], closed, atol=1e-12)


def test_key_gradient_finite_differences(net, batch):
    g = torch.Generator().manual_seed(1)
    params = {n: 0.5 * torch.randn(1, 8, 8, generator=g, dtype=torch.float64) for n in T.MEMORIES}
    direction = torch.randn(1, 8, 8, generator=g, dtype=torch.float64)
    for name in ("W_K1", "W_K2"):
        W = params[name].clone().requires_grad_(True)
        loss, _ = T.induction_loss(net, dict(params, **{name: W}), batch)
        (grad,) = torch.autograd.grad(loss.sum(), W)
        eps = 1e-5
        plus = T.induction_loss(net, dict(params, **{name: params[name] + eps * direction}), batch)[0]
        minus = T.induction_loss(net, dict(params, **{name: params[name] - eps * direction}), batch)[0]
        assert abs(((plus - minus) / (2 * eps)).item() - (grad * direction).sum().item()) < 1e-7


def test_one_sgd_step_from_zero(law):
    """From zero, one SGD step on W_O^2 is W_1 = -eta grad on the first shared batch, for every eta."""
    run = T.train([1.0, 3.0], steps=1, vocab_size=20, num_triggers=3, dim=8, seq_len=40, batch_size=16, seed=4, show=False)
    net = T.random_network(20, 8, 40, seed=4)
    first = next(T.batches(law, 16, 40, 1, seed=5))
    W = torch.zeros(1, 8, 8, dtype=torch.float64, requires_grad=True)
    loss, _ = T.induction_loss(net, dict(_zeros(), W_O2=W), first)
    (grad,) = torch.autograd.grad(loss.sum(), W)
    assert torch.allclose(run.params["W_O2"], -torch.tensor([1.0, 3.0], dtype=torch.float64)[:, None, None] * grad, atol=1e-12)
    assert math.isclose(run.loss[0, 0].item(), loss.item(), rel_tol=1e-12)


def test_frozen_memories_stay_frozen():
    g = torch.Generator().manual_seed(2)
    K1 = torch.randn(8, 8, generator=g, dtype=torch.float64)
    run = T.train([5.0, 10.0], steps=3, trainable=("W_O2",), init={"W_K1": K1}, vocab_size=20, num_triggers=3,
                  dim=8, seq_len=20, batch_size=8, show=False)
    assert torch.equal(run.params["W_K1"][0], K1)
    assert torch.equal(run.params["W_K2"], torch.zeros(1, 8, 8, dtype=torch.float64))
    assert run.params["W_O2"].shape == (2, 8, 8) and run.params["W_O2"].abs().sum() > 0
    assert torch.equal(run.margins_K2[:, 0], run.margins_K2[:, -1])  # W_K2 never moved
    everything = T.train([5.0], steps=3, trainable=T.MEMORIES, vocab_size=20, num_triggers=3, dim=8, seq_len=20, batch_size=8, show=False)
    assert all(everything.params[n].abs().sum() > 0 for n in T.MEMORIES)


def test_run_logs(law):
    run = T.train([2.0, 4.0, 8.0], steps=5, log_every=2, vocab_size=20, num_triggers=3, dim=8, seq_len=20, batch_size=8, show=False)
    assert list(run.steps) == [0, 2, 4]
    assert run.loss.shape == run.accuracy.shape == (3, 3)
    assert run.margins_O2.shape == run.margins_K2.shape == (3, 3, 20)
    assert torch.allclose(run.loss[:, 0], run.loss[0, 0].expand(3))  # same start, same data
    assert ((run.accuracy >= 0) & (run.accuracy <= 1)).all()


def test_probe_margins_match_memory_module(net):
    g = torch.Generator().manual_seed(3)
    params = {n: torch.randn(2, 8, 8, generator=g, dtype=torch.float64) for n in ("W_O2", "W_K2")}
    probes = T.probe_margins(net, params)
    features = net.E @ net.W_V2.T  # rows W_V2 e_b
    uniform, identity = torch.full((20,), 1 / 20, dtype=torch.float64), data.targets(20)
    assert torch.allclose(probes["W_O2"], memory.margins(params["W_O2"], features, net.U, uniform, identity), atol=1e-12)
    k, j = 4, 7
    s = lambda a, b: net.E[a] @ params["W_K2"][1] @ net.W_O1 @ net.W_V1 @ net.E[b]
    others = max(s(k, b).item() for b in range(20) if b != k)
    assert math.isclose(probes["W_K2"][1, k].item(), s(k, k).item() - others, rel_tol=1e-10)


def test_wo2_learns(law):
    run = T.train([50.0], steps=40, vocab_size=20, num_triggers=3, dim=16, seq_len=40, batch_size=32, show=False)
    assert run.final_loss[0] < run.loss[0, 0] - 0.1
    assert run.final_accuracy[0] > run.accuracy[0, 0] + 0.05


# ---------------------------------------------------------------- bad input


def test_bad_input(law, net):
    with pytest.raises(ValueError, match="seq_len"):
        induction_data.sample(law, 4, 1)
    with pytest.raises(ValueError, match="seq_len"):
        T.train(1.0, steps=1, seq_len=1)
    with pytest.raises(ValueError, match="num_triggers"):
        induction_data.bigram_model(vocab_size=5, num_triggers=5)
    with pytest.raises(ValueError, match="trainable"):
        T.train(1.0, steps=1, trainable=("W_Q1",))
    with pytest.raises(ValueError, match="memory name"):
        T.train(1.0, steps=1, init={"W_V9": torch.zeros(32, 32)})
    with pytest.raises(ValueError, match="step_size"):
        T.train([1.0, 0.0], steps=1)
    with pytest.raises(ValueError, match="step_size"):
        T.train(-2.0, steps=1)
    with pytest.raises(ValueError, match="sequence length"):
        T.forward(net, _zeros(), torch.zeros(2, 1, dtype=torch.int64))
    with pytest.raises(TypeError, match="tokens"):
        T.forward(net, _zeros(), torch.zeros(2, 5))
    with pytest.raises(ValueError, match="experiment"):
        T.settings("c")
    with pytest.raises(TypeError, match="BigramModel"):
        induction_data.sample("law", 4, 10)


def test_sgd_step_matches_train(law):
    net = T.random_network(20, 8, 20, seed=0)
    first = next(T.batches(induction_data.bigram_model(20, 3, seed=0), 8, 20, 1, seed=1))
    eta = torch.tensor([0.5, 2.0], dtype=torch.float64)
    params = T.init_params(net, T.MEMORIES, 2)
    T.sgd_step(net, params, T.MEMORIES, eta, first)
    run = T.train(eta, steps=1, trainable=T.MEMORIES, vocab_size=20, num_triggers=3, dim=8, seq_len=20, batch_size=8, show=False)
    for name in T.MEMORIES:
        assert torch.allclose(params[name].detach(), run.params[name], atol=1e-13)
    assert torch.equal(run.params["W_K2"], torch.zeros(2, 8, 8, dtype=torch.float64))  # no gradient while W_O2 = 0


def test_params_validation(net):
    with pytest.raises(TypeError, match="params"):
        T.forward(net, [torch.zeros(8, 8)], torch.zeros(2, 5, dtype=torch.int64))
    with pytest.raises(ValueError, match="W_O2"):
        T.forward(net, {"W_O2": torch.zeros(7, 7)}, torch.zeros(2, 5, dtype=torch.int64))
    with pytest.raises(ValueError, match="leading"):
        T.forward(net, {"W_O2": torch.zeros(2, 8, 8), "W_K1": torch.zeros(3, 8, 8)}, torch.zeros(2, 5, dtype=torch.int64))
    assert T.forward(net, {"W_O2": torch.zeros(8, 8)}, torch.zeros(2, 5, dtype=torch.int64)).shape == (1, 2, 5, 20)


def test_longest_decrease():
    values = torch.tensor([[0.0, 5.0], [-1.0, 4.0], [-2.0, 3.0], [-1.0, 6.0], [-3.0, 5.0], [-4.0, 7.0], [-5.0, 6.0]])
    assert T.longest_decrease(values).tolist() == [3, 2]
    with pytest.raises(ValueError, match="values"):
        T.longest_decrease(torch.zeros(5))


def test_swap_quartet_cannot_be_separated_with_uniform_attention(net):
    """With W_K^1 = W_K^2 = 0 the last-position logits are additive over (position, token) pairs,
    so rows 0 + 2 equal rows 1 + 3 for any W_O^2; a content-dependent key memory breaks this."""
    tokens, targets = T.swap_quartet(trigger=0, a=5, b=6, filler=7)
    assert tokens.shape == (4, 5) and targets.tolist() == [5, 6, 5, 6]
    assert (tokens[:, -1] == 0).all() and ((tokens[:, :-1] == 0).sum(1) == 1).all()  # second occurrence at the end
    first = (tokens[:, :-1] == 0).int().argmax(1)
    assert torch.equal(tokens[torch.arange(4), first + 1], targets)  # target = token after the first trigger
    g = torch.Generator().manual_seed(5)
    W_O2 = 3.0 * torch.randn(3, 8, 8, generator=g, dtype=torch.float64)
    logits = T.forward(net, {"W_O2": W_O2}, tokens)[:, :, -1]  # (S, 4, V)
    gap = logits[:, 0] + logits[:, 2] - logits[:, 1] - logits[:, 3]
    assert gap.abs().max() < 1e-12 * logits.abs().max()
    margin = logits[:, :, 5] - logits[:, :, 6]  # > 0 means a beats b
    assert ((margin[:, 0] <= 0) | (margin[:, 2] <= 0) | (margin[:, 1] >= 0) | (margin[:, 3] >= 0)).all()
    keyed = {"W_O2": W_O2, "W_K2": 2.0 * torch.randn(1, 8, 8, generator=g, dtype=torch.float64)}
    logits = T.forward(net, keyed, tokens)[:, :, -1]
    assert (logits[:, 0] + logits[:, 2] - logits[:, 1] - logits[:, 3]).abs().max() > 1e-3
    with pytest.raises(ValueError, match="different"):
        T.swap_quartet(0, 5, 5, 7)
    with pytest.raises(ValueError, match="filler"):
        T.swap_quartet(0, 5, 6, -1)
