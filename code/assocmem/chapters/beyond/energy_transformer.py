"""Chapter "The Energy Transformer": image completion on the 8x8 digits by energy descent.

An image of 8x8 pixels is cut into 16 patches of 2x2; each patch is a token. A linear encoder maps
a patch to D = 32, learned position vectors are added, and 4 of the 16 tokens are replaced by a
learned mask token (plus their position). One Energy Transformer block then runs T descent steps
and a linear decoder reads the masked patches back. Training is Adam on the masked-patch mean
squared error. Runs are plain functions; ``draw_*`` functions draw them; the builders registered
at the end call the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ipywidgets as w
import numpy as np
import torch

from ... import _checks, tiers
from ..._checks import DTYPE
from ...models import energy_transformer as ET
from ...tasks import graphs
from ...viz import gallery, style
from ...viz.widgets import figure_widget, slider

CHAPTER = "beyond/energy_transformer"
PATCHES, MASKED, D = 16, 4, 32
SETTINGS = dict(heads=2, Y=16, memories=64, T=8, alpha=0.1, steps=800, lr=3e-3, batch=64)
SEEDS = (0, 1, 2)
INFERENCE_STEPS = (0, 2, 4, 8, 12, 16, 24)
WEIGHTS = Path(__file__).with_name("energy_transformer_weights.npz")
TEST_SIZE = 297  # the last 297 of the 1797 digits; training on the first 1500


@lru_cache(maxsize=1)
def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """The 8x8 digits as patches, (train, 16, 4) and (test, 16, 4), pixel values scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    images = torch.tensor(load_digits().images, dtype=DTYPE) / 16.0  # (1797, 8, 8)
    patches = images.reshape(-1, 4, 2, 4, 2).permute(0, 1, 3, 2, 4).reshape(-1, PATCHES, 4)
    return patches[:-TEST_SIZE], patches[-TEST_SIZE:]


def to_images(patches) -> np.ndarray:
    """(n, 16, 4) patches back to (n, 8, 8) images."""
    p = torch.as_tensor(patches).reshape(-1, 4, 4, 2, 2).permute(0, 1, 3, 2, 4)
    return p.reshape(-1, 8, 8).detach().numpy()


def random_masks(n: int, seed: int, masked: int = MASKED) -> torch.Tensor:
    """(n, 16) bool, ``masked`` True per row, drawn uniformly."""
    g = torch.Generator().manual_seed(seed)
    order = torch.rand(n, PATCHES, generator=g).argsort(dim=1)
    return order < masked


class _PatchModel(torch.nn.Module):
    """What both completers share: the patch encoder and decoder, the positions and the mask token.

    Created in this order after ``torch.manual_seed(seed)``, so a subclass draws the same initial
    values as before the base class existed, and the state-dict names stay those of the npz file."""

    def __init__(self, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.encode = torch.nn.Linear(4, D).to(DTYPE)
        self.decode = torch.nn.Linear(D, 4).to(DTYPE)
        self.pos = torch.nn.Parameter(0.1 * torch.randn(PATCHES, D, dtype=DTYPE))
        self.mask_token = torch.nn.Parameter(0.1 * torch.randn(D, dtype=DTYPE))

    def start(self, patches, mask) -> torch.Tensor:
        """Tokens (batch, 16, D): encoded patches, the mask token where ``mask``, plus positions."""
        x = self.encode(patches)
        x = torch.where(mask[..., None], self.mask_token.expand_as(x), x)
        return x + self.pos


class Completer(_PatchModel):
    """Encoder, positions, mask token, one ET block, decoder."""

    def __init__(self, seed: int = 0, heads: int = 2, Y: int = 16, memories: int = 64, **_):
        super().__init__(seed)
        self.et = ET.EnergyTransformer(D, heads=heads, Y=Y, memories=memories, seed=seed)

    def forward(self, patches, mask, T: int = 8, alpha: float = 0.1, record: bool = False):
        x = self.start(patches, mask)
        if record:
            x, trace = self.et(x, steps=T, alpha=alpha, record=True)
            return self.decode(self.et.layernorm(x)), trace
        return self.decode(self.et.layernorm(self.et(x, steps=T, alpha=alpha)))


class StandardCompleter(_PatchModel):
    """The same encoder, positions, mask token and decoder around one ordinary pre-LayerNorm Transformer
    block (2 heads of width 8 with value and output matrices, a ReLU MLP of width 32, residual connections),
    applied once: about as many block parameters as the ET block."""

    def __init__(self, seed: int = 0, **_):
        super().__init__(seed)
        self.ln1, self.ln2, self.ln3 = (torch.nn.LayerNorm(D).to(DTYPE) for _ in range(3))
        self.qkv = torch.nn.Linear(D, 3 * 16, bias=False).to(DTYPE)
        self.out = torch.nn.Linear(16, D, bias=False).to(DTYPE)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(D, D), torch.nn.ReLU(), torch.nn.Linear(D, D)).to(DTYPE)

    def block_parameters(self) -> int:
        return sum(p.numel() for m in (self.ln1, self.ln2, self.qkv, self.out, self.mlp) for p in m.parameters())

    def forward(self, patches, mask, *_, **__):
        x = self.start(patches, mask)
        q, k, v = self.qkv(self.ln1(x)).reshape(*x.shape[:2], 3, 2, 8).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) / 8 ** 0.5, dim=-1) @ v  # (batch, 2, N, 8)
        x = x + self.out(att.transpose(1, 2).reshape(*x.shape[:2], 16))
        x = x + self.mlp(self.ln2(x))
        return self.decode(self.ln3(x))


