"""A myst-nb mime renderer plugin: outputs marked for the notebook only are left off the page.

Registered as the entry point ``myst_nb.mime_renderers: assocmem`` (pyproject.toml), so
myst-nb consults it for every output of every executed chapter. Two marks, both in the
output's metadata under ``"assocmem"`` (see :mod:`assocmem.viz.style` and
:mod:`assocmem.viz.widgets`):

- ``{"page": "notebook-only"}``: a figure that :func:`assocmem.viz.style.glue_figure` shows in
  its cell for a reader running the notebook; on the page it appears once, where its
  ``{glue:figure}`` directive is (the glue store still holds it).
- ``{"page": "static-widget"}``: a widget; its live view (``application/vnd.jupyter.widget-view+json``)
  is dropped from the page, which renders the precomputed ``text/html`` version of the same
  output instead (a slider over stored frames, :func:`assocmem.viz.widgets.figure_widget`).

And one addition, where a ``{glue:figure}`` directive places a glued figure: when the output also
carries a stacked variant (``"stacked"``: base64 PNG, made by :func:`assocmem.viz.style.glue_figure`
for a figure of three or more panels in a row), both PNGs are written as image files and wrapped in
a :class:`stacked_figure` node, which the HTML writer renders as
``<picture><source media="(max-width: 600px)" srcset="stacked.png"><img src="wide.png" alt=...></picture>``:
a phone shows the panels one above another, a wider screen the figure as it is; one image element,
with the directive's alt text, inside the one numbered figure with its caption. Other writers
render the wide image only. The extension :mod:`assocmem.sphinxext.pages` registers the node.
"""

from __future__ import annotations

import dataclasses
import posixpath
import urllib.parse
from html import escape

from docutils import nodes

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class AssocmemMimeRenderer:
    """``handle_mime`` returns ``[]`` (render nothing) for a marked output, ``None`` (not mine) otherwise."""

    mime_priority_overrides = ()

    @staticmethod
    def handle_mime(renderer, data, inline: bool):
        # Only a cell's own output list is filtered: myst-nb passes the output's index there and
        # none when a {glue:figure} / {glue:text} renders the same (glued) output elsewhere.
        if data.output_index is None:
            return _stacked(renderer, data)
        mark = (data.output_metadata or {}).get("assocmem") or {}
        page = mark.get("page") if isinstance(mark, dict) else None
        if page == "notebook-only":
            return []
        if page == "static-widget" and data.mime_type == WIDGET_VIEW:
            return []
        return None


# Below this viewport width (CSS px) the page shows the stacked variant: phones (360-430 px) and
# small tablets in portrait, where three panels side by side would be under 200 px each.
STACKED_BREAKPOINT = 600


class stacked_figure(nodes.General, nodes.Element):
    """Two images of one figure: ``[wide, stacked]`` (``nodes.image`` each, so Sphinx copies both files)."""


def _stacked(renderer, data):
    mark = (data.output_metadata or {}).get("assocmem") or {}
    stacked = mark.get("stacked") if isinstance(mark, dict) else None
    if data.mime_type != "image/png" or not stacked:
        return None
    wide = renderer.render_image(data)
    narrow = renderer.render_image(dataclasses.replace(data, content=stacked))
    if len(wide) != 1 or len(narrow) != 1:
        return wide
    narrow[0]["classes"] = narrow[0].get("classes", []) + ["assocmem-stacked"]
    return [stacked_figure("", wide[0], narrow[0])]


def _image_uri(translator, image) -> str:
    uri = image["uri"]
    images = getattr(translator.builder, "images", {})
    if uri in images:
        uri = posixpath.join(translator.builder.imgpath, urllib.parse.quote(images[uri]))
    return uri


def visit_stacked_figure_html(translator, node) -> None:
    wide, narrow = node.children
    translator.body.append(f'<picture class="assocmem-stacked-figure"><source media="(max-width: {STACKED_BREAKPOINT}px)" '
                           f'srcset="{escape(_image_uri(translator, narrow))}">')
    wide.walkabout(translator)
    translator.body.append("</picture>")
    raise nodes.SkipNode


def visit_stacked_figure_other(translator, node) -> None:
    node.children[0].walkabout(translator)
    raise nodes.SkipNode


def add_node(app) -> None:
    """Register :class:`stacked_figure` with Sphinx: a ``<picture>`` in HTML, the wide image elsewhere."""
    other = (visit_stacked_figure_other, None)
    app.add_node(stacked_figure, html=(visit_stacked_figure_html, None), latex=other, text=other, man=other,
                 texinfo=other)
