"""Speed of the particle reductions (chapter "Particles").

1. The orthonormal problem N = M = d = 256 (Zipf a = 1, identity targets, eta = 1) for
   1000 steps: the scalar margin recursion ``particles.orthonormal_margins`` (and the
   closed score recursion ``particles.score_gd``) against full matrix GD ``train.gd``.
2. One full-batch GD step at N = M = d = 512 in float64 (random unit embeddings):
   ``train.gd`` (which also logs loss, 0-1 loss and margins every step) and the bare
   update with ``memory._gradient``, against a plain ``torch.autograd`` +
   ``torch.optim.SGD`` loop in the style of the authors' scripts.

Run: ``.venv/bin/python benchmarks/particles.py``. Prints times (best of a few repeats)
and ratios; set the thread count with ``--threads``.
"""

from __future__ import annotations

import argparse
import time

import torch
from timing import best_of
import torch.nn.functional as F

from assocmem import data, memory, particles, train



def orthonormal(n: int = 256, steps: int = 1000, repeats: int = 2) -> None:
    E = data.orthonormal_embeddings(n, n)
    p, t = data.zipf(n, 1.0), data.targets(n)
    t_gd, run = best_of(lambda: train.gd(E, E, p, t, 1.0, steps, show_progress=False), repeats)
    t_scalar, m = best_of(lambda: particles.orthonormal_margins(p, n, 1.0, steps), repeats)
    t_score, srun = best_of(lambda: particles.score_gd(E, E, p, t, 1.0, steps, show_progress=False), repeats)
    error = max((m[:, :-1] - run.margins).abs().max().item(), (srun.margins - run.margins).abs().max().item())
    print(f"[1] orthonormal N = M = d = {n}, {steps} steps, eta = 1 (max margin deviation {error:.1e})")
    print(f"    train.gd (matrix GD)          {t_gd:8.3f} s")
    print(f"    particles.score_gd            {t_score:8.3f} s   speed-up x{t_gd / t_score:.1f}")
    print(f"    particles.orthonormal_margins {t_scalar:8.3f} s   speed-up x{t_gd / t_scalar:.1f}")
    t_long, _ = best_of(lambda: particles.orthonormal_margins(data.zipf(10, 1.0), 10, [0.1, 1.0, 10.0, 100.0], 100_000), 1)
    print(f"    chapter run: scalar recursion, N = M = 10, 4 step sizes, 1e5 steps: {t_long:.3f} s")


def one_step(n: int = 512, steps: int = 10, repeats: int = 3, eta: float = 1.0) -> None:
    E, U = data.embedding_pair(n, n, n, seed=0)
    p, t = data.zipf(n, 1.0), data.targets(n)

    def ours():
        return train.gd(E, U, p, t, eta, steps, show_progress=False).W_final[0]

    def bare():
        W = torch.zeros(n, n, dtype=torch.float64)
        for _ in range(steps):
            W = W - eta * memory._gradient(W, E, U, p, t)
        return W

    def autograd():
        W = torch.nn.Parameter(torch.zeros(n, n, dtype=torch.float64))
        optimizer = torch.optim.SGD([W], lr=eta)
        for _ in range(steps):
            optimizer.zero_grad()
            scores = E @ W.T @ U.T
            loss = (p * F.cross_entropy(scores, t, reduction="none")).sum()
            loss.backward()
            optimizer.step()
        return W.detach()

    t_ours, W_ours = best_of(ours, repeats)
    t_bare, W_bare = best_of(bare, repeats)
    t_auto, W_auto = best_of(autograd, repeats)
    error = max((W_ours - W_auto).abs().max().item(), (W_bare - W_auto).abs().max().item())
    print(f"[2] one full-batch GD step, N = M = d = {n}, float64 (mean of {steps} steps; max |W - W_autograd| = {error:.1e})")
    print(f"    autograd + optim.SGD          {1e3 * t_auto / steps:8.2f} ms")
    print(f"    train.gd (with logging)       {1e3 * t_ours / steps:8.2f} ms   ratio autograd / ours = {t_auto / t_ours:.2f}")
    print(f"    bare closed-form gradient     {1e3 * t_bare / steps:8.2f} ms   ratio autograd / ours = {t_auto / t_bare:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    orthonormal()
    one_step()


if __name__ == "__main__":
    main()
