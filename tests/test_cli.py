"""``python -m assocmem figures`` and ``python -m assocmem notebooks``."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import jupytext
import matplotlib

matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import nbformat
from IPython.core import pylabtools

from assocmem.sphinxext import markdown
import pytest

from assocmem import cli, toc
from assocmem.viz import gallery

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "assocmem", *args], cwd=cwd, capture_output=True, text=True,
                          env={**__import__("os").environ, "CI": "true"})


def test_figures_list_names_every_registered_figure_with_its_chapter(capsys):
    # In process (the figures are discovered already); the `python -m assocmem` entry point itself is run
    # as a subprocess by test_bad_tier_is_refused and tests/test_robustness.py.
    assert cli.main(["figures", "--list"]) == 0
    lines = [line.split(maxsplit=2) for line in capsys.readouterr().out.splitlines()]
    assert {fields[0]: fields[1] for fields in lines} == {n: e.chapter for n, e in gallery.entries().items()}
    assert {fields[0] for fields in lines if len(fields) == 3} == {n for n, e in gallery.entries().items() if e.takes_tier}


def test_figures_cli_writes_an_index(tmp_path):
    name = "one-step-loss"  # a fast figure: the CLI's own work, not the figure's, is under test here
    assert cli.main(["figures", "--tier", "ci", "--out", str(tmp_path / "figs"), "--only", name, "--no-progress"]) == 0
    index = json.loads((tmp_path / "figs" / "figures.json").read_text())
    assert index["tier"] == "ci" and [f["name"] for f in index["figures"]] == [name]


# One xdist group per chapter: a chapter's figures (and its widget tests, tests/viz) run on one worker,
# where the chapter module's caches serve the runs they share (CONTRIBUTING.md, "Running the tests").
@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.xdist_group(entry.chapter))
                                  for name, entry in gallery.entries().items()])
def test_each_registered_figure_builds_labelled_and_opaque(name):
    entry = gallery.entries()[name]
    assert entry.alt.strip(), f"figure {name} has no alt text"
    built = entry.make("ci")
    figures = built if isinstance(built, dict) else {None: built}
    for part, fig in figures.items():
        for axes in cli._axes_labels(fig):
            if not axes["colorbar"]:
                assert axes["labelled_x"] and axes["labelled_y"], f"figure {name} {part}: unlabelled axes {axes}"
        image = rendered_as_in_a_chapter(fig)
        plt.close(fig)
        assert image.shape[0] > 100 and image.shape[1] > 100
        assert image.ndim == 2 or image.shape[2] < 4 or image[..., 3].min() > 0.99, f"figure {name} {part}: background is not opaque"


def rendered_as_in_a_chapter(fig, dpi: int = 60):
    """``fig`` as pixels, drawn as a chapter's cell draws it: IPython's inline PNG, with the figure's own face
    and edge colours (not a white face forced on it). Low resolution and no tight bounding box (a second
    layout pass that leaves the colours as they are) keep the test fast."""
    return matplotlib.image.imread(io.BytesIO(pylabtools.print_figure(fig, fmt="png", dpi=dpi, bbox_inches=None)))


@pytest.mark.parametrize("spoil", [lambda fig: fig.set_facecolor("none"), lambda fig: fig.patch.set_alpha(0.0)],
                         ids=["face-none", "face-alpha-0"])
def test_the_opacity_check_sees_a_transparent_figure(spoil):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    assert rendered_as_in_a_chapter(fig)[..., 3].min() > 0.99
    spoil(fig)
    assert rendered_as_in_a_chapter(fig)[..., 3].min() < 0.01
    plt.close(fig)


def test_unknown_figure_name_lists_the_registered_names(tmp_path, capsys):
    assert cli.main(["figures", "--out", str(tmp_path), "--only", "no-such-figure"]) == 2
    error = capsys.readouterr().err
    assert "'no-such-figure'" in error
    for name in gallery.entries():
        assert name in error


def test_figures_without_out_or_list_is_refused(capsys):
    assert cli.main(["figures"]) == 2
    assert "--out" in capsys.readouterr().err


def test_bad_tier_is_refused(tmp_path):
    result = run("figures", "--tier", "huge", "--out", str(tmp_path))
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_notebooks_have_an_install_cell_and_the_chapter(tmp_path):
    assert cli.main(["notebooks", "--toc", str(ROOT / "_toc.yml"), "--out", str(tmp_path), "--build", str(tmp_path / "no-build"),
                     "--allow-missing-build"]) == 0
    chapters = toc.chapters(ROOT / "_toc.yml")
    assert chapters
    for chapter in chapters:
        path = tmp_path / chapter.relative_to(ROOT).with_suffix(".ipynb")
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        install = notebook.cells[0]
        assert install.cell_type == "code" and cli.INSTALL_MARKER in install.source
        assert "pip" in install.source and "git+https://github.com/" in install.source
        compile(install.source, "install", "exec")  # plain Python, no magics needed
        original = jupytext.read(chapter)
        assert [c.cell_type for c in notebook.cells[1:]] == [c.cell_type for c in original.cells]
        assert [c.source for c in notebook.cells[1:] if c.cell_type == "code"] == [c.source for c in original.cells if c.cell_type == "code"]
        for c in notebook.cells:
            if c.cell_type == "markdown":
                assert not markdown.raw_myst(c.source), f"{chapter.name}: raw MyST left in a Markdown cell:\n{c.source[:500]}"


def test_notebooks_need_a_build(tmp_path, capsys):
    assert cli.main(["notebooks", "--toc", str(ROOT / "_toc.yml"), "--out", str(tmp_path), "--build", str(tmp_path / "none")]) == 2
    assert "make build" in capsys.readouterr().err


def test_notebooks_without_toc_fails_clearly(tmp_path, capsys):
    assert cli.main(["notebooks", "--toc", str(tmp_path / "missing.yml"), "--out", str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err
