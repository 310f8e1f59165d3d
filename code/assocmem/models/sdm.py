"""Sparse distributed memory as a one-hidden-layer network (SDMLP), trained class-incrementally.

Kanerva's sparse distributed memory (1988) stores a pattern at the *hard locations* whose
addresses lie within a radius of the write address, and reads by pooling the contents of the
locations within a radius of the query. Bricken, Davies, Singh, Krotov & Kreiman (ICLR 2023) turn it
into an MLP: the rows of the hidden weight matrix are the addresses, the read radius is a top-k
activation, and the output weights are the stored contents. For an input x (D,) the network computes

    xhat = x / ||x||,    a = W xhat + b,     h = topk_k(a),     logits = V h + c,          (eq-sdm-read)

where W (N, D) are the N neuron addresses (hard locations), topk_k keeps the k largest entries of
a and sets the others to zero, and V (C, N) holds the contents. The SDMLP has

- unit-norm inputs and weight rows, renormalised after every step (a is then a cosine similarity,
  and "the k largest a" is "the k nearest addresses on the sphere");
- no bias (b = 0 and c = 0), so which neurons fire depends on the input only;
- addresses initialised on the data ("data-tiled": each row of W is a randomly drawn, unlabelled
  training image), so every neuron starts near some input and none is dead;
- plain SGD without momentum (momentum keeps moving neurons that are no longer active).

Why this protects old tasks: the gradient of the loss reaches only the k active neurons of each
input, the active neurons are the ones whose addresses are nearest the input, and inputs of
different classes sit in different regions of the sphere. A new task therefore trains mostly
neurons that the old tasks do not use, and leaves the old neurons' contents alone.

:func:`class_incremental` runs the standard class-incremental protocol on the 8x8 digits
(:mod:`assocmem.tasks.digits`): five tasks of two classes each, trained one after the other, each
seeing only its own classes' training images and labels, with one 10-way readout and no task
identity at test time; it returns the final accuracy over all ten classes. :func:`run` does the
same for a batch of models and seeds at once (one tensor operation per step for the whole batch)
and returns the accuracy after each task on each task's test images and the neurons each task
uses. The model kinds (:data:`KINDS`): ``"relu"`` (a standard MLP), ``"relu_tiled"`` (the same with
data-tiled addresses), ``"topk"`` (top-k activation in a standard MLP, data-tiled), ``"sdm"`` (the
SDMLP) and its ablations ``"sdm_no_l2"`` (weights not renormalised), ``"sdm_bias"`` (biases in both
layers), ``"sdm_bias_hidden"``, ``"sdm_bias_out"``, ``"sdm_relu"`` (a ReLU after the top-k) and
``"sdm_random_init"`` (random unit addresses instead of data-tiled ones); ``"sdm_nonneg"`` adds the
paper's non-negativity constraint on the weights (W clamped at 0 after every step).
All computations in float32 (enough for these networks; the runs are deterministic on the CPU).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .. import _checks, tiers
from .._progress import progress
from ..tasks import digits

#: The default class-incremental split: five tasks of two digits each.
TASKS = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9))

#: The components of each model kind: activation, biases (hidden, output), weight renormalisation, initialisation.
KINDS = {
    "relu": {"activation": "relu", "bias_hidden": True, "bias_out": True, "l2": False, "init": "random"},
    "relu_tiled": {"activation": "relu", "bias_hidden": True, "bias_out": True, "l2": False, "init": "tiled"},
    "topk": {"activation": "topk", "bias_hidden": True, "bias_out": True, "l2": False, "init": "tiled"},
    "sdm": {"activation": "topk", "bias_hidden": False, "bias_out": False, "l2": True, "init": "tiled"},
    "sdm_no_l2": {"activation": "topk", "bias_hidden": False, "bias_out": False, "l2": False, "init": "tiled"},
    "sdm_bias": {"activation": "topk", "bias_hidden": True, "bias_out": True, "l2": True, "init": "tiled"},
    "sdm_bias_hidden": {"activation": "topk", "bias_hidden": True, "bias_out": False, "l2": True, "init": "tiled"},
    "sdm_bias_out": {"activation": "topk", "bias_hidden": False, "bias_out": True, "l2": True, "init": "tiled"},
    "sdm_relu": {"activation": "topk_relu", "bias_hidden": False, "bias_out": False, "l2": True, "init": "tiled"},
    "sdm_random_init": {"activation": "topk", "bias_hidden": False, "bias_out": False, "l2": True, "init": "random"},
    "sdm_nonneg": {"activation": "topk", "bias_hidden": False, "bias_out": False, "l2": True, "init": "tiled", "nonneg": True},
}

#: Training defaults (CI scale: a second or two for a batch of a few dozen runs on one CPU thread).
DEFAULTS = {"neurons": 1000, "k": 10, "epochs": 5, "batch": 16, "lr": 0.1, "test_fraction": 0.3}


# ---------------------------------------------------------------- data


def check_task_order(task_order) -> tuple[tuple[int, ...], ...]:
    """Check a list of class tuples: at least one task, each non-empty, digits 0..9, no class twice."""
    if task_order is None:
        return TASKS
    if isinstance(task_order, (str, bytes)) or not hasattr(task_order, "__iter__"):
        raise TypeError(f"task_order must be a list of class tuples such as ((0, 1), (2, 3)), got {task_order!r}.")
    tasks = []
    for task in task_order:
        if isinstance(task, (str, bytes)) or not hasattr(task, "__iter__"):
            raise TypeError(f"task_order must hold tuples of classes, e.g. ((0, 1), (2, 3)); got the entry {task!r}.")
        classes = tuple(_checks.count("task_order class", c, maximum=9) for c in task)
        if not classes:
            raise ValueError("task_order must not contain an empty task; give each task at least one class.")
        tasks.append(classes)
    if not tasks:
        raise ValueError("task_order must hold at least one task, e.g. ((0, 1), (2, 3)).")
    flat = [c for t in tasks for c in t]
    if len(set(flat)) != len(flat):
        raise ValueError(f"task_order must not repeat a class (class-incremental tasks are disjoint), got {tasks}.")
    return tuple(tasks)


def split(test_fraction: float = 0.3, split_seed: int = 0):
    """Unit-norm digits split per class into training and test images.

    Returns ``(X_train, y_train, X_test, y_test)``: float32 rows x / ||x|| of the raw pixels (D = 64)
    and int64 labels. The split is stratified (the same fraction of every class is held out) and
    depends on ``split_seed`` only, so every model and seed is tested on the same images.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction!r}.")
    pixels, labels = digits.images()
    X = (pixels / pixels.norm(dim=1, keepdim=True)).float()
    g = torch.Generator().manual_seed(_checks.seed(split_seed, "split_seed"))
    train, test = [], []
    for c in range(10):
        rows = (labels == c).nonzero().flatten()
        rows = rows[torch.randperm(rows.numel(), generator=g)]
        n_test = round(test_fraction * rows.numel())
        test.append(rows[:n_test])
        train.append(rows[n_test:])
    train, test = torch.cat(train).sort().values, torch.cat(test).sort().values
    return X[train], labels[train], X[test], labels[test]


