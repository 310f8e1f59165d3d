"""Collect every chapter listed in _toc.yml as an nbval notebook, straight from its .py file.

nbval only collects ``.ipynb`` files; this hook hands it the jupytext reading of
each ``py:percent`` chapter instead, so there is no conversion step and no
generated file to keep in sync. Options come from pyproject.toml
(``--nbval-lax --nbval-current-env``): every cell must run without error, and
the claims are the ``assert`` statements in the chapters.

The tests run on parallel workers (pytest-xdist, ``-n auto --dist loadgroup`` in
pyproject.toml): every cell of one chapter is put in one group, so that a chapter runs
on one worker, in one kernel, cell after cell; and each worker (with the kernels it starts)
computes on one thread, so that the workers do not oversubscribe the cores.
"""

import os
from pathlib import Path
from unittest import mock

import jupytext
import nbval.plugin
import pytest

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


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """Put every cell of a chapter in the chapter's xdist group; then give each grouped item
    the ``@group`` suffix of its node id that ``--dist loadgroup`` schedules by.

    pytest-xdist 3.8 adds that suffix by assigning ``item._nodeid``, which pytest 9.2 no longer
    reads (its node ids are structured: pytest-dev/pytest-xdist#1386): the groups would be
    silently ignored and a chapter's cells spread over the workers. The second half sets the
    same id through pytest's own parser, and does nothing where xdist's suffix is already there.
    """
    for item in items:
        if isinstance(item, nbval.plugin.IPyNbCell):
            item.add_marker(pytest.mark.xdist_group(Path(item.path).resolve().relative_to(ROOT).as_posix()))
    result = yield  # xdist's own hook (and the deselection by -k and -m) run here
    if getattr(config.option, "loadgroup", False):  # set on xdist workers under --dist loadgroup
        from _pytest.nodeid import NodeId

        for item in items:
            names = {str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                     for mark in item.iter_markers("xdist_group")}
            suffix = "@" + "_".join(sorted(names))
            if names and not item.nodeid.endswith(suffix):
                item._id = NodeId.parse(item.nodeid + suffix)
    return result


#: one thread per worker: with as many workers as cores, a second thread per process only
#: oversubscribes them (torch's idle threads spin). The unit tests also set torch's count
#: (tests/conftest.py); the variables reach the libraries a worker or its kernels load.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@pytest.hookimpl(optionalhook=True)  # an xdist hook: absent under -p no:xdist
def pytest_xdist_setupnodes(config, specs):
    for spec in specs:
        for name in THREAD_VARIABLES:
            if name not in os.environ:
                spec.env.setdefault(name, "1")
