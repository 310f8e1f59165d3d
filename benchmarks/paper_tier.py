"""Run the Transformer chapter's paper tier once (seed 0) on this machine and write its numbers to JSON.

    python benchmarks/paper_tier.py [--out paper_tier.json] [--threads 2] [--only a|b] [--dims 64 128]

Experiment (a) at d = 64 through ``run_experiment``, then experiment (b) at d = 64 and d = 128
(sequence length 256, batch 512, 300 steps, the authors' step sizes) through the same steps as
``train`` (same law, network, batches and updates) written out here so that the file is rewritten
every ``--every`` steps: an interrupted job still records what it reached. Numbers: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from assocmem import transformer as T
from assocmem.tasks import induction as induction_data


def _round(values) -> list:
    return [round(float(v), 4) for v in values]


def run_a(threads: int) -> dict:
    setting = T.settings("a", "paper")[0]
    run = T.run_experiment("a", tier="paper", threads=threads, show=False)
    rise = (run.eval_loss[:, 1:] - run.eval_loss[:, :-1]).amax(1)
    return {"setting": {k: v for k, v in setting.items() if k != "trainable"}, "steps_done": setting["steps"],
            "seconds": round(run.seconds, 1), "step_size": run.step_sizes.tolist(),
            "start_eval_loss": _round(run.eval_loss[:, 0]), "final_eval_loss": _round(run.final_loss),
            "final_eval_accuracy": _round(run.final_accuracy), "largest_eval_rise": _round(rise)}


def run_b(index: int, threads: int, every: int, record, out: dict) -> dict:
    """Experiment (b) at the paper tier's ``index``-th size, as ``train`` runs it, recording every ``every`` steps."""
    setting = T.settings("b", "paper")[index]
    seed, trainable = 0, setting["trainable"]
    law = induction_data.bigram_model(65, 5, seed=seed)
    net = T.random_network(65, setting["dim"], setting["seq_len"], seed=seed)
    eta = torch.tensor(setting["step_size"])
    params = T.init_params(net, trainable, eta.numel())
    held_out = induction_data.sample(law, setting["eval_size"], setting["seq_len"], seed=seed + 2)
    data = T.batches(law, setting["batch_size"], setting["seq_len"], setting["steps"], seed + 1)
    out.update({"setting": {k: v for k, v in setting.items() if k != "trainable"}, "step_size": eta.tolist(), "log": []})
    start = time.perf_counter()
    with T.step_settings(threads):  # as train runs its steps
        for t in range(setting["steps"] + 1):
            if t % every == 0 or t == setting["steps"]:
                with torch.no_grad():
                    loss, acc = T.induction_loss(net, params, held_out)
                    recall = (T.probe_margins(net, params)["W_K2"][:, T.tracked_tokens("W_K2")] > 0).sum(-1)
                    prev = T.previous_token_attention(net, params, held_out.tokens[:16])
                out["log"].append({"t": t, "seconds": round(time.perf_counter() - start, 1), "eval_loss": _round(loss),
                                   "eval_accuracy": _round(acc), "wk2_triggers_recalled": recall.tolist(),
                                   "previous_token_attention": _round(prev)})
                out["steps_done"], out["seconds"] = t, round(time.perf_counter() - start, 1)
                record()
            if t < setting["steps"]:
                T.sgd_step(net, params, trainable, eta, next(data))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="paper_tier.json")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--only", choices=("a", "b"))
    parser.add_argument("--dims", type=int, nargs="+", help="experiment (b): only these widths (default: every paper width)")
    args = parser.parse_args()
    results = {"torch": torch.__version__, "threads": args.threads,
               "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "runs": {}}

    def record():
        results["written"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        with open(args.out, "w") as fh:
            json.dump(results, fh, indent=1)

    if args.only in (None, "a"):
        results["runs"]["a-d64"] = run_a(args.threads)
        record()
    if args.only in (None, "b"):
        for index, setting in enumerate(T.settings("b", "paper")):
            if args.dims and setting["dim"] not in args.dims:
                continue
            name = f"b-d{setting['dim']}"
            results["runs"][name] = {}
            run_b(index, args.threads, args.every, record, results["runs"][name])
            record()


if __name__ == "__main__":
    main()
