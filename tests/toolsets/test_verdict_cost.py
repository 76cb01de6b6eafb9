"""The structured verdict is one more model call: alert investigations pay it only when configured."""

from __future__ import annotations

import pytest

from alertfleet.toolset_config import EffectiveToolsets
from tests.stubs.model import ModelStub
from tests.toolsets.helpers import investigate, use_model_stub
from workers.investigator.toolsets.registry import Toolbox


def _verdict_requests(stub: ModelStub) -> int:
    return sum(1 for body in stub.completions if isinstance(body.get("response_format"), dict))


def test_alert_investigation_skips_the_verdict_call_by_default(
    monkeypatch: pytest.MonkeyPatch, model_stub: ModelStub
) -> None:
    use_model_stub(monkeypatch, model_stub)
    result, _ = investigate(model_stub, Toolbox([], [], EffectiveToolsets()), [])

    assert result.analysis
    assert len(model_stub.completions) == 1  # the answer, nothing after it
    assert _verdict_requests(model_stub) == 0
    assert result.confidence is None and result.investigation_outcome is None


def test_alert_investigation_asks_for_the_verdict_when_configured(
    monkeypatch: pytest.MonkeyPatch, model_stub: ModelStub
) -> None:
    use_model_stub(monkeypatch, model_stub)
    result, _ = investigate(
        model_stub, Toolbox([], [], EffectiveToolsets()), [], ALERTFLEET_INVESTIGATION_VERDICT=True
    )

    assert len(model_stub.completions) == 2
    assert _verdict_requests(model_stub) == 1
    assert result.investigation_outcome in {"actionable", "resolved", "benign", "inconclusive"}
    assert result.confidence is not None
