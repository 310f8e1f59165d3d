"""Speed of the batched time-to-perfect-accuracy grid (chapter "Two interacting particles", F-G).

The F-G grid has 10 p1 x 10 alpha x 10 eta = 1000 two-particle problems, each run for
1000 GD steps from W_0 = 0, recording the first t with perfect accuracy (capped at 999).

- batched: ``two_particles.time_to_accuracy``, one recursion of the margin map over
  all problems at once (1000 iterations of a few elementwise operations);
- per-run loop in the style of the authors' script: for each problem a torch model holding
  W as a parameter, the weighted cross-entropy through autograd and ``torch.optim.SGD``,
  one step at a time, with the accuracy of W_t measured before update t.

Both are timed on the same 20 grid points (drawn with a fixed seed); the batched
recursion is also timed on the full grid, and the loop's time on the full grid is
extrapolated from its 20 runs. The two methods must return the same times.

Run: ``.venv/bin/python benchmarks/time_to_accuracy.py [--points 20] [--threads 1]``.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from assocmem import data
from assocmem import two_particles as tp


class Memory(torch.nn.Module):
    """The authors' model: scores E W U^T (their orientation), W initialised at zero."""

    def __init__(self, d: int = 2):
        super().__init__()
        self.W = torch.nn.Parameter(torch.zeros(d, d, dtype=torch.float64))

    def forward(self, E, U):
        return E @ self.W @ U.T


def per_run_time(p1: float, alpha: float, eta: float, steps: int = 1000) -> int:
    """First t with accuracy 1 for one problem, by autograd + torch.optim.SGD (capped at steps - 1)."""
    E, U = data.two_token_embeddings(alpha)
    p = data.two_token_freqs(p1)
    targets = torch.arange(2)
    model = Memory()
    optimizer = torch.optim.SGD(model.parameters(), lr=eta)
    found = steps - 1
    for t in range(steps):
        scores = model(E, U)
        with torch.no_grad():
            accuracy = (p * (scores.argmax(dim=1) == targets)).sum().item()
        if accuracy == 1.0 and found == steps - 1:
            found = t
        loss = (p * F.cross_entropy(scores, targets, reduction="none")).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20, help="grid points for the per-run loop")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    p1, alpha, eta = tp.paper_grid()
    P1, A, H = torch.meshgrid(p1, alpha, eta, indexing="ij")
    pick = torch.randperm(1000, generator=torch.Generator().manual_seed(0))[: args.points]
    points = [(P1.flatten()[i].item(), A.flatten()[i].item(), H.flatten()[i].item()) for i in pick]

    tp.time_to_accuracy(0.7, 0.5, 1.0, steps=10)  # warm-up (imports, allocator)
    start = time.perf_counter()
    batched_points = tp.time_to_accuracy(P1.flatten()[pick], A.flatten()[pick], H.flatten()[pick], steps=1000)
    t_batched_points = time.perf_counter() - start
    t_grid = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        grid = tp.time_to_accuracy(P1, A, H, steps=1000)
        t_grid = min(t_grid, time.perf_counter() - start)

    start = time.perf_counter()
    looped = [per_run_time(*point) for point in points]
    t_loop = time.perf_counter() - start

    agree = looped == batched_points.tolist() and looped == grid.flatten()[pick].tolist()
    per_run = t_loop / len(points)
    print(f"F-G time to perfect accuracy: {len(points)} grid points x 1000 steps (threads = {args.threads})")
    print(f"  per-run loop (autograd + torch.optim.SGD):  {t_loop:8.3f} s   ({1e3 * per_run:.1f} ms per run)")
    print(f"  batched recursion, same {len(points)} points:       {t_batched_points:8.3f} s   speed-up x{t_loop / t_batched_points:.0f}")
    print(f"  batched recursion, full 10x10x10 grid:    {t_grid:8.3f} s   (best of 3)")
    print(f"  per-run loop extrapolated to the full grid: {1000 * per_run:8.1f} s   speed-up of the batched grid x{1000 * per_run / t_grid:.0f}")
    print(f"  same times from both methods: {agree}")
    if not agree:
        raise SystemExit("the batched times differ from the per-run loop")


if __name__ == "__main__":
    main()
