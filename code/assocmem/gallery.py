"""The registry of the book's figures, for ``python -m assocmem figures``.

A module that draws a chapter's figure registers a builder with::

    @gallery.register("one-step-margins", chapter="foundations/associative_memory",
                      alt="Margins of 100 tokens after one gradient step ...")
    def one_step_margins_figure(tier: str = "ci"):
        return draw_one_step_margins(...)

A builder takes the compute tier (``"ci"`` or ``"paper"``) and returns a matplotlib
figure (or a dict of named figures); the chapter calls the same drawing functions.
Every module of the package is imported on discovery, so registering is enough.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

_REGISTRY: dict[str, "Entry"] = {}


@dataclass(frozen=True)
class Entry:
    name: str
    chapter: str
    alt: str
    build: Callable


def register(name: str, chapter: str, alt: str):
    """Register ``build(tier)`` under ``name``; names are unique across the book."""

    def decorator(build):
        if name in _REGISTRY and _REGISTRY[name].build.__qualname__ != build.__qualname__:
            raise ValueError(f"figure name {name!r} is registered twice; pick a unique name.")
        _REGISTRY[name] = Entry(name, chapter, alt, build)
        return build

    return decorator


def entries() -> dict[str, Entry]:
    """Every registered figure, after importing every module of the package."""
    package = importlib.import_module("assocmem")
    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"assocmem.{module.name}")
    return dict(sorted(_REGISTRY.items()))
