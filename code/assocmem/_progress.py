"""One progress bar for every long loop in the package.

Bars appear only once a loop has run for ``delay`` seconds, so short runs stay
silent, and never when the environment variable ``CI`` is set (CI logs and the
built book stay clean).
"""

from __future__ import annotations

import os

from tqdm.auto import tqdm


def progress(iterable, total: int | None = None, desc: str | None = None, show: bool | None = None, delay: float = 3.0):
    """Wrap ``iterable`` in a tqdm bar; ``show=None`` means "only if slow, never under CI"."""
    if show is None:
        show = not os.environ.get("CI")
    return tqdm(iterable, total=total, desc=desc, disable=not show, delay=delay, leave=False)
