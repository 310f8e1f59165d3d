"""The claim ledger page: a table of every claim every chapter checks, made at build time.

What the extension does, in the order of a build:

1. ``config-inited``: sets ``ASSOCMEM_LEDGER_DIR`` (see :mod:`assocmem.claims`) to
   ``<outdir>/../claims`` so that the kernels executing the chapters record their checks.
2. ``source-read``: before myst-nb executes a document, points the variable at the
   document's own folder ``claims/<docname>/`` (and empties it), so each record file is
   tied to the page it came from and stale claims of a re-executed page disappear.
3. ``env-get-outdated`` / ``env-before-read-docs``: every page holding a
   ``{claim-ledger}`` directive is re-read on every build, after all other pages, so the
   table sees the records of chapters executed in the same build.
4. The ``claim-ledger`` directive renders one table per chapter (under the chapter's title, a
   link) with one short row per claim: the section (a link, only where it changes), the claim,
   the paper reference, the measured value, the bound and a pass mark.
   Section links are resolved in ``doctree-resolved``, once every page has been read.
"""

from __future__ import annotations

import re

import json
import os
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from .. import claims
from ._last import read_last

LOGGER = logging.getLogger(__name__)
DIRECTIVE = "claim-ledger"


def ledger_root(app) -> Path:
    return Path(app.outdir).parent / "claims"


def _set_root(app, config) -> None:
    root = ledger_root(app)
    root.mkdir(parents=True, exist_ok=True)
    os.environ[claims.LEDGER_DIR_VARIABLE] = str(root)


def _doc_dir(app, docname: str) -> Path:
    return ledger_root(app) / docname


def _source_read(app, docname: str, source: list[str]) -> None:
    """Point the executing kernel of ``docname`` at its own record folder (emptied first)."""
    directory = _doc_dir(app, docname)
    if directory.is_dir():
        shutil.rmtree(directory)
    os.environ[claims.LEDGER_DIR_VARIABLE] = str(directory)


def _records(app, env) -> list[tuple[str, dict]]:
    """(docname, chapter file contents) for every page in the build, in table-of-contents order."""
    order = {doc: i for i, doc in enumerate(toc_order(env))}
    found = []
    root = ledger_root(app)
    for path in sorted(root.rglob("*.json")):
        docname = path.parent.relative_to(root).as_posix()
        if docname not in env.found_docs:
            continue  # a page that left the book
        found.append((docname, json.loads(path.read_text(encoding="utf8"))))
    return sorted(found, key=lambda item: (order.get(item[0], len(order)), item[1]["chapter"]))


def toc_order(env) -> list[str]:
    """Documents in reading order (root first), from the toctree the environment knows."""
    order, seen = [], set()

    def visit(doc):
        if doc in seen:
            return
        seen.add(doc)
        order.append(doc)
        for child in env.toctree_includes.get(doc, []):
            visit(child)

    visit(env.config.root_doc)
    return order


class section_link(nodes.reference):
    """A link to a section of a chapter, resolved once every page has been read."""


class ClaimLedger(SphinxDirective):
    """``{claim-ledger}``: the table of every recorded claim of the book."""

    has_content = False

    def run(self):
        env = self.env
        records = _records(self.env.app, env)
        total = passed = 0
        chapters = {}
        for docname, chapter in records:
            chapters.setdefault((docname, chapter["title"]), []).append(chapter)
        out = []
        for (docname, title), parts in chapters.items():
            # One table per chapter, under its title (a link); one short row per claim, the section
            # named only where it changes (no repeated paths), so the page fits 1280 px.
            heading = nodes.rubric(classes=["claim-ledger-chapter"])
            link = section_link("", "", internal=True, refdoc=docname, section="")
            link += nodes.Text(title)
            heading += link
            table = nodes.table(classes=["claim-ledger", "colwidths-given"])  # the widths below reach the HTML
            widths = [17, 43, 14, 9, 12, 5]
            group = nodes.tgroup(cols=len(widths))
            table += group
            for width in widths:
                group += nodes.colspec(colwidth=width)
            thead = nodes.thead()
            group += thead
            thead += self._row([nodes.Text(text) for text in ["Section", "Claim", "Reference", "Measured", "Bound", "Pass"]])
            tbody = nodes.tbody()
            group += tbody
            held = count = 0
            last_section = None
            for chapter in parts:
                for claim in chapter["claims"]:
                    count += 1
                    held += bool(claim["passed"])
                    if claim["section"] != last_section:
                        where = section_link("", "", internal=True, refdoc=docname, section=claim["section"])
                        where += nodes.Text(claim["section"])
                        last_section = claim["section"]
                    else:
                        where = nodes.Text("")
                    value = claim["value"]
                    measured = str(value).lower() if isinstance(value, bool) else f"{value:.4g}"
                    mark = "✓" if claim["passed"] else "✗"
                    cells = [where, nodes.Text(claim["claim"]), nodes.Text(claim["reference"] or "—"),
                             nodes.literal(text=measured), nodes.literal(text=claim["bound"]), nodes.Text(mark)]
                    tbody += self._row(cells, ids=[nodes.make_id(f"claim-{chapter['chapter']}-{claim['claim_id']}")])
            heading += nodes.Text(f" — {held} of {count} claims hold")
            total += count
            passed += held
            out += [heading, table]
        summary = nodes.paragraph(text=f"{passed} of {total} claims from {len(records)} chapter(s) hold in this build.")
        if total == 0:
            LOGGER.warning("the claim ledger is empty: no chapter recorded a claim (is ASSOCMEM_LEDGER_DIR set?)",
                           location=(env.docname, self.lineno))
            return [summary]
        return [summary, *out]

    @staticmethod
    def _row(cells, ids=()):
        row = nodes.row(ids=list(ids))
        for cell in cells:
            entry = nodes.entry()
            entry += nodes.paragraph("", "", cell) if not isinstance(cell, nodes.paragraph) else cell
            row += entry
        return row


def _title_key(text: str) -> str:
    """Compare titles by letters and digits only, so "Margins grow like log t" finds the heading
    "Margins grow like $\\log t$" (whose text is "Margins grow like \\log t")."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _section_ids(app, docname: str) -> dict[str, str]:
    doctree = app.env.get_doctree(docname)
    ids = {}
    for section in doctree.findall(nodes.section):
        title = section.next_node(nodes.title)
        if title is not None and section["ids"]:
            ids.setdefault(_title_key(title.astext()), section["ids"][0])
    return ids


def _resolve_links(app, doctree, fromdoc: str) -> None:
    cache: dict[str, dict[str, str]] = {}
    for link in list(doctree.findall(section_link)):
        target = link["refdoc"]
        if target not in cache:
            cache[target] = _section_ids(app, target)
        anchor = cache[target].get(_title_key(link["section"])) if link["section"] else None
        if anchor is None and link["section"]:
            LOGGER.warning(f"claim ledger: chapter {target!r} has no section titled {link['section']!r}",
                           location=fromdoc)
        uri = app.builder.get_relative_uri(fromdoc, target) + (f"#{anchor}" if anchor else "")
        new = nodes.reference("", "", *link.children, internal=True, refuri=uri)
        link.replace_self(new)


def setup(app):
    app.connect("config-inited", _set_root)
    app.connect("source-read", _source_read)
    read_last(app, DIRECTIVE)
    app.connect("doctree-resolved", _resolve_links)
    app.add_node(section_link)
    app.add_directive(DIRECTIVE, ClaimLedger)
    return {"version": "1.0", "parallel_read_safe": False, "parallel_write_safe": True}
