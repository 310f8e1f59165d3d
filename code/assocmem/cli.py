"""The command line of the package: ``python -m assocmem <command>``.

``figures``
    Regenerate every figure of the book as PNG files, with the builders registered in
    :mod:`assocmem.viz.gallery` (the same drawing functions the chapters call)::

        python -m assocmem figures --tier ci --out figures [--only NAME]
        python -m assocmem figures --list

    Writes ``<out>/<name>.png`` (``<out>/<name>-<part>.png`` for a builder returning several
    figures) and ``<out>/figures.json`` (name, chapter, alt text and file of each figure).

``notebooks``
    Write every chapter of ``_toc.yml`` as a Jupyter notebook with an install cell first, for
    Colab and for readers without jupytext, its MyST turned into plain Markdown (glued numbers
    as their values from the build, cross-references as links to the online book, solutions
    folded in ``<details>``, admonitions and proofs as quoted blocks: see
    :mod:`assocmem.sphinxext.markdown`)::

        python -m assocmem notebooks --toc _toc.yml --out notebooks [--build _build]

    Needs a build (``make build``): the executed notebooks under ``<build>/jupyter_execute``
    hold the glued values and ``<build>/labels.json`` the book's labels. Without one it
    refuses, unless ``--allow-missing-build`` (then numbers are shown by their glue name).
    The notebooks carry no outputs: each shows its figures when run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .toc import TocError
from .toc import chapters as toc_chapters

INSTALL_MARKER = "assocmem-install-cell"


def _figures(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import tiers
    from .viz import gallery
    from ._progress import progress

    registry = gallery.entries()
    if args.list:
        width = max(map(len, registry), default=0)
        for name, entry in registry.items():
            print(f"{name:<{width}}  {entry.chapter}" + ("  (paper tier differs)" if entry.takes_tier else ""))
        return 0
    if args.out is None:
        print("error: figures needs --out DIR (or --list)", file=sys.stderr)
        return 2
    try:
        tier = tiers.current(args.tier)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.only:
        unknown = [name for name in args.only if name not in registry]
        if unknown:
            print(f"error: unknown figure name(s) {', '.join(map(repr, unknown))} for --only; "
                  f"registered figures: {', '.join(registry) or '(none)'}", file=sys.stderr)
            return 2
        registry = {name: registry[name] for name in args.only}
    out = _output_folder(args.out)
    if out is None:
        return 2
    index, start = [], time.perf_counter()
    bar = progress(registry.values(), total=len(registry), desc=f"figures ({tier} tier)", show=None if args.progress is None else args.progress, delay=0.0)
    for entry in bar:
        if hasattr(bar, "set_postfix_str"):
            bar.set_postfix_str(entry.name)
        built = entry.make(tier)
        figures = built if isinstance(built, dict) else {None: built}
        for part, fig in figures.items():
            path = out / (f"{entry.name}-{part}.png" if part is not None else f"{entry.name}.png")
            fig.savefig(path, facecolor="white")
            plt.close(fig)
            index.append({"name": entry.name, "part": part, "chapter": entry.chapter, "alt": entry.alt, "file": path.name,
                          "axes": _axes_labels(fig)})
    (out / "figures.json").write_text(json.dumps({"tier": tier, "figures": index}, indent=1))
    print(f"wrote {len(index)} figure file(s) for {len(registry)} registered figure(s) to {out} "
          f"({tier} tier, {time.perf_counter() - start:.1f} s)")
    return 0


def _output_folder(path: str) -> Path | None:
    """The ``--out`` folder, created if missing; None (after one line on stderr) when it cannot be."""
    out = Path(path)
    blocker = next((p for p in (out, *out.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        what = "is a file" if blocker == out else f"lies under the file {str(blocker)!r}"
        print(f"error: --out {str(out)!r} {what}; give a folder", file=sys.stderr)
        return None
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"error: --out {str(out)!r} cannot be created ({error.strerror})", file=sys.stderr)
        return None
    return out


def _axes_labels(fig) -> list[dict]:
    """Title and axis labels of every visible plotting area of ``fig`` (colour bars marked as such).

    ``labelled_x``/``labelled_y`` also count a label on another panel of the same grid column
    (x) or row (y), or on a panel sharing that axis (a grid labels its outer edge), and a
    figure-wide ``supxlabel``/``supylabel``.
    """
    def text(label):
        return bool(label is not None and label.get_text().strip())

    sup_x, sup_y = text(getattr(fig, "_supxlabel", None)), text(getattr(fig, "_supylabel", None))
    axes = [ax for ax in fig.get_axes() if ax.get_visible() and ax.axison]

    def span(ax, which):
        spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
        if spec is None:
            return None
        grid = id(spec.get_gridspec())
        rows, cols = spec.rowspan, spec.colspan
        return (grid, rows.start, rows.stop) if which == "row" else (grid, cols.start, cols.stop)

    found = []
    for ax in axes:
        colorbar = ax.get_label() == "<colorbar>" or hasattr(ax, "_colorbar")
        same_col = [a for a in axes if span(a, "col") is not None and span(a, "col") == span(ax, "col")]
        same_row = [a for a in axes if span(a, "row") is not None and span(a, "row") == span(ax, "row")]
        peers_x = set(ax.get_shared_x_axes().get_siblings(ax)) | set(same_col) | {ax}
        peers_y = set(ax.get_shared_y_axes().get_siblings(ax)) | set(same_row) | {ax}
        found.append({"title": ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(), "colorbar": colorbar,
                      "labelled_x": sup_x or any(a.get_xlabel().strip() for a in peers_x),
                      "labelled_y": sup_y or any(a.get_ylabel().strip() for a in peers_y)})
    return found


def install_cell_source(repository: str, branch: str, extra: list[str]) -> str:
    spec = f"assocmem @ git+{repository}@{branch}"
    packages = " ".join(f'"{p}"' for p in [spec, *extra])
    return (
        f"# {INSTALL_MARKER}: on Colab (or anywhere without the book's package), install it first.\n"
        "import importlib.util\n"
        "\n"
        'if importlib.util.find_spec("assocmem") is None or importlib.util.find_spec("myst_nb") is None:\n'
        f'    get_ipython().run_line_magic("pip", "install --quiet {packages.replace(chr(34), chr(39))}")\n'
    )


def _pins(requirements: Path, names: list[str]) -> list[str]:
    pins = {}
    if requirements.is_file():
        for line in requirements.read_text().splitlines():
            line = line.split("#")[0].strip()
            if "==" in line:
                pins[line.split("==")[0].strip().lower()] = line
    return [pins.get(name, name) for name in names]


def _notebooks(args) -> int:
    import jupytext
    import nbformat
    import yaml

    from .sphinxext import markdown

    toc = Path(args.toc)
    try:
        chapters = toc_chapters(toc)
    except TocError as error:
        print(f"error: --toc: {error}", file=sys.stderr)
        return 2
    if not chapters:
        print(f"error: --toc {str(toc)!r} lists no chapter file (.py) to write", file=sys.stderr)
        return 2
    root = toc.parent
    build = Path(args.build) if args.build else root / "_build"
    config = yaml.safe_load((root / "_config.yml").read_text()) if (root / "_config.yml").is_file() else {}
    repo = (config.get("repository") or {}).get("url", "https://github.com/assocmem/assocmem-book")
    branch = (config.get("repository") or {}).get("branch", "main")
    base = ((config.get("sphinx") or {}).get("config") or {}).get("html_baseurl") or markdown.pages_url(repo)
    labels_file = build / "labels.json"
    executed = {path: build / "jupyter_execute" / path.relative_to(root).with_suffix(".ipynb") for path in chapters}
    missing = [str(p) for p in [labels_file, *executed.values()] if not p.is_file()]
    if missing and not args.allow_missing_build:
        print(f"error: notebooks needs a build of the book for the glued values and labels; missing: {', '.join(missing)}. "
              "Run `make build` first (or pass --allow-missing-build)", file=sys.stderr)
        return 2
    labels = json.loads(labels_file.read_text()) if labels_file.is_file() else {}
    citations = {}
    for bib in config.get("bibtex_bibfiles", []) or []:
        if (root / bib).is_file():
            citations |= markdown.read_bib((root / bib).read_text(encoding="utf8"))
    cell = install_cell_source(repo, branch, _pins(root / "requirements.txt", ["myst-nb"]))
    out = _output_folder(args.out)
    if out is None:
        return 2
    for path in chapters:
        notebook = jupytext.read(path)
        glue = markdown.executed_glue(executed[path])
        context = markdown.Context(base_url=base, glue=glue, labels=labels, citations=citations)
        markdown.convert_notebook(notebook, context)
        install = nbformat.v4.new_code_cell(cell, metadata={"tags": ["remove-cell", INSTALL_MARKER]})
        notebook.cells.insert(0, install)
        notebook.metadata.setdefault("kernelspec", {"display_name": "Python 3", "language": "python", "name": "python3"})
        notebook.metadata.pop("jupytext", None)
        target = out / path.relative_to(root).with_suffix(".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)
    print(f"wrote {len(chapters)} notebook(s) under {out}" + (" (without a build: glued values missing)" if missing else ""))
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m assocmem", description="Companion commands of the assocmem book.")
    commands = top.add_subparsers(dest="command", required=True)
    fig = commands.add_parser("figures", help="regenerate every figure of the book as PNG files")
    fig.add_argument("--tier", choices=["ci", "paper"], default=None, help="compute tier (default: $ASSOCMEM_TIER or ci)")
    fig.add_argument("--out", default=None, help="folder for the PNG files (created if missing)")
    fig.add_argument("--list", action="store_true", help="print every registered figure name with its chapter, and exit")
    fig.add_argument("--only", action="append", metavar="NAME", help="only this registered figure (repeatable)")
    fig.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="show the progress bar (default: yes, except when $CI is set)")
    fig.set_defaults(run=_figures)
    nb = commands.add_parser("notebooks", help="write every chapter of _toc.yml as .ipynb with an install cell")
    nb.add_argument("--toc", default="_toc.yml", help="the book's _toc.yml (default: ./_toc.yml)")
    nb.add_argument("--out", default="notebooks", help="output folder (default: notebooks)")
    nb.add_argument("--build", default=None, help="the book's build folder (default: _build next to the toc)")
    nb.add_argument("--allow-missing-build", action="store_true",
                    help="write the notebooks without a build (glued numbers shown by name, labels as plain text)")
    nb.set_defaults(run=_notebooks)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)
