"""Redraw times of every widget of the book (issue 13: a widget should follow a dragged slider).

Builds every widget of ``assocmem.viz.gallery.widgets()`` with its defaults, then moves each
control to its default, its minimum, its maximum and a middle value, and prints the CPU time
(``time.process_time``: all threads of this process) of each redraw and of the build. The
frame's PNG cache is emptied before every move, so each number is a real redraw (a value
already drawn costs nothing in a live session).

    .venv/bin/python benchmarks/widgets.py [--only NAME] [--json FILE] [--threads N]

Process CPU time counts every thread, so torch's intra-op threads spinning while they wait
count too; ``--threads 1`` (``torch.set_num_threads(1)``) measures without them.

Targets: a redraw under 0.15 s at the defaults and under 0.3 s at the extremes; a build under 2 s.
The one-time imports of scikit-learn and scipy, which a chapter's session has done before it builds
its widget, are timed and printed apart, not counted in the first build.
"""

from __future__ import annotations

import argparse
import gc
import json
import time

import matplotlib

matplotlib.use("Agg")

import ipywidgets as w  # noqa: E402

from assocmem.viz import gallery  # noqa: E402
from assocmem.viz.widgets import FigureWidget  # noqa: E402


def positions(control) -> dict:
    """Default, minimum, maximum and a middle value of a control."""
    default = control.value
    options = getattr(control, "_options_values", None)
    if options is not None and not hasattr(control, "min"):
        values = list(options)
        return {"default": default, "min": values[0], "max": values[-1], "mid": values[len(values) // 2]}
    if isinstance(control, w.Checkbox):
        return {"default": default, "min": False, "max": True, "mid": not default}
    low, high = control.min, control.max
    if isinstance(control, w.FloatLogSlider):
        mid = control.base ** ((low + high) / 2)
        low, high = control.base ** low, control.base ** high
    else:
        mid = (low + high) / 2
        if isinstance(control, w.IntSlider):
            step = control.step or 1
            mid = int(low + round((mid - low) / step) * step)
    return {"default": default, "min": low, "max": high, "mid": mid}


def measure(name: str, build) -> dict:
    start = time.process_time()
    widget = build()
    built = time.process_time() - start
    row = {"widget": name, "build_s": built, "redraws": []}
    if not isinstance(widget, FigureWidget):
        row["note"] = "not built with viz.widgets.figure_widget"
        return row
    for control_name, control in widget.controls.items():
        default = control.value
        for label, value in positions(control).items():
            target = default if label == "default" else value
            widget.frame.cache.clear()
            start = time.process_time()
            if control.value == target:
                widget.frame.render(widget.values())  # no change event: render what the observer would
            else:
                control.value = target  # the observer redraws, synchronously
            row["redraws"].append({"control": control_name, "at": label, "value": control.value,
                                   "cpu_s": time.process_time() - start})
        control.value = default
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="only this widget (repeatable)")
    parser.add_argument("--json", help="also write the numbers to this file")
    parser.add_argument("--threads", type=int, help="torch intra-op threads (torch.set_num_threads); default: torch's")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    builders = gallery.widgets()
    # A widget is built in its chapter's session, which has imported these libraries by its first
    # cells (the chapters load their data with them); their one-time import is timed apart, so that
    # the first widget measured does not carry it in its build.
    start = time.process_time()
    import scipy.stats  # noqa: F401
    import sklearn.datasets  # noqa: F401

    print(f"one-time imports of scikit-learn and scipy (not in any build): {time.process_time() - start:.2f} s")
    rows = []
    for name, build in builders.items():
        if args.only and name not in args.only:
            continue
        # A reader's session holds one chapter's widget, not the garbage of every widget measured
        # before it: collect it first, so a garbage-collection pause does not land in another's redraw.
        gc.collect()
        row = measure(name, build)
        rows.append(row)
        redraws = row["redraws"]
        default = [r["cpu_s"] for r in redraws if r["at"] == "default"]
        extreme = [r["cpu_s"] for r in redraws if r["at"] in ("min", "max")]
        print(f"{name}: build {row['build_s']:.2f} s; redraw at defaults max {max(default, default=0):.3f} s, "
              f"at extremes max {max(extreme, default=0):.3f} s {row.get('note', '')}")
        for r in redraws:
            print(f"    {r['control']:>12} {r['at']:>7} = {r['value']!s:<10.8}  {r['cpu_s']:.3f} s")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
