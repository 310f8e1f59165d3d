"""Nothing turns silently into NaN, nothing hangs, every bad input gets a clear error (core, ledger, CLI).

Each case is one a demanding user hit: the call either computes a finite, correct value or fails
at the boundary with a message that names the argument.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from assocmem import claims, cli, data, landscape, memory, particles, train

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def small():
    E, U = data.embedding_pair(6, 4, 3, seed=5)
    return E, U, data.zipf(6, 1.0), data.targets(6, "mod", 4)


# ---------------------------------------------------------------- overflow: finite and correct, or a clear error


def test_orthonormal_margins_with_a_step_size_near_the_float_limit_stay_finite_and_correct():
    m = particles.orthonormal_margins([0.9], 50, 1e307, 3)[0, :, 0]
    # m_1 = eta p M / (e^0 + M - 1) = eta p; afterwards e^m = inf and the increment is exactly 0.
    assert torch.isfinite(m).all()
    assert m[0] == 0 and math.isclose(m[1].item(), 0.9e307, rel_tol=1e-12)
    assert m[2] == m[1] and m[3] == m[1]


def test_orthonormal_margins_log_path_matches_the_direct_path():
    # The log-domain recursion (taken when eta p M overflows) against the direct one on ordinary sizes.
    p, M = np.array([0.5, 0.3, 0.2]), 7
    direct = particles.orthonormal_margins(p, M, [0.3, 30.0], 200)
    eta = np.array([0.3, 30.0])
    m = np.zeros((2, 3))
    log_rate = np.log(eta)[:, None] + np.log(p)[None, :] + math.log(M)
    for _ in range(200):
        m = m + np.exp(log_rate - np.logaddexp(m, math.log(M - 1)))
    assert np.allclose(direct[:, -1].numpy(), m, rtol=1e-12)


def test_memory_refuses_scores_that_overflow(small):
    E, U, p, t = small
    W = torch.randn(3, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for function in (memory.loss, memory.zero_one_loss, memory.margins, memory.gradient, memory.token_losses):
        with pytest.raises(ValueError, match="overflow float64.*rescale E, U or W"):
            function(W, 1e200 * E, 1e200 * U, p, t)


def test_memory_at_huge_but_finite_scores_is_finite_and_correct(small):
    E, U, p, t = small
    W = torch.randn(3, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    scale = 1e150
    loss = memory.loss(W, scale * E, U, p, t)
    m = memory.margins(W, E, U, p, t)
    # At huge scale the loss of a token is scale * (max wrong score - correct score) when it is wrong, ~0 otherwise.
    s = memory.scores(W, E, U)
    expected = (p * (s.max(dim=-1).values - s.gather(-1, t[:, None]).squeeze(-1))).sum() * scale
    assert torch.isfinite(loss) and math.isclose(loss.item(), expected.item(), rel_tol=1e-9)
    assert memory.zero_one_loss(W, scale * E, U, p, t) == memory.zero_one_loss(W, E, U, p, t)
    assert torch.equal(memory.margins(W, scale * E, U, p, t) > 0, m > 0)


def test_gd_names_the_step_size_when_scores_overflow(small):
    E, U, p, t = small
    with pytest.raises(ValueError, match=r"overflowed float64 at step \d+ \(step_size 1e\+306\)"):
        train.gd(1e3 * E, 1e3 * U, p, t, [1.0, 1e306], 5)


def test_landscape_grid_rejects_infinite_and_missing_windows():
    with pytest.raises(ValueError, match="xlim must be finite"):
        landscape.grid((0, math.inf), (0, 1))
    with pytest.raises(TypeError, match="xlim must be a pair"):
        landscape.grid(None, (0, 1))
    with pytest.raises(ValueError, match="ylim must be \\(low, high\\) with low < high"):
        landscape.grid((0, 1), (1, 0))


# ---------------------------------------------------------------- clear errors at the boundary


def test_bool_and_complex_memories_are_refused(small):
    E, U, p, t = small
    with pytest.raises(TypeError, match="W must hold real numbers, got an array of dtype torch.bool"):
        memory.loss(torch.ones(3, 3, dtype=torch.bool), E, U, p, t)
    with pytest.raises(TypeError, match="W must hold real numbers, got an array of dtype complex128"):
        memory.loss(np.ones((3, 3), dtype=complex), E, U, p, t)


def test_steps_given_as_a_bool_is_named_as_a_bool(small):
    E, U, p, t = small
    with pytest.raises(TypeError, match="steps must be an integer, got the bool True"):
        train.gd(E, U, p, t, 1.0, True)


def test_seeds_beyond_the_signed_64_bit_range_are_refused(small):
    E, U, p, t = small
    with pytest.raises(ValueError, match="seed must be an integer <= 9223372036854775807"):
        data.sphere_embeddings(3, 2, 2**63)
    with pytest.raises(ValueError, match="seed must be an integer <= "):
        train.sgd(E, U, p, t, 1.0, 2, 4, seed=2**64)
    assert data.sphere_embeddings(3, 2, 2**63 - 1).shape == (3, 2)


def test_huge_float_targets_are_refused_before_the_integer_cast(small):
    E, U, p, _ = small
    with pytest.raises(ValueError, match=r"targets must lie in \[0, M\) = \[0, 4\).*1e\+20"):
        memory.loss(torch.zeros(3, 3), E, U, p, torch.tensor([1e20, 0, 1, 2, 3, 0]))


def test_margin_loss_needs_a_probability_vector():
    m = torch.zeros(3)
    with pytest.raises(ValueError, match="freqs must be non-negative"):
        particles.margin_loss(m, [0.5, 0.7, -0.2], 3)
    with pytest.raises(ValueError, match="freqs must sum to 1"):
        particles.margin_loss(m, [5.0, 3.0, 2.0], 3)


def test_sgd_with_zero_steps_returns_its_start(small):
    E, U, p, t = small
    W0 = torch.eye(3, dtype=torch.float64)
    run = train.sgd(E, U, p, t, [1.0, 2.0], 0, 8, W0=W0)
    assert run.loss.shape == (2, 0) and torch.equal(run.W_final, W0.expand(2, 3, 3))


# ---------------------------------------------------------------- SGD batches: fresh each step, the sampler's draws


def test_sgd_uses_a_fresh_batch_at_every_step_drawn_by_the_sampler(small):
    E, U, p, t = small
    steps, batch, eta = 6, 5, 0.7
    counts = list(train.batch_counts(p, steps, batch, seed=3))
    assert len({tuple(c.tolist()) for c in counts}) > 1, "every step saw the same batch"
    # One stream of i.i.d. draws, cut into consecutive batches.
    stream = torch.multinomial(p, steps * batch, replacement=True, generator=torch.Generator().manual_seed(3))
    for k, c in enumerate(counts):
        assert torch.equal(c * batch, torch.bincount(stream[k * batch:(k + 1) * batch], minlength=6).double())
    # The run's iterates are the GD steps on those empirical frequencies, in order.
    W = torch.zeros(3, 3, dtype=torch.float64)
    for c in counts:
        W = W - eta * memory.gradient(W, E, U, c, t)
    run = train.sgd(E, U, p, t, eta, steps, batch, seed=3)
    assert torch.allclose(run.W_final[0], W, atol=1e-14)


def test_draws_in_blocks_keep_the_single_stream(small, monkeypatch):
    _, _, p, _ = small
    whole = list(train.batch_counts(p, 7, 5, seed=1))
    monkeypatch.setattr(train, "CHUNK", 16)  # blocks of 3 steps (15 tokens)
    blocked = list(train.batch_counts(p, 7, 5, seed=1))
    assert all(torch.equal(a, b) for a, b in zip(whole, blocked)) and len(blocked) == 7


def test_a_batch_larger_than_a_block_is_drawn_in_pieces(small, monkeypatch):
    _, _, p, _ = small
    monkeypatch.setattr(train, "CHUNK", 16)
    counts = list(train.batch_counts(p, 3, 100, seed=2))
    again = list(train.batch_counts(p, 3, 100, seed=2))
    assert all(torch.equal(a, b) for a, b in zip(counts, again))
    assert all(math.isclose(c.sum().item(), 1.0) and ((c * 100) - (c * 100).round()).abs().max() < 1e-9 for c in counts)
    assert not torch.equal(counts[0], counts[1])


# ---------------------------------------------------------------- the ledger


def test_a_claim_rejects_a_non_finite_value_unless_it_expects_one():
    ledger = claims.Ledger("robustness-test")
    with pytest.raises(claims.ClaimFailed, match="measured inf"):
        ledger.check("b", math.inf, lower=0, claim="finite", section="s")
    assert ledger.check("c", math.inf, lower=0, claim="diverges", section="s", finite=False)
    with pytest.raises(claims.ClaimFailed):
        ledger.check("d", math.nan, lower=0, claim="nan", section="s", finite=False)


def test_a_claim_bound_given_as_text_is_a_clear_type_error():
    ledger = claims.Ledger("robustness-test-2")
    with pytest.raises(TypeError, match="lower must be a number, got str '0.5'"):
        ledger.check("b", 1.0, lower="0.5", claim="x", section="s")


def test_quote_glues_the_formatted_text_and_keeps_it():
    ledger = claims.Ledger("robustness-test-3")
    assert ledger.quote("slope", torch.tensor(-0.81234), "{:.2f}") == "-0.81"
    assert ledger.quote("count", 3, "{:d}") == "3" and ledger.quoted == {"slope": "-0.81", "count": "3"}


# ---------------------------------------------------------------- the command line: one clear line, exit code 2


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "assocmem", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "CI": "true", **(env or {})})


@pytest.mark.parametrize("case", ["file", "under-file"])
def test_figures_out_that_is_not_a_folder(tmp_path, case, capsys):
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    out = blocker if case == "file" else blocker / "figs"
    assert cli.main(["figures", "--out", str(out), "--only", "one-step-loss", "--no-progress"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "--out" in error and ("is a file" in error or "under the file" in error)


def test_an_invalid_tier_in_the_environment_is_one_line():
    result = run_cli("figures", "--out", "/tmp/unused-assocmem", "--only", "one-step-loss", env={"ASSOCMEM_TIER": "huge"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "ASSOCMEM_TIER must be one of ['ci', 'paper'], got 'huge'" in result.stderr


def test_notebooks_with_a_toc_that_is_not_a_toc(tmp_path, capsys):
    assert cli.main(["notebooks", "--toc", str(ROOT / "README.md"), "--out", str(tmp_path)]) == 2
    assert "not" in capsys.readouterr().err
    empty = tmp_path / "_toc.yml"
    empty.write_text("format: jb-book\nroot: intro\nparts: []\n")
    assert cli.main(["notebooks", "--toc", str(empty), "--out", str(tmp_path / "nb")]) == 2
    assert "lists no chapter" in capsys.readouterr().err