def masked_mse(pred, patches, mask) -> torch.Tensor:
    return ((pred - patches) ** 2).sum(-1)[mask].mean() / 4


def train_completer(seed: int = 0, standard: bool = False, **overrides) -> torch.nn.Module:
    """Adam on the masked-patch MSE with T descent steps (or the standard block); fresh masks every batch."""
    s = SETTINGS | overrides
    train, _ = digits()
    model = (StandardCompleter if standard else Completer)(seed=seed, **s)
    opt = torch.optim.Adam(model.parameters(), lr=s["lr"])
    g = torch.Generator().manual_seed(1000 + _checks.seed(seed))
    with tiers.threads(1):
        for k in range(_checks.count("steps", s["steps"], minimum=1)):
            idx = torch.randint(0, train.shape[0], (s["batch"],), generator=g)
            mask = random_masks(s["batch"], 10_000 * seed + k)
            loss = masked_mse(model(train[idx], mask, s["T"], s["alpha"]), train[idx], mask)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model


def write_weights(path=WEIGHTS, seeds=SEEDS, **overrides) -> Path:
    """Train one model per seed and save them: ``python -m assocmem.chapters.beyond.energy_transformer images``."""
    arrays = {}
    for seed in seeds:
        for name, value in train_completer(seed, **overrides).state_dict().items():
            arrays[f"seed{seed}/{name}"] = value.numpy().astype(np.float32)
        for name, value in train_completer(seed, standard=True, **overrides).state_dict().items():
            arrays[f"standard{seed}/{name}"] = value.numpy().astype(np.float32)
    np.savez_compressed(Path(path), **arrays, settings=np.array(repr(SETTINGS | overrides)))
    return Path(path)


@lru_cache(maxsize=1)
def _stored(path=WEIGHTS) -> dict:
    return dict(np.load(path))


def trained(seed: int = 0, tier: str | None = None) -> Completer:
    """The checked-in model of this seed at the CI tier; the paper tier retrains with twice the steps."""
    if tiers.current(tier) == "paper":
        return _trained_paper(seed)
    model = Completer(seed=seed, **SETTINGS)
    stored = _stored()
    model.load_state_dict({n: torch.from_numpy(stored[f"seed{seed}/{n}"].astype(np.float64)) for n in model.state_dict()})
    return model


def trained_standard(seed: int = 0, tier: str | None = None) -> StandardCompleter:
    """The checked-in standard-block model of this seed (the paper tier retrains with twice the steps)."""
    if tiers.current(tier) == "paper":
        return train_completer(seed, standard=True, steps=2 * SETTINGS["steps"])
    model = StandardCompleter(seed=seed)
    stored = _stored()
    model.load_state_dict({n: torch.from_numpy(stored[f"standard{seed}/{n}"].astype(np.float64)) for n in model.state_dict()})
    return model


