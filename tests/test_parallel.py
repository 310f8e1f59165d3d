"""The parallel run (pytest-xdist, ``-n auto --dist loadgroup``; conftest.py): the tests of one
xdist group run on one worker, in collection order, and every cell of a chapter is in its chapter's group."""

from __future__ import annotations

from pathlib import Path

import nbval.plugin
import pytest

ROOT = Path(__file__).resolve().parents[1]
GROUP = "parallel-check"


def _worker(request) -> str | None:
    """The xdist worker id (``gw0``, ...), or None in a serial run (``-n 0``)."""
    return getattr(request.config, "workerinput", {}).get("workerid")


def _record(request, tmp_path_factory) -> Path:
    # the workers' base temporary folders share a parent; the run's id keeps runs apart
    return tmp_path_factory.getbasetemp().parent / f"{GROUP}-{request.config.workerinput['testrunuid']}.txt"


@pytest.mark.xdist_group(GROUP)
def test_a_grouped_test_carries_its_group_on_a_worker(request, tmp_path_factory):
    if _worker(request) is None:
        pytest.skip("a serial run (-n 0): no workers to group on")
    assert getattr(request.config.option, "loadgroup", False), "the workers do not run with --dist loadgroup"
    # the suffix is what the scheduler groups by: without it the group is silently ignored
    assert request.node.nodeid.endswith(f"@{GROUP}"), request.node.nodeid
    _record(request, tmp_path_factory).write_text(_worker(request))


@pytest.mark.xdist_group(GROUP)
def test_the_next_test_of_the_group_runs_after_it_on_the_same_worker(request, tmp_path_factory):
    if _worker(request) is None:
        pytest.skip("a serial run (-n 0): no workers to group on")
    record = _record(request, tmp_path_factory)
    if not record.exists():
        pytest.skip("runs after test_a_grouped_test_carries_its_group_on_a_worker, which was not selected")
    assert record.read_text() == _worker(request)


def test_every_chapter_cell_is_in_its_chapters_group(request):
    cells = [item for item in request.session.items if isinstance(item, nbval.plugin.IPyNbCell)]
    if not cells:
        pytest.skip("no chapter collected (run with book/ to check the chapters' cells)")
    for cell in cells:
        chapter = Path(cell.path).resolve().relative_to(ROOT).as_posix()
        assert [mark.args for mark in cell.iter_markers("xdist_group")] == [(chapter,)], cell.nodeid
        if _worker(request) is not None:
            assert cell.nodeid.endswith(f"@{chapter}"), cell.nodeid
