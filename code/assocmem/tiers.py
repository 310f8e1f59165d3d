"""The two compute tiers of every experiment.

``ci`` (the default) keeps each chapter under a minute on a 2-core CPU; ``paper``
reruns the experiments at the paper's sizes. Choose with the environment variable
``ASSOCMEM_TIER`` (``ci`` or ``paper``) or pass ``tier=`` explicitly.
"""

from __future__ import annotations

import os

import torch



VARIABLE = "ASSOCMEM_TIER"
TIERS = ("ci", "paper")


def current(tier: str | None = None) -> str:
    """The tier in force: ``tier`` if given, else ``$ASSOCMEM_TIER``, else ``"ci"``."""
    value = tier if tier is not None else os.environ.get(VARIABLE, "ci").strip().lower() or "ci"
    name = "tier" if tier is not None else f"the environment variable {VARIABLE}"
    if value not in TIERS:
        raise ValueError(f"{name} must be one of {list(TIERS)}, got {value!r}.")
    return value


def pick(ci, paper, tier: str | None = None):
    """``ci`` or ``paper`` according to the tier in force."""
    return paper if current(tier) == "paper" else ci


def device(tier: str | None = None) -> torch.device:
    """CUDA for the paper tier when PyTorch sees a GPU, else the CPU (the CI tier is always CPU, for determinism)."""
    if current(tier) == "paper" and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


__all__ = ["current", "pick", "device", "VARIABLE", "TIERS"]
