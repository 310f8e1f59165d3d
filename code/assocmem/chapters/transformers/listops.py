"""Chapter "What a small Transformer memorises: ListOps": the cached sweep, the CI-tier runs and the figures.

The paper-tier sweep is slow on a CPU (about a quarter of an hour on one thread), so its result is a small
JSON file next to this module, written by ``python -m assocmem.chapters.transformers.listops --sweep``;
the chapter reads it for the sweep figure and reruns a cut-down version (``ci_runs``) live.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from ... import tiers
from ...models import listops as M
from ...tasks import listops as task
from ...viz import gallery, style

CHAPTER = "transformers/listops"
SWEEP_FILE = Path(__file__).with_name("listops_sweep.json")
CONDITIONS = {"SUM": ("SUM",), "MAX+MED": ("MAX", "MED"), "all four": ("MAX", "MIN", "MED", "SUM")}
THRESHOLD = 0.5  # the held-out accuracy a model must reach (chance is 0.1): no CPU-sized model of "all four" reaches 0.8


def sizes(tier: str | None = None) -> dict:
    """Sizes of the experiments. The paper tier is the cached sweep; the CI tier trains a few tiny models live."""
    if tiers.current(tier) == "paper":
        return {"dims": (8, 16, 32, 64), "seeds": (0, 1, 2), "steps": 1000, "train_size": 4000, "test_size": 1000,
                "pretrain_dim": 32, "lr": 5e-3}
    return {"dims": (16,), "seeds": (0, 1), "steps": 200, "train_size": 1000, "test_size": 500, "pretrain_dim": 16, "lr": 1e-2}


def run_sweep(tier: str = "paper", show: bool | None = None) -> dict:
    """The sweep over conditions, widths and seeds, and the pretraining experiment; a JSON-ready dict."""
    size = sizes(tier)
    start = time.time()
    with tiers.threads(1):
        rows = M.sweep(CONDITIONS, size["dims"], size["seeds"], steps=size["steps"], train_size=size["train_size"],
                       test_size=size["test_size"], show=show, lr=size["lr"])
        pretraining = [M.pretrain_then_sum(size["pretrain_dim"], seed, size["steps"], size["steps"],
                                           train_size=size["train_size"], test_size=size["test_size"], lr=size["lr"])
                       for seed in size["seeds"]]
    return {"tier": tier, "sizes": {k: list(v) if isinstance(v, tuple) else v for k, v in size.items()},
            "task": M.TASK, "threshold": THRESHOLD, "rows": rows, "pretraining": pretraining,
            "wall_seconds": round(time.time() - start, 1), "torch": torch.__version__, "machine": platform.machine(),
            "date": time.strftime("%Y-%m-%d", time.gmtime())}


@lru_cache(maxsize=1)
def cached_sweep() -> dict:
    """The checked-in result of the paper-tier sweep."""
    return json.loads(SWEEP_FILE.read_text())


def ci_runs(tier: str | None = None) -> dict:
    """The live runs of the chapter: every condition at the sizes of the tier (the CI tier: ``sizes("ci")``, a few
    tiny models; the paper tier reruns the sweep's grid), each run the same record as a sweep row."""
    return _live_runs(tiers.current(tier))


@lru_cache(maxsize=2)
def _live_runs(tier: str) -> dict:
    size = sizes(tier)
    with tiers.threads(1):
        rows = M.sweep(CONDITIONS, size["dims"], size["seeds"], steps=size["steps"], train_size=size["train_size"],
                       test_size=size["test_size"], show=False, lr=size["lr"])
    return {"sizes": size, "rows": rows}


# ---------------------------------------------------------------- tables the chapter quotes


def table(rows, key: str) -> dict:
    """``{condition: {params: [value per seed]}}`` of one measurement."""
    out: dict = {}
    for row in rows:
        out.setdefault(row["condition"], {}).setdefault(row["params"], []).append(row[key])
    return out


def per_seed(rows, condition: str, key: str, dim: int | None = None) -> np.ndarray:
    """Values of ``key`` for ``condition`` (at width ``dim``, default the largest), ordered by seed."""
    chosen = [r for r in rows if r["condition"] == condition]
    dim = max(r["dim"] for r in chosen) if dim is None else dim
    chosen = sorted((r for r in chosen if r["dim"] == dim), key=lambda r: r["seed"])
    return np.array([np.nan if r[key] is None else r[key] for r in chosen], dtype=float)


def thresholds(rows, threshold: float = THRESHOLD, key: str = "test_accuracy") -> dict:
    """Fewest parameters at which every seed of a condition reaches ``threshold`` (inf: no width did)."""
    return {name: M.smallest_reaching(rows, name, threshold, key=key) for name in CONDITIONS}


# ---------------------------------------------------------------- figures

COLOURS = {name: style.PALETTE[i] for i, name in enumerate(CONDITIONS)}


def draw_sweep(rows, threshold: float = THRESHOLD):
    """Held-out accuracy against parameters per condition (left) and, for the models that saw SUM, train and
    held-out accuracy on pure-SUM expressions (right)."""
    fig, axes = style.figure(ncols=2, width=11.0, height=3.9)
    ax = axes[0, 0]
    for name, by_params in table(rows, "test_accuracy").items():
        params = sorted(by_params)
        for p in params:
            ax.plot([p] * len(by_params[p]), by_params[p], "o", color=COLOURS[name], alpha=0.45, markersize=4)
        ax.plot(params, [np.mean(by_params[p]) for p in params], "-", color=COLOURS[name], label=name)
    ax.axhline(threshold, color="#333333", ls="--", lw=0.8, label=f"threshold {threshold:g}")
    ax.axhline(0.1, color="#999999", ls=":", lw=0.8, label="chance 0.1")
    ax.set_xscale("log")
    ax.set_ylim(0, 1)
    ax.set_xlabel("trained parameters")
    ax.set_ylabel("held-out accuracy (own operator mix)")
    ax.set_title("accuracy against model size (points: seeds)")
    ax.legend(loc="center right", fontsize=7)
    ax = axes[0, 1]
    train_acc, sum_acc = table(rows, "train_accuracy"), table(rows, "sum_accuracy")
    for name in ("SUM", "all four"):
        if name not in sum_acc:
            continue
        params = sorted(sum_acc[name])
        ax.plot(params, [np.mean(sum_acc[name][p]) for p in params], "o-", color=COLOURS[name], label=f"{name}: held-out pure SUM")
        if name == "SUM":
            ax.plot(params, [np.mean(train_acc[name][p]) for p in params], "s--", color=COLOURS[name], label="SUM: training set")
    ax.axhline(0.1, color="#999999", ls=":", lw=0.8, label="chance 0.1")
    ax.set_xscale("log")
    ax.set_ylim(0, 1)
    ax.set_xlabel("trained parameters")
    ax.set_ylabel("accuracy (mean over seeds)")
    ax.set_title("SUM: memorised, not learned")
    ax.legend(loc="upper left", fontsize=7)
    return fig


@gallery.register("listops-sweep", chapter=CHAPTER,
                  alt="Left: held-out accuracy against the number of parameters on a log axis for SUM only, MAX and MED, "
                  "and all four operators; MAX+MED is highest, all four in between, SUM only stays near chance. Right: "
                  "SUM-only models fit part of their training set while their held-out accuracy stays near 0.1.")
def sweep_figure():
    return draw_sweep(cached_sweep()["rows"], cached_sweep()["threshold"])


def draw_mechanisms(rows):
    """Digit-order score per condition and width (left); accuracy lost when attention or the feed-forward layers are
    ablated, per condition at the largest width (right)."""
    fig, axes = style.figure(ncols=2, width=11.0, height=3.9)
    ax = axes[0, 0]
    dims = sorted({r["dim"] for r in rows})
    width = 0.8 / len(CONDITIONS)
    for i, name in enumerate(CONDITIONS):
        for j, dim in enumerate(dims):
            values = per_seed(rows, name, "digit_order", dim)
            x = j + (i - 1) * width
            ax.bar(x, values.mean(), width * 0.9, color=COLOURS[name], alpha=0.6, label=name if j == 0 else None)
            ax.plot([x] * len(values), values, "k.", markersize=4)
    ax.set_xticks(range(len(dims)), [f"d = {d}" for d in dims])
    ax.set_xlabel("model width d")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("|Spearman ρ|, digit PC1 vs value")
    ax.set_title("number order in the digit embeddings (dots: seeds)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=7)
    ax = axes[0, 1]
    for i, name in enumerate(CONDITIONS):
        for k, (part, hatch) in enumerate((("attention_drop", ""), ("feedforward_drop", "//"))):
            values = per_seed(rows, name, part)
            x = i + (k - 0.5) * 0.38
            ax.bar(x, values.mean(), 0.34, color=COLOURS[name], alpha=0.6, hatch=hatch,
                   label=("attention ablated" if k == 0 else "feed-forward ablated") if i == 0 else None)
            ax.plot([x] * len(values), values, "k.", markersize=4)
    ax.axhline(0, color="#333333", lw=0.8)
    ax.set_xticks(range(len(CONDITIONS)), list(CONDITIONS))
    ax.set_xlabel("operators trained on")
    ax.set_ylabel("held-out accuracy lost")
    ax.set_title(f"ablations at d = {max(dims)} (plain: attention, hatched: feed-forward)")
    ax.legend(loc="upper right", fontsize=7)
    return fig


@gallery.register("listops-mechanisms", chapter=CHAPTER,
                  alt="Left: bars of the digit-order score for each operator mix and width, with one dot per seed. Right: "
                  "held-out accuracy lost when attention or the feed-forward layers are removed, for each operator mix.")
def mechanisms_figure():
    return draw_mechanisms(cached_sweep()["rows"])


def draw_pretraining(pretraining, ci_rows, cached_rows, steps: int | None = None):
    """SUM held-out accuracy from scratch, from scratch with twice the steps, after MAX+MED pretraining (left);
    the live CI-tier runs against the cached sweep at the same width (right)."""
    fig, axes = style.figure(ncols=2, width=11.0, height=3.9)
    ax = axes[0, 0]
    labels = {"scratch": "SUM from scratch", "scratch_equal_steps": "SUM, twice the steps", "pretrained": "MAX+MED, then SUM"}
    for k, (key, label) in enumerate(labels.items()):
        values = np.array([p[key] for p in pretraining])
        ax.bar(k, values.mean(), 0.6, color=style.PALETTE[k + 3], alpha=0.6)
        ax.plot([k] * len(values), values, "k.", markersize=5)
    ax.axhline(0.1, color="#999999", ls=":", lw=0.8)
    ax.set_xticks(range(3), list(labels.values()), fontsize=8)
    ax.set_xlabel("training schedule")
    ax.set_ylim(0, 1)
    ax.set_ylabel("held-out SUM accuracy")
    ax.set_title(f"pretraining at d = {pretraining[0]['dim']} (dots: seeds; dotted: chance)")
    ax = axes[0, 1]
    for i, name in enumerate(CONDITIONS):
        live = per_seed(ci_rows, name, "test_accuracy")
        cached = per_seed(cached_rows, name, "test_accuracy", dim=max(r["dim"] for r in ci_rows))
        ax.plot([i - 0.12] * len(live), live, "o", color=COLOURS[name], label="live (CI tier)" if i == 0 else None)
        ax.plot([i + 0.12] * len(cached), cached, "s", mfc="none", color=COLOURS[name], label="cached sweep" if i == 0 else None)
    ax.axhline(0.1, color="#999999", ls=":", lw=0.8)
    ax.set_xticks(range(len(CONDITIONS)), list(CONDITIONS))
    ax.set_xlabel("operators trained on")
    ax.set_ylim(0, 1)
    ax.set_ylabel("held-out accuracy")
    steps_text = f", {steps} steps" if steps else ""
    ax.set_title(f"live runs (d = {max(r['dim'] for r in ci_rows)}{steps_text}) vs the cached sweep")
    ax.legend(loc="upper right", fontsize=7)
    return fig


@gallery.register("listops-pretraining", chapter=CHAPTER,
                  alt="Left: held-out SUM accuracy of small models trained on SUM from scratch, with twice the steps, and "
                  "after pretraining on MAX and MED, one dot per seed. Right: held-out accuracy of the live CI-tier runs "
                  "next to the cached sweep for each operator mix.")
def pretraining_figure(tier: str | None = None):
    live = ci_runs(tier)
    return draw_pretraining(cached_sweep()["pretraining"], live["rows"], cached_sweep()["rows"], live["sizes"]["steps"])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help=f"run the paper-tier sweep and write {SWEEP_FILE.name}")
    args = parser.parse_args(argv)
    if args.sweep:
        result = run_sweep("paper")
        SWEEP_FILE.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {SWEEP_FILE} in {result['wall_seconds']} s")


if __name__ == "__main__":
    main()
