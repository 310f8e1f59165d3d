"""Shared timer of the benchmark scripts (run as ``python benchmarks/<name>.py``; Python puts
this folder on the import path for a script, so ``from timing import best_of`` needs no set-up)."""

from __future__ import annotations

import time


def best_of(fn, repeats: int = 3) -> tuple[float, object]:
    """Call ``fn`` ``repeats`` times; return the shortest wall time in seconds and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result