def standard_mse(seeds=SEEDS, tier: str | None = None) -> np.ndarray:
    """Masked-patch test MSE of the standard block, (seeds,)."""
    _, test = digits()
    mask = test_masks()
    with torch.no_grad(), tiers.threads(1):
        return np.array([masked_mse(trained_standard(s, tier)(test, mask), test, mask).item() for s in seeds])


@lru_cache(maxsize=4)
def _trained_paper(seed: int) -> Completer:
    return train_completer(seed, steps=2 * SETTINGS["steps"])


def mean_patch_baseline() -> torch.Tensor:
    """Per-position mean patch over the training images, (16, 4)."""
    train, _ = digits()
    return train.mean(0)


@dataclass
class Curve:
    steps: tuple
    mse: np.ndarray  # (seeds, steps): masked-patch MSE on the test digits
    baseline: float  # per-position mean patch
    energy_rise: np.ndarray  # (seeds,): largest energy increase over any step of any test image at the trained T


def test_masks(seed: int = 0) -> torch.Tensor:
    _, test = digits()
    return random_masks(test.shape[0], 777 + seed)


def error_curve(seeds=SEEDS, steps=INFERENCE_STEPS, tier: str | None = None) -> Curve:
    """Masked-patch MSE on the test digits against the number of inference steps, per seed."""
    _, test = digits()
    mask = test_masks()
    base = masked_mse(mean_patch_baseline().expand_as(test), test, mask).item()
    mse, rise = [], []
    with torch.no_grad(), tiers.threads(1):
        for seed in seeds:
            model = trained(seed, tier)
            mse.append([masked_mse(model(test, mask, T, SETTINGS["alpha"]), test, mask).item() for T in steps])
            _, trace = model(test, mask, max(steps), SETTINGS["alpha"], record=True)
            rise.append((trace[1:] - trace[:-1]).max().item())
    return Curve(tuple(steps), np.array(mse), base, np.array(rise))


def energy_traces(seed: int = 0, T: int = 16) -> torch.Tensor:
    """Energy of every test image at each descent step, (T + 1, test)."""
    _, test = digits()
    with torch.no_grad(), tiers.threads(1):
        return trained(seed)(test, test_masks(), T, SETTINGS["alpha"], record=True)[1]


def energy_terms(seed: int = 0, T: int = 16) -> dict[str, np.ndarray]:
    """Mean of E_LN, E_ATT, E_HN over the test images at each step, {term: (T + 1,)}."""
    _, test = digits()
    model = trained(seed)
    with torch.no_grad(), tiers.threads(1):
        x = model.start(test, test_masks())
        out = {k: [] for k in ("ln", "att", "hn")}
        for k in range(T + 1):
            for name, value in model.et.energies(x).items():
                out[name].append(value.mean().item())
            if k < T:
                x = model.et.step(x, SETTINGS["alpha"])
    return {k: np.array(v) for k, v in out.items()}


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


def draw_curve(curve: Curve, standard=None, trained_T: int = SETTINGS["T"]):
    """Relative masked-patch MSE against T per seed; ``standard`` (seeds,) MSE of the standard block as dashed lines."""
    fig, axes = style.figure(width=6.4, height=3.8)
    ax = axes[0, 0]
    rel = curve.mse / curve.baseline
    for i, row in enumerate(rel):
        ax.plot(curve.steps, row, marker="o", color=style.PALETTE[i], label=f"ET, seed {i}")
        if standard is not None:
            ax.axhline(standard[i] / curve.baseline, color=style.PALETTE[i], linestyle="-.", lw=1,
                       label="standard block" if i == 0 else None)
    ax.axhline(1.0, color="#555555", linestyle=":", label="per-position mean patch")
    ax.axvline(trained_T, color="#999999", linestyle="--", lw=1, label=f"trained T = {trained_T}")
    ax.set_yscale("log")
    ax.set_xlabel("inference descent steps T")
    ax.set_ylabel("masked-patch MSE / baseline MSE")
    ax.set_title("test digits, 4 of 16 patches masked")
    ax.legend(loc="upper right")
    return fig


