"""Course material: what every chapter must open and close with, and the instructors' table.

:func:`chapter_info` reads a ``py:percent`` chapter and extracts its title, its labels, the
labels it refers to, its opening admonition (learning objectives, prerequisites, run time)
and its exercises and solutions. ``tests/test_course.py`` holds every chapter of
``_toc.yml`` to the house rules with it, and the ``{chapter-list}`` directive (used by the
Instructors page) renders one row per chapter: part, chapter, the chapters it builds on
(found from its cross-references), prerequisites, stated run time and the time it took to
execute in this build. Pages holding the directive are read after every other page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

FENCE = r"(?:```+|:::+)"
LABEL = re.compile(r"^\(([A-Za-z0-9_.:-]+)\)=\s*$", re.M)
NAME = re.compile(r"^:(?:label|name):\s*(\S+)\s*$", re.M)
EQUATION = re.compile(r"\$\$\s*\(([A-Za-z0-9_.:-]+)\)")
REFS = re.compile(r"\{(?:ref|numref|eq|prf:ref|doc)\}`(?:[^`<]*<)?([^`>]+)>?`")
TITLE = re.compile(r"^#\s+(.+?)\s*$", re.M)
ADMONITION = re.compile(FENCE + r"\{admonition\}[^\n]*\n(.*?)\n" + FENCE, re.S)
EXERCISE = re.compile(FENCE + r"\{exercise\}")
SOLUTION = re.compile(FENCE + r"\{solution\}[^\n]*\n((?::[^\n]*\n)*)")


@dataclass
class ChapterInfo:
    path: Path
    title: str
    labels: set[str] = field(default_factory=set)
    references: set[str] = field(default_factory=set)
    opening: str = ""
    objectives: bool = False
    prerequisites: str = ""
    run_time: str = ""
    exercises: int = 0
    solutions: int = 0
    hidden_solutions: int = 0

    def problems(self) -> list[str]:
        """What the chapter lacks of the course rules (empty when it complies)."""
        found = []
        if not self.opening:
            found.append("no opening admonition in the first markdown cell")
        else:
            if not self.objectives:
                found.append("the opening admonition states no learning objectives ('You will learn' / 'objectives')")
            if not self.prerequisites:
                found.append("the opening admonition states no prerequisites")
            if not self.run_time:
                found.append("the opening admonition states no run time")
        if self.exercises < 2:
            found.append(f"{self.exercises} {{exercise}} block(s), at least 2 are needed")
        if self.solutions < self.exercises:
            found.append(f"{self.solutions} {{solution}} block(s) for {self.exercises} exercises")
        if self.hidden_solutions < self.solutions:
            found.append(f"{self.solutions - self.hidden_solutions} solution(s) not hidden (add ':class: dropdown')")
        return found


def _field(text: str, name: str) -> str:
    match = re.search(rf"\*\*{name}\*\*\s*:?\s*(.+?)(?:\n\s*\n|\Z)", text, re.S | re.I)
    if match is None:
        match = re.search(rf"^\s*[-*]?\s*{name}\s*:\s*(.+?)(?:\n\s*\n|\Z)", text, re.S | re.I | re.M)
    return " ".join(match.group(1).split()).lstrip(":").strip() if match else ""


def chapter_info(path) -> ChapterInfo:
    """Read a chapter (any format jupytext reads) and extract its course metadata."""
    import jupytext

    path = Path(path)
    notebook = jupytext.read(path)
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    text = "\n\n".join(markdown)
    title = TITLE.search(text)
    info = ChapterInfo(path=path, title=title.group(1) if title else path.stem)
    info.labels = set(LABEL.findall(text)) | set(NAME.findall(text)) | set(EQUATION.findall(text))
    info.references = set(REFS.findall(text))
    opening = ADMONITION.search(markdown[0]) if markdown else None
    if opening:
        body = opening.group(1)
        info.opening = body
        info.objectives = bool(re.search(r"you will learn|objectives|in this chapter you", body, re.I)) or bool(re.search(r"^\s*[-*] ", body, re.M))
        info.prerequisites = _field(body, "prerequisites?")
        info.run_time = _field(body, "run ?time")
    info.exercises = len(EXERCISE.findall(text))
    solutions = SOLUTION.findall(text)
    info.solutions = len(solutions)
    info.hidden_solutions = sum("dropdown" in options for options in solutions)
    return info


def dependencies(chapters: list[ChapterInfo]) -> dict[Path, list[ChapterInfo]]:
    """For each chapter, the earlier-or-later chapters whose labels it refers to."""
    owner = {label: chapter for chapter in chapters for label in chapter.labels}
    result = {}
    for chapter in chapters:
        deps = {owner[ref].path: owner[ref] for ref in chapter.references if ref in owner and owner[ref] is not chapter}
        result[chapter.path] = [c for c in chapters if c.path in deps]
    return result


# --- the Sphinx side -------------------------------------------------------------------

from ._last import read_last  # noqa: E402


def _sphinx_parts():
    from docutils import nodes
    from sphinx.util.docutils import SphinxDirective

    from .ledger import toc_order

    class ChapterList(SphinxDirective):
        """``{chapter-list}``: one row per chapter of the book (every ``.py`` page, in reading order)."""

        def run(self):
            env = self.env
            order = toc_order(env)
            parts = _part_captions(env)
            docs = [doc for doc in order if Path(env.doc2path(doc)).suffix == ".py"]
            infos = {doc: chapter_info(env.doc2path(doc)) for doc in docs}
            deps = dependencies(list(infos.values()))
            by_path = {info.path: doc for doc, info in infos.items()}
            metadata = getattr(env, "nb_metadata", {})
            table = nodes.table(classes=["chapter-list"])
            group = nodes.tgroup(cols=6)
            table += group
            for width in (10, 18, 18, 30, 12, 10):
                group += nodes.colspec(colwidth=width)
            head = nodes.thead()
            group += head
            head += _row(nodes, ["Part", "Chapter", "Builds on", "Prerequisites", "Run time (stated)", "Run time (this build)"])
            body = nodes.tbody()
            group += body
            for doc in docs:
                info = infos[doc]
                runtime = (metadata.get(doc, {}).get("exec_data") or {}).get("runtime")
                chapter_link = _doc_link(nodes, info.title, doc)
                builds_on = nodes.inline()
                for i, dep in enumerate(deps[info.path]):
                    if i:
                        builds_on += nodes.Text(", ")
                    builds_on += _doc_link(nodes, dep.title, by_path[dep.path])
                if not deps[info.path]:
                    builds_on += nodes.Text("—")
                body += _row(nodes, [parts.get(doc, ""), chapter_link, builds_on, self._markup(info.prerequisites or "—"),
                                     info.run_time or "—", f"{runtime:.0f} s" if runtime is not None else "not executed"])
            if not docs:
                return [nodes.paragraph(text="The book has no chapters yet.")]
            return [table]

        def _markup(self, text):
            """The chapter's own MyST markup (roles such as {ref}), as an inline node."""
            try:
                parsed = self.parse_text_to_nodes(text)
            except Exception:
                return nodes.Text(text)
            inline = nodes.inline()
            for node in parsed:
                inline += node.children if isinstance(node, nodes.paragraph) else [node]
            return inline

    return ChapterList


def _doc_link(nodes, text, docname):
    from sphinx import addnodes

    ref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget="/" + docname, refexplicit=True, refwarn=True)
    ref += nodes.inline(text=text)
    return ref


def _row(nodes, cells):
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += nodes.paragraph("", "", cell if isinstance(cell, nodes.Node) else nodes.Text(str(cell)))
        row += entry
    return row


def _part_captions(env) -> dict[str, str]:
    """Chapter docname -> caption of the toctree (part) that includes it."""
    from sphinx import addnodes

    captions = {}
    root = env.config.root_doc
    try:
        doctree = env.get_doctree(root)
    except Exception:
        return captions
    for toctree in doctree.findall(addnodes.toctree):
        for _title, ref in toctree.get("entries", []):
            captions.setdefault(ref, toctree.get("caption") or "")
    return captions


def setup(app):
    app.add_directive("chapter-list", _sphinx_parts())
    read_last(app, "chapter-list")
    return {"version": "1.0", "parallel_read_safe": False, "parallel_write_safe": True}
