"""The two-particle margin map against direct GD on the memory, and its closed forms against the package."""

import math

import numpy as np
import pytest
import torch

from assocmem import data, landscape, memory, train
from assocmem import two_particles as tp


def f64(values):
    return torch.tensor(values, dtype=torch.float64)


@pytest.mark.parametrize("alpha, p1", [(0.95, 0.75), (0.5, 0.6), (-0.5, 0.75), (0.0, 0.9), (0.8, 0.5)])
def test_margin_map_matches_gd_on_two_token_embeddings(alpha, p1):
    E, U, p, t = tp.problem(alpha, p1)
    etas = [0.3, 1.0, 4.0]
    run = train.gd(E, U, p, t, step_size=etas, steps=40)
    m = tp.margin_trajectory(p1, alpha, f64(etas), 40)
    assert m.shape == (3, 41, 2)
    assert torch.allclose(m[:, :40], run.margins, atol=1e-11, rtol=0)
    assert torch.allclose(tp.loss_from_margins(m[:, :40], p1), run.loss, atol=1e-12, rtol=0)
    assert torch.equal(tp.zero_one_from_margins(m[:, :40], p1), run.zero_one)
    # The last margins are those of the final memory.
    assert torch.allclose(m[:, 40], memory.margins(run.W_final, E, U, p, t), atol=1e-11, rtol=0)


def test_margin_step_is_one_step_of_the_trajectory():
    m = tp.margin_trajectory(0.7, 0.9, 3.0, 5)
    for k in range(5):
        assert torch.allclose(tp.margin_step(m[k], 0.7, 0.9, 3.0), m[k + 1], atol=1e-13)


def test_batched_trajectory_equals_separate_runs():
    p1 = f64([0.6, 0.8])[:, None]
    alpha = f64([0.2, 0.7, 0.99])[None, :]
    m = tp.margin_trajectory(p1, alpha, 2.0, 30)
    assert m.shape == (2, 3, 31, 2)
    for i in range(2):
        for j in range(3):
            single = tp.margin_trajectory(p1[i, 0].item(), alpha[0, j].item(), 2.0, 30)
            assert torch.allclose(m[i, j], single, atol=1e-13)


def test_first_step_formula():
    p1 = f64([0.55, 0.75, 0.9])[:, None, None]
    alpha = f64([-0.7, 0.0, 0.5, 0.95])[None, :, None]
    eta = f64([0.1, 1.0, 10.0])[None, None, :]
    p2 = 1 - p1
    formula = eta[..., None] * torch.stack(torch.broadcast_tensors(p1 - alpha * p2, p2 - alpha * p1), dim=-1)
    assert torch.allclose(tp.first_step_margins(p1, alpha, eta), formula, atol=1e-15)
    assert torch.allclose(tp.margin_trajectory(p1, alpha, eta, 1)[..., 1, :], formula, atol=1e-12)
    E, U, p, t = tp.problem(0.95, 0.75)
    W1 = memory.hebbian_step(E, U, p, t, 10.0)[0]
    assert torch.allclose(memory.margins(W1, E, U, p, t), tp.first_step_margins(0.75, 0.95, 10.0), atol=1e-12)


@pytest.mark.parametrize("p1", [0.5, 0.6, 0.75, 0.95])
@pytest.mark.parametrize("alpha", [-0.9, -0.3, 0.0, 0.4, 0.95, 1.0])
def test_closed_form_sharpness_at_zero(p1, alpha):
    E, U, p, t = tp.problem(alpha, p1)
    direct = memory.sharpness(torch.zeros(2, 2), E, U, p, t).item()
    assert tp.sharpness_at_zero(p1, alpha).item() == pytest.approx(direct, abs=1e-10)
    assert tp.critical_step_size(p1, alpha).item() == pytest.approx(2 / direct, rel=1e-10)


def test_one_step_loss_threshold():
    eta_star = tp.spike_threshold(0.75, 0.95)
    assert 1 < eta_star < 100
    assert tp.one_step_loss(eta_star, 0.75, 0.95).item() == pytest.approx(math.log(2), abs=1e-13)
    assert tp.one_step_loss(eta_star * (1 + 1e-6), 0.75, 0.95).item() > math.log(2)
    assert tp.one_step_loss(eta_star * (1 - 1e-6), 0.75, 0.95).item() < math.log(2)
    # One step of real GD has that loss.
    E, U, p, t = tp.problem(0.95, 0.75)
    W1 = memory.hebbian_step(E, U, p, t, 7.0)[0]
    assert tp.one_step_loss(7.0, 0.75, 0.95).item() == pytest.approx(memory.loss(W1, E, U, p, t).item(), abs=1e-13)
    # No flip of the rare token (alpha p1 <= p2): the one-step loss never exceeds log 2.
    assert tp.spike_threshold(0.75, 0.2) == math.inf
    assert (tp.one_step_loss(torch.logspace(-2, 3, 50), 0.75, 0.2) < math.log(2)).all()


