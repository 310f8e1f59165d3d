"""The four clustering data sets of the ClAM chapter, standardised, from scikit-learn's bundled copies.

``load(name)`` returns ``(X, y, k)``: X (N, D) float64 with every column at mean 0 and standard
deviation 1 (the population standard deviation, as ``sklearn.preprocessing.StandardScaler``), the
true classes y (N,) (used only for the adjusted Rand index, never for fitting) and k, the number of
classes, the number of clusters asked for. No download: iris, breast cancer, wine and digits ship
with scikit-learn.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from .. import _checks

DATASETS = ("iris", "breast_cancer", "wine", "digits")


@lru_cache(maxsize=None)
def _load(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets

    loader = {"iris": datasets.load_iris, "breast_cancer": datasets.load_breast_cancer,
              "wine": datasets.load_wine, "digits": datasets.load_digits}[name]
    bunch = loader()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target)


def standardise(X) -> torch.Tensor:
    """Columns at mean 0 and (population) standard deviation 1; constant columns are left at 0."""
    X = _checks.as_tensor("X", X, ndim=2)
    centred = X - X.mean(dim=0)
    scale = X.std(dim=0, unbiased=False)
    return centred / torch.where(scale > 0, scale, torch.ones_like(scale))


def load(name: str) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(X standardised (N, D), classes y (N,), number of classes k) for one of :data:`DATASETS`."""
    _checks.choice("name", name, DATASETS)
    data, target = _load(name)
    y = torch.as_tensor(target, dtype=torch.long)
    return standardise(data), y, int(len(np.unique(target)))


def two_dimensional(name: str = "iris") -> tuple[torch.Tensor, torch.Tensor, int]:
    """A 2-D data set for pictures: the two petal features of iris (length, width), standardised."""
    _checks.choice("name", name, ("iris",))
    data, target = _load("iris")
    return standardise(data[:, 2:4]), torch.as_tensor(target, dtype=torch.long), 3


__all__ = ["DATASETS", "load", "standardise", "two_dimensional"]