def draw_energy(traces: torch.Tensor, terms: dict, trained_T: int = SETTINGS["T"]):
    fig, axes = style.figure(ncols=2, width=10.0, height=3.8)
    left, right = axes[0]
    E = style.to_numpy(traces)
    steps = np.arange(E.shape[0])
    left.plot(steps, E - E[0], color=style.PALETTE[0], alpha=0.15, lw=0.7)
    left.axvline(trained_T, color="#999999", linestyle="--", lw=1)
    left.set_xlabel("descent step k")
    left.set_ylabel(r"$E(x^k) - E(x^0)$")
    left.set_title(f"every one of {E.shape[1]} test images")
    for i, (name, label) in enumerate((("ln", r"$E_{LN}$"), ("att", r"$E_{ATT}$"), ("hn", r"$E_{HN}$"))):
        right.plot(steps, terms[name] - terms[name][0], color=style.PALETTE[i + 1], label=label)
    total = sum(terms.values())
    right.plot(steps, total - total[0], color="black", lw=2, label="total")
    right.set_xlabel("descent step k")
    right.set_ylabel("change from step 0 (mean over test)")
    right.set_title("the three terms")
    right.legend(loc="lower left")
    return fig


def _show(ax, image, title=""):
    ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=8)


def _masked_view(patches, mask):
    p = patches.clone()
    p[mask] = 0.5
    return to_images(p)


def reconstructions(seed: int = 0, steps=(0, 2, 4, 8, 16), items=(0, 1, 2, 3, 4, 5)):
    """(items, 8, 8) originals, masked views and {T: reconstructions with the true patches kept}."""
    _, test = digits()
    idx = list(items)
    x, mask = test[idx], test_masks()[idx]
    model = trained(seed)
    out = {}
    with torch.no_grad():
        for T in steps:
            pred = model(x, mask, T, SETTINGS["alpha"])
            out[T] = to_images(torch.where(mask[..., None], pred.clamp(0, 1), x))
    return to_images(x), _masked_view(x, mask), out


def draw_reconstructions(original, masked, recon):
    rows = len(original)
    cols = 2 + len(recon)
    fig, axes = style.figure(ncols=cols, nrows=rows, width=1.2 * cols, height=1.25 * rows)
    for r in range(rows):
        _show(axes[r, 0], masked[r], "masked" if r == 0 else "")
        for c, (T, img) in enumerate(recon.items()):
            _show(axes[r, 1 + c], img[r], f"T = {T}" if r == 0 else "")
        _show(axes[r, -1], original[r], "original" if r == 0 else "")
    for ax in axes[:, 0]:
        ax.set_ylabel("test image")
    for ax in axes[-1]:
        ax.set_xlabel("8x8 pixels")
    return fig


