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
    return T.random_network(vocab_size=20, dim=8, max_len=40, seed=3, dtype=torch.float64)


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
    run = T.train([1.0, 3.0], steps=1, vocab_size=20, num_triggers=3, dim=8, seq_len=40, batch_size=16, seed=4, show=False,
                  dtype="float64")
    net = T.random_network(20, 8, 40, seed=4, dtype=torch.float64)
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
                  dim=8, seq_len=20, batch_size=8, show=False, dtype="float64")
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
    # step_sizes, as on every run object of the package; step_size is its read-only old name
    assert run.step_sizes.tolist() == [2.0, 4.0, 8.0] and run.step_size is run.step_sizes


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
    net = T.random_network(20, 8, 20, seed=0, dtype=torch.float64)
    first = next(T.batches(induction_data.bigram_model(20, 3, seed=0), 8, 20, 1, seed=1))
    eta = torch.tensor([0.5, 2.0], dtype=torch.float64)
    params = T.init_params(net, T.MEMORIES, 2)
    T.sgd_step(net, params, T.MEMORIES, eta, first)
    run = T.train(eta, steps=1, trainable=T.MEMORIES, vocab_size=20, num_triggers=3, dim=8, seq_len=20, batch_size=8, show=False,
                  dtype="float64")
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


# ---------------------------------------------------------------- an independent implementation of eqs (T.1)-(T.4)


def _explicit_logits(net, params, tokens):
    """Eqs (T.1)-(T.4) written position by position, with the causal softmax spelled out (float64, small sizes)."""
    d = net.dim
    W_K1, W_K2, W_O2 = (params[n][0] for n in ("W_K1", "W_K2", "W_O2"))
    out = []
    for z in tokens.tolist():
        x = torch.stack([net.E[zt] + net.P[t] for t, zt in enumerate(z)])
        h1 = []
        for t in range(len(z)):
            scores = torch.stack([x[t] @ W_K1 @ x[s] for s in range(t + 1)]) / math.sqrt(d)
            a = torch.exp(scores - scores.max())
            a = a / a.sum()
            h1.append(x[t] + net.W_O1 @ sum(a[s] * (net.W_V1 @ x[s]) for s in range(t + 1)))
        h1 = torch.stack(h1)
        h2 = []
        for t in range(len(z)):
            scores = torch.stack([h1[t] @ W_K2 @ h1[s] for s in range(t + 1)]) / math.sqrt(d)
            a = torch.exp(scores - scores.max())
            a = a / a.sum()
            h2.append(h1[t] + W_O2 @ sum(a[s] * (net.W_V2 @ h1[s]) for s in range(t + 1)))
        out.append(torch.stack(h2) @ net.U.T)
    return torch.stack(out)


