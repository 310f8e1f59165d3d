import json

import numpy as np
import pytest
import torch

from assocmem import claims


def test_check_passes_records_and_returns_the_value(tmp_path, monkeypatch):
    monkeypatch.setenv(claims.LEDGER_DIR_VARIABLE, str(tmp_path))
    ledger = claims.Ledger("demo", title="Demo chapter")
    assert ledger.check("slope", torch.tensor(1.0), lower=0.99, upper=1.02, claim="slope", section="S") is True
    ledger.check("flag", np.bool_(True), claim="a flag", section="S")
    saved = json.loads((tmp_path / "demo.json").read_text())
    assert [c["claim_id"] for c in saved["claims"]] == ["slope", "flag"]
    assert saved["claims"][0]["bound"] == "[0.99, 1.02]" and saved["claims"][0]["passed"]
    assert claims.load(tmp_path)[0]["title"] == "Demo chapter"


@pytest.mark.parametrize(
    "value, bounds",
    [(1.5, dict(upper=1.0)), (1.0, dict(upper=1.0, strict=True)), (0.0, dict(lower=0.0, strict=True)), (float("nan"), dict(lower=0.0)), (False, {})],
)
def test_check_fails_out_of_bounds_and_still_records(value, bounds, tmp_path, monkeypatch):
    monkeypatch.setenv(claims.LEDGER_DIR_VARIABLE, str(tmp_path))
    ledger = claims.Ledger("demo")
    with pytest.raises(claims.ClaimFailed, match="claim 'c'.*failed: measured"):
        ledger.check("c", value, claim="c", section="S", **bounds)
    assert json.loads((tmp_path / "demo.json").read_text())["claims"][0]["passed"] is False


def test_bad_claims_are_rejected():
    ledger = claims.Ledger("demo")
    with pytest.raises(ValueError, match="give lower, upper or both"):
        ledger.check("a", 1.0, claim="a", section="S")
    with pytest.raises(ValueError, match="single number"):
        ledger.check("a", torch.ones(3), upper=2, claim="a", section="S")
    ledger.check("a", 1.0, upper=2, claim="a", section="S")
    with pytest.raises(ValueError, match="used twice"):
        ledger.check("a", 1.0, upper=2, claim="a", section="S")
