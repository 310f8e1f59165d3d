import pytest
import torch

from assocmem import data, memory, train


def _loop(E, U, p, t, eta, steps, W0=None):
    W = torch.zeros(E.shape[1], E.shape[1], dtype=torch.float64) if W0 is None else W0.clone()
    losses = []
    for _ in range(steps):
        losses.append(memory.loss(W, E, U, p, t).item())
        W = W - eta * memory.gradient(W, E, U, p, t)
    return torch.tensor(losses, dtype=torch.float64), W


def test_batched_step_sizes_equal_separate_runs(problem):
    E, U, p, t = problem
    run = train.gd(E, U, p, t, step_size=[0.5, 3.0, 20.0], steps=25)
    assert run.loss.shape == (3, 25) and run.zero_one.shape == (3, 25)
    assert run.margins.shape == (3, 25, 6) and run.W_final.shape == (3, 3, 3)
    for i, eta in enumerate([0.5, 3.0, 20.0]):
        losses, W = _loop(E, U, p, t, eta, 25)
        assert torch.allclose(run.loss[i], losses, rtol=1e-12)
        assert torch.allclose(run.W_final[i], W, rtol=1e-12, atol=1e-12)


def test_logging_is_before_the_update(problem):
    E, U, p, t = problem
    run = train.gd(E, U, p, t, 1.0, steps=3, store_W=True)
    assert run.W.shape == (1, 4, 3, 3)
    assert torch.equal(run.W[0, 0], torch.zeros(3, 3, dtype=torch.float64))
    assert torch.equal(run.W[0, -1], run.W_final[0])
    for step in range(3):
        assert run.loss[0, step].item() == pytest.approx(memory.loss(run.W[0, step], E, U, p, t).item(), rel=1e-14)
        assert torch.allclose(run.margins[0, step], memory.margins(run.W[0, step], E, U, p, t))
        assert run.zero_one[0, step].item() == pytest.approx(memory.zero_one_loss(run.W[0, step], E, U, p, t).item(), rel=1e-14)


def test_scalar_step_size_gives_one_run_and_W0_is_used(problem, random_W):
    E, U, p, t = problem
    run = train.gd(E, U, p, t, 2.0, steps=4, W0=random_W)
    losses, W = _loop(E, U, p, t, 2.0, 4, random_W)
    assert run.loss.shape == (1, 4)
    assert torch.allclose(run.loss[0], losses, rtol=1e-12)
    assert torch.allclose(run.W_final[0], W, rtol=1e-12)


def test_zero_steps_returns_W0(problem):
    E, U, p, t = problem
    run = train.gd(E, U, p, t, 1.0, steps=0)
    assert run.loss.shape == (1, 0) and torch.equal(run.W_final[0], torch.zeros(3, 3, dtype=torch.float64))


def test_gd_decreases_the_loss_for_a_small_step(problem):
    E, U, p, t = problem
    run = train.gd(E, U, p, t, 0.1, steps=50)
    assert (run.loss[0].diff() < 0).all()


def test_sgd_is_reproducible_seeded_and_shares_batches_across_step_sizes(problem):
    E, U, p, t = problem
    a = train.sgd(E, U, p, t, [0.1, 1.0], steps=30, batch_size=4, seed=3)
    b = train.sgd(E, U, p, t, [0.1, 1.0], steps=30, batch_size=4, seed=3)
    assert torch.equal(a.W_final, b.W_final)
    # Every step size sees the same batches: the batched run equals the two runs made alone.
    for k, eta in enumerate([0.1, 1.0]):
        alone = train.sgd(E, U, p, t, eta, steps=30, batch_size=4, seed=3)
        assert torch.allclose(a.W_final[k], alone.W_final[0], atol=1e-14)
    # Another seed draws other batches (at most steps differ), not just another final memory.
    first = list(train.batch_counts(p, 30, 4, seed=3))
    other = list(train.batch_counts(p, 30, 4, seed=4))
    assert sum(not torch.equal(x, y) for x, y in zip(first, other)) >= 20


def test_sgd_step_is_the_mean_gradient_of_the_batch(problem):
    E, U, p, t = problem
    # Recompute the first batch with the same generator recipe, then one explicit step.
    batch = torch.multinomial(p, 5, replacement=True, generator=torch.Generator().manual_seed(7))
    W = torch.zeros(3, 3, dtype=torch.float64, requires_grad=True)
    s = E[batch] @ W.T @ U.T
    (torch.logsumexp(s, dim=1) - s[torch.arange(5), t[batch]]).mean().backward()
    run = train.sgd(E, U, p, t, 0.7, steps=1, batch_size=5, seed=7)
    assert torch.allclose(run.W_final[0], -0.7 * W.grad, atol=1e-14)


def test_sgd_approaches_gd_as_the_batch_grows_like_one_over_root_batch(problem):
    E, U, p, t = problem
    full = train.gd(E, U, p, t, 1.0, steps=20).W_final

    def deviation(batch):
        runs = [train.sgd(E, U, p, t, 1.0, steps=20, batch_size=batch, seed=s).W_final for s in range(3)]
        return torch.stack([(r - full).norm() for r in runs]).mean().item()

    small, large = deviation(1_000), deviation(100_000)
    # The noise of a mean over B draws scales like B^(-1/2): 100 times the batch, about 10 times closer.
    assert large < 0.01 and 5 < small / large < 20
