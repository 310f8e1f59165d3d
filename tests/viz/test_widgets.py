"""The widget frame (assocmem.viz.widgets): one render per change, cache, update protocol, static frames."""

from __future__ import annotations

import base64
import re

import ipywidgets as w
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from assocmem.sphinxext.render import AssocmemMimeRenderer  # noqa: E402
from assocmem.viz import style, widgets  # noqa: E402


def _draw_counter():
    calls = []

    def draw(a, b=1.0):
        calls.append((a, b))
        fig, axes = style.figure()
        axes[0, 0].plot([0, 1], [0, a * b], label="line")
        axes[0, 0].set_title(f"a = {a}")
        axes[0, 0].set_xlabel("x")
        axes[0, 0].set_ylabel("y")
        return fig

    return draw, calls


def _controls():
    return {"a": widgets.slider(w.FloatSlider, "a", 1.0, min=0.0, max=2.0, step=0.5),
            "b": widgets.slider(w.IntSlider, "b", 1, min=1, max=3)}


def test_png_is_one_fixed_dpi_render():
    fig, _ = style.figure(width=4, height=2)
    data = widgets.png(fig)
    plt.close(fig)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    assert width == 4 * widgets.DPI  # no tight bounding box: the figure's size times the dpi


def test_redraw_caches_and_reuses_the_first_layout():
    draw, calls = _draw_counter()
    controls = _controls()
    widget = widgets.figure_widget(draw, controls)
    image = widget.children[1]
    assert isinstance(image, w.Image) and image.value[:4] == b"\x89PNG"
    first = image.value
    controls["a"].value = 2.0
    assert calls[-1] == (2.0, 1) and image.value != first
    controls["a"].value = 1.0  # back to a value already drawn: from the cache, no draw
    assert len(calls) == 2 and image.value == first
    # the later figure took the first figure's axes positions and no layout engine
    assert widget.frame.layout.positions is not None


def test_update_keeps_one_figure_and_follows_a_drag():
    draw, calls = _draw_counter()
    updates = []

    def update(fig, a, b):
        updates.append((a, b))
        ax = fig.axes[0]
        ax.lines[0].set_ydata([0, a * b])
        ax.set_title(f"a = {a}")

    controls = _controls()
    widget = widgets.figure_widget(draw, controls, update=update)
    assert all(c.continuous_update for c in controls.values())
    figure = widget.frame.figure
    controls["a"].value = 0.5
    controls["b"].value = 3
    assert len(calls) == 1 and updates == [(0.5, 1), (0.5, 3)] and widget.frame.figure is figure
    assert figure.axes[0].get_title() == "a = 0.5"


def test_default_values_span_the_control_and_keep_the_default():
    values = widgets.default_values(w.IntSlider(value=100, min=5, max=400, step=5))
    assert values[0] == 5 and values[-1] == 400 and 100 in values and all(v % 5 == 0 for v in values)
    logs = widgets.default_values(w.FloatLogSlider(value=1.0, base=10, min=-2, max=3, step=0.25))
    assert logs[0] == pytest.approx(0.01) and logs[-1] == pytest.approx(1000) and 1.0 in logs


def test_static_html_switches_frames_and_disables_the_rest(monkeypatch):
    draw, calls = _draw_counter()
    widget = widgets.figure_widget(draw, _controls(), static={"a": [0.0, 1.0, 2.0]})
    html = widget.static_html()
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" data-key="(\d+)" alt="([^"]+)"( hidden)?>', html)
    assert [key for _, key, _, _ in images] == ["0", "1", "2"]
    assert [bool(hidden) for *_, hidden in images] == [True, False, True]  # the default (a = 1) is shown
    assert len({data for data, *_ in images}) == 3  # three different figures
    assert base64.b64decode(images[0][0])[:4] == b"\x89PNG"
    assert 'data-control="a"' in html and html.count(" disabled ") == 1 and html.count(widgets.LIVE_NOTE) == 1
    # the frames are drawn by the chapter's draw, for the grid values with the others at their defaults
    assert {(0.0, 1), (2.0, 1)} <= set(calls)


def test_static_grid_is_capped():
    draw, _ = _draw_counter()
    widget = widgets.figure_widget(draw, _controls(), static={"a": [i / 10 for i in range(21)], "b": [1, 2, 3]})
    grid = widget._grid()
    assert 1 < len(grid["a"]) * len(grid["b"]) <= widgets.MAX_FRAMES and 1.0 in grid["a"]


def test_static_names_an_unknown_control():
    draw, _ = _draw_counter()
    widget = widgets.figure_widget(draw, _controls(), static={"c": [1]})
    with pytest.raises(ValueError, match="'c'.*'a', 'b'"):
        widget._grid()


def test_mimebundle_carries_the_static_page_only_at_build_time(monkeypatch):
    draw, _ = _draw_counter()
    widget = widgets.figure_widget(draw, _controls(), static={})
    monkeypatch.delenv(widgets.STATIC_VARIABLE, raising=False)
    live = widget._repr_mimebundle_()
    assert live is None or "text/html" not in live
    monkeypatch.setenv(widgets.STATIC_VARIABLE, "1")
    built = widget._repr_mimebundle_()
    if built is not None:  # None without a kernel comm
        data, metadata = built
        assert "assocmem-static-widget" in data["text/html"] and metadata == widgets.PAGE_MARK


class _Data:
    def __init__(self, mime, metadata, output_index=0):
        self.mime_type, self.output_metadata, self.output_index = mime, metadata, output_index


def test_page_renderer_drops_marked_outputs_only_in_their_cell():
    handle = AssocmemMimeRenderer.handle_mime
    assert handle(None, _Data("image/png", style.NOTEBOOK_ONLY), False) == []
    assert handle(None, _Data("image/png", style.NOTEBOOK_ONLY, output_index=None), False) is None  # {glue:figure}
    assert handle(None, _Data("image/png", {}), False) is None
    assert handle(None, _Data("application/vnd.jupyter.widget-view+json", widgets.PAGE_MARK), False) == []
    assert handle(None, _Data("text/html", widgets.PAGE_MARK), False) is None


def test_glue_figure_displays_the_figure_marked_for_the_notebook(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append((a, k)))
    fig, _ = style.figure()
    style.glue_figure("my-figure", fig)
    (args, kwargs), = shown
    assert kwargs["raw"] is True
    assert kwargs["metadata"]["scrapbook"] == {"name": "my-figure", "mime_prefix": ""}
    assert kwargs["metadata"]["assocmem"] == style.NOTEBOOK_ONLY["assocmem"]
    assert fig.number not in plt.get_fignums()