# ---------------------------------------------------------------- the network


def topk_mask(a: torch.Tensor, k) -> torch.Tensor:
    """0/1 mask of the k largest entries along the last axis; exactly k ones per row (ties broken by index).

    ``a`` (..., N); ``k`` an int or a tensor broadcastable to a's leading shape (one k per row).
    """
    N = a.shape[-1]
    k = torch.as_tensor(k, device=a.device)
    kmax = int(k.max())
    if int(k.min()) < 1 or kmax > N:
        raise ValueError(f"k must lie in 1..{N} (the number of neurons), got {k.tolist()}.")
    order = a.topk(kmax, dim=-1).indices  # (..., kmax), largest first
    keep = (torch.arange(kmax, device=a.device) < k.unsqueeze(-1)).to(a.dtype).expand_as(order)
    return torch.zeros_like(a).scatter(-1, order, keep)


@dataclass
class Batch:
    """R networks trained side by side: W (R, N, D), b (R, N), V (R, C, N), c (R, C), with per-run flags."""

    W: torch.Tensor
    b: torch.Tensor
    V: torch.Tensor
    c: torch.Tensor
    k: torch.Tensor  # (R,) int64
    topk: torch.Tensor  # (R,) bool: top-k activation (else ReLU)
    relu_after: torch.Tensor  # (R,) bool: a ReLU after the top-k
    bias_hidden: torch.Tensor  # (R,) bool
    bias_out: torch.Tensor  # (R,) bool
    l2: torch.Tensor  # (R,) bool: renormalise the rows of W after every step
    nonneg: torch.Tensor  # (R,) bool: clamp W at 0 after every step (before renormalising)

    def __post_init__(self):
        self._groups = self._find_groups()

    def groups(self) -> list[tuple[slice, str]]:
        """Maximal slices of consecutive runs with the same activation ("relu", "topk" or "topk_relu")."""
        return self._groups

    def _find_groups(self) -> list[tuple[slice, str]]:
        names = ["relu" if not t else ("topk_relu" if r else "topk") for t, r in zip(self.topk.tolist(), self.relu_after.tolist())]
        out, start = [], 0
        for i in range(1, len(names) + 1):
            if i == len(names) or names[i] != names[start]:
                out.append((slice(start, i), names[start]))
                start = i
        return out

    def _expand(self, X):
        return X.expand(self.W.shape[0], *X.shape) if X.dim() == 2 else X

    def hidden(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Pre-activations a (R, B, N), activations h (R, B, N) and the gate dh/da (R, B, N) of inputs X (R, B, D) or (B, D).

        Top-k kinds: h = a * mask (mask = the k largest a, exactly k per row), and with a ReLU after it
        h = max(a * mask, 0); ReLU kinds: h = max(a, 0). In every case h = gate * a with a 0/1 gate.
        """
        X = self._expand(X)
        a = torch.baddbmm((self.b * self.bias_hidden[:, None]).unsqueeze(1), X, self.W.transpose(1, 2))
        gate = torch.empty_like(a)
        for rows, activation in self.groups():  # contiguous runs of one activation: views, no masking of the whole batch
            part = a[rows]
            if activation == "relu":
                gate[rows] = (part > 0).to(a.dtype)
            else:
                gate[rows] = topk_mask(part, self.k[rows, None])
                if activation == "topk_relu":
                    gate[rows] *= (part > 0).to(a.dtype)
        return a, gate * a, gate

    def logits(self, X: torch.Tensor) -> torch.Tensor:
        """Logits (R, B, C) of eq-sdm-read."""
        return self.read(self.hidden(X)[1])

    def read(self, h: torch.Tensor) -> torch.Tensor:
        """Logits (R, B, C) of eq-sdm-read from the activations h (R, B, N) of ``hidden``."""
        return torch.baddbmm((self.c * self.bias_out[:, None]).unsqueeze(1), h, self.V.transpose(1, 2))

    def gradients(self, X: torch.Tensor, y: torch.Tensor):
        """Loss (R,) and its gradients with respect to W, b, V, c, by hand (no autograd).

        The loss of each run is the mean cross-entropy over its B inputs X (R, B, D) with labels
        y (R, B). With g = (softmax(logits) - onehot(y)) / B (R, B, C):
        dV = g^T h, dc = sum_B g, da = (g V) * gate, dW = da^T X, db = sum_B da; the bias gradients are
        zeroed for runs without that bias (their biases never change).
        """
        X = self._expand(X)
        a, h, gate = self.hidden(X)
        z = self.read(h)
        logp = torch.log_softmax(z, dim=-1)
        B = X.shape[1]
        loss = -logp.gather(-1, y.unsqueeze(-1)).squeeze(-1).mean(-1)
        g = (logp.exp() - torch.nn.functional.one_hot(y, z.shape[-1]).to(z.dtype)) / B
        dV = torch.bmm(g.transpose(1, 2), h)
        dc = g.sum(1) * self.bias_out[:, None]
        da = torch.bmm(g, self.V) * gate
        dW = torch.bmm(da.transpose(1, 2), X)
        db = da.sum(1) * self.bias_hidden[:, None]
        return loss, (dW, db, dV, dc)

    def parameters(self):
        return (self.W, self.b, self.V, self.c)

    def renormalise(self):
        if bool(self.nonneg.any()):
            self.W.copy_(torch.where(self.nonneg[:, None, None], self.W.clamp(min=0), self.W))
        norm = self.W.norm(dim=-1, keepdim=True).clamp(min=1e-12)  # (R, N, 1): cheap to select on
        self.W.mul_(torch.where(self.l2[:, None, None], 1 / norm, 1.0))


def build(kinds, seeds, X_train, classes: int = 10, neurons: int = 1000, k=10) -> Batch:
    """One network per (kind, seed) pair (the lists are zipped), initialised with its own seed.

    ``"random"`` init: W uniform in +-1/sqrt(D) (PyTorch's default for a linear layer), rows
    normalised when the kind renormalises; ``"tiled"``: each row of W is a training image drawn at
    random (labels unused). V and the biases: uniform in +-1/sqrt(fan-in), PyTorch's default.
    """
    D = X_train.shape[1]
    ks = [k] * len(kinds) if isinstance(k, int) else list(k)
    W, b, V, c = [], [], [], []
    for kind, seed in zip(kinds, seeds):
        spec = KINDS[kind]
        g = torch.Generator().manual_seed(_checks.seed(seed))
        if spec["init"] == "tiled":
            w = X_train[torch.randint(X_train.shape[0], (neurons,), generator=g)].clone()
        else:
            w = (torch.rand(neurons, D, generator=g) * 2 - 1) / D**0.5
        if spec["l2"]:
            w = w / w.norm(dim=1, keepdim=True)
        W.append(w)
        b.append((torch.rand(neurons, generator=g) * 2 - 1) / D**0.5)
        V.append((torch.rand(classes, neurons, generator=g) * 2 - 1) / neurons**0.5)
        c.append((torch.rand(classes, generator=g) * 2 - 1) / neurons**0.5)
    flag = lambda key, value=True: torch.tensor([KINDS[kind].get(key, False) == value for kind in kinds])  # noqa: E731
    batch = Batch(
        W=torch.stack(W), b=torch.stack(b), V=torch.stack(V), c=torch.stack(c),
        k=torch.tensor(ks, dtype=torch.long),
        topk=flag("activation", "relu") == 0, relu_after=flag("activation", "topk_relu"),
        bias_hidden=flag("bias_hidden"), bias_out=flag("bias_out"), l2=flag("l2"), nonneg=flag("nonneg"),
    )
    for kk, kind in zip(ks, kinds):
        _checks.count("k", kk, minimum=1, maximum=neurons)
    return batch


# ---------------------------------------------------------------- the protocol


@dataclass
class Result:
    """The outcome of :func:`run` for R runs and T tasks.

    - ``kinds`` (R,), ``seeds`` (R,), ``ks`` (R,), ``lrs`` (R,): what each run was;
    - ``task_order``: the T class tuples, in training order;
    - ``accuracy`` (R, T, T): ``accuracy[r, t, s]`` is the accuracy of run r, after training on task t,
      on the test images of task s (10-way argmax, no task identity);
    - ``overall`` (R, T): accuracy on the test images of *every* class of ``task_order`` after each task;
      ``overall[:, -1]`` is the final accuracy that :func:`class_incremental` returns;
    - ``usage`` (R, T, N): fraction of task s's test images for which neuron n is active (in the top-k,
      or > 0 for ReLU kinds), measured at the end of training;
    - ``trained`` (R, T, N): fraction of task t's training images for which neuron n was active when
      task t was trained (at the end of that task), i.e. the neurons task t wrote to;
    - ``norms`` (R, N): the norms ||w_j|| of the hidden weight rows at the end (1 for the renormalised kinds).
    """

    kinds: list
    seeds: list
    ks: list
    lrs: list
    task_order: tuple
    accuracy: torch.Tensor
    overall: torch.Tensor
    usage: torch.Tensor
    trained: torch.Tensor
    norms: torch.Tensor

    @property
    def final(self) -> torch.Tensor:
        """(R,) final accuracy over all classes."""
        return self.overall[:, -1]

    def select(self, kind: str, k: int | None = None, lr: float | None = None) -> torch.Tensor:
        """Indices of the runs of one kind (and one k, one step size), in seed order."""
        rows = [i for i, (kd, kk, step) in enumerate(zip(self.kinds, self.ks, self.lrs))
                if kd == kind and (k is None or kk == k) and (lr is None or step == lr)]
        if not rows:
            raise ValueError(f"no run of kind={kind!r}, k={k!r}, lr={lr!r} in this result; runs: {sorted(set(self.kinds))}.")
        return torch.tensor(rows)


def _group_means(correct: torch.Tensor, groups) -> torch.Tensor:
    """(R, G) mean of ``correct`` (R, B) over each group of test images (a list of boolean row masks)."""
    return torch.stack([correct[:, g].mean(-1) for g in groups], dim=-1)


def _test(batch: Batch, X, y, groups, everything):
    """Accuracy (R, G) on each group of test images, accuracy (R,) on ``everything`` (a row mask), and the
    gate (R, B, N) of every test image, all from one forward pass over X (the top-k of a test image is
    the costly part of an evaluation, so it is computed once per task)."""
    with torch.no_grad():
        _, h, gate = batch.hidden(X)
        correct = (batch.read(h).argmax(-1) == y).float()  # (R, B)
    return _group_means(correct, groups), _group_means(correct, [everything])[:, 0], gate


def _usage(batch: Batch, X, groups) -> torch.Tensor:
    with torch.no_grad():
        _, _, gate = batch.hidden(X)
    return _gate_usage(gate, groups)


def _gate_usage(gate: torch.Tensor, groups) -> torch.Tensor:
    """(R, G, N) fraction of each group's images (boolean row masks) for which each neuron is active."""
    return torch.stack([gate[:, g].mean(1) for g in groups], dim=1)


def run(kinds, seeds=(0,), task_order=None, *, k=None, neurons=None, epochs=None, batch=None, lr=None,
        test_fraction=None, split_seed: int = 0, show_progress=None, threads: int | None = 1) -> Result:
    """Train every (kind, seed[, k]) combination class-incrementally on the digits, all in one batch.

    ``kinds``: names from :data:`KINDS`; ``seeds``: the seeds (each seeds the initialisation and the
    order of the training images); ``k``: an int or a list of ints, ``lr``: a step size or a list of
    them (every kind x seed is run for every k and every lr; k is ignored by the ReLU kinds but kept
    in ``Result.ks``). Each task is trained for
    ``epochs`` passes over its own training images (batches of ``batch``, plain SGD with step
    ``lr`` on the 10-way cross-entropy); the model never sees another task's images or labels during
    a task, nor the task identity at test time. ``threads``: torch intra-op threads during the run (one
    by default: these steps are small, and a second thread on a shared machine costs more than it gains).
    """
    opts = {key: DEFAULTS[key] if value is None else value for key, value in
            dict(k=k, neurons=neurons, epochs=epochs, batch=batch, lr=lr, test_fraction=test_fraction).items()}
    tasks = check_task_order(task_order)
    if isinstance(kinds, str):
        kinds = [kinds]
    kinds = [_checks.choice("kind", kind, KINDS) for kind in kinds]
    seeds = [_checks.seed(s) for s in ([seeds] if isinstance(seeds, int) else seeds)]
    ks = [opts["k"]] if isinstance(opts["k"], int) else list(opts["k"])
    lrs = [opts["lr"]] if isinstance(opts["lr"], (int, float)) else list(opts["lr"])
    if not kinds or not seeds or not ks or not lrs:
        raise ValueError("kinds, seeds, k and lr must each hold at least one value.")
    neurons = _checks.count("neurons", opts["neurons"], minimum=1)
    ks = [_checks.count("k", kk, minimum=1, maximum=neurons) for kk in ks]
    epochs = _checks.count("epochs", opts["epochs"], minimum=1)
    size = _checks.count("batch", opts["batch"], minimum=1)
    lrs = [_checks.positive("lr", value) for value in lrs]

    with tiers.threads(threads):
        return _run(kinds, seeds, tasks, ks, lrs, neurons, epochs, size, opts["test_fraction"], split_seed, show_progress)


def _run(kinds, seeds, tasks, ks, lrs, neurons, epochs, size, test_fraction, split_seed, show_progress) -> Result:
    X_train, y_train, X_test, y_test = split(test_fraction, split_seed)
    combos = [(kind, s, kk, step) for kind in kinds for s in seeds for kk in ks for step in lrs]
    # runs of one activation side by side, so that each step masks a few contiguous slices of the batch
    rank = {"relu": 0, "topk": 1, "topk_relu": 2}
    combos.sort(key=lambda combo: rank[KINDS[combo[0]]["activation"]])
    R_kinds, R_seeds, R_ks, R_lrs = zip(*combos)
    step_size = torch.tensor(R_lrs, dtype=torch.float32)
    net = build(R_kinds, R_seeds, X_train, neurons=neurons, k=list(R_ks))
    R, T = len(combos), len(tasks)
    everything = torch.zeros_like(y_test, dtype=torch.bool)
    for task in tasks:
        everything |= torch.isin(y_test, torch.tensor(task))
    test_groups = [torch.isin(y_test, torch.tensor(task)) for task in tasks]
    accuracy, overall, trained = torch.zeros(R, T, T), torch.zeros(R, T), torch.zeros(R, T, neurons)
    order_g = [torch.Generator().manual_seed(1_000_003 * s + 17) for s in R_seeds]
    for t, task in progress(list(enumerate(tasks)), total=T, desc="tasks", show=show_progress):
        rows = torch.isin(y_train, torch.tensor(task)).nonzero().flatten()  # this task's images only
        Xt, yt = X_train[rows], y_train[rows]
        n = rows.numel()
        for _ in range(epochs):
            perm = torch.stack([torch.randperm(n, generator=g) for g in order_g])  # (R, n): each run its own order
            for start in range(0, n, size):
                idx = perm[:, start : start + size]
                _, grads = net.gradients(Xt[idx], yt[idx])
                for p, gp in zip(net.parameters(), grads):
                    p.sub_(step_size.view(-1, *[1] * (gp.dim() - 1)) * gp)
                net.renormalise()
        accuracy[:, t], overall[:, t], gate = _test(net, X_test, y_test, test_groups, everything)
        trained[:, t] = _usage(net, Xt, [torch.ones(n, dtype=torch.bool)])[:, 0]
    usage = _gate_usage(gate, test_groups)  # the final net's, from its last test pass
    return Result(list(R_kinds), list(R_seeds), list(R_ks), list(R_lrs), tasks, accuracy, overall, usage, trained,
                  net.W.norm(dim=-1))


def class_incremental(kind: str, task_order=None, seed: int = 0, **options) -> float:
    """Final accuracy over all classes of ``task_order`` of one model trained class-incrementally.

    ``kind`` one of :data:`KINDS` (``"relu"``, ``"topk"``, ``"sdm"``, ablations ``"sdm_no_l2"``,
    ``"sdm_bias"``, ``"sdm_relu"``, ...); ``task_order`` a list of class tuples (default
    ``((0, 1), (2, 3), (4, 5), (6, 7), (8, 9))``); ``options`` as for :func:`run` (``k``, ``neurons``,
    ``epochs``, ``batch``, ``lr``, ``test_fraction``, ``split_seed``).
    """
    if not isinstance(kind, str):
        raise TypeError(f"kind must be one of {sorted(KINDS)}, got {kind!r}.")
    if "k" in options and not isinstance(options["k"], int):
        raise TypeError(f"k must be one int for class_incremental, got {options['k']!r}; use run() for a sweep.")
    return float(run([kind], [seed], task_order, **options).final[0])


def overlap(usage: torch.Tensor, threshold: float = 0.05) -> torch.Tensor:
    """(..., T, T) Jaccard overlap between the sets of neurons each task uses.

    A neuron is *used* by a task when it is active for more than ``threshold`` of that task's images;
    ``usage`` (..., T, N) as in :attr:`Result.usage`.
    """
    used = (usage > threshold).float()
    both = used @ used.transpose(-1, -2)
    either = used.sum(-1, keepdim=True) + used.sum(-1).unsqueeze(-2) - both
    return both / either.clamp(min=1)


# ---------------------------------------------------------------- Kanerva's read and attention


def ball_intersection(bits: int, radius: int, distance: int) -> int:
    """Number of binary addresses within Hamming ``radius`` of both x and y, where d_H(x, y) = ``distance``.

    In Kanerva's SDM with n = ``bits``-bit addresses a pattern written at x is stored in every
    location within the write radius of x, and a read at y pools every location within the read
    radius of y, so the weight of x in the read at y is proportional to this count (for uniformly
    scattered hard locations). Exact: with a of the ``distance`` differing bits and b of the
    n - distance agreeing bits flipped, z is within r of x when a + b <= r and of y when
    (distance - a) + b <= r, so the count is sum_{a,b} C(distance, a) C(n - distance, b) over those pairs.
    """
    n = _checks.count("bits", bits, minimum=1)
    r = _checks.count("radius", radius, maximum=n)
    h = _checks.count("distance", distance, maximum=n)
    return sum(math.comb(h, a) * math.comb(n - h, b) for a in range(h + 1) for b in range(n - h + 1)
               if a + b <= r and h - a + b <= r)


def read_weights(bits: int, radius: int) -> torch.Tensor:
    """(n + 1,) float64: the SDM read weight of a pattern at Hamming distance 0..n, relative to distance 0."""
    counts = [ball_intersection(bits, radius, h) for h in range(bits + 1)]
    return torch.tensor([c / counts[0] for c in counts], dtype=torch.float64)


def attention_fit(bits: int, radius: int, floor: float = 1e-2) -> tuple[float, float, float]:
    """Fit exp(-beta h + c) to the read weights over the distances where they exceed ``floor``.

    Returns (beta, c, largest |log residual|). Bricken & Pehlevan (2021): the weights decay nearly
    exponentially in h, so the normalised SDM read is a softmax over -h with inverse temperature
    beta (on unit vectors h = n (1 - cos) / 2, a softmax of the dot products: attention).
    """
    weights = read_weights(bits, radius)
    h = torch.nonzero(weights > floor).flatten().to(torch.float64)
    if h.numel() < 3:
        raise ValueError(f"floor={floor!r} leaves fewer than 3 distances to fit; lower it or raise the radius.")
    y = weights[h.long()].log()
    A = torch.stack([h, torch.ones_like(h)], dim=1)
    slope, c = torch.linalg.lstsq(A, y.unsqueeze(1)).solution.flatten().tolist()
    residual = float((y - (slope * h + c)).abs().max())
    return -slope, c, residual


__all__ = ["TASKS", "KINDS", "DEFAULTS", "check_task_order", "split", "topk_mask", "Batch", "build", "Result", "run",
           "class_incremental", "overlap", "ball_intersection", "read_weights", "attention_fit"]
