"""Every chapter of _toc.yml is course material: an opening box with learning objectives,
prerequisites and run time, and at least two exercises with hidden solutions.

The chapters are read from ``_toc.yml`` each time, so chapters added later are held to the
same rules (see ``assocmem.sphinxext.course``, which also makes the Instructors page).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assocmem.toc import chapters as toc_chapters
from assocmem.sphinxext.course import chapter_info, dependencies

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = toc_chapters(ROOT / "_toc.yml")


def test_the_book_has_chapters():
    assert CHAPTERS, "no .py chapter found in _toc.yml"


@pytest.mark.parametrize("path", CHAPTERS, ids=[str(p.relative_to(ROOT)) for p in CHAPTERS])
def test_chapter_is_course_material(path):
    info = chapter_info(path)
    assert not info.problems(), f"{path.relative_to(ROOT)}: " + "; ".join(info.problems())


GOOD = '''# %% [markdown]
# (chap-a)=
# # Chapter A
#
# ```{admonition} In this chapter
# **You will learn** things.
#
# **Prerequisites**: {ref}`chap-b`, calculus.
#
# **Run time**: about 3 s.
# ```
#
# ```{exercise}
# :label: ex-1
# One.
# ```
#
# ```{solution} ex-1
# :class: dropdown
# Yes.
# ```
#
# ```{exercise}
# :label: ex-2
# Two.
# ```
#
# ```{solution} ex-2
# :class: dropdown
# No.
# ```

# %%
x = 1
'''


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_complete_chapter_passes_and_its_fields_are_read(tmp_path):
    info = chapter_info(_write(tmp_path, "a.py", GOOD))
    assert info.problems() == []
    assert info.title == "Chapter A"
    assert info.run_time == "about 3 s."
    assert info.prerequisites.startswith("{ref}`chap-b`")
    assert (info.exercises, info.solutions, info.hidden_solutions) == (2, 2, 2)


@pytest.mark.parametrize(
    "change, complaint",
    [
        (("**Run time**: about 3 s.", ""), "no run time"),
        (("**Prerequisites**: {ref}`chap-b`, calculus.", ""), "no prerequisites"),
        (("**You will learn** things.", "Text."), "no learning objectives"),
        (("```{admonition} In this chapter", "```{note}"), "no opening admonition"),
        (("# ```{exercise}\n# :label: ex-2", "# ```{note}\n# :label: ex-2"), "at least 2"),
        (("# ```{solution} ex-2\n# :class: dropdown", "# ```{solution} ex-2"), "not hidden"),
    ],
)
def test_a_chapter_missing_a_part_is_reported(tmp_path, change, complaint):
    old, new = change
    assert old in GOOD
    info = chapter_info(_write(tmp_path, "a.py", GOOD.replace(old, new)))
    assert any(complaint in problem for problem in info.problems()), info.problems()


def test_dependencies_come_from_cross_references(tmp_path):
    a = chapter_info(_write(tmp_path, "a.py", GOOD))
    b = chapter_info(_write(tmp_path, "b.py", GOOD.replace("(chap-a)=", "(chap-b)=").replace("{ref}`chap-b`", "algebra")))
    deps = dependencies([a, b])
    assert [c.title for c in deps[a.path]] == ["Chapter A"] and deps[a.path][0].path == b.path
    assert deps[b.path] == []
