"""Notebook downloads and the Colab link of every chapter page.

- **Download**: the theme offers an ``.ipynb`` download only for Markdown notebooks. For
  our ``py:percent`` chapters this copies the executed notebook myst-nb wrote under
  ``_build/jupyter_execute`` into ``_sources/`` and adds the ``.ipynb`` entry to the
  download menu (with outputs, so it opens with every figure in place), its Markdown turned
  into plain Markdown (:mod:`assocmem.sphinxext.markdown`: numbers, links, folded solutions),
  without the page-only stacked variants of the figures.
- **Labels**: at the end of the build, every label of the book (section, figure, equation,
  proof, exercise) with its page, anchor and number goes to ``<outdir>/../labels.json``, which
  ``python -m assocmem notebooks`` reads to write links to the online book.
- **Colab** cannot open a text notebook. Its button is pointed at the generated notebook
  of the chapter, ``<assocmem_notebooks_dir>/<page>.ipynb`` on branch
  ``<assocmem_colab_branch>`` of the repository: ``make notebooks`` writes those files
  (each with an install cell) and the publishing job pushes them to that branch.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from sphinx.util import logging

from . import markdown

LOGGER = logging.getLogger(__name__)


def _walk(buttons):
    for button in buttons:
        yield button
        yield from _walk(button.get("buttons", []))


def _is_py_notebook(app, pagename: str) -> bool:
    try:
        path = Path(app.env.doc2path(pagename))
    except Exception:
        return False
    return path.suffix == ".py"


def _page_buttons(app, pagename, templatename, context, doctree):
    if doctree is None or not _is_py_notebook(app, pagename) or "header_buttons" not in context:
        return
    buttons = context["header_buttons"]
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if executed.is_file():
        target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        notebook = nbformat.read(executed, as_version=4)
        markdown.convert_notebook(notebook, _context(app, notebook, executed))
        _drop_page_variants(notebook)
        nbformat.write(notebook, target)
        url = f"{context['pathto']('_sources', 1)}/{pagename}.ipynb"
        for button in _walk(buttons):
            if button.get("label") == "download-buttons" and not any(
                b.get("label") == "download-notebook-button" for b in button["buttons"]
            ):
                button["buttons"].insert(0, {"type": "link", "url": url, "text": ".ipynb", "tooltip": "Download notebook file",
                                             "icon": "fas fa-code", "label": "download-notebook-button"})
    else:
        LOGGER.warning(f"no executed notebook for {pagename!r} at {executed}; no .ipynb download", location=pagename)
    folder = app.config.assocmem_notebooks_dir.strip("/")
    branch = app.config.assocmem_colab_branch
    for button in _walk(buttons):
        if button.get("text") == "Colab" and "/blob/" in button.get("url", ""):
            head = button["url"].split("/blob/")[0]
            button["url"] = f"{head}/blob/{branch}/{folder}/{pagename}.ipynb"
            button["tooltip"] = "Launch on Colab (the generated notebook, with an install cell)"


def _drop_page_variants(notebook) -> None:
    """Remove the stacked (phone) PNGs that assocmem.viz.style.glue_figure adds for the page only:
    Jupyter never shows them, and they would nearly double the download's figures."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            mark = output.get("metadata", {}).get("assocmem")
            if isinstance(mark, dict):
                mark.pop("stacked", None)


def _labels(app) -> dict:
    cached = getattr(app, "_assocmem_labels", None)
    if cached is None:
        cached = markdown.labels_from_env(app.env)
        app._assocmem_labels = cached
    return cached


def _context(app, notebook, executed: Path) -> markdown.Context:
    repository = (getattr(app.config, "html_theme_options", {}) or {}).get("repository_url", "")
    base = getattr(app.config, "html_baseurl", "") or (markdown.pages_url(repository) if repository else "")
    if base and not base.endswith("/"):
        base += "/"
    citations = {}
    for bib in getattr(app.config, "bibtex_bibfiles", []) or []:
        path = Path(app.srcdir) / bib
        if path.is_file():
            citations |= markdown.read_bib(path.read_text(encoding="utf8"))
    return markdown.Context(base_url=base, glue=markdown.glue_values(notebook) | markdown.executed_glue(executed), labels=_labels(app), citations=citations)


def _write_labels(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    labels = markdown.labels_from_env(app.env)
    (Path(app.outdir).parent / "labels.json").write_text(markdown.dump_labels(labels), encoding="utf8")


def setup(app):
    app.connect("build-finished", _write_labels)
    app.add_config_value("assocmem_notebooks_dir", "notebooks", "html")
    app.add_config_value("assocmem_colab_branch", "notebooks", "html")
    app.connect("html-page-context", _page_buttons, priority=502)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
