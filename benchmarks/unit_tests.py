"""How long the unit tests take, against an earlier commit, and the part no scheduling can remove.

    .venv/bin/python benchmarks/unit_tests.py [--baseline COMMIT] [--no-suite] [--no-floor]

Prints three things, all measured on this machine in this run:

1. **The suite**: the wall time of ``pytest tests`` in this checkout (its own settings: one
   worker per core, a chapter's tests on one worker).
2. **The baseline** (``--baseline``, default the commit the layout issue was filed against): the
   wall time of that commit's ``pytest tests``, run from a temporary ``git worktree`` with this
   ``.venv`` (its ``code/`` first on the import path) and removed afterwards.
3. **The floor**: every registered figure built at the CI tier in one process on one thread,
   split into the builders' own work (mostly the chapters' CI-tier runs, which a per-figure test
   has to compute) and the drawing of the figure. That CPU time divided by the cores is a lower
   bound on the suite's wall time however its tests are scheduled.

The ratio suite / baseline is the speed target's number; the floor says how low it can go
while a test builds every figure at the CI tier.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the commit the layout issue was filed against (7 chapters, 210 unit tests)
FILED_AT = "457c442"


def timed_pytest(checkout: Path, code: Path | None = None) -> float:
    """Wall seconds of ``python -m pytest tests -q`` in ``checkout``; raises if the tests fail."""
    env = dict(os.environ)
    if code is not None:  # an older checkout: its package before the editable install of this one
        env["PYTHONPATH"] = str(code)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"], cwd=checkout, env=env,
                            capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"pytest tests failed in {checkout} (exit {result.returncode}):\n{result.stdout[-3000:]}")
    print(f"  {result.stdout.strip().splitlines()[-1]}")
    return seconds


def baseline_seconds(commit: str) -> float:
    """``pytest tests`` of ``commit``, from a temporary worktree of this repository."""
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder) / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), commit], cwd=ROOT, check=True, capture_output=True)
        try:
            return timed_pytest(tree, code=tree / "code")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=True, capture_output=True)


def floor_seconds() -> tuple[float, float, int]:
    """(builders' CPU seconds, drawing CPU seconds, figures) for every registered figure at the CI tier."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from IPython.core import pylabtools
    from tqdm import tqdm

    from assocmem import tiers
    from assocmem.viz import gallery

    entries = gallery.entries()  # discovery (the imports) is not counted
    build = draw = 0.0
    with tiers.threads(1):  # as a test worker runs
        for entry in tqdm(entries.values(), desc="figures at the CI tier", unit="figure"):
            start = time.process_time()
            built = entry.make("ci")
            middle = time.process_time()
            for fig in (built.values() if isinstance(built, dict) else [built]):
                pylabtools.print_figure(fig, fmt="png", dpi=60, bbox_inches=None)  # as tests/test_cli.py draws it
                plt.close(fig)
            build += middle - start
            draw += time.process_time() - middle
    return build, draw, len(entries)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=FILED_AT, help="commit to compare with (default %(default)s); '' to skip")
    parser.add_argument("--no-suite", action="store_true", help="do not time this checkout's pytest tests")
    parser.add_argument("--no-floor", action="store_true", help="do not build the figures for the floor")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    suite = base = None
    if not args.no_suite:
        print("pytest tests, this checkout:")
        suite = timed_pytest(ROOT)
        print(f"  {suite:.1f} s wall")
    if args.baseline:
        print(f"pytest tests at {args.baseline}:")
        base = baseline_seconds(args.baseline)
        print(f"  {base:.1f} s wall")
    if suite is not None and base is not None:
        print(f"suite / baseline: x{suite / base:.2f} (the target 'under half' is x0.50: {suite / base < 0.5})")
    if not args.no_floor:
        build, draw, count = floor_seconds()
        print(f"floor: {count} figures, builders {build:.1f} s + drawing {draw:.1f} s of CPU on one thread; "
              f"over {cores} cores at least {(build + draw) / cores:.1f} s of wall time"
              + (f", {(build + draw) / cores / base:.2f} of the baseline" if base else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