def test_batched_time_to_accuracy_against_direct_runs():
    p1, alpha, eta, times = tp.time_grid()
    assert times.shape == (10, 10, 10) and times.dtype == torch.long
    # Direct GD on the memory (accuracy logged on W_t), all ten step sizes of a grid row at once;
    # the rows cover times of 1, of a few steps, of hundreds and the cap 999.
    # A row without capped entries needs only as many steps as its largest time to locate every first hit.
    for i, j in [(9, 8), (2, 6), (0, 0), (5, 7)]:
        steps = 1000 if (times[i, j] == 999).any() else int(times[i, j].max()) + 1
        E, U, p, t = tp.problem(alpha[j].item(), p1[i].item())
        run = train.gd(E, U, p, t, eta, steps)
        perfect = run.zero_one == 0
        direct = torch.where(perfect.any(1), perfect.to(torch.int8).argmax(1), torch.tensor(999))
        assert torch.equal(times[i, j], direct), (i, j, times[i, j], direct)
    assert (times[:, -1, :] == 999).all()  # alpha = 1: e_1 = e_2 with different targets, never separable
    assert (times >= 1).all() and (times <= 999).all()


def test_large_step_limit_is_the_limit_of_the_rescaled_margins():
    limit = tp.large_step_limit(0.75, 0.95, 20)
    m = tp.margin_trajectory(0.75, 0.95, 1e4, 20)
    assert torch.allclose(m / 1e4, limit, atol=1e-6)
    assert torch.allclose(limit[1], tp.first_step_margins(0.75, 0.95, 1.0), atol=1e-15)
    assert (limit[-1] > 0).all()


def test_large_step_limit_uses_half_at_zero_margin():
    """H(0) = 1/2 (= sigma(0)): from n_0 = 0 the limit's first step is K p, not 2 K p or 0."""
    p1, alpha = f64([0.75, 0.6, 0.9]), f64([0.95, 0.0, -0.5])
    n1 = tp.large_step_limit(p1, alpha, 1)[..., 1, :]
    p2 = 1 - p1
    assert torch.allclose(n1, torch.stack([p1 - alpha * p2, p2 - alpha * p1], dim=-1), atol=1e-15)
    # A later zero margin is also half-corrected: alpha = 1/3, p1 = 0.75 gives n_1 = (2/3, 0), then
    # n_2 = n_1 + 2 K P (0, 1/2) = n_1 + (-alpha p2, p2).
    n = tp.large_step_limit(0.75, 1 / 3, 2)
    assert n[1, 1].item() == 0.0
    assert torch.allclose(n[2], n[1] + f64([-0.25 / 3, 0.25]), atol=1e-15)


def test_tie_at_alpha_p2_over_p1_goes_to_the_first_class():
    m1 = tp.first_step_margins(0.75, 0.25 / 0.75, f64([0.1, 1.0, 10.0]))
    assert (m1[:, 1] == 0).all()
    assert not tp.correct_from_margins(m1)[:, 1].any()
    assert torch.allclose(tp.zero_one_from_margins(m1, 0.75), f64([0.25, 0.25, 0.25]))