def _nonzero_params(seed=11, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    return {n: scale * torch.randn(1, 8, 8, generator=g, dtype=torch.float64) for n in T.MEMORIES}


def test_forward_matches_the_equations_at_nonzero_keys(net, batch):
    """Large key memories make the scores matter: a wrong scale (1/d instead of 1/sqrt d) or a missing mask fails here."""
    params = _nonzero_params()
    tokens = batch.tokens[:2, :12]
    expected = _explicit_logits(net, params, tokens)
    assert torch.allclose(T.forward(net, params, tokens)[0], expected, atol=1e-10)
    # the attention is far from uniform at these keys, so the score scale changes the logits
    uniform = T.forward(net, dict(params, W_K1=torch.zeros(1, 8, 8, dtype=torch.float64)), tokens)[0]
    assert (uniform - expected).abs().max() > 0.1


def test_loss_and_key_gradients_match_the_equations(net, batch):
    """Autograd through the fused attention (layer 2 at the loss positions only) equals autograd through eqs (T.1)-(T.4)."""
    params = {n: p.requires_grad_(True) for n, p in _nonzero_params(seed=12, scale=2.0).items()}
    rows = batch.mask[:, :16].any(1).nonzero().flatten()[:2]  # two sequences with loss positions in their first 16 tokens
    small = induction_data.Batch(batch.tokens[rows, :16], batch.targets[rows, :16], batch.mask[rows, :16], batch.outputs[rows])
    loss, _ = T.induction_loss(net, params, small)
    logits = _explicit_logits(net, params, small.tokens)[small.mask]
    y = small.targets[small.mask]
    expected = (torch.logsumexp(logits, -1) - logits[torch.arange(y.numel()), y]).mean()
    assert math.isclose(loss.item(), expected.item(), rel_tol=1e-12)
    names = list(T.MEMORIES)
    ours = torch.autograd.grad(loss.sum(), [params[n] for n in names])
    theirs = torch.autograd.grad(expected, [params[n] for n in names])
    for name, a, b in zip(names, ours, theirs):
        assert torch.allclose(a, b, atol=1e-12), name
        assert b.abs().max() > 1e-3, name  # a real gradient, not a zero that any scale would match


def test_float32_default_matches_float64(batch):
    net32 = T.random_network(vocab_size=20, dim=8, max_len=40, seed=3)
    net64 = T.random_network(vocab_size=20, dim=8, max_len=40, seed=3, dtype="float64")
    assert net32.dtype == torch.float32 and net64.dtype == torch.float64
    assert torch.equal(net32.E, net64.E.float())  # the same draws in both precisions
    params = _nonzero_params(seed=13, scale=1.0)
    loss32, _ = T.induction_loss(net32, T.check_params(net32, params), batch)
    loss64, _ = T.induction_loss(net64, T.check_params(net64, params), batch)
    assert loss32.dtype == torch.float32
    assert math.isclose(loss32.item(), loss64.item(), rel_tol=1e-5)


def test_previous_token_probes():
    """A planted W_K^1 = c sum_t rho_t rho_{t-1}^T makes a previous-token head; W_K^1 = 0 gives uniform attention."""
    net = T.random_network(vocab_size=20, dim=64, max_len=16, seed=0, dtype="float64")
    P = net.P / net.P.norm(dim=1, keepdim=True)
    planted = 40.0 * (P[1:].T @ P[:-1])[None]  # sum_t rho_t rho_{t-1}^T, scaled
    tokens = torch.randint(0, 20, (6, 16), generator=torch.Generator().manual_seed(0))
    assert (T.positional_margins(net, planted) > 0).all()
    assert T.previous_token_attention(net, {"W_K1": planted}, tokens).item() > 0.8
    uniform = T.previous_token_attention(net, {}, tokens).item()
    assert math.isclose(uniform, sum(1 / (t + 1) for t in range(1, 16)) / 15, rel_tol=1e-12)
    assert (T.positional_margins(net, torch.zeros(8, 8, dtype=torch.float64).new_zeros(64, 64)) == 0).all()


def test_train_logs_held_out_loss_and_probes():
    run = T.train([5.0, 20.0], steps=6, log_every=3, trainable=T.MEMORIES, vocab_size=20, num_triggers=3, dim=8,
                  seq_len=20, batch_size=8, eval_size=16, probe_size=4, show=False)
    assert run.eval_loss.shape == run.eval_accuracy.shape == run.previous_token.shape == run.positional_recall.shape == (2, 3)
    assert torch.allclose(run.eval_loss[:, 0], run.eval_loss[0, 0].expand(2))  # one held-out batch, same start
    assert torch.allclose(run.final_loss, T.train([5.0, 20.0], steps=6, trainable=T.MEMORIES, vocab_size=20, num_triggers=3,
                                                  dim=8, seq_len=20, batch_size=8, eval_size=16, show=False).final_loss)


def test_train_restores_the_denormal_mode():
    T.train([1.0], steps=2, vocab_size=20, num_triggers=3, dim=8, seq_len=20, batch_size=8, show=False)
    assert (torch.tensor(1e-310, dtype=torch.float64) * 1).item() != 0.0


# ---------------------------------------------------------------- one test per bad input (issue 21)

_SMALL = dict(vocab_size=20, num_triggers=3, dim=8, seq_len=20, batch_size=8, show=False)


def test_train_rejects_zero_triggers():
    with pytest.raises(ValueError, match="num_triggers must be >= 1, got 0"):
        T.train(1.0, steps=1, **(_SMALL | dict(num_triggers=0)))


def test_train_rejects_batch_size_zero():
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        T.train(1.0, steps=1, **(_SMALL | dict(batch_size=0)))


def test_train_rejects_a_float_batch_size_showing_its_value():
    with pytest.raises(TypeError, match=r"batch_size must be an integer, got the float 2\.0"):
        T.train(1.0, steps=1, **(_SMALL | dict(batch_size=2.0)))


def test_train_rejects_eval_size_zero_by_name():
    with pytest.raises(ValueError, match="eval_size must be an integer >= 1, got 0"):
        T.train(1.0, steps=1, eval_size=0, **_SMALL)


def test_train_rejects_init_with_a_mismatched_leading_axis():
    with pytest.raises(ValueError, match=r"init\['W_O2'\] must have shape \(d, d\) or \(S, d, d\) with S = 3"):
        T.train([1.0, 2.0, 3.0], steps=1, init={"W_O2": torch.zeros(2, 8, 8)}, **_SMALL)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_train_on_cuda_without_cuda_says_how_to_get_it():
    with pytest.raises(ValueError, match="sees no CUDA GPU.*install a CUDA build of PyTorch"):
        T.train(1.0, steps=1, device="cuda", **_SMALL)


def test_train_rejects_gpu_as_a_device_name():
    with pytest.raises(ValueError, match="pass device='cuda'"):
        T.train(1.0, steps=1, device="gpu", **_SMALL)


def test_train_rejects_an_unknown_dtype():
    with pytest.raises(ValueError, match="dtype must be torch.float32 or torch.float64"):
        T.train(1.0, steps=1, dtype="float16", **_SMALL)


def test_forward_rejects_an_empty_batch(net):
    with pytest.raises(ValueError, match="at least one sequence"):
        T.forward(net, _zeros(), torch.zeros(0, 5, dtype=torch.int64))


def test_induction_loss_rejects_a_batch_without_loss_positions(net, batch):
    empty = induction_data.Batch(batch.tokens, batch.targets, torch.zeros_like(batch.mask), batch.outputs)
    with pytest.raises(ValueError, match="no position in the loss"):
        T.induction_loss(net, _zeros(), empty)