def draw_memories(seed: int = 0, shown: int = 64):
    """The memories xi_mu decoded as 2x2 patches: decode(xi) shows what each memory writes."""
    model = trained(seed)
    with torch.no_grad():
        P = model.decode(model.et.xi[:shown]).reshape(-1, 2, 2).numpy()
    cols = 16
    rows = (len(P) + cols - 1) // cols
    fig, axes = style.figure(ncols=cols, nrows=rows, width=0.6 * cols, height=0.7 * rows + 0.5)
    lim = np.abs(P).max()
    for i, ax in enumerate(axes.flat):
        if i < len(P):
            ax.imshow(P[i], cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[:, 0]:
        ax.set_ylabel("memory")
    for ax in axes[-1]:
        ax.set_xlabel("2x2")
    fig.suptitle(f"the {len(P)} Hopfield memories, decoded to patches (seed {seed})")
    return fig


# ---------------------------------------------------------------------------------------------
# Graph anomaly detection: nodes as tokens, attention restricted to the graph's neighbourhoods
# ---------------------------------------------------------------------------------------------

GRAPH_SETTINGS = dict(D=16, heads=2, Y=8, memories=32, T=4, alpha=0.1, steps=300, lr=1e-2, batch=2, hidden=0.15)
GRAPH_SEEDS = (0, 1, 2, 3, 4)
GRAPH_WEIGHTS = Path(__file__).with_name("energy_transformer_graph_weights.npz")
SCORE_GROUPS = 8  # each node is hidden in exactly one of 8 copies of the graph when it is scored
KINDS = ("all", "structural", "contextual")


@lru_cache(maxsize=8)
def graph(seed: int = 0) -> graphs.AttributedGraph:
    """The attributed graph of this seed: 200 nodes, 4 communities, 16 clique and 16 contextual anomalies."""
    return graphs.planted_anomalies(seed=seed)


class NodeCompleter(torch.nn.Module):
    """Nodes as tokens: a linear encoder of the F attributes to D, a mask token for hidden nodes, one ET
    block whose attention is restricted to the graph's edges (or full, ``restrict=False``), a decoder to F."""

    def __init__(self, features: int, seed: int = 0, D: int = 16, heads: int = 2, Y: int = 8, memories: int = 32, **_):
        super().__init__()
        torch.manual_seed(seed)
        self.encode = torch.nn.Linear(features, D).to(DTYPE)
        self.decode = torch.nn.Linear(D, features).to(DTYPE)
        self.mask_token = torch.nn.Parameter(0.1 * torch.randn(D, dtype=DTYPE))
        self.et = ET.EnergyTransformer(D, heads=heads, Y=Y, memories=memories, seed=seed)

    def forward(self, attributes, hide, adjacency=None, T: int = 4, alpha: float = 0.1):
        """attributes (batch, n, F), hide (batch, n) bool, adjacency (n, n) bool or None -> attributes (batch, n, F)."""
        x = self.encode(attributes)
        x = torch.where(hide[..., None], self.mask_token.expand_as(x), x)
        return self.decode(self.et.layernorm(self.et(x, steps=T, alpha=alpha, mask=adjacency)))


def train_node_completer(seed: int = 0, restrict: bool = True, **overrides) -> NodeCompleter:
    """Adam on the error of hidden nodes' attributes (a fresh 15 % hidden in each of ``batch`` copies per step).

    Unsupervised and transductive: the model never sees the labels and trains on the graph it will score."""
    s = GRAPH_SETTINGS | overrides
    G = graph(seed)
    X = G.attributes[None]
    n = X.shape[1]
    adjacency = G.adjacency if restrict else None
    model = NodeCompleter(X.shape[-1], seed=seed, **s)
    opt = torch.optim.Adam(model.parameters(), lr=s["lr"])
    g = torch.Generator().manual_seed(2000 + _checks.seed(seed))
    with tiers.threads(1):
        for _ in range(_checks.count("steps", s["steps"], minimum=1)):
            hide = torch.rand(s["batch"], n, generator=g, dtype=DTYPE) < s["hidden"]
            pred = model(X.expand(s["batch"], -1, -1), hide, adjacency, s["T"], s["alpha"])
            loss = ((pred - X) ** 2).sum(-1)[hide].mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model


def write_graph_weights(path=GRAPH_WEIGHTS, seeds=GRAPH_SEEDS, **overrides) -> Path:
    """Train the restricted and the full-attention node completer per seed and save them:
    ``python -m assocmem.chapters.beyond.energy_transformer graph``."""
    arrays = {}
    for seed in seeds:
        for kind, restrict in (("graph", True), ("full", False)):
            for name, value in train_node_completer(seed, restrict, **overrides).state_dict().items():
                arrays[f"{kind}{seed}/{name}"] = value.numpy().astype(np.float32)
    np.savez_compressed(Path(path), **arrays, settings=np.array(repr(GRAPH_SETTINGS | overrides)))
    return Path(path)


@lru_cache(maxsize=1)
def _stored_graph(path=GRAPH_WEIGHTS) -> dict:
    return dict(np.load(path))


@lru_cache(maxsize=32)
def trained_graph(seed: int = 0, restrict: bool = True, tier: str | None = None) -> NodeCompleter:
    """The checked-in node completer of this seed (CI tier); the paper tier retrains with twice the steps."""
    if tiers.current(tier) == "paper":
        return train_node_completer(seed, restrict, steps=2 * GRAPH_SETTINGS["steps"])
    model = NodeCompleter(graph(seed).attributes.shape[1], seed=seed, **GRAPH_SETTINGS)
    stored, kind = _stored_graph(), "graph" if restrict else "full"
    model.load_state_dict({n: torch.from_numpy(stored[f"{kind}{seed}/{n}"].astype(np.float64)) for n in model.state_dict()})
    return model


def score_groups(n: int, groups: int = SCORE_GROUPS, seed: int = 0) -> torch.Tensor:
    """(groups, n) bool: a seeded partition of the nodes; row k hides the nodes of group k."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    group = torch.empty(n, dtype=torch.int64)
    group[order] = torch.arange(n) % groups
    return group[None, :] == torch.arange(groups)[:, None]


def anomaly_scores(seed: int = 0, restrict: bool = True, tier: str | None = None) -> dict[str, np.ndarray]:
    """Scores (n,) per method, larger = more anomalous.

    ``et``: squared error of a node's attributes predicted with the node hidden (its neighbours visible);
    ``energy``: the node's own share of the energy after T steps with nothing hidden (its E_LN term, the
    log-sum-exp of its query over its neighbours, its Hopfield term); ``degree``; ``neighbour``: the
    distance of the attributes to the mean of the neighbours' attributes; ``global``: to the mean over all nodes."""
    G = graph(seed)
    X = G.attributes[None]
    adjacency = G.adjacency if restrict else None
    model = trained_graph(seed, restrict, tier)
    s = GRAPH_SETTINGS
    hide = score_groups(X.shape[1])
    with torch.no_grad(), tiers.threads(1):
        pred = model(X.expand(len(hide), -1, -1), hide, adjacency, s["T"], s["alpha"])
        err = (((pred - X) ** 2).sum(-1) * hide).sum(0)  # each node hidden exactly once
        x = model.et(model.encode(X), steps=s["T"], alpha=s["alpha"], mask=adjacency)
        node_energy = model.et.token_energies(x, adjacency)[0]
    return {"et": err.numpy(), "energy": node_energy.numpy(), "degree": G.degree.numpy().astype(float),
            "neighbour": graphs.neighbour_mean_distance(G).numpy(), "global": graphs.mean_distance(G).numpy()}


