"""Collect every chapter listed in _toc.yml as an nbval notebook, straight from its .py file.

nbval only collects ``.ipynb`` files; this hook hands it the jupytext reading of
each ``py:percent`` chapter instead, so there is no conversion step and no
generated file to keep in sync. Options come from pyproject.toml
(``--nbval-lax --nbval-current-env``): every cell must run without error, and
the claims are the ``assert`` statements in the chapters.
"""

from pathlib import Path
from unittest import mock

import jupytext
import nbval.plugin

from assocmem import toc

ROOT = Path(__file__).parent


CHAPTERS = {path.resolve() for path in toc.chapters(ROOT / "_toc.yml")}


class JupytextNotebook(nbval.plugin.IPyNbFile):
    """An nbval notebook read from a jupytext text file."""

    def collect(self):
        notebook = jupytext.read(self.path)
        with mock.patch.object(nbval.plugin.nbformat, "read", return_value=notebook):
            return list(super().collect())


class NotAModule(nbval.plugin.pytest.File):
    """Stands in for pytest's Python module of a chapter: a chapter is run by nbval, never imported."""

    def collect(self):
        return []


def _is_chapter(file_path: Path) -> bool:
    return file_path.suffix == ".py" and file_path.resolve() in CHAPTERS


def pytest_collect_file(file_path: Path, parent):
    if _is_chapter(file_path):
        return JupytextNotebook.from_parent(parent, path=file_path)
    return None


def pytest_pycollect_makemodule(module_path: Path, parent):
    # pytest imports any .py file named on its command line as a test module, which would
    # execute the chapter a second time outside nbval; an empty collector prevents that.
    if _is_chapter(module_path):
        return NotAModule.from_parent(parent, path=module_path)
    return None
