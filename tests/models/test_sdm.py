"""Sparse distributed memory as an MLP, trained class-incrementally (assocmem.models.sdm)."""

import itertools

import pytest
import torch

from assocmem.models import sdm

SMALL = {"neurons": 300, "epochs": 3, "lr": 0.2}
THREE_TASKS = ((0, 1), (2, 3), (4, 5))


def test_topk_keeps_exactly_k_per_row_even_with_ties():
    a = torch.randn(3, 7, 50, generator=torch.Generator().manual_seed(0))
    a[0, 0] = 1.0  # every entry tied
    a[1, 1, :10] = 5.0  # ten tied winners for k = 3
    k = torch.tensor([[1], [3], [50]])
    mask = sdm.topk_mask(a, k)
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(mask.sum(-1), k.expand(3, 7).float())
    # the kept entries are the largest ones: every kept value >= every dropped value, row by row
    for r, b in itertools.product(range(3), range(7)):
        kept, dropped = a[r, b][mask[r, b] == 1], a[r, b][mask[r, b] == 0]
        assert dropped.numel() == 0 or kept.min() >= dropped.max()
    with pytest.raises(ValueError, match="k must lie in 1..50"):
        sdm.topk_mask(a, 51)


def _batch(seed=0):
    X_train, *_ = sdm.split()
    kinds = list(sdm.KINDS)
    return sdm.build(kinds, [seed] * len(kinds), X_train, neurons=40, k=5), kinds


def test_hand_gradients_equal_autograd_for_every_kind():
    net, kinds = _batch()
    X_train, y_train, *_ = sdm.split()
    g = torch.Generator().manual_seed(1)
    idx = torch.randint(X_train.shape[0], (len(kinds), 12), generator=g)
    X, y = X_train[idx].double(), y_train[idx]
    for name in ("W", "b", "V", "c"):
        setattr(net, name, getattr(net, name).double())
    loss, grads = net.gradients(X, y)
    params = [p.clone().requires_grad_() for p in net.parameters()]
    net.W, net.b, net.V, net.c = params
    logits = net.logits(X)
    reference = torch.nn.functional.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(-1)
    auto = torch.autograd.grad(reference.sum(), params)
    assert torch.allclose(loss, reference.detach())
    for name, mine, theirs in zip("WbVc", grads, auto):
        assert torch.allclose(mine, theirs, atol=1e-12), name
    # the biases of the kinds without them get no gradient at all
    no_bias = torch.tensor([not sdm.KINDS[kd]["bias_hidden"] for kd in kinds])
    assert (grads[1][no_bias] == 0).all()


def test_weight_rows_stay_unit_norm_and_biases_are_never_used():
    X_train, y_train, *_ = sdm.split()
    kinds = ["sdm", "sdm_no_l2"]
    net = sdm.build(kinds, [0, 0], X_train, neurons=60, k=5)
    b_before = net.b.clone()
    g = torch.Generator().manual_seed(2)
    for _ in range(30):
        idx = torch.randint(X_train.shape[0], (2, 16), generator=g)
        _, grads = net.gradients(X_train[idx], y_train[idx])
        for p, gp in zip(net.parameters(), grads):
            p.sub_(0.5 * gp)
        net.renormalise()
    norms = net.W.norm(dim=-1)
    assert torch.allclose(norms[0], torch.ones(60), atol=1e-5)
    assert (norms[1] - 1).abs().max() > 1e-3  # without renormalisation the rows drift off the sphere
    assert torch.equal(net.b, b_before)  # no bias kind: never trained ...
    logits = net.logits(X_train[:20])
    net.b.mul_(1000)
    net.c.mul_(1000)
    assert torch.equal(net.logits(X_train[:20]), logits)  # ... and never read


def test_the_protocol_shows_each_task_its_own_classes_only(monkeypatch):
    seen = []
    original = sdm.Batch.gradients

    def spy(self, X, y):
        seen.append(set(y.unique().tolist()))
        return original(self, X, y)

    monkeypatch.setattr(sdm.Batch, "gradients", spy)
    order = ((3, 7), (1,), (0, 9, 4))
    result = sdm.run(["sdm", "relu"], [0], order, neurons=50, epochs=2)
    assert result.task_order == order
    n_steps = [len(seen)]
    # steps of task t come in one block, and every batch holds labels of task t only
    tasks = [next(i for i, t in enumerate(order) if labels <= set(t)) for labels in seen]
    assert all(labels <= set(order[t]) for labels, t in zip(seen, tasks))
    assert tasks == sorted(tasks) and set(tasks) == {0, 1, 2} and n_steps[0] > 0
    assert result.accuracy.shape == (2, 3, 3) and result.usage.shape == (2, 3, 50)


def test_train_and_test_images_are_disjoint_and_stratified():
    X_train, y_train, X_test, y_test = sdm.split(0.3)
    assert torch.allclose(X_train.norm(dim=1), torch.ones(len(X_train)))
    # a partition of the 1797 images: together the two parts are every image exactly once
    from assocmem.tasks import digits

    pixels, _ = digits.images()
    everything = sorted(map(tuple, (pixels / pixels.norm(dim=1, keepdim=True)).float().tolist()))
    assert sorted(map(tuple, torch.cat([X_train, X_test]).tolist())) == everything
    counts_test, counts_all = torch.bincount(y_test), torch.bincount(y_test) + torch.bincount(y_train)
    assert torch.allclose((counts_test / counts_all).double(), torch.full((10,), 0.3, dtype=torch.float64), atol=0.01)
    assert len(X_train) + len(X_test) == 1797


