"""Property tests: on any input, public functions return finite, correct values or raise the error for that input.

Each drawn problem carries at most one planted defect (a mismatched shape, a bad probability
vector, an out-of-range target, a NaN or inf entry, an empty array, magnitudes whose scores
overflow float64); the test knows which one, and asserts the message that names it, so a
function that fails for the wrong reason, or does not fail, is caught.
"""

import math

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from assocmem import landscape, memory, particles

FUNCTIONS = [memory.loss, memory.zero_one_loss, memory.margins, memory.gradient, memory.hessian, memory.sharpness,
             memory.token_losses]
SCORE_FUNCTIONS = [memory.scores, memory.probabilities]

EXPECTED = {
    "U-dim": "E and U must share the embedding dimension",
    "W-shape": "W must have shape",
    "freqs-length": "freqs must have one entry per input token",
    "freqs-sum": "freqs must sum to 1",
    "target-range": r"targets must lie in \[0, M\)",
    "nan-E": "E must be finite", "inf-U": "U must be finite", "nan-W": "W must be finite", "nan-freqs": "freqs must be finite",
    "empty-E": "E and U must be non-empty",
    "overflow": "overflow float64",
}


@st.composite
def problems(draw):
    n, m, d = draw(st.integers(1, 6)), draw(st.integers(1, 5)), draw(st.integers(1, 4))
    defect = draw(st.sampled_from(["none"] * 6 + sorted(EXPECTED)))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    E = torch.randn(n, d, generator=g, dtype=torch.float64)
    U = torch.randn(m if defect != "U-dim" else m, d + (defect == "U-dim"), generator=g, dtype=torch.float64)
    w_shape = draw(st.sampled_from([(d, d), (2, d, d)])) if defect != "W-shape" else draw(st.sampled_from([(d + 1, d), (d,)]))
    scale = draw(st.sampled_from([0.0, 1.0, 1e3, 1e100]))  # 1e100: huge but finite scores
    W = scale * torch.randn(*w_shape, generator=g, dtype=torch.float64)
    weights = torch.rand(n + (defect == "freqs-length"), generator=g, dtype=torch.float64) + 1e-3
    p = weights / weights.sum() * (0.5 if defect == "freqs-sum" else 1.0)
    t = torch.randint(0, m, (n,), generator=g)
    if defect == "target-range":
        t[draw(st.integers(0, n - 1))] = m
    if defect == "nan-E":
        E[0, 0] = math.nan
    if defect == "inf-U":
        U[-1, -1] = math.inf
    if defect == "nan-W":
        W.view(-1)[0] = math.nan
    if defect == "nan-freqs":
        p[0] = math.nan
    if defect == "empty-E":
        E = E[:0]
    if defect == "overflow":
        W = torch.randn(d, d, generator=g, dtype=torch.float64) + 1.0  # no zero memory: the scores must overflow
        E, U = 1e200 * E / E.abs().max(), 1e200 * U / U.abs().max()
        E[0] = 1e200  # a full row: every score of token 0 is a sum of 1e400-size terms of one sign per u
        U[0] = torch.sign(W.sum(dim=1)) * 1e200 if d else U[0]
    return defect, (W, E, U, p, t)


@settings(max_examples=250, deadline=None)
@given(problems(), st.sampled_from(FUNCTIONS + SCORE_FUNCTIONS))
def test_memory_functions_return_finite_values_or_name_the_defect(problem, f):
    defect, (W, E, U, p, t) = problem
    args = (W, E, U) if f in SCORE_FUNCTIONS else (W, E, U, p, t)
    irrelevant = f in SCORE_FUNCTIONS and defect in ("freqs-length", "freqs-sum", "target-range", "nan-freqs")
    expected = None if defect == "none" or irrelevant else EXPECTED[defect]
    try:
        value = f(*args)
    except (ValueError, TypeError) as error:
        assert expected is not None, f"{f.__name__} raised on a valid problem: {error}"
        assert __import__("re").search(expected, str(error)), f"{f.__name__}: expected {expected!r}, got {error}"
        return
    assert expected is None, f"{f.__name__} accepted a problem with the defect {defect!r}"
    if f is memory.margins and U.shape[0] == 1:
        assert (value == torch.inf).all()  # documented: no competing class when M = 1
    else:
        assert torch.isfinite(value).all(), f"{f.__name__} returned a non-finite value"
    if f is memory.loss:
        assert (value >= 0).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(1e-6, 1.0), min_size=1, max_size=4), st.integers(1, 60),
       st.floats(1e-3, 1.7e308), st.integers(1, 30))
def test_orthonormal_margins_are_finite_and_never_decrease(freqs, num_classes, step_size, steps):
    m = particles.orthonormal_margins(freqs, num_classes, step_size, steps)
    assert torch.isfinite(m).all() and (m[:, 1:] >= m[:, :-1]).all()
    # First step from m_0 = 0: m_1 = eta p M / M = eta p, also when eta p M overflows.
    assert np.allclose(m[0, 1].numpy(), step_size * np.asarray(freqs), rtol=1e-10)


@settings(max_examples=60, deadline=None)
@given(st.tuples(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none()),
                 st.floats(allow_nan=True, allow_infinity=True)))
def test_landscape_grid_takes_finite_increasing_windows_only(xlim):
    low, high = xlim
    valid = low is not None and math.isfinite(low) and math.isfinite(high) and low < high
    try:
        g0, _, points = landscape.grid(xlim, (0.0, 1.0), 3)
    except (ValueError, TypeError) as error:
        assert not valid and "xlim" in str(error)
        return
    assert valid and torch.isfinite(points).all() and g0[0] == low and g0[-1] == high
