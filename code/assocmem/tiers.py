"""The two compute tiers of every experiment.

``ci`` (the default) keeps each chapter under a minute on a 2-core CPU; ``paper``
reruns the experiments at the paper's sizes. Choose with the environment variable
``ASSOCMEM_TIER`` (``ci`` or ``paper``) or pass ``tier=`` explicitly.
"""

from __future__ import annotations

import ctypes
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


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -3, -4
_MMAP_MAX_DEFAULT = 65536
_KEEP = {"depth": 0}


def _glibc():
    """The process's glibc, or None (macOS, Windows, musl: the block below is then a no-op)."""
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 -- only glibc has it
        return libc
    except (OSError, AttributeError, TypeError):
        return None


@contextmanager
def reuse_freed_memory(enabled: bool = True):
    """Inside the block, glibc's allocator keeps freed memory and serves later tensors from it.

    By default glibc hands every block above 32 MiB to the kernel with its own mmap and returns
    it at ``free``, so a tensor of that size costs one page fault per 4 KiB page, and the page's
    zeroing, every time it is made. A training step that creates and frees the same large tensors
    at every step pays this again and again: at the paper size of the induction head's
    experiment (b) the step spent about as long in page faults as in arithmetic
    (``benchmarks/transformer.py``). Inside the block large blocks come from the heap instead
    (``M_MMAP_MAX = 0``) and freed memory stays there (a trim threshold of 2 GiB), so the next
    step reuses it. On exit the kept memory goes back to the system (``malloc_trim``) and the
    options are set to the values glibc's adaptive mode reaches once large blocks have been freed
    (mmap threshold 32 MiB, trim threshold 64 MiB; glibc's adaptation stays off afterwards, as
    after any ``mallopt``). Nested blocks act once, at the outermost. A no-op where the C library
    is not glibc.
    """
    libc = _glibc() if enabled and _KEEP["depth"] == 0 else None
    if libc is not None:
        libc.mallopt(_M_MMAP_MAX, 0)
        libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
    _KEEP["depth"] += 1
    try:
        yield
    finally:
        _KEEP["depth"] -= 1
        if libc is not None:
            libc.mallopt(_M_MMAP_MAX, _MMAP_MAX_DEFAULT)
            libc.mallopt(_M_MMAP_THRESHOLD, 32 * 2**20)
            libc.mallopt(_M_TRIM_THRESHOLD, 64 * 2**20)
            libc.malloc_trim(0)


__all__ = ["current", "device", "threads", "flush_denormal", "reuse_freed_memory", "VARIABLE", "TIERS"]
