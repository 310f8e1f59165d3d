"""The registry of the book's figures and widgets.

A chapter module (``assocmem.chapters.<part>.<chapter>``) registers each figure it glues::

    @gallery.register("one-step-margins", chapter="foundations/associative_memory",
                      alt="Margins of 100 tokens after one gradient step ...")
    def one_step_margins_figure():
        return draw_one_step_margins(...)

and its interactive control::

    @gallery.register_widget("one-step-margins", chapter="foundations/associative_memory")
    def widget(n: int = 100, ...):
        ...

A figure builder returns a matplotlib figure (or a dict of named figures, glued as
``name-part``); the chapter calls the same drawing functions. A builder whose figure
differs between the compute tiers takes ``tier`` (``"ci"`` or ``"paper"``) and uses it; one
that is the same at both tiers takes no argument. A widget builder called with no arguments returns the chapter's ipywidgets
control in its default state. Discovery imports every public module of every
subpackage of ``assocmem`` (recursively), so registering is enough.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
from dataclasses import dataclass
from typing import Callable

_FIGURES: dict[str, "Entry"] = {}
_WIDGETS: dict[str, "Entry"] = {}

# Never imported on discovery: the Sphinx extensions need Sphinx, and ``__main__`` runs the CLI.
_SKIP = ("assocmem.sphinxext",)


@dataclass(frozen=True)
class Entry:
    name: str
    chapter: str
    alt: str
    build: Callable

    @property
    def takes_tier(self) -> bool:
        """Whether the builder has a ``tier`` parameter (its figure differs between the tiers)."""
        return "tier" in inspect.signature(self.build).parameters

    def make(self, tier: str = "ci"):
        """Build the figure(s), passing ``tier`` only to a builder that takes one."""
        return self.build(tier=tier) if self.takes_tier else self.build()


def uses_tier(build: Callable) -> bool:
    """Whether a builder's body reads its ``tier`` parameter (a builder that takes a tier must use it)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(build)))
    function = tree.body[0]
    return any(isinstance(node, ast.Name) and node.id == "tier" for stmt in function.body for node in ast.walk(stmt))


def _add(registry: dict, kind: str, name: str, chapter: str, alt: str):
    def decorator(build):
        known = registry.get(name)
        if known is not None and known.build.__qualname__ != build.__qualname__:
            raise ValueError(f"{kind} name {name!r} is registered twice; pick a unique name.")
        registry[name] = Entry(name, chapter, alt, build)
        return build

    return decorator


def register(name: str, chapter: str, alt: str):
    """Register the figure builder ``build()`` or ``build(tier)`` under ``name``; names are unique across the book."""
    return _add(_FIGURES, "figure", name, chapter, alt)


def register_widget(name: str, chapter: str, alt: str = ""):
    """Register a widget builder (called with no arguments: the control in its default state)."""
    return _add(_WIDGETS, "widget", name, chapter, alt)


def discover() -> None:
    """Import every public module of the package, recursively, so that every registration runs."""
    package = importlib.import_module("assocmem")
    for module in pkgutil.walk_packages(package.__path__, prefix="assocmem."):
        parts = module.name.split(".")
        if any(part.startswith("_") for part in parts) or module.name.startswith(_SKIP):
            continue
        importlib.import_module(module.name)


def entries() -> dict[str, Entry]:
    """Every registered figure, by name, after discovery."""
    discover()
    return dict(sorted(_FIGURES.items()))


def widget_entries() -> dict[str, Entry]:
    """Every registered widget, by name, after discovery."""
    discover()
    return dict(sorted(_WIDGETS.items()))


def widgets() -> dict[str, Callable]:
    """``{name: builder}`` for every widget of the book; ``builder()`` returns the control."""
    return {name: entry.build for name, entry in widget_entries().items()}


def by_chapter() -> dict[str, list[str]]:
    """Figure names grouped by chapter path (``part/chapter``), each list sorted."""
    grouped: dict[str, list[str]] = {}
    for name, entry in entries().items():
        grouped.setdefault(entry.chapter, []).append(name)
    return grouped


__all__ = ["Entry", "uses_tier", "register", "register_widget", "discover", "entries", "widget_entries", "widgets", "by_chapter"]
