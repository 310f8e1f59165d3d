"""The frame every chapter widget is built in: controls over an output area.

Each builder takes the same arguments as the static figure it controls, draws
that figure for its default values when it is built (so the executed notebook,
and hence the static HTML, shows the default figure), and redraws into the same
output area when a control moves.
"""

from __future__ import annotations

from typing import Callable

import ipywidgets as w
import matplotlib.pyplot as plt
from IPython.display import display



def figure_widget(draw: Callable[..., object], controls: dict[str, w.ValueWidget]) -> w.VBox:
    """Controls above an output area; ``draw(**values)`` returns a matplotlib figure."""
    out = w.Output()

    def redraw(_change=None):
        fig = draw(**{name: control.value for name, control in controls.items()})
        with out:
            out.clear_output(wait=True)
            display(fig)
        plt.close(fig)

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    # Controls wrap onto several rows instead of overflowing a narrow page.
    return w.VBox([w.HBox(list(controls.values()), layout=w.Layout(flex_flow="row wrap")), out])


def slider(kind, description, value, **kwargs):
    """An ipywidgets slider that updates on release, with its label shown in full."""
    return kind(value=value, description=description, continuous_update=False, style={"description_width": "initial"}, **kwargs)


__all__ = ["figure_widget", "slider"]
