import pytest
import torch

from assocmem import tiers


def test_default_is_ci(monkeypatch):
    monkeypatch.delenv(tiers.VARIABLE, raising=False)
    assert tiers.current() == "ci" and tiers.device() == torch.device("cpu")


def test_environment_selects_paper(monkeypatch):
    monkeypatch.setenv(tiers.VARIABLE, "Paper")
    assert tiers.current() == "paper"
    assert tiers.current("ci") == "ci"


def test_threads_sets_and_restores_the_count():
    before = torch.get_num_threads()
    with tiers.threads(before + 1):
        assert torch.get_num_threads() == before + 1
    assert torch.get_num_threads() == before
    with tiers.threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads must be an integer >= 1, got 0"):
        with tiers.threads(0):
            pass
    assert torch.get_num_threads() == before


def test_unknown_tier_is_rejected(monkeypatch):
    monkeypatch.setenv(tiers.VARIABLE, "huge")
    with pytest.raises(ValueError, match=r"ASSOCMEM_TIER must be one of \['ci', 'paper'\], got 'huge'"):
        tiers.current()
    with pytest.raises(ValueError, match="tier must be one of"):
        tiers.current("gpu")


def test_flush_denormal_is_scoped():
    tiny = torch.tensor(1e-310, dtype=torch.float64)
    assert (tiny * 1).item() != 0.0
    with tiers.flush_denormal():
        assert (tiny * 1).item() == 0.0
    assert (tiny * 1).item() != 0.0, "flush-denormal leaked out of the block"
    with pytest.raises(RuntimeError):
        with tiers.flush_denormal():
            raise RuntimeError("inside")
    assert (tiny * 1).item() != 0.0, "flush-denormal leaked out of a block that raised"
