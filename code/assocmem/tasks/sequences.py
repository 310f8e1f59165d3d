"""Sequences of binary patterns for the sequence memories (``assocmem.models.sequence``).

- :func:`shared_component`: random +-1 sequences whose patterns all share a fraction of their bits,
  so that any two patterns overlap by about that fraction;
- :func:`digit_sequence`: consecutive 8x8 handwritten digits (scikit-learn's bundled copy of the
  UCI digits, no download), binarised to +-1: strongly correlated, visibly different patterns.
"""

from __future__ import annotations

from numbers import Real

import torch

from .. import _checks
from . import digits
from .._checks import DTYPE


def shared_component(dim: int, length: int, shared: float, trials: int = 1, seed: int = 0) -> torch.Tensor:
    """``trials`` sequences of ``length + 1`` patterns in {-1, +1}^dim; shape (trials, length + 1, dim).

    In each sequence the first round(shared * dim) bits of every pattern are those of one common
    random pattern c; the other bits are i.i.d. uniform. Two patterns of a sequence therefore have
    overlap (1/d) <xi^mu, xi^nu> = a + (1 - a) z with a = round(shared d) / d and z of mean 0 and
    variance 1 / ((1 - a) d). ``shared = 0`` gives independent patterns.
    """
    dim = _checks.count("dim", dim, minimum=1)
    length = _checks.count("length", length, minimum=1)
    trials = _checks.count("trials", trials, minimum=1)
    if isinstance(shared, bool) or not isinstance(shared, Real) or not 0 <= shared <= 1:
        raise ValueError(f"shared must be a fraction of the bits in [0, 1], got {shared!r}.")
    generator = torch.Generator().manual_seed(_checks.count("seed", seed))
    X = (2 * torch.randint(0, 2, (trials, length + 1, dim), generator=generator) - 1).to(DTYPE)
    common = (2 * torch.randint(0, 2, (trials, 1, dim), generator=generator) - 1).to(DTYPE)
    k = round(shared * dim)
    X[..., :k] = common[..., :k]
    return X


def digit_images(threshold: float = 8.0) -> tuple[torch.Tensor, torch.Tensor]:
    """All 1797 binarised digits: patterns (1797, 64) with +1 where the pixel (0..16) exceeds ``threshold``, and labels (1797,)."""
    if isinstance(threshold, bool) or not isinstance(threshold, Real) or not 0 <= threshold < 16:
        raise ValueError(f"threshold must lie in [0, 16) (pixels take values 0..16), got {threshold!r}.")
    return digits.binary(float(threshold))


def digit_sequence(length: int, offset: int = 0, threshold: float = 8.0) -> tuple[torch.Tensor, torch.Tensor]:
    """The digits 0, 1, 2, ..., 9, 0, 1, ... as ``length + 1`` binarised images; shapes (length + 1, 64) and (length + 1,).

    Pattern k shows the digit k mod 10: the (offset + k // 10)-th image of that digit in the data set,
    so different offsets give the same labels written by different hands, and no image is used twice.
    """
    patterns, labels = digit_images(threshold)
    length = _checks.count("length", length, minimum=1)
    offset = _checks.count("offset", offset)
    per_digit = [torch.nonzero(labels == digit).flatten() for digit in range(10)]
    fewest = min(len(rows) for rows in per_digit)
    if offset + length // 10 >= fewest:
        raise ValueError(
            f"offset + length // 10 must be below {fewest} (the fewest images of one digit), got {offset} + {length // 10}."
        )
    index = torch.stack([per_digit[k % 10][offset + k // 10] for k in range(length + 1)])
    return patterns[index], labels[index]


__all__ = ["shared_component", "digit_images", "digit_sequence"]
