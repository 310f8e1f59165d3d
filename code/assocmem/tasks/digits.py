"""The 8x8 handwritten digits that ship with scikit-learn (1797 images, no download).

``images()`` gives the raw pixels (1797, 64) in [0, 16] and the labels (1797,);
``binary()`` the +-1 patterns of a Hopfield network (pixel > 8 is +1); ``unit()`` the
centred, unit-norm real patterns of a modern Hopfield network. Rows are images read
row by row (reshape to (8, 8) to draw them). All float64.
"""

from __future__ import annotations

from functools import lru_cache

import torch

from .. import _checks

SIDE = 8


@lru_cache(maxsize=1)
def _load():
    """The 1797 images and labels, read from the table scikit-learn ships (datasets/data/digits.csv.gz).

    Read directly from the installed package, because importing scikit-learn itself takes seconds;
    falls back to ``sklearn.datasets.load_digits`` if a version keeps the file elsewhere. No network.
    """
    import importlib.util
    from pathlib import Path

    import numpy as np

    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise ImportError("the 8x8 digits ship with scikit-learn; install scikit-learn (see requirements.txt).")
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    if path.exists():
        table = np.loadtxt(path, delimiter=",")
        pixels, target = table[:, :64], table[:, 64]
    else:
        from sklearn.datasets import load_digits

        digits = load_digits()
        pixels, target = digits.data, digits.target
    return torch.tensor(pixels, dtype=torch.float64), torch.tensor(target, dtype=torch.long)


def images() -> tuple[torch.Tensor, torch.Tensor]:
    """Pixels (1797, 64) in [0, 16] and labels (1797,) in 0..9; copies, safe to modify."""
    pixels, labels = _load()
    return pixels.clone(), labels.clone()


def binary(threshold: float = 8.0) -> tuple[torch.Tensor, torch.Tensor]:
    """+-1 patterns (1797, 64): +1 where the pixel exceeds ``threshold`` (ink), and the labels."""
    if not 0 <= threshold < 16:
        raise ValueError(f"threshold must lie in [0, 16), got {threshold!r}.")
    pixels, labels = images()
    return torch.where(pixels > threshold, 1.0, -1.0).to(torch.float64), labels


def unit() -> tuple[torch.Tensor, torch.Tensor]:
    """Centred (the mean image subtracted) and unit-norm patterns (1797, 64), and the labels."""
    pixels, labels = images()
    centred = pixels - pixels.mean(dim=0)
    return centred / centred.norm(dim=1, keepdim=True), labels


def first_of_each(labels, classes) -> list[int]:
    """Row index of the first image of each class in ``classes``."""
    labels = torch.as_tensor(labels)
    out = []
    for c in classes:
        rows = (labels == _checks.count("class", c)).nonzero()
        if rows.numel() == 0:
            raise ValueError(f"classes must be digits 0..9, got {c!r}.")
        out.append(int(rows[0]))
    return out


__all__ = ["SIDE", "images", "binary", "unit", "first_of_each"]