def graph_energy_rise(seeds=GRAPH_SEEDS, steps: int = 16, tier: str | None = None) -> np.ndarray:
    """Largest one-step energy change over ``steps`` descent steps of the restricted block on each seed's
    graph, in each of the scoring copies (one group hidden per copy), (seeds,); <= 0 means it never rose."""
    out = []
    with torch.no_grad(), tiers.threads(1):
        for seed in seeds:
            G, model = graph(seed), trained_graph(seed, True, tier)
            hide = score_groups(G.attributes.shape[0])
            x = model.encode(G.attributes[None].expand(len(hide), -1, -1))
            x = torch.where(hide[..., None], model.mask_token.expand_as(x), x)
            _, trace = model.et(x, steps=steps, alpha=GRAPH_SETTINGS["alpha"], record=True, mask=G.adjacency)
            out.append((trace[1:] - trace[:-1]).max().item())
    return np.array(out)


def _auc(labels: np.ndarray, score: np.ndarray, kind: str) -> float:
    from sklearn.metrics import roc_auc_score

    keep = np.ones(len(labels), bool) if kind == "all" else np.isin(labels, (graphs.NORMAL, KINDS.index(kind)))
    return roc_auc_score(labels[keep] != graphs.NORMAL, score[keep])


@dataclass
class GraphStudy:
    seeds: tuple
    auc: dict  # {method: (seeds, 3)} ROC-AUC against all anomalies, the structural ones, the contextual ones
    scores: dict  # {method: (n,)} of the first seed, for the ROC curves
    labels: np.ndarray  # (n,) of the first seed


