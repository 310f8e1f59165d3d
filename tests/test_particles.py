import math

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp

from assocmem import data, memory, particles, train, tiers


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny matrices: one thread avoids OpenMP contention on a shared CPU (restored afterwards)."""
    with tiers.threads(1):
        yield


@pytest.fixture
def correlated():
    """N = 12 inputs, M = 7 outputs in d = 5: strongly correlated embeddings, x mod 7 targets."""
    E, U = data.embedding_pair(12, 7, 5, seed=3)
    return E, U, data.zipf(12, 1.0), data.targets(12, "mod", 7)


@pytest.fixture
def orthonormal():
    N = 10
    E = data.orthonormal_embeddings(N, N)
    return E, E.clone(), data.zipf(N, 1.0), data.targets(N)


STEPS = [0.5, 5.0, 30.0]


def test_particle_form_reproduces_gd(correlated):
    E, U, p, t = correlated
    gd = train.gd(E, U, p, t, STEPS, steps=200, show_progress=False)
    run = particles.particle_gd(E, U, p, t, STEPS, steps=200, show_progress=False)
    assert (run.Z_final - E @ gd.W_final.transpose(-1, -2)).abs().max() < 1e-10
    assert (run.margins - gd.margins).abs().max() < 1e-10
    assert (run.loss - gd.loss).abs().max() < 1e-10
    assert torch.equal(run.zero_one, gd.zero_one)
    assert (run.scores_final - memory.scores(gd.W_final, E, U)).abs().max() < 1e-10


def test_score_recursion_reproduces_gd_from_a_given_start(correlated, ):
    E, U, p, t = correlated
    W0 = torch.randn(5, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    gd = train.gd(E, U, p, t, STEPS, steps=200, W0=W0, show_progress=False)
    run = particles.score_gd(E, U, p, t, STEPS, steps=200, W0=W0, show_progress=False)
    assert run.Z_final is None
    assert (run.scores_final - memory.scores(gd.W_final, E, U)).abs().max() < 1e-10
    assert (run.margins - gd.margins).abs().max() < 1e-10


def test_interaction_weights_and_particles(correlated, ):
    E, U, p, t = correlated
    A = particles.interaction_weights(E, p)
    assert A.shape == (12, 12)
    assert torch.allclose(A[2, 5], p[5] * E[2] @ E[5])
    W = torch.randn(2, 5, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    Z = particles.particles(W, E)
    assert torch.allclose(Z[1, 4], W[1] @ E[4])


def test_scalar_recursion_equals_gd_with_orthonormal_embeddings(orthonormal):
    E, U, p, t = orthonormal
    etas = [0.1, 1.0, 10.0, 100.0]
    gd = train.gd(E, U, p, t, etas, steps=300, show_progress=False)
    m = particles.orthonormal_margins(p, 10, etas, steps=300)
    assert m.shape == (4, 301, 10)
    assert ((m[:, :-1] - gd.margins).abs() / gd.margins.abs().clamp(min=1.0)).max() < 1e-12
    loss = particles.margin_loss(m[:, :-1], p, 10)
    assert (loss - gd.loss).abs().max() < 1e-12
    # m_1 = eta p(x)
    assert torch.allclose(m[:, 1], torch.tensor(etas, dtype=torch.float64)[:, None] * p, rtol=1e-14, atol=0)


def test_scalar_recursion_with_fewer_classes_and_unit_class():
    # M = 3 classes (f*(x) = x mod 3), N = 6 orthonormal inputs: the recursion uses M, not N.
    E, U = data.orthonormal_embeddings(6, 6), data.orthonormal_embeddings(3, 6)
    p, t = data.zipf(6, 2.0), data.targets(6, "mod", 3)
    gd = train.gd(E, U, p, t, [2.0, 50.0], steps=100, show_progress=False)
    m = particles.orthonormal_margins(p, 3, [2.0, 50.0], steps=100)
    assert (m[:, :-1] - gd.margins).abs().max() < 1e-11
    # M = 1: m_{t+1} = m_t + eta p e^{-m}, whose flow is log(1 + p tau)
    one = particles.orthonormal_margins([0.5], 1, 0.01, steps=20000)[0, -1, 0].item()
    assert one == pytest.approx(math.log1p(0.5 * 0.01 * 20000), abs=1e-3)


def test_scalar_recursion_is_stable_for_huge_steps():
    m = particles.orthonormal_margins([0.9, 1e-3], 50, [1e6, 1e12], steps=1000)
    assert torch.isfinite(m).all()
    assert (m.diff(dim=1) >= 0).all()  # once e^{-m} underflows the margin stops moving, it never falls
    assert torch.allclose(m[:, 1], torch.tensor([[0.9e6, 1e3], [0.9e12, 1e9]], dtype=torch.float64), rtol=1e-14)


def test_flow_solves_the_implicit_equation_and_the_ode():
    p, M = torch.tensor([0.5, 0.1, 1e-3], dtype=torch.float64), 7
    tau = np.concatenate([[0.0], np.logspace(-3, 6, 40)])
    m = particles.flow_margins(p, M, tau).numpy()
    assert m.shape == (41, 3)
    c = 1 + p.numpy() * M * tau[:, None]
    assert np.allclose((np.exp(m) + (M - 1) * m) / c, 1.0, rtol=1e-12, atol=0)
    for i, pi in enumerate(p.tolist()):
        sol = solve_ivp(lambda _, y: pi * M / (np.exp(y) + M - 1), (0.0, tau[-1]), [0.0], t_eval=tau, method="LSODA", rtol=1e-11, atol=1e-12)
        assert np.abs(sol.y[0] - m[:, i]).max() < 1e-6


def test_flow_for_huge_times_and_one_class():
    m = particles.flow_margins([0.3], 4, [1e10, 1e100, 1e300]).numpy()[:, 0]
    assert np.isfinite(m).all()
    # exp(m) + 3 m = 1 + 1.2 tau  =>  m ~ log(1.2 tau) - 3 log(1.2 tau) / (1.2 tau)
    assert m[1] == pytest.approx(math.log(1.2e100), rel=1e-14)
    assert m[2] == pytest.approx(math.log(1.2) + 300 * math.log(10), rel=1e-14)
    one = particles.flow_margins([0.3, 1.0], 1, [0.0, 2.0, 1e300]).numpy()
    assert np.allclose(one, np.log1p(np.array([0.0, 2.0, 1e300])[:, None] * np.array([0.3, 1.0])))


def test_gd_is_never_behind_the_flow():
    p = data.zipf(10, 1.0)
    etas = [0.1, 1.0, 10.0, 1000.0]
    m = particles.orthonormal_margins(p, 10, etas, steps=2000)
    tau = torch.tensor(etas, dtype=torch.float64)[:, None] * torch.arange(2001, dtype=torch.float64)
    flow = particles.flow_margins(p, 10, tau)
    assert (m[:, 1:] - flow[:, 1:]).min() > 0


@pytest.mark.parametrize("alpha", [0.95, -0.5, 0.3])
def test_binary_system_equals_gd(alpha):
    E, U = data.two_token_embeddings(alpha)
    p, t = data.two_token_freqs(0.75), data.targets(2)
    gd = train.gd(E, U, p, t, [1.0, 10.0], steps=35, show_progress=False)
    m = particles.binary_margins(E, U, p, t, [1.0, 10.0], steps=35)
    assert (m[:, :-1] - gd.margins).abs().max() < 1e-10
    K = particles.binary_kernel(E, U, t)
    assert torch.allclose(K, 2 * torch.tensor([[1.0, -alpha], [-alpha, 1.0]], dtype=torch.float64))


def test_binary_system_many_tokens_and_start():
    N, d = 30, 4
    E, U = data.sphere_embeddings(N, d, seed=9), torch.eye(2, d, dtype=torch.float64)
    p, t = data.zipf(N, 1.0), data.targets(N, "mod", 2)
    W0 = torch.randn(d, d, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    gd = train.gd(E, U, p, t, [0.3, 3.0], steps=100, W0=W0, show_progress=False)
    m = particles.binary_margins(E, U, p, t, [0.3, 3.0], steps=100, W0=W0)
    assert (m[:, :-1] - gd.margins).abs().max() < 1e-10
    assert (m[:, -1] - memory.margins(gd.W_final, E, U, p, t)).abs().max() < 1e-10


def test_margin_loss_is_stable():
    loss = particles.margin_loss(torch.tensor([[-1000.0, 1000.0]]), torch.tensor([0.5, 0.5]), 3)
    assert loss.item() == pytest.approx(0.5 * (1000 + math.log(2)), rel=1e-14)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: particles.orthonormal_margins([0.5, 0.5], 0, 1.0, 10), ValueError, "num_classes"),
        (lambda: particles.orthonormal_margins([0.5, 0.0], 2, 1.0, 10), ValueError, "freqs"),
        (lambda: particles.orthonormal_margins([0.5, 0.5], 2, -1.0, 10), ValueError, "step_size"),
        (lambda: particles.orthonormal_margins([0.5, 0.5], 2, 1.0, 10.0), TypeError, "steps"),
        (lambda: particles.orthonormal_margins([0.5, 0.5], 2, 1.0, 10, m0=[0.0, 0.0, 0.0]), ValueError, "m0"),
        (lambda: particles.orthonormal_margins([0.5, 0.5], 2.5, 1.0, 10), TypeError, "num_classes"),
        (lambda: particles.orthonormal_margins("abc", 2, 1.0, 10), TypeError, "freqs"),
        (lambda: particles.flow_margins([0.5], 2, [-1.0]), ValueError, "tau"),
        (lambda: particles.flow_margins([0.5], 2, [float("nan")]), ValueError, "tau"),
        (lambda: particles.binary_kernel(torch.eye(2), torch.eye(3, 2), [0, 1]), ValueError, "M = 2"),
        (lambda: particles.binary_margins(torch.eye(2), torch.eye(2), [0.5, 0.5], [0, 2], 1.0, 5), ValueError, "targets"),
        (lambda: particles.particle_gd(torch.eye(3), torch.eye(2), [0.5, 0.5, 0.0], [0, 1, 0], 1.0, 5), ValueError, "d"),
        (lambda: particles.particle_gd(torch.eye(2), torch.eye(2), [0.7, 0.7], [0, 1], 1.0, 5), ValueError, "sum to 1"),
        (lambda: particles.score_gd(torch.eye(2), torch.eye(2), [0.5, 0.5], [0, 1], 1.0, 5, W0=torch.eye(3)), ValueError, "W"),
        (lambda: particles.margin_loss(torch.zeros(3, 4), [0.5, 0.5], 2), ValueError, "freqs"),
        (lambda: particles.interaction_weights(torch.eye(2), [1.0]), ValueError, "freqs"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
