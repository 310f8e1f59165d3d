"""The notebooks readers run (``make notebook-check``, after ``make build`` and ``make notebooks``).

- every notebook written by ``make notebooks`` (the ``notebooks`` branch, for Colab) and every
  ``.ipynb`` download of the built pages has no raw MyST left in a Markdown cell
  (``{glue``, ``{numref``, ``{prf:``, ``:::``, "```{"): Jupyter would show it as text;
- every glued number of the chapter is in the generated notebook as its value;
- a cheap chapter (``NOTEBOOK_CHECK_EXECUTE``, default below; several separated by commas),
  executed from its generated notebook in a fresh kernel of this environment, shows an image
  in every code cell that makes a figure or a widget.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

from assocmem.sphinxext import markdown

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "_build"
EXECUTE = [c for c in os.environ.get("NOTEBOOK_CHECK_EXECUTE", "book/learning/many_particles").split(",") if c]
MAKES_FIGURE = re.compile(r"glue_figure\(|figure_widget\(|\bwidget\(\)|plt\.show\(")
IMAGE_MIMES = ("image/png", "image/svg+xml", "application/vnd.jupyter.widget-view+json")


def _generated() -> list[Path]:
    found = sorted(NOTEBOOKS.rglob("*.ipynb"))
    if not found:
        pytest.fail(f"no notebook under {NOTEBOOKS}: run `make build notebooks` first")
    return found


def _raw(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            for token in markdown.raw_myst(cell.source):
                line = next(l for l in cell.source.splitlines() if token in l)
                problems.append(f"{path.relative_to(ROOT)} cell {index}: raw {token!r} in {line.strip()[:100]!r}")
    return problems


def test_generated_notebooks_have_no_raw_myst():
    problems = [p for path in _generated() for p in _raw(path)]
    assert not problems, "\n".join(problems)


def test_downloads_have_no_raw_myst():
    downloads = sorted((BUILD / "html" / "_sources").rglob("*.ipynb"))
    assert downloads, "no .ipynb download in the build: run `make build`"
    problems = [p for path in downloads for p in _raw(path)]
    assert not problems, "\n".join(problems)


def test_glued_numbers_are_their_values():
    for path in _generated():
        chapter = ROOT / path.relative_to(NOTEBOOKS).with_suffix(".py")
        executed = BUILD / "jupyter_execute" / path.relative_to(NOTEBOOKS)
        glued = markdown.executed_glue(executed)
        names = set(re.findall(r"\{glue(?::text)?\}`([\w-]+)", chapter.read_text(encoding="utf8")))
        assert names <= set(glued), f"{chapter.name}: names used but not glued in the build: {sorted(names - set(glued))}"
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
        left = [n for n in names if f"`{n}`" in text]
        assert not left, f"{path.name}: glued names left unresolved: {left}"


@pytest.mark.parametrize("chapter", EXECUTE)
def test_executed_notebook_shows_every_figure(chapter):
    from nbclient import NotebookClient

    path = NOTEBOOKS / f"{chapter}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    env_before = os.environ.pop("ASSOCMEM_STATIC_WIDGETS", None)  # a reader's session, not a book build
    try:
        NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    finally:
        if env_before is not None:
            os.environ["ASSOCMEM_STATIC_WIDGETS"] = env_before
    missing, figures = [], 0
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not MAKES_FIGURE.search(cell.source):
            continue
        figures += 1
        if not any(mime in output.get("data", {}) for output in cell.outputs for mime in IMAGE_MIMES):
            missing.append(f"cell {index}: {cell.source.strip().splitlines()[-1][:80]!r}")
    assert figures, f"{chapter}: no code cell makes a figure"
    assert not missing, f"{chapter}: code cells that make a figure but show none after execution:\n" + "\n".join(missing)