METHODS = {"et": "ET reconstruction error", "full": "ET, full attention", "energy": "ET node energy",
           "degree": "degree", "neighbour": "distance to neighbour mean", "global": "distance to graph mean"}


def graph_study(seeds=GRAPH_SEEDS, tier: str | None = None) -> GraphStudy:
    """ROC-AUC of every method on every seed's graph, normal nodes against each kind of anomaly."""
    auc, first = {m: [] for m in METHODS}, None
    for seed in seeds:
        scores = anomaly_scores(seed, True, tier)
        scores["full"] = anomaly_scores(seed, False, tier)["et"]
        labels = graph(seed).labels.numpy()
        first = first or (scores, labels)
        for m in METHODS:
            auc[m].append([_auc(labels, scores[m], k) for k in KINDS])
    return GraphStudy(tuple(seeds), {m: np.array(v) for m, v in auc.items()}, *first)


def draw_roc(study: GraphStudy):
    """ROC curves of the first seed, one panel per kind of anomaly."""
    from sklearn.metrics import roc_curve

    fig, axes = style.figure(ncols=3, width=11.0, height=3.9)
    for ax, kind in zip(axes[0], KINDS):
        keep = np.ones(len(study.labels), bool) if kind == "all" else np.isin(study.labels, (0, KINDS.index(kind)))
        y = study.labels[keep] != 0
        for i, (m, label) in enumerate(METHODS.items()):
            fpr, tpr, _ = roc_curve(y, study.scores[m][keep])
            ax.plot(fpr, tpr, color=style.PALETTE[i], lw=1.6, label=f"{label} ({_auc(study.labels, study.scores[m], kind):.2f})")
        ax.plot([0, 1], [0, 1], color="#999999", linestyle=":", lw=1)
        ax.set_xlabel("false-positive rate")
        ax.set_ylabel("true-positive rate")
        ax.set_title(f"{kind} anomalies vs normal nodes")
        ax.set_aspect("equal")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=7, title="score (ROC-AUC)", title_fontsize=7)
    fig.suptitle(f"seed {study.seeds[0]}: one graph of {len(study.labels)} nodes", y=1.04)
    return fig


# ---------------------------------------------------------------------------------------------
# Attention maps of a completed digit
# ---------------------------------------------------------------------------------------------


def attention_maps(seed: int = 0, item: int = 0, T: int = SETTINGS["T"]):
    """The attention weights P[h, B, C] (heads, 16, 16) after T descent steps on one test digit, with
    the masked view, the completion (visible patches kept) and the mask (16,)."""
    _, test = digits()
    x, mask = test[item:item + 1], test_masks()[item:item + 1]
    model = trained(seed)
    with torch.no_grad():
        tokens = model.et(model.start(x, mask), steps=T, alpha=SETTINGS["alpha"])
        P = model.et.attention(tokens)[0]
        pred = model.decode(model.et.layernorm(tokens))
    completed = to_images(torch.where(mask[..., None], pred.clamp(0, 1), x))[0]
    return P.numpy(), _masked_view(x, mask)[0], completed, mask[0].numpy()


