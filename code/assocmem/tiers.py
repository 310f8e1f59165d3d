"""The two compute tiers of every experiment.

``ci`` (the default) keeps each chapter under a minute on a 2-core CPU; ``paper``
reruns the experiments at the paper's sizes. Choose with the environment variable
``ASSOCMEM_TIER`` (``ci`` or ``paper``) or pass ``tier=`` explicitly.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import torch

from . import _checks

VARIABLE = "ASSOCMEM_TIER"
TIERS = ("ci", "paper")


def current(tier: str | None = None) -> str:
    """The tier in force: ``tier`` if given, else ``$ASSOCMEM_TIER``, else ``"ci"``."""
    value = tier if tier is not None else os.environ.get(VARIABLE, "ci").strip().lower() or "ci"
    name = "tier" if tier is not None else f"the environment variable {VARIABLE}"
    if value not in TIERS:
        raise ValueError(f"{name} must be one of {list(TIERS)}, got {value!r}.")
    return value


def device(tier: str | None = None) -> torch.device:
    """CUDA for the paper tier when PyTorch sees a GPU, else the CPU (the CI tier is always CPU, for determinism)."""
    if current(tier) == "paper" and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


@contextmanager
def threads(count: int | None):
    """Run torch on ``count`` intra-op threads inside the block, restoring the count after.

    The CI-tier experiments are loops of tiny tensor operations; on a 2-core machine whose
    cores are shared with other jobs, a second thread costs more in synchronisation than
    it gains (measured up to 20 times slower), while on an idle machine one and two
    threads are equal. ``None`` leaves the count unchanged.
    """
    previous = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(_checks.count("threads", count, minimum=1))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextmanager
def flush_denormal(enabled: bool = True):
    """Flush denormal floats to zero inside the block only, restoring the previous mode after.

    Long causal softmaxes produce weights below 1e-308 whose arithmetic is 10-100 times slower
    on x86 CPUs; flushing them is harmless for training but must not change the rest of a
    reader's session (``torch.tensor(1e-310) * 1`` stays 1e-310 outside the block).
    """
    probe = torch.tensor(1e-310, dtype=torch.float64)
    previous = bool((probe * 1).item() == 0.0)
    torch.set_flush_denormal(bool(enabled))
    try:
        yield
    finally:
        torch.set_flush_denormal(previous)


__all__ = ["current", "device", "threads", "flush_denormal", "VARIABLE", "TIERS"]
