"""Figures on a phone: a row of three or more panels gets a stacked variant (assocmem.viz.style.stacked_figure),
glued with the wide figure for the page only, and rendered by assocmem.sphinxext.render as a <picture>."""

from __future__ import annotations

import base64

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from docutils import nodes  # noqa: E402

from assocmem.sphinxext import render  # noqa: E402
from assocmem.viz import style  # noqa: E402


def _row(n: int, colorbar: bool = False, sharey: bool = False):
    fig, axes = style.figure(ncols=n, sharey=sharey)
    for i, ax in enumerate(axes[0]):
        ax.plot([0, 1, 2], [i, 2 * i, 0], label=f"run {i}")
        ax.set_title(f"panel {i}")
        ax.set_xlabel(f"step t{i}")
        ax.set_ylabel(f"loss {i}")
        ax.legend()
    if colorbar:
        image = axes[0, -1].imshow(np.arange(16.0).reshape(4, 4), aspect="auto")
        fig.colorbar(image, ax=axes[0, -1], label="colour scale")
    return fig, axes


def _texts(fig):
    return sorted((ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes)


def _boxes(fig):
    fig.canvas.draw()
    return [ax.get_position() for ax in fig.axes if not style._is_colorbar(ax)]


@pytest.mark.parametrize("n", [3, 4])
def test_a_row_of_three_or_more_panels_is_stacked_top_to_bottom(n):
    fig, _ = _row(n, colorbar=True)
    wide_size = tuple(fig.get_size_inches())
    wide_boxes = np.array([b.bounds for b in _boxes(fig)])
    stacked = style.stacked_figure(fig)
    assert stacked is not None and stacked is not fig
    boxes = _boxes(stacked)
    assert len(boxes) == n
    # one above another, in the left-to-right order of the wide figure (titles say which is which)
    titles = [ax.get_title() for ax in stacked.axes if not style._is_colorbar(ax)]
    order = np.argsort([-b.y0 for b in boxes])
    assert [titles[i] for i in order] == [f"panel {i}" for i in range(n)]
    for upper, lower in zip([boxes[i] for i in order], [boxes[i] for i in order][1:]):
        assert upper.y0 >= lower.y1 - 1e-6, "panels overlap vertically"
        assert min(upper.x1, lower.x1) - max(upper.x0, lower.x0) > 0.5 * upper.width, "panels are not in one column"
    width, height = stacked.get_size_inches()
    assert width == pytest.approx(style.STACK_WIDTH) and height > width
    # every title and axis label, every legend, the colour bar with its label, beside its own panel
    assert _texts(stacked) == _texts(fig)
    assert sum(ax.get_legend() is not None for ax in stacked.axes) == n
    (bar,) = [ax for ax in stacked.axes if style._is_colorbar(ax)]
    assert bar.get_ylabel() == "colour scale"
    last = next(ax for ax in stacked.axes if ax.get_title() == f"panel {n - 1}").get_position()
    assert bar.get_position().y0 < last.y1 and bar.get_position().y1 > last.y0 and bar.get_position().x0 > last.x1 - 1e-6
    # the wide figure is left as it was
    assert tuple(fig.get_size_inches()) == wide_size
    np.testing.assert_allclose([b.bounds for b in _boxes(fig)], wide_boxes, atol=1e-3)  # a second layout pass moves by ~1e-6
    plt.close("all")


def test_a_wide_figure_legend_is_set_in_two_columns_under_the_stack():
    fig, axes = _row(3)
    handles = [axes[0, 0].plot([0, 1], [k, k], color=style.PALETTE[k])[0] for k in range(6)]
    fig.legend(handles, [f"entry {k}" for k in range(6)], loc="outside lower center", ncols=6, fontsize=7, title="runs")
    stacked = style.stacked_figure(fig)
    (legend,) = stacked.legends
    assert legend._ncols == style.STACK_LEGEND_COLUMNS and legend._outside_loc == "lower"
    assert [t.get_text() for t in legend.texts] == [f"entry {k}" for k in range(6)]
    assert legend.get_title().get_text() == "runs" and legend.texts[0].get_fontsize() == 7
    assert [h.get_color() for h in legend.legend_handles] == [style.PALETTE[k] for k in range(6)]
    stacked.canvas.draw()
    box = legend.get_window_extent()
    assert box.width <= stacked.bbox.width and box.y1 <= min(ax.get_window_extent().y0 for ax in stacked.axes) + 1
    assert fig.legends[0]._ncols == 6  # the wide figure keeps its own
    plt.close("all")


def test_legends_under_the_axes_do_not_reach_into_the_next_panel():
    """A legend anchored under its axes (bbox_to_anchor at -0.2 of the axes' height), as the scarce-memory
    landscapes have: stacked, each panel's parts stay clear of the next panel's title."""
    fig, axes = style.figure(ncols=4, width=16.0, height=4.3)
    for k, ax in enumerate(axes[0]):
        shade = ax.pcolormesh(np.linspace(-1, 1, 9), np.linspace(-1, 1, 9), np.random.default_rng(k).random((8, 8)))
        ax.plot([-1, 1], [1, -1], "--", label="best 0-1 direction")
        ax.plot([0], [0], "*", label="CE minimiser")
        ax.set_aspect("equal")
        ax.set(title=f"seed {k}, N = 3\nexcess 0-1: 0.{k}", xlabel="$\\gamma_0$", ylabel="$\\gamma_1$")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, fontsize=7, frameon=False)
    fig.colorbar(shade, ax=axes[0, -1], label="0-1 loss (shade)", shrink=0.8)
    stacked = style.stacked_figure(fig)
    stacked.canvas.draw()
    renderer = stacked.canvas.get_renderer()
    boxes = [ax.get_tightbbox(renderer) for ax in stacked.axes if not style._is_colorbar(ax)]
    for upper, lower in zip(boxes, boxes[1:]):
        assert lower.y1 <= upper.y0, f"a panel reaches {lower.y1 - upper.y0:.0f} px into the next"
    plt.close("all")


