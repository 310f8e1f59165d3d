"""Read a page last, and on every build: for pages whose directive summarises the other pages.

The Reproducibility page (claim ledger) and the Instructors page (chapter table) are built
from what the chapters produce; Sphinx must read them after every chapter, and re-read them
even when their own source did not change.
"""

from __future__ import annotations

from pathlib import Path


def pages_with(env, directive: str) -> list[str]:
    """Documents whose source contains ``{directive}``."""
    marker = "{" + directive + "}"
    pages = []
    for docname in sorted(env.found_docs):
        try:
            if marker in Path(env.doc2path(docname)).read_text(encoding="utf8"):
                pages.append(docname)
        except OSError:
            continue
    return pages


def read_last(app, directive: str) -> None:
    """Connect the two events that make pages using ``directive`` outdated on every build and read last."""

    def outdated(app, env, added, changed, removed):
        return [p for p in pages_with(env, directive) if p not in added and p not in changed]

    def reorder(app, env, docnames):
        pages = set(pages_with(env, directive))
        docnames[:] = [d for d in docnames if d not in pages] + [d for d in docnames if d in pages]

    app.connect("env-get-outdated", outdated)
    app.connect("env-before-read-docs", reorder)