def test_sdm_remembers_where_relu_and_a_bias_forget():
    result = sdm.run(["sdm", "relu", "sdm_bias", "sdm_relu"], [0], THREE_TASKS, **SMALL)
    final = {kind: result.final[result.select(kind)].item() for kind in ("sdm", "relu", "sdm_bias", "sdm_relu")}
    assert final["sdm"] > 0.9
    assert final["relu"] < 0.6 and final["sdm_bias"] < 0.6  # the old tasks are forgotten: a third right is the last task only
    assert final["sdm_relu"] == final["sdm"]  # unit inputs >= 0, data-tiled addresses: the top-k values are > 0
    assert torch.allclose(result.norms[result.select("sdm")], torch.ones(1, 300), atol=1e-5)
    assert sdm.class_incremental("sdm", THREE_TASKS, seed=0, **SMALL) == pytest.approx(final["sdm"])


def test_a_planted_bug_top_k_over_the_batch_instead_of_the_neurons_brings_forgetting_back(monkeypatch):
    good = sdm.class_incremental("sdm", THREE_TASKS, seed=0, **SMALL)
    original = sdm.topk_mask

    def transposed(a, k):
        # the bug: the k winners are chosen along the wrong axis (each neuron keeps its k strongest inputs of the
        # batch), so which neurons an input activates no longer depends on that input alone
        k = torch.as_tensor(k).reshape(-1)[:1].clamp(max=a.shape[-2])
        return original(a.transpose(-1, -2), k).transpose(-1, -2)

    monkeypatch.setattr(sdm, "topk_mask", transposed)
    bad = sdm.class_incremental("sdm", THREE_TASKS, seed=0, **SMALL)
    assert good > 0.9 and bad < good - 0.2, (good, bad)


def test_tasks_use_disjoint_neurons_in_the_sdmlp_and_shared_ones_with_a_bias():
    result = sdm.run(["sdm", "topk"], [0], THREE_TASKS, **SMALL)
    overlap_sdm = sdm.overlap(result.usage[result.select("sdm")[0]])
    overlap_topk = sdm.overlap(result.usage[result.select("topk")[0]])
    off = ~torch.eye(3, dtype=torch.bool)
    assert overlap_sdm[off].max() < 0.1 < 0.3 < overlap_topk[off].mean()


def test_overlap_by_hand():
    usage = torch.tensor([[0.5, 0.5, 0.0, 0.0], [0.0, 0.2, 0.3, 0.0]])
    assert torch.allclose(sdm.overlap(usage), torch.tensor([[1.0, 1 / 3], [1 / 3, 1.0]]))


@pytest.mark.parametrize("bits,radius", [(6, 2), (8, 3), (9, 4)])
def test_ball_intersection_against_brute_force(bits, radius):
    points = torch.tensor(list(itertools.product([0, 1], repeat=bits)))
    x = torch.zeros(bits, dtype=torch.long)
    for h in range(bits + 1):
        y = torch.zeros(bits, dtype=torch.long)
        y[:h] = 1
        near_x = (points != x).sum(1) <= radius
        near_y = (points != y).sum(1) <= radius
        assert sdm.ball_intersection(bits, radius, h) == int((near_x & near_y).sum())


def test_the_read_weight_is_nearly_exponential_where_it_matters():
    beta, _, residual = sdm.attention_fit(64, 20)
    assert 0.1 < beta < 0.3 and residual < 0.35
    weights = sdm.read_weights(64, 20)
    assert weights[0] == 1 and (weights[1:] <= weights[:-1]).all()


def test_bad_inputs_fail_with_a_message():
    with pytest.raises(ValueError, match="kind must be one of"):
        sdm.class_incremental("gelu")
    with pytest.raises(TypeError, match="kind must be one of"):
        sdm.class_incremental(3)
    with pytest.raises(ValueError, match="must not repeat a class"):
        sdm.check_task_order(((0, 1), (1, 2)))
    with pytest.raises(ValueError, match="<= 9"):
        sdm.check_task_order(((0, 10),))
    with pytest.raises(ValueError, match="empty task"):
        sdm.check_task_order(((0, 1), ()))
    with pytest.raises(ValueError, match="at least one task"):
        sdm.check_task_order([])
    with pytest.raises(TypeError, match="list of class tuples"):
        sdm.check_task_order("01")
    with pytest.raises(TypeError, match="tuples of classes"):
        sdm.check_task_order([0, 1])
    with pytest.raises(ValueError, match="k must be an integer <= 50"):
        sdm.run(["sdm"], [0], k=51, neurons=50)
    with pytest.raises(TypeError, match="use run"):
        sdm.class_incremental("sdm", k=[1, 2])
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        sdm.run(["sdm"], [0], lr=-0.1)
    with pytest.raises(ValueError, match="test_fraction"):
        sdm.split(1.5)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        sdm.run(["sdm"], [-1])
    assert sdm.check_task_order(None) == sdm.TASKS
