"""Small fixes to every HTML page, so the book renders offline without console errors.

- ``require`` configuration (before require.js loads): the vendored ipywidgets HTML manager and
  the ``@jupyter-widgets`` modules it bundles find their fonts under ``_static/vendor/html-manager``
  instead of next to the page.
- MathJax 2 shim: the ipywidgets controls typeset their labels with the MathJax 2 API
  (``MathJax.Hub.Queue``); with MathJax 3 that call throws. The shim forwards it to
  ``MathJax.typesetPromise``.
- Alt text for the figures that embedded widgets draw (their output area carries none):
  a short description saying it is the default view of the controls above it.
- One copy of each script: sphinx-thebe registers its inline configuration twice under
  Sphinx 7 (``Identifier 'THEBE_JS_URL' has already been declared``).
- The theme's colour mode set to ``auto`` when the reader has chosen none (an empty mode
  makes the theme log an error on a reader's first visit).
- ``static/assocmem.js`` and ``static/assocmem.css``: the sliders of the static widgets switch
  between their precomputed frames (:mod:`assocmem.viz.widgets`); wide display equations are
  scaled to fit the column; the equation number never covers a formula on a phone.
- ``ASSOCMEM_STATIC_WIDGETS=1`` for the kernels that execute the chapters, so each widget
  precomputes its frames for the page and each figure of three or more panels in a row gets its
  stacked (phone) variant (a live session does neither).
- The ``stacked_figure`` node (:mod:`assocmem.sphinxext.render`): that figure as a ``<picture>``,
  the stacked PNG below 600 px of viewport width, the wide one above.
"""

from __future__ import annotations

import os
from pathlib import Path

# The same name as assocmem.viz.widgets.STATIC_VARIABLE (not imported: the extension loads no plotting code).
STATIC_VARIABLE = "ASSOCMEM_STATIC_WIDGETS"

REQUIRE_CONFIG = """
if (!document.documentElement.dataset.mode) { document.documentElement.dataset.mode = "auto"; }
var __assocmem_widgets = new URL((document.documentElement.dataset.content_root || "./")
  + "_static/vendor/html-manager/", document.baseURI).href;
// The bundled modules compute their font URLs from their own module path: html-manager/dist and the
// other @jupyter-widgets modules it defines both point at the vendored folder, and so does the global
// the bundle reads first (without the second entry a page could ask for page/@jupyter-widgets/*.woff2).
window.__jupyter_widgets_assets_path__ = __assocmem_widgets;
var require = {paths: {"@jupyter-widgets/html-manager/dist": __assocmem_widgets.slice(0, -1),
                       "@jupyter-widgets": __assocmem_widgets.slice(0, -1)}};
"""

WIDGET_FIXES = """
(function () {
  var WIDGET_ALT = "Figure drawn by the interactive controls above for their current values "
    + "(the default values on this page; in a live kernel, moving a control redraws it).";
  function hubShim() {
    var mj = window.MathJax;
    if (!mj || mj.Hub || !mj.version || mj.version.charAt(0) !== "3") return;
    mj.Hub = {Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var item = arguments[i];
        if (Array.isArray(item) && item[0] === "Typeset" && item[2] && mj.typesetPromise) {
          var ready = (mj.startup && mj.startup.promise) || Promise.resolve();
          ready.then(function (el) { return function () { return mj.typesetPromise([el]); }; }(item[2]))
               .catch(function () {});
        }
      }
    }};
  }
  function altText(root) {
    (root.querySelectorAll ? root : document).querySelectorAll(
      ".jupyter-widgets img:not([alt]), .widget-output img:not([alt]), .jupyter-widgets img[alt=''], .widget-output img[alt='']"
    ).forEach(function (img) { img.setAttribute("alt", WIDGET_ALT); });
  }
  hubShim();
  document.addEventListener("DOMContentLoaded", function () {
    hubShim();
    altText(document);
    new MutationObserver(function (records) {
      hubShim();
      records.forEach(function (r) { r.addedNodes.forEach(function (n) { if (n.nodeType === 1) altText(n.parentNode || n); }); });
    }).observe(document.body, {childList: true, subtree: true});
  });
})();
"""


def _one_copy_of_each_script(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", None) or {}
        key = (getattr(script, "filename", script) or None, getattr(script, "priority", None), tuple(sorted(attributes.items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    scripts[:] = unique


def _static_files(app, config) -> None:
    folder = str(Path(__file__).parent / "static")
    if folder not in config.html_static_path:
        config.html_static_path.append(folder)
    os.environ[STATIC_VARIABLE] = "1"


def setup(app):
    from assocmem.sphinxext import render

    render.add_node(app)
    app.connect("config-inited", _static_files)
    app.add_js_file("assocmem.js")
    app.add_css_file("assocmem.css")
    app.add_js_file(None, body=REQUIRE_CONFIG, priority=50)
    app.add_js_file(None, body=WIDGET_FIXES, priority=50)
    app.connect("html-page-context", _one_copy_of_each_script, priority=999)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
