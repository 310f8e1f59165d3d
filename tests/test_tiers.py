import pytest
import torch

from assocmem import tiers


def test_default_is_ci(monkeypatch):
    monkeypatch.delenv(tiers.VARIABLE, raising=False)
    assert tiers.current() == "ci" and tiers.pick(1, 2) == 1 and tiers.device() == torch.device("cpu")


def test_environment_selects_paper(monkeypatch):
    monkeypatch.setenv(tiers.VARIABLE, "Paper")
    assert tiers.current() == "paper" and tiers.pick(1, 2) == 2
    assert tiers.pick(1, 2, tier="ci") == 1


def test_threads_sets_and_restores_the_count():
    before = torch.get_num_threads()
    with tiers.threads(1):
        assert torch.get_num_threads() == 1
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
        tiers.pick(1, 2, tier="gpu")
