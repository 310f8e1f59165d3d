"""Speed of the induction-head experiments (assocmem.transformer).

Prints SGD steps per second at the CI tier (the sizes the chapter runs, CPU, one thread as
``train`` uses there) and the time of one paper-tier step (d = 64, sequence length 256,
batch 512, four step sizes batched) on the CPU and, when PyTorch sees one, on the GPU.

    python benchmarks/transformer.py            # everything
    python benchmarks/transformer.py --ci-only  # skip the slow paper-tier CPU step
"""

from __future__ import annotations

import argparse
import time

import torch

from assocmem import tiers
from assocmem import transformer as T
from assocmem.tasks import induction as induction_data


def steps_per_second(experiment: str, tier: str, steps: int, device: str, threads: int | None = None, index: int = 0) -> float:
    kwargs = T.settings(experiment, tier)[index] | dict(steps=steps)
    if device == "cuda" or tier == "ci":  # warm-up (skipped for the slow paper-tier CPU step)
        T.train(device=device, threads=threads, show=False, **(kwargs | dict(steps=1)))
    if device == "cuda":
        torch.cuda.synchronize()
    run = T.train(device=device, threads=threads, show=False, **kwargs)
    return steps / run.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ci-only", action="store_true", help="only the CI-tier timings")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads available")
    for exp in ("a", "b"):
        setting = T.settings(exp, "ci")[0]
        rate = steps_per_second(exp, "ci", steps=60, device="cpu")
        print(f"CI tier ({exp}) d={setting['dim']} T={setting['seq_len']} B={setting['batch_size']} S={len(setting['step_size'])}: "
              f"{rate:.1f} SGD steps/s on the CPU (1 thread); chapter's {setting['steps']} steps take {setting['steps'] / rate:.1f} s")
    devices = [] if args.ci_only else ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    for device in devices:
        for exp in ("a", "b"):
            setting = T.settings(exp, "paper")[0]
            seconds = one_step(setting, device)
            print(f"paper tier ({exp}) d={setting['dim']} T={setting['seq_len']} B={setting['batch_size']} S={len(setting['step_size'])} "
                  f"on {device} ({torch.get_num_threads()} threads): {seconds:.3f} s per SGD step, data generation excluded "
                  f"({setting['steps']} steps: {setting['steps'] * seconds / 60:.1f} min)")


def one_step(setting: dict, device: str, repeats: int = 1) -> float:
    """Seconds of one SGD step (forward, backward, update) at ``setting``'s sizes on ``device``."""
    law = induction_data.bigram_model(seed=0)
    net = T.random_network(law.vocab_size, setting["dim"], setting["seq_len"], seed=0).to(device)
    batch = induction_data.sample(law, setting["batch_size"], setting["seq_len"], seed=0).to(device)
    eta = torch.tensor(setting["step_size"], dtype=torch.float64, device=device)
    params = T.init_params(net, setting["trainable"], eta.numel())
    with tiers.flush_denormal():
        if device == "cuda":  # warm-up, then synchronised timing
            T.sgd_step(net, params, setting["trainable"], eta, batch)
            torch.cuda.synchronize()
            repeats = 10
        start = time.perf_counter()
        for _ in range(repeats):
            T.sgd_step(net, params, setting["trainable"], eta, batch)
        if device == "cuda":
            torch.cuda.synchronize()
        return (time.perf_counter() - start) / repeats

if __name__ == "__main__":
    main()
