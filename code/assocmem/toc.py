"""The book's table of contents: which chapter files ``_toc.yml`` lists, in reading order.

One walker for every reader of the toc: the nbval collector (``conftest.py``), the CLI
(``python -m assocmem notebooks``) and the tests.
"""

from __future__ import annotations

from pathlib import Path


class TocError(ValueError):
    """``_toc.yml`` is missing, not YAML, or lists no chapter."""


def chapters(toc_path) -> list[Path]:
    """The chapter files (``.py``) listed in a Jupyter Book ``_toc.yml``, in order (root and ``.md`` pages excluded)."""
    import yaml

    toc_path = Path(toc_path)
    if not toc_path.is_file():
        raise TocError(f"the table of contents {str(toc_path)!r} does not exist (give the book's _toc.yml).")
    try:
        tree = yaml.safe_load(toc_path.read_text())
    except yaml.YAMLError as error:
        raise TocError(f"the table of contents {str(toc_path)!r} is not valid YAML ({error.__class__.__name__}).") from None
    if not isinstance(tree, dict) or not any(key in tree for key in ("root", "parts", "chapters")):
        raise TocError(f"{str(toc_path)!r} is not a Jupyter Book table of contents (no root, parts or chapters).")
    root = toc_path.parent
    found: list[Path] = []

    def visit(node):
        if isinstance(node, dict):
            if "file" in node:
                path = root / str(node["file"])
                path = path if path.suffix else path.with_suffix(".py")
                if path.suffix == ".py" and path.is_file() and path not in found:
                    found.append(path)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(tree)
    return found


def chapter_name(path, root) -> str:
    """``part/chapter`` of a chapter file under ``root/book`` (the name figures are registered under)."""
    return Path(path).resolve().relative_to(Path(root).resolve() / "book").with_suffix("").as_posix()


__all__ = ["TocError", "chapters", "chapter_name"]
