"""Input validation shared by every public function.

Each check fails at the boundary with a message naming the argument, the value
received and what was expected, so that a wrong call never becomes a silent
broadcast or a NaN deep inside a training loop.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch

DTYPE = torch.float64


def _describe(value) -> str:
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return f"an array of shape {tuple(value.shape)}"
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def _bool_or_complex(value) -> bool:
    # A bool or complex array would be cast silently (True -> 1.0, the imaginary part dropped).
    if isinstance(value, torch.Tensor):
        return value.dtype == torch.bool or value.dtype.is_complex
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "bc"
    return False


def as_tensor(name: str, value, ndim: int | tuple[int, ...] | None = None) -> torch.Tensor:
    """Convert `value` to a float64 CPU-or-same-device tensor and check its rank."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array of numbers, got {_describe(value)}.")
    if _bool_or_complex(value):
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {value.dtype}; convert it to float first.")
    if isinstance(value, (bool, complex)):
        raise TypeError(f"{name} must be a real number or an array of them, got {_describe(value)}.")
    try:
        tensor = torch.as_tensor(value, dtype=DTYPE) if not isinstance(value, torch.Tensor) else value.to(DTYPE)
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(f"{name} must be an array of numbers, got {_describe(value)} ({error}).") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if tensor.ndim not in allowed:
            wanted = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{name} must have {wanted} dimensions, got shape {tuple(tensor.shape)}.")
    if not torch.isfinite(tensor).all():
        raise ValueError(f"{name} must be finite, got {_describe(value)} containing NaN or inf.")
    return tensor


def embeddings(E, U) -> tuple[torch.Tensor, torch.Tensor]:
    """Check E (N, d) and U (M, d): two matrices with the same embedding dimension."""
    E = as_tensor("E", E, ndim=2)
    U = as_tensor("U", U, ndim=2)
    if E.shape[1] != U.shape[1]:
        raise ValueError(
            f"E and U must share the embedding dimension d: E has shape {tuple(E.shape)} "
            f"(N, d) and U has shape {tuple(U.shape)} (M, d)."
        )
    if E.shape[0] == 0 or U.shape[0] == 0 or E.shape[1] == 0:
        raise ValueError(f"E and U must be non-empty, got shapes {tuple(E.shape)} and {tuple(U.shape)}.")
    return E, U.to(E.device)


def memory_matrix(W, d: int, device=None) -> torch.Tensor:
    """Check W (..., d, d): one memory or a batch of memories."""
    W = as_tensor("W", W)
    if W.ndim < 2 or W.shape[-2:] != (d, d):
        raise ValueError(
            f"W must have shape (d, d) = ({d}, {d}) or (..., {d}, {d}) to match E and U, "
            f"got shape {tuple(W.shape)}."
        )
    return W if device is None else W.to(device)


def freqs(value, n: int, device=None) -> torch.Tensor:
    """Check a probability vector over the N input tokens."""
    p = as_tensor("freqs", value, ndim=1)
    if p.shape[0] != n:
        raise ValueError(f"freqs must have one entry per input token (N = {n}), got {p.shape[0]} entries.")
    if (p < 0).any():
        raise ValueError(f"freqs must be non-negative, got a minimum of {p.min().item():.3g}.")
    total = p.sum().item()
    if not math.isclose(total, 1.0, rel_tol=0, abs_tol=1e-6):
        raise ValueError(f"freqs must sum to 1, got a sum of {total:.6g}; divide by the sum to normalise.")
    return p if device is None else p.to(device)


def targets(value, n: int, m: int, device=None) -> torch.Tensor:
    """Check the target map f*: one integer class in [0, M) per input token."""
    if isinstance(value, torch.Tensor):
        t = value
    else:
        try:
            t = torch.as_tensor(np.asarray(value))
        except (TypeError, ValueError) as error:
            raise TypeError(f"targets must be an array of integers, got {_describe(value)} ({error}).") from None
    if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
        if t.dtype.is_floating_point and t.numel() and torch.isfinite(t).all() and torch.equal(t, t.round()):
            if t.ndim == 1 and (t.min() < 0 or t.max() >= m):  # before the cast: 1e20 does not fit an int64
                raise ValueError(f"targets must lie in [0, M) = [0, {m}) (one class per row of U), "
                                 f"got values from {t.min().item():g} to {t.max().item():g}.")
            t = t.long()
        else:
            raise TypeError(f"targets must hold integer class indices, got dtype {t.dtype}.")
    if t.ndim != 1 or t.shape[0] != n:
        raise ValueError(f"targets must have shape (N,) = ({n},), got shape {tuple(t.shape)}.")
    if t.numel() and (t.min() < 0 or t.max() >= m):
        raise ValueError(
            f"targets must lie in [0, M) = [0, {m}) (one class per row of U), "
            f"got values from {t.min().item()} to {t.max().item()}."
        )
    t = t.long()
    return t if device is None else t.to(device)


def step_sizes(value, device=None) -> torch.Tensor:
    """Check a positive step size or a 1-D sequence of them; returns shape (S,)."""
    eta = as_tensor("step_size", value, ndim=(0, 1)).reshape(-1)
    if eta.numel() == 0:
        raise ValueError("step_size must hold at least one value, got an empty sequence.")
    if (eta <= 0).any():
        raise ValueError(f"step_size must be > 0, got {eta.min().item():g}; use a positive learning rate.")
    return eta if device is None else eta.to(device)


def count(name: str, value, minimum: int = 0, maximum: int | None = None) -> int:
    """Check an integer >= ``minimum`` (and <= ``maximum``) such as a number of steps."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got the bool {value!r}.")
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.dtype.is_floating_point and value.dtype != torch.bool:
        value = int(value.item())
    if not isinstance(value, Integral):
        if isinstance(value, Real) and math.isfinite(value) and float(value).is_integer():
            raise TypeError(f"{name} must be an integer, got the float {value!r}; pass int({value!r}).")
        raise TypeError(f"{name} must be an integer, got {_describe(value)}.")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {value}.")
    return int(value)


#: torch.Generator.manual_seed takes seeds below 2^64 but the authors' draws, and NumPy, use
#: signed 64-bit seeds; one range for every seed of the package.
MAX_SEED = 2**63 - 1


def seed(value, name: str = "seed") -> int:
    """Check a random seed: an integer in [0, 2^63)."""
    return count(name, value, minimum=0, maximum=MAX_SEED)


def binary_outputs(U, what: str) -> torch.Tensor:
    """Check that U (M, d) has M = 2 rows, for the binary-output reductions; ``what`` names the caller's object."""
    U = as_tensor("U", U, ndim=2)
    if U.shape[0] != 2:
        raise ValueError(f"U must have M = 2 rows for {what}, got shape {tuple(U.shape)}.")
    return U


def limits(name: str, value) -> tuple[float, float]:
    """Check a finite interval (low, high) with low < high, e.g. the window of a landscape."""
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (low, high) of finite numbers, got {_describe(value)}.") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{name} must be finite, got {_describe(value)}.")
    if not low < high:
        raise ValueError(f"{name} must be (low, high) with low < high, got {_describe(value)}.")
    return low, high


def choice(name: str, value, options) -> str:
    """Check that an option is one of the known names."""
    if value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}, got {value!r}.")
    return value


def positive(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}.")
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}.")
    return float(value)
