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
"""

from __future__ import annotations

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class AssocmemMimeRenderer:
    """``handle_mime`` returns ``[]`` (render nothing) for a marked output, ``None`` (not mine) otherwise."""

    mime_priority_overrides = ()

    @staticmethod
    def handle_mime(renderer, data, inline: bool):
        # Only a cell's own output list is filtered: myst-nb passes the output's index there and
        # none when a {glue:figure} / {glue:text} renders the same (glued) output elsewhere.
        if data.output_index is None:
            return None
        mark = (data.output_metadata or {}).get("assocmem") or {}
        page = mark.get("page") if isinstance(mark, dict) else None
        if page == "notebook-only":
            return []
        if page == "static-widget" and data.mime_type == WIDGET_VIEW:
            return []
        return None
