"""Speed of the experiments of the chapter "What cross-entropy memorises when tokens are not separable".

1. The 100 x 100 sharpness map of sharpness chapter section (seed 9, N = 30): ``landscape.evaluate(...,
   with_sharpness=True)`` (one batched Hessian and eigvalsh over the grid) against a Python
   loop of ``memory.sharpness`` over the grid points. Target: the batched map under 5 s.
2. The 1000-step SGD run of the forgetting run with the default torch thread count and inside
   ``tiers.threads(1)``: tiny tensor ops pay for thread start-up, so one thread
   is faster, by a large factor on a loaded machine.
3. The optima of the excess-error section: Newton minimiser and exact direction search for N = 30.

Run: ``.venv/bin/python benchmarks/scarce_memory.py``. Prints times (best of a few repeats) and ratios.
"""

from __future__ import annotations

import time

import torch
from timing import best_of

from assocmem import landscape, memory, optima, tiers, train
from assocmem.chapters.learning import scarce_memory as sp


def sharpness_map(num: int = 100) -> None:
    E, U, p, t = sp.binary_problem(30, 9)
    t_map, land = best_of(lambda: landscape.evaluate(E, U, p, t, (-6, 4), (-2, 6), num, with_sharpness=True))
    _, _, points = landscape.grid((-6, 4), (-2, 6), num)
    W = landscape.to_memory(points, U).reshape(-1, 2, 2)
    sub = W[:: max(1, len(W) // 500)]
    start = time.perf_counter()
    loop = torch.stack([memory.sharpness(w, E, U, p, t) for w in sub])
    t_loop = (time.perf_counter() - start) * len(W) / len(sub)
    assert torch.allclose(loop, land.sharpness.reshape(-1)[:: max(1, len(W) // 500)])
    print(f"sharpness map {num}x{num}: batched {t_map:.3f} s (target < 5 s); loop (extrapolated) {t_loop:.2f} s; ratio {t_loop / t_map:.1f}x")


def sgd_threads() -> None:
    t_default, _ = best_of(lambda: train.sgd(*sp.binary_problem(10, 11, 2.0), 0.1, 1000, 10, show_progress=False), 2)
    with tiers.threads(1):
        t_single, _ = best_of(lambda: train.sgd(*sp.binary_problem(10, 11, 2.0), 0.1, 1000, 10, show_progress=False), 2)
    print(f"SGD 1000 steps (forgetting run): {torch.get_num_threads()} threads {t_default:.2f} s, one thread {t_single:.2f} s; ratio {t_default / t_single:.1f}x")


def optima_speed() -> None:
    E, U, p, t = sp.binary_problem(30, 9)
    t_newton, m = best_of(lambda: optima.cross_entropy_minimiser(E, U, p, t))
    t_exact, b = best_of(lambda: optima.best_linear(E, U, p, t))
    print(f"Newton minimiser (N = 30): {1e3 * t_newton:.1f} ms, |grad| = {m.gradient_norm:.1e}; exact direction search: {1e3 * t_exact:.1f} ms over {b.candidates} candidates")


if __name__ == "__main__":
    sharpness_map()
    sgd_threads()
    optima_speed()