def test_stacked_panels_show_their_own_shared_y_tick_labels():
    fig, _ = _row(3, sharey=True)
    stacked = style.stacked_figure(fig)
    stacked.canvas.draw()
    for ax in stacked.axes:
        assert any(label.get_visible() and label.get_text() for label in ax.get_yticklabels()), ax.get_title()
    plt.close("all")


@pytest.mark.parametrize("shape", [(1, 1), (1, 2), (2, 3), (3, 1)])
def test_one_or_two_panels_or_a_grid_give_no_stacked_variant(shape):
    nrows, ncols = shape
    fig, axes = style.figure(ncols=ncols, nrows=nrows)
    if ncols == 2:  # a colour bar is not a third panel
        image = axes[0, 1].imshow(np.eye(3))
        fig.colorbar(image, ax=axes[0, 1])
    assert style.stacked_figure(fig) is None
    plt.close("all")


@pytest.fixture
def png_shell():
    """An IPython shell whose formatter renders figures as PNG (as in a kernel); removed afterwards."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats

    existed = InteractiveShell.initialized()
    select_figure_formats(InteractiveShell.instance(), {"png"})
    yield
    if not existed:
        InteractiveShell.clear_instance()


def _glue(monkeypatch, fig, page: bool):
    import IPython.display

    if page:
        monkeypatch.setenv(style.PAGE_VARIABLE, "1")
    else:
        monkeypatch.delenv(style.PAGE_VARIABLE, raising=False)
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append((a, k)))
    style.glue_figure("a-figure", fig)
    return shown


def test_glue_figure_adds_the_stacked_png_for_the_page_only(monkeypatch, png_shell):
    import io

    from PIL import Image

    live = _glue(monkeypatch, _row(3)[0], page=False)
    built = _glue(monkeypatch, _row(3)[0], page=True)
    # one display per call, one image/png in it (what Jupyter shows): the wide figure
    assert len(live) == len(built) == 1
    (live_bundle,), live_kwargs = live[0]
    (bundle,), kwargs = built[0]
    assert set(bundle) == set(live_bundle) == {"image/png", "text/plain"}
    assert bundle["image/png"] == live_bundle["image/png"], "the wide figure must not change"
    assert "stacked" not in live_kwargs["metadata"]["assocmem"]
    mark = kwargs["metadata"]["assocmem"]
    assert mark["page"] == "notebook-only"
    wide = Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))
    tall = Image.open(io.BytesIO(base64.b64decode(mark["stacked"])))
    assert wide.width > wide.height and tall.height > tall.width and tall.width < wide.width
    # a two-panel figure: nothing extra on the page either
    (_, two), = _glue(monkeypatch, _row(2)[0], page=True)
    assert "stacked" not in two["metadata"]["assocmem"]
    assert not plt.get_fignums()


class _Renderer:
    def __init__(self):
        self.written = []

    def render_image(self, data):
        self.written.append(data.content)
        return [nodes.image(uri=f"img{len(self.written)}.png", alt="the alt text")]


def _mime(metadata, output_index=None):
    from myst_nb.core.render import MimeData

    return MimeData("image/png", "V0lERQ==", output_metadata=metadata, output_index=output_index)


def test_page_renders_a_glued_figure_with_a_stacked_variant_as_a_picture():
    mark = {"assocmem": {"page": "notebook-only", "stacked": "U1RBQ0tFRA=="}}
    handle = render.AssocmemMimeRenderer.handle_mime
    renderer = _Renderer()
    (node,) = handle(renderer, _mime(mark), False)
    assert isinstance(node, render.stacked_figure) and renderer.written == ["V0lERQ==", "U1RBQ0tFRA=="]
    assert handle(_Renderer(), _mime(mark, output_index=0), False) == []  # the cell's own copy: off the page
    assert handle(_Renderer(), _mime(style.NOTEBOOK_ONLY), False) is None  # no variant: myst-nb's own image

    class Builder:
        images = {"img1.png": "wide.png", "img2.png": "stacked.png"}
        imgpath = "../_images"

    class Translator:
        builder, body = Builder(), []

        def __init__(self):
            self.visited = []

    translator = Translator()
    node.children[0].walkabout = lambda t: t.body.append('<img alt="the alt text" src="../_images/wide.png">')
    with pytest.raises(nodes.SkipNode):
        render.visit_stacked_figure_html(translator, node)
    html = "".join(translator.body)
    assert html == ('<picture class="assocmem-stacked-figure"><source media="(max-width: 600px)" '
                    'srcset="../_images/stacked.png"><img alt="the alt text" src="../_images/wide.png"></picture>')


def test_the_notebook_download_drops_the_stacked_variant():
    import nbformat

    from assocmem.sphinxext.notebooks import _drop_page_variants

    output = nbformat.v4.new_output("display_data", data={"image/png": "V0lERQ=="},
                                    metadata={"assocmem": {"page": "notebook-only", "stacked": "U1RBQ0tFRA=="}})
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[output]), nbformat.v4.new_markdown_cell("m")])
    _drop_page_variants(notebook)
    assert notebook.cells[0].outputs[0].metadata == {"assocmem": {"page": "notebook-only"}}
    assert notebook.cells[0].outputs[0].data == {"image/png": "V0lERQ=="}
