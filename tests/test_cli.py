"""``python -m assocmem figures`` and ``python -m assocmem notebooks``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jupytext
import matplotlib.image
import nbformat
import pytest

from assocmem import cli, gallery

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "assocmem", *args], cwd=cwd, capture_output=True, text=True,
                          env={**__import__("os").environ, "CI": "true"})


def test_figures_writes_every_registered_figure(tmp_path):
    names = sorted(gallery.entries())
    assert names, "no figure is registered in assocmem.gallery"
    result = run("figures", "--tier", "ci", "--out", str(tmp_path / "figs"))
    assert result.returncode == 0, result.stderr
    index = json.loads((tmp_path / "figs" / "figures.json").read_text())
    assert index["tier"] == "ci"
    assert sorted({f["name"] for f in index["figures"]}) == names
    for figure in index["figures"]:
        assert figure["alt"].strip(), f"figure {figure['name']} has no alt text"
        for axes in figure["axes"]:
            if not axes["colorbar"]:
                assert axes["labelled_x"] and axes["labelled_y"], f"figure {figure['name']}: unlabelled axes {axes}"
        image = matplotlib.image.imread(tmp_path / "figs" / figure["file"])
        assert image.shape[0] > 100 and image.shape[1] > 100
        assert image.ndim == 2 or image.shape[2] < 4 or image[..., 3].min() > 0.99, "figure background is not opaque"


def test_figures_only_one(tmp_path):
    name = sorted(gallery.entries())[0]
    assert cli.main(["figures", "--out", str(tmp_path), "--only", name, "--no-progress"]) == 0
    index = json.loads((tmp_path / "figures.json").read_text())
    assert {f["name"] for f in index["figures"]} == {name}


def test_unknown_figure_name_lists_the_registered_names(tmp_path, capsys):
    assert cli.main(["figures", "--out", str(tmp_path), "--only", "no-such-figure"]) == 2
    error = capsys.readouterr().err
    assert "'no-such-figure'" in error
    for name in gallery.entries():
        assert name in error


def test_bad_tier_is_refused(tmp_path):
    result = run("figures", "--tier", "huge", "--out", str(tmp_path))
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_notebooks_have_an_install_cell_and_the_chapter(tmp_path):
    assert cli.main(["notebooks", "--toc", str(ROOT / "_toc.yml"), "--out", str(tmp_path)]) == 0
    chapters = cli.toc_chapters(ROOT / "_toc.yml")
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
        assert [c.source for c in notebook.cells[1:]] == [c.source for c in original.cells]


def test_notebooks_without_toc_fails_clearly(tmp_path, capsys):
    assert cli.main(["notebooks", "--toc", str(tmp_path / "missing.yml"), "--out", str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err