def draw_attention(P, masked, completed, mask, T: int = SETTINGS["T"]):
    from matplotlib.patches import Rectangle

    heads = P.shape[0]
    fig, axes = style.figure(ncols=2 + heads, width=3.0 * (2 + heads), height=3.4)
    row = axes[0]
    _show(row[0], masked, "masked input")
    _show(row[1], completed, f"completed, T = {T}")
    for ax in row[:2]:
        ax.set_xlabel("8x8 pixels")
        ax.grid(False)
    for k in np.nonzero(mask)[0]:  # number the masked patches on the input
        row[0].text(2 * (k % 4) + 0.5, 2 * (k // 4) + 0.5, str(k), ha="center", va="center", fontsize=7, color="#b2182b")
    vmax = P.max()
    for h in range(heads):
        ax = row[2 + h]
        im = ax.imshow(P[h], cmap="viridis", vmin=0, vmax=vmax, origin="upper")
        ax.set_xlabel("query patch C")
        ax.set_ylabel("key patch B")
        ax.set_title(f"head {h + 1}: weights P[B, C]\n(red: masked queries)")
        ax.set_xticks(range(0, 16, 3))
        ax.set_yticks(range(0, 16, 3))
        ax.grid(False)
        for k in np.nonzero(mask)[0]:  # outline the columns of the masked queries
            ax.add_patch(Rectangle((k - 0.5, -0.5), 1, 16, fill=False, edgecolor="#e41a1c", lw=1.4))
    fig.colorbar(im, ax=list(row[2:]), label="attention weight (each column sums to 1)", shrink=0.85)
    return fig


# ---------------------------------------------------------------------------------------------
# Widget and registry
# ---------------------------------------------------------------------------------------------


def draw_widget(T: int, item: int = 0, seed: int = 0):
    _, test = digits()
    x, mask = test[item:item + 1], test_masks()[item:item + 1]
    model = trained(seed)
    with torch.no_grad():
        pred = model(x, mask, T, SETTINGS["alpha"])
        err = masked_mse(pred, x, mask).item()
    fig, axes = style.figure(ncols=3, width=7.0, height=2.8)
    _show(axes[0, 0], _masked_view(x, mask)[0], "masked")
    _show(axes[0, 1], to_images(torch.where(mask[..., None], pred.clamp(0, 1), x))[0], f"T = {T}: MSE {err:.3f}")
    _show(axes[0, 2], to_images(x)[0], "original")
    for ax in axes[0]:
        ax.set_xlabel("8x8 pixels")
    axes[0, 0].set_ylabel("test image")
    return fig


@gallery.register_widget("energy-transformer-steps", chapter=CHAPTER)
def widget(T: int = 8, item: int = 0):
    """Sliders for the number of descent steps and the test image."""
    controls = {
        "T": slider(w.IntSlider, "descent steps T", T, min=0, max=32),
        "item": slider(w.IntSlider, "test image", item, min=0, max=TEST_SIZE - 1),
    }
    return figure_widget(draw_widget, controls)


@gallery.register("energy-transformer-curve", chapter=CHAPTER,
                  alt="Masked-patch error relative to the mean-patch baseline against the number of descent steps, "
                  "for three seeds: falling steeply to the trained number of steps, then rising; a standard block's level for comparison.")
def curve_figure(tier: str = "ci"):
    return draw_curve(error_curve(tier=tier), standard_mse(tier=tier))


@gallery.register("energy-transformer-energy", chapter=CHAPTER,
                  alt="Left: the energy of every test image against the descent step, falling at every step. "
                  "Right: the change of the three energy terms and their sum.")
def energy_figure():
    return draw_energy(energy_traces(), energy_terms())


@gallery.register("energy-transformer-reconstructions", chapter=CHAPTER,
                  alt="Six test digits with four patches masked, completed after 0, 2, 4, 8 and 16 descent steps, "
                  "next to the originals.")
def reconstructions_figure():
    return draw_reconstructions(*reconstructions())


@gallery.register("energy-transformer-memories", chapter=CHAPTER,
                  alt="The 64 learned Hopfield memories decoded as 2x2 patches.")
def memories_figure():
    return draw_memories()


@gallery.register("energy-transformer-roc", chapter=CHAPTER,
                  alt="ROC curves of five anomaly scores on one synthetic attributed graph, in three panels: all anomalies, "
                  "the planted cliques, the nodes with swapped attributes.")
def roc_figure(tier: str = "ci"):
    return draw_roc(graph_study(tier=tier))


@gallery.register("energy-transformer-attention", chapter=CHAPTER,
                  alt="A masked test digit, its completion, and the attention weights of each of the two heads "
                  "as a 16 by 16 matrix of key patches against query patches.")
def attention_figure():
    return draw_attention(*attention_maps())


if __name__ == "__main__":
    import sys

    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which not in ("all", "images", "graph"):
        raise SystemExit(f"usage: python -m assocmem.chapters.beyond.energy_transformer [all|images|graph], got {which!r}")
    if which in ("all", "images"):
        print(f"wrote {write_weights()}")
    if which in ("all", "graph"):
        print(f"wrote {write_graph_weights()}")
