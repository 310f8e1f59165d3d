"""Speed of the induction-head experiments (assocmem.transformer): today's fused float32 step
against the float64 reference step it replaced, side by side.

For each size (the CI tiers of experiments (a) and (b), and the paper sizes of (a) and of (b) at
d = 64: sequence length 256, batch 512, four step sizes batched) it prints the seconds of one SGD
step (forward, backward, update; data generation excluded) of

- ``reference``: the previous implementation, kept below as ``reference_step``: float64, the causal
  softmax written out, materialising the (S, B, T, T) scores of both layers at every position;
- ``fused``: ``assocmem.transformer.sgd_step``: float32, layer 1 in causal blocks with only W_K^1's
  gradient formed and layer 2 for the loss positions' queries only (``assocmem.models.attention``
  on the CPU, ``scaled_dot_product_attention`` on CUDA),

each also inside ``tiers.reuse_freed_memory`` (as ``train`` runs its steps: glibc's allocator keeps
freed memory and serves the next step's large tensors from it, instead of a fresh mmap and its
page faults per tensor per step), and the ratio of the reference, as it ran, to the fused step as
``train`` runs it. Both compute the same loss (checked here at every size: the float32 loss matches
the float64 reference to 1e-4 relative). Threads: the CI sizes on one thread, as ``train`` uses them
at the CI tier; the paper sizes on every thread torch has. The GPU row appears when PyTorch sees one.

    python benchmarks/transformer.py            # everything (the paper-size reference steps take minutes)
    python benchmarks/transformer.py --ci-only  # the CI sizes only
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from assocmem import tiers
from assocmem import transformer as T
from assocmem.tasks import induction as induction_data


# ---------------------------------------------------------------- the float64 reference (the old path)


def _reference_attend(q, k, v):
    """Causal softmax attention with the (..., T, T) scores written out; scores / sqrt(d)."""
    n, d = q.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-1, -2) / math.sqrt(d)
    future = torch.ones(n, n, dtype=torch.bool, device=q.device).triu(1)
    return torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1) @ v


def reference_loss(net: T.Network, params: dict, batch) -> torch.Tensor:
    """The induction loss (S,) of eqs (T.1)-(T.4), both attentions at every position, in net's dtype."""
    n = batch.tokens.shape[-1]
    x = (net.E[batch.tokens] + net.P[:n]).unsqueeze(0)
    W_K1, W_K2 = (params[name].unsqueeze(1) for name in ("W_K1", "W_K2"))
    h1 = x + _reference_attend(x, x @ W_K1.transpose(-1, -2), x @ net.W_V1.T) @ net.W_O1.T
    f = _reference_attend(h1, h1 @ W_K2.transpose(-1, -2), h1 @ net.W_V2.T)
    h = h1[:, batch.mask] + f[:, batch.mask] @ params["W_O2"].transpose(-1, -2)
    logits = h @ net.U.T
    y = batch.targets[batch.mask]
    return (torch.logsumexp(logits, -1) - logits.gather(-1, y.expand(logits.shape[0], -1).unsqueeze(-1)).squeeze(-1)).mean(-1)


def reference_step(net: T.Network, params: dict, trainable, step_size: torch.Tensor, batch) -> torch.Tensor:
    """One SGD step of the old float64 path (pass a float64 network and float64 params)."""
    loss = reference_loss(net, params, batch)
    grads = torch.autograd.grad(loss.sum(), [params[name] for name in trainable])
    with torch.no_grad():
        for name, g in zip(trainable, grads):
            params[name] -= step_size.reshape(-1, 1, 1).to(g) * g
    return loss.detach()


# ---------------------------------------------------------------- timing


def _setup(setting: dict, dtype, device: str, seed: int = 0):
    law = induction_data.bigram_model(seed=seed)
    net = T.random_network(law.vocab_size, setting["dim"], setting["seq_len"], seed=seed, dtype=dtype).to(device)
    batch = induction_data.sample(law, setting["batch_size"], setting["seq_len"], seed=seed).to(device)
    eta = torch.tensor(setting["step_size"], dtype=dtype, device=device)
    # One step from zero first, so that every memory is non-zero and every gradient is computed.
    params = T.init_params(net, setting["trainable"], eta.numel())
    T.sgd_step(net, params, setting["trainable"], eta, batch)
    return net, params, eta, batch


def seconds_per_step(step, setting: dict, dtype, device: str, repeats: int, reuse: bool = False) -> tuple[float, torch.Tensor]:
    """Best of ``repeats`` timed steps (after the untimed step from zero); returns seconds and the first timed loss.

    ``reuse``: with freed memory reused (``tiers.reuse_freed_memory``); the block is ``train``'s own
    ``step_settings``, setup included, with the thread count left to the caller.
    """
    best, first = float("inf"), None
    with T.step_settings(None, reuse_memory=reuse):
        net, params, eta, batch = _setup(setting, dtype, device)
        for _ in range(repeats):
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            loss = step(net, params, setting["trainable"], eta, batch)
            if device == "cuda":
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - start)
            first = loss if first is None else first
    return best, first


HEADER = (f"{'size':<16} {'':<28} {'device':<20} {'reference':>10} {'+ reuse':>10} {'fused':>10} {'+ reuse':>10}"
          f"   ratio (reference / fused + reuse)")


def compare(label: str, setting: dict, threads: int | None, device: str = "cpu", repeats: int = 3, reference: bool = True) -> None:
    """One row: seconds per step of the reference and the fused step, each without and with freed memory reused."""
    with tiers.threads(threads):
        fused, loss32 = seconds_per_step(T.sgd_step, setting, torch.float32, device, repeats)
        reused, _ = seconds_per_step(T.sgd_step, setting, torch.float32, device, repeats, reuse=True)
        size = f"d={setting['dim']} T={setting['seq_len']} B={setting['batch_size']} S={len(setting['step_size'])}"
        where = f"{device}, {torch.get_num_threads()} thread(s)" if device == "cpu" else device
        if not reference:
            print(f"{label:<16} {size:<28} {where:<20} {'':>10} {'':>10} {fused:>8.4f} s {reused:>8.4f} s")
            return
        old_repeats = max(1, repeats if fused < 1 else 1)
        old, loss64 = seconds_per_step(reference_step, setting, torch.float64, device, old_repeats)
        old_reused, _ = seconds_per_step(reference_step, setting, torch.float64, device, old_repeats, reuse=True)
    gap = ((loss32.double() - loss64) / loss64).abs().max().item()
    if gap > 1e-4:
        raise AssertionError(f"{label}: the fused float32 loss differs from the float64 reference by {gap:.1e} (relative)")
    print(f"{label:<16} {size:<28} {where:<20} {old:>8.4f} s {old_reused:>8.4f} s {fused:>8.4f} s {reused:>8.4f} s"
          f"   x{old / reused:5.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ci-only", action="store_true", help="only the CI-tier sizes")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads available")
    print(HEADER)
    for exp in ("a", "b"):
        compare(f"CI tier ({exp})", T.settings(exp, "ci")[0], threads=1)
    if not args.ci_only:
        for exp in ("a", "b"):
            compare(f"paper tier ({exp})", T.settings(exp, "paper")[0], threads=None, repeats=2)
    if torch.cuda.is_available():
        for exp in ("a", "b"):
            for setting in T.settings(exp, "paper"):
                compare(f"paper tier ({exp})", setting, threads=None, device="cuda", repeats=10, reference=False)


if __name__ == "__main__":
    main()
