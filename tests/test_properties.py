"""Property test: on any shapes, memory functions return finite values or raise the documented errors."""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from assocmem import memory

FUNCTIONS = [memory.loss, memory.zero_one_loss, memory.margins, memory.gradient, memory.hessian, memory.sharpness]


@st.composite
def problems(draw):
    n, m, d = draw(st.integers(1, 6)), draw(st.integers(1, 5)), draw(st.integers(1, 4))
    d_u = draw(st.sampled_from([d, d, d, d + 1]))  # sometimes a mismatched U
    w_shape = draw(st.sampled_from([(d, d), (d, d), (2, d, d), (d + 1, d), (d,)]))
    scale = draw(st.sampled_from([0.0, 1.0, 1e3, 1e8]))
    seed = draw(st.integers(0, 2**16))
    g = torch.Generator().manual_seed(seed)
    E = torch.randn(n, d, generator=g, dtype=torch.float64)
    U = torch.randn(m, d_u, generator=g, dtype=torch.float64)
    W = scale * torch.randn(*w_shape, generator=g, dtype=torch.float64)
    weights = torch.rand(draw(st.sampled_from([n, n, n + 1])), generator=g, dtype=torch.float64) + 1e-3
    p = weights / weights.sum() * draw(st.sampled_from([1.0, 1.0, 1.0, 0.5]))
    t = torch.randint(0, m + draw(st.sampled_from([0, 0, 0, 1])), (n,), generator=g)
    return W, E, U, p, t


@settings(max_examples=150, deadline=None)
@given(problems(), st.sampled_from(FUNCTIONS))
def test_memory_functions_return_finite_values_or_raise_documented_errors(args, f):
    try:
        value = f(*args)
    except (ValueError, TypeError) as error:
        message = str(error)
        assert any(name in message for name in ("W ", "E ", "E and U", "freqs", "targets")), message
        return
    if f is memory.margins and args[2].shape[0] == 1:
        assert (value == torch.inf).all()  # documented: no competing class when M = 1
    else:
        assert torch.isfinite(value).all()