def test_zero_error_region_is_the_wedge():
    alpha = 0.95
    E, U = data.two_token_embeddings(alpha)
    poly = landscape.zero_error_region(E, data.targets(2), (-10, 10), (-10, 10))
    assert poly.shape[1] == 2 and poly.shape[0] >= 3
    # Every vertex satisfies the wedge inequalities (up to rounding) ...
    assert (poly[:, 0] >= -1e-12).all()
    assert (alpha * poly[:, 0] + math.sqrt(1 - alpha**2) * poly[:, 1] <= 1e-12).all()
    # ... and random points are inside the polygon exactly when they have zero 0-1 loss.
    g = torch.rand(2000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 20 - 10
    zero = memory.zero_one_loss(landscape.to_memory(g, U), E, U, data.two_token_freqs(0.75), data.targets(2)) == 0
    from matplotlib.path import Path

    inside = torch.from_numpy(Path(poly.numpy()).contains_points(g.numpy()))
    assert (inside == zero).float().mean() > 0.995  # points on the boundary may go either way
    # Identical embeddings with different targets: the region is empty.
    E1, _ = data.two_token_embeddings(1.0)
    assert landscape.zero_error_region(E1, data.targets(2), (-1, 1), (-1, 1)).shape[0] <= 2


def test_bad_input():
    with pytest.raises(ValueError, match=r"p1 must lie in \(0, 1\), got 1.5"):
        tp.margin_trajectory(1.5, 0.5, 1.0, 3)
    with pytest.raises(ValueError, match=r"alpha must lie in \[-1, 1\]"):
        tp.sharpness_at_zero(0.7, 1.2)
    with pytest.raises(ValueError, match=r"step_size must lie in \(0, inf\)"):
        tp.time_to_accuracy(0.7, 0.5, f64([1.0, -1.0]))
    with pytest.raises(TypeError, match="steps must be an integer"):
        tp.margin_trajectory(0.7, 0.5, 1.0, 3.0)
    with pytest.raises(TypeError, match="p1 must be"):
        tp.first_step_margins("0.7", 0.5, 1.0)
    with pytest.raises(ValueError, match="must broadcast"):
        tp.margin_trajectory(f64([0.6, 0.7]), f64([0.1, 0.2, 0.3]), 1.0, 3)
    with pytest.raises(ValueError, match=r"margins must have shape \(\.\.\., 2\)"):
        tp.loss_from_margins(torch.zeros(3), 0.7)
    with pytest.raises(ValueError, match="p1 must lie"):
        tp.spike_threshold(0.0, 0.5)
    with pytest.raises(ValueError, match="step_size must be finite"):
        tp.first_step_margins(0.7, 0.5, float("nan"))
    with pytest.raises(ValueError, match="E must have d = 2 columns"):
        landscape.zero_error_region(torch.eye(3), data.targets(3, "mod", 2), (-1, 1), (-1, 1))


# --- issue 21: no hang, no silent inf / NaN, clear errors ------------------------------------


def _threshold_high_precision(p1: float, alpha: float) -> float:
    """eta* from the one-step loss itself, in 80-digit arithmetic (mpmath), on the exact float inputs."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(80):
        P1, A = mpmath.mpf(p1), mpmath.mpf(alpha)
        P2 = 1 - P1
        a, b = P1 - A * P2, P2 - A * P1

        def excess(eta):
            return P1 * mpmath.log1p(mpmath.exp(-eta * a)) + P2 * mpmath.log1p(mpmath.exp(-eta * b)) - mpmath.log(2)

        # A bracket from the signs of the excess: negative just above 0, positive far out.
        low, high = mpmath.mpf("1e-3"), mpmath.mpf(1)
        while excess(high) <= 0:
            high *= 2
        return float(mpmath.findroot(excess, (low, high), solver="anderson"))


@pytest.mark.parametrize(
    "p1, alpha",
    [(0.5 + 1e-10, 1.0), (0.5 + 1e-8, 1.0), (0.5 + 1e-6, 1.0), (0.5 + 1e-4, 0.9999), (0.75, 0.95), (0.75, 0.5),
     (0.9, 0.12), (0.6, 0.999999), (0.3, 0.95)],
)
def test_spike_threshold_matches_high_precision(p1, alpha):
    assert tp.spike_threshold(p1, alpha) == pytest.approx(_threshold_high_precision(p1, alpha), rel=1e-12)


@pytest.mark.parametrize("eps", [1e-10, 1e-8, 1e-6, 1e-5])
def test_spike_threshold_near_one_half_against_its_series(eps):
    """alpha = 1, p1 = 1/2 + eps: lc(eps eta) = 2 eps^2 eta, so eta* = 4 + (32/3) eps^2 + O(eps^4)."""
    p1 = 0.5 + eps
    e = p1 - 0.5  # the eps the float p1 actually carries
    assert tp.spike_threshold(p1, 1.0) == pytest.approx(4.0 + 32.0 / 3.0 * e**2, rel=1e-14)


def test_spike_threshold_returns_quickly_everywhere():
    """Every loop is bounded: a sweep over hard corners (p1 -> 1/2, alpha -> 1, alpha p1 -> p2) returns finite values."""
    import time

    start = time.perf_counter()
    for p1 in (0.5 + 1e-15, 0.5 + 1e-12, 0.5 + 1e-9, 0.51, 0.99, 1 - 1e-12):
        for alpha in (1.0, 1 - 1e-12, 0.999, 0.5):
            star = tp.spike_threshold(p1, alpha)
            a, b = p1 - alpha * (1 - p1), (1 - p1) - alpha * p1
            assert (star == math.inf) == (min(a, b) >= 0) or math.isfinite(star)
            assert star > 0
    assert time.perf_counter() - start < 5.0


def test_margin_trajectory_with_a_huge_step_is_finite_and_exact():
    m = tp.margin_trajectory(0.75, 0.95, 1e308, 3)
    assert torch.isfinite(m).all()
    limit = tp.large_step_limit(0.75, 0.95, 3)
    assert torch.allclose(m / 1e308, limit, rtol=1e-12, atol=1e-15)


def test_margin_trajectory_overflow_is_a_clear_error():
    # alpha = 1, p1 = 0.6: the limit oscillates with |n| up to 1 and steps of 1.2 in n, so at eta = 1.7e308
    # the step from m_2 to m_3 (1.2 eta) leaves the float64 range: a ValueError, not inf or NaN.
    with pytest.raises(ValueError, match=r"overflow float64 at step 3 with step_size = 1.7e\+308"):
        tp.margin_trajectory(0.6, 1.0, 1.7e308, 10)
    assert torch.isfinite(tp.margin_trajectory(0.6, 1.0, 1e307, 10)).all()


def test_two_particles_refuses_tensors_that_require_grad_where_it_runs_numpy():
    p1 = torch.tensor(0.75, dtype=torch.float64, requires_grad=True)
    eta = torch.tensor([1.0, 10.0], dtype=torch.float64, requires_grad=True)
    with pytest.raises(ValueError, match=r"p1 requires grad, but margin_trajectory runs its recursion in NumPy"):
        tp.margin_trajectory(p1, 0.95, 1.0, 3)
    with pytest.raises(ValueError, match=r"step_size requires grad, but time_to_accuracy"):
        tp.time_to_accuracy(0.75, 0.95, eta)
    # first_perfect returns integer times: it accepts (and detaches) margins that require grad.
    m = tp.margin_trajectory(0.75, 0.95, 10.0, 20).requires_grad_()
    assert tp.first_perfect(m).item() == tp.first_perfect(m.detach()).item()


def test_margin_step_and_loss_are_differentiable():
    """Plain torch: autograd through one step and the loss matches a central finite difference."""
    m0 = torch.tensor([0.3, -0.2], dtype=torch.float64, requires_grad=True)
    eta = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    loss = tp.loss_from_margins(tp.margin_step(m0, 0.7, 0.9, eta), 0.7)
    grad_m, grad_eta = torch.autograd.grad(loss, (m0, eta))

    def f(m, e):
        return tp.loss_from_margins(tp.margin_step(m, 0.7, 0.9, e), 0.7).item()

    h = 1e-6
    fd_eta = (f(m0.detach(), 2.0 + h) - f(m0.detach(), 2.0 - h)) / (2 * h)
    assert grad_eta.item() == pytest.approx(fd_eta, rel=1e-7)
    for i in range(2):
        d = torch.zeros(2, dtype=torch.float64)
        d[i] = h
        fd = (f(m0.detach() + d, 2.0) - f(m0.detach() - d, 2.0)) / (2 * h)
        assert grad_m[i].item() == pytest.approx(fd, rel=1e-7)


def test_mismatched_batches_are_clear_errors():
    with pytest.raises(ValueError, match=r"margins has batch shape \(3,\) .* does not broadcast against the shape \(2,\)"):
        tp.margin_step(torch.zeros(3, 2), f64([0.6, 0.7]), 0.95, 1.0)
    with pytest.raises(ValueError, match=r"margins has batch shape \(3,\) .* does not broadcast against the shape \(2,\)"):
        tp.loss_from_margins(torch.zeros(3, 2), f64([0.6, 0.7]))
    with pytest.raises(ValueError, match=r"margins has batch shape \(4,\)"):
        tp.zero_one_from_margins(torch.zeros(4, 2), f64([0.6, 0.7, 0.8]))
    # Broadcasting batches are fine: (3, 1, 2) margins against (4,) parameters give (3, 4, 2).
    assert tp.margin_step(torch.zeros(3, 1, 2), f64([0.6, 0.7, 0.8, 0.9]), 0.5, 1.0).shape == (3, 4, 2)
