"""Planted-bug check: apply realistic mutations to a copy of the package and run the unit tests on each.

    python tests/mutants.py [--only NAME ...] [--list]     (or: make mutants)

Each mutation is one small change a tired contributor could make (a flipped sign, an off-by-one,
a wrong weighting or scale, a dropped term). The script copies the repository's tracked files to
a temporary folder, applies one mutation at a time, and runs the unit tests that cover the
mutated module (``-x``: the first failing test kills the mutant) with that copy first on the
import path. A mutant that passes every test *survives*: the tests cannot see that bug. A
mutation whose original text is no longer in the file is reported *stale* (the list must follow
the code) and counts as a failure of this check, like a survivor. Exit code 0 only when every
mutant is killed. Not part of ``make test`` (it takes minutes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = "code/assocmem/"


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str  # relative to code/assocmem/
    old: str
    new: str
    tests: tuple[str, ...]  # test files (relative to tests/) that should catch it


CORE = ("test_memory.py", "test_properties.py", "test_robustness.py", "test_train.py", "test_errors.py", "test_data.py")

MUTANTS = [
    # ---- the memory: scores, losses, gradient, Hessian
    Mutant("residual-sign", "memory.py", "r[..., torch.arange(len(t)), t] -= 1.0", "r[..., torch.arange(len(t)), t] += 1.0", CORE),
    Mutant("margin-sign", "memory.py", "return correct - others.amax(dim=-1)", "return others.amax(dim=-1) - correct", CORE),
    Mutant("zero-one-inverted", "memory.py", "wrong = (s.argmax(dim=-1) != t)", "wrong = (s.argmax(dim=-1) == t)", CORE),
    Mutant("loss-sign", "memory.py", "return torch.logsumexp(s, dim=-1) - correct", "return torch.logsumexp(s, dim=-1) + correct", CORE),
    Mutant("gradient-unweighted", "memory.py", "residual = _residual(s, t) * p[:, None]", "residual = _residual(s, t)", CORE),
    Mutant("hebbian-no-mean", "memory.py", "hebbian = (U[t] - U.mean(dim=0)).T", "hebbian = (U[t]).T", CORE),
    Mutant("hessian-no-mean-term", "memory.py", "cov = second - mean_u.unsqueeze(-1) * mean_u.unsqueeze(-2)", "cov = second", CORE),
    Mutant("scores-transposed-W", "memory.py", "return E @ W.transpose(-1, -2) @ U.T", "return E @ W @ U.T", CORE),
    # ---- training
    Mutant("gd-ascent", "train.py", "W = W - scale * gradient_at(s, step)", "W = W + scale * gradient_at(s, step)", CORE),
    Mutant("sgd-first-batch-reused", "train.py", "for row in tokens:", "for row in tokens[:1].expand(block, -1):", CORE),
    Mutant("sgd-mean-off-by-one", "train.py",
           "yield torch.bincount(row, minlength=N).to(p.dtype) / batch_size",
           "yield torch.bincount(row, minlength=N).to(p.dtype) / (batch_size + 1)", CORE),
    Mutant("log-after-update", "train.py", "        if store_W:\n            history[:, step] = W\n        W = W - scale",
           "        W = W - scale * gradient_at(s, step)\n        if store_W:\n            history[:, step] = W\n        W = W - 0 * scale", CORE),
    # ---- data
    Mutant("zipf-exponent-sign", "data.py", "** (-float(exponent))", "** (float(exponent))", CORE),
    Mutant("unit-rows-wrong-axis", "data.py", "draws / draws.norm(dim=1, keepdim=True)", "draws / draws.norm(dim=0, keepdim=True)", CORE),
    Mutant("embedding-draw-order", "data.py",
           "    E = _unit_rows(generator, n_in, dim)\n    U = _unit_rows(generator, n_out, dim)",
           "    U = _unit_rows(generator, n_out, dim)\n    E = _unit_rows(generator, n_in, dim)", CORE),
    # ---- particles
    Mutant("orthonormal-denominator", "particles.py", "                tmp += k\n", "                tmp += k + 1\n",
           ("test_particles.py", "test_properties.py", "test_robustness.py")),
    Mutant("interaction-weights-transposed", "particles.py", "return (E @ E.T) * p[None, :]", "return (E @ E.T) * p[:, None]", ("test_particles.py",)),
    Mutant("score-recursion-no-output-kernel", "particles.py", "s = s - scale * (A @ _residual(s, t) @ KU)", "s = s - scale * (A @ _residual(s, t))",
           ("test_particles.py",)),
    Mutant("flow-omega-argument", "particles.py", "z = (1.0 + x) / k - math.log(k)", "z = (1.0 + x) / k + math.log(k)", ("test_particles.py",)),
    Mutant("margin-loss-classes", "particles.py", "math.log(M - 1) - m) @ p", "math.log(M) - m) @ p", ("test_particles.py",)),
    Mutant("binary-kernel-outputs", "particles.py", "v = U[t] - U[1 - t]", "v = U[t] + U[1 - t]", ("test_particles.py",)),
    # ---- landscape
    Mutant("to-memory-unscaled", "landscape.py", "gamma.unsqueeze(-2) / (diff @ diff)", "gamma.unsqueeze(-2)", ("test_landscape.py",)),
    # ---- checks and the ledger
    Mutant("freqs-sum-unchecked", "_checks.py", "abs_tol=1e-6)", "abs_tol=10.0)", CORE),
    Mutant("claim-upper-ignored", "claims.py", "and above and below", "and above", ("test_claims.py", "test_robustness.py")),
    Mutant("claim-inf-accepted", "claims.py", "(math.isfinite(value) or not finite)", "(True or not finite)", ("test_claims.py", "test_robustness.py")),
    # ---- models: Hopfield networks
    Mutant("hopfield-self-coupling", "models/hopfield.py", "return W.fill_diagonal_(0.0)", "return W", ("models/test_hopfield.py",)),
    Mutant("modern-ignores-beta", "models/hopfield.py", "torch.softmax(beta * S @ X.T, dim=-1) @ X", "torch.softmax(S @ X.T, dim=-1) @ X",
           ("models/test_hopfield.py",)),
    # ---- models: dense and modern memories
    Mutant("dense-drops-self-term", "models/dense.py", "return P @ X + S * Q", "return P @ X",
           ("models/test_dense.py", "models/test_hopfield.py")),
    Mutant("sparsemax-threshold-off-by-one", "models/modern.py", "tau = (cumulative.gather(-1, support - 1) - 1) / support.to(z.dtype)",
           "tau = (cumulative.gather(-1, support - 1) - 1) / (support.to(z.dtype) + 1)", ("models/test_modern.py",)),
    # ---- two particles
    Mutant("margin-map-half-step", "two_particles.py", "return 2.0 * eta[..., None, None] * torch.stack([row0, row1], dim=-2)",
           "return eta[..., None, None] * torch.stack([row0, row1], dim=-2)", ("test_two_particles.py",)),
    Mutant("margin-map-interference-sign", "two_particles.py", "row0 = torch.stack([p1, -alpha * p2], dim=-1)",
           "row0 = torch.stack([p1, alpha * p2], dim=-1)", ("test_two_particles.py",)),
    # ---- the Transformer
    Mutant("attention-scale-1-over-d", "models/transformer.py",
           "scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale",
           "scale = 1.0 / q.shape[-1] if scale is None else scale", ("models/test_transformer.py",)),
    Mutant("attention-not-causal", "models/transformer.py",
           "return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)",
           "return F.scaled_dot_product_attention(q, k, v, is_causal=False, scale=scale)", ("models/test_transformer.py",)),
    Mutant("layer1-no-residual", "models/transformer.py",
           "return x + _attend(x, x @ W_K1.transpose(-1, -2), x @ net.W_V1.T) @ net.W_O1.T",
           "return _attend(x, x @ W_K1.transpose(-1, -2), x @ net.W_V1.T) @ net.W_O1.T", ("models/test_transformer.py",)),
    # ---- diffusion as a dense memory
    Mutant("diffusion-logits-no-half", "models/diffusion.py", "return -0.5 * beta * sq.clamp_min(0.0)", "return -beta * sq.clamp_min(0.0)",
           ("models/test_diffusion.py",)),
    Mutant("pf-ode-step-squared", "models/diffusion.py", "h = 1.0 - sigmas[k + 1] / sigmas[k]", "h = 1.0 - (sigmas[k + 1] / sigmas[k]) ** 2",
           ("models/test_diffusion.py",)),
]


def copy_repository(target: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True)
    for name in files.stdout.splitlines():
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def run_tests(copy: Path, tests: tuple[str, ...], timeout: float) -> tuple[bool, str]:
    """True when the tests pass (the mutant survives)."""
    env = {**os.environ, "PYTHONPATH": str(copy / "code"), "CI": "true"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", "--no-header",
               *[str(copy / "tests" / t) for t in tests]]
    try:
        result = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, "timeout (killed)"
    last = [line for line in result.stdout.splitlines() if line.strip()][-1:] or ["(no output)"]
    return result.returncode == 0, last[0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names of the mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant before it counts as killed")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or m.name in args.only]
    if args.list:
        for m in MUTANTS:
            print(f"{m.name:28s} {m.path}")
        return 0
    unknown = set(args.only or ()) - {m.name for m in MUTANTS}
    if unknown:
        print(f"error: unknown mutant(s) {sorted(unknown)}; see --list", file=sys.stderr)
        return 2
    survivors, stale = [], []
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder)
        copy_repository(copy)
        print(f"{len(chosen)} mutants, tests run on a copy in {copy}")
        for m in chosen:
            path = copy / PKG / m.path
            original = path.read_text()
            if original.count(m.old) != 1:
                stale.append(m.name)
                print(f"  STALE     {m.name:28s} ({m.path}: the original text occurs {original.count(m.old)} times)")
                continue
            path.write_text(original.replace(m.old, m.new))
            start = time.perf_counter()
            try:
                survived, summary = run_tests(copy, m.tests, args.timeout)
            finally:
                path.write_text(original)
            verdict = "SURVIVED" if survived else "killed"
            print(f"  {verdict:9s} {m.name:28s} {time.perf_counter() - start:5.1f} s  {summary}")
            if survived:
                survivors.append(m.name)
    killed = len(chosen) - len(survivors) - len(stale)
    print(f"{killed} killed, {len(survivors)} survived, {len(stale)} stale, of {len(chosen)}")
    if survivors:
        print("survivors: " + ", ".join(survivors))
    return 1 if survivors or stale else 0


if __name__ == "__main__":
    sys.exit(main())
