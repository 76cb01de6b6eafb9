"""The http toolset: only allowed hosts are ever contacted, redirects included; HTML reaches the model as text."""

from __future__ import annotations

import socket

import pytest

from alertfleet.models import Event
from alertfleet.toolset_config import EffectiveToolsets, HttpSpec, SkillsSpec
from tests.stubs.http import RecordedRequest, StubResponse, StubServer
from tests.stubs.model import ModelStub
from tests.toolsets.helpers import alert_event, investigate, results_by_tool, use_model_stub
from workers.investigator.toolsets import ToolError
from workers.investigator.toolsets.safe_fetch import FetchPolicy, check_url, host_allowed

PAGE = b"""<html><head><title>Runbook: DemoHigh</title><style>.x{color:red}</style><script>var secret=1;</script></head>
<body><h1>DemoHigh</h1><p>Check the <b>connection pool</b> first.</p></body></html>"""


class Site(StubServer):
    """Serves a page, a redirect to `elsewhere`, and a redirect back onto itself."""

    elsewhere = ""

    def handle(self, req: RecordedRequest) -> StubResponse:
        if req.path == "/runbook":
            return StubResponse(200, PAGE, {"Content-Type": "text/html; charset=utf-8"})
        if req.path == "/away":
            return StubResponse(302, b"", {"Location": self.elsewhere})
        if req.path == "/moved":
            return StubResponse(301, b"", {"Location": "/runbook"})
        return StubResponse(404, b"nope", {"Content-Type": "text/plain"})


@pytest.fixture
def sites() -> tuple[Site, Site]:
    allowed, other = Site(), Site()
    allowed.start()
    other.start()
    allowed.elsewhere = f"http://127.0.0.1:{other.port}/runbook"
    yield allowed, other
    allowed.stop()
    other.stop()


def test_allowed_host_answers_and_others_are_never_contacted(
    sites: tuple[Site, Site], model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_model_stub(monkeypatch, model_stub)
    allowed, other = sites
    base = f"http://localhost:{allowed.port}"
    spec = EffectiveToolsets(http=HttpSpec(allowed_hosts=["localhost"]), tool_timeout=10)
    steps = [[
        ("fetch_webpage", {"url": f"{base}/runbook"}),
        ("fetch_webpage", {"url": f"http://127.0.0.1:{other.port}/runbook"}),
        ("fetch_webpage", {"url": f"{base}/away"}),
        ("fetch_webpage", {"url": f"{base}/moved"}),
        ("fetch_webpage", {"url": "file:///etc/passwd"}),
    ]]
    result, _ = investigate(model_stub, spec, steps)
    _page, disallowed, redirected, moved, file_url = result.tool_calls
    text = results_by_tool(model_stub, result)["fetch_webpage"][0]
    assert "# Runbook: DemoHigh" in text and "connection pool" in text
    assert "<b>" not in text and "var secret" not in text and "color:red" not in text
    assert disallowed.error is not None and "not on the allow-list" in disallowed.error
    assert redirected.error is not None and "'127.0.0.1' is not on the allow-list" in redirected.error
    assert moved.error is None and "connection pool" in moved.result
    assert file_url.error is not None and "only http(s)" in file_url.error
    assert other.requests == [], "the disallowed server saw nothing"
    assert sorted(r.path for r in allowed.requests) == ["/away", "/moved", "/runbook", "/runbook"]  # calls ran in parallel


def _with_runbook(url: str) -> Event:
    event = alert_event()
    return event.model_copy(update={"annotations": {**event.annotations, "runbook_url": url}})


def test_runbook_url_is_fetched_only_when_its_host_is_allowed(
    sites: tuple[Site, Site], model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    use_model_stub(monkeypatch, model_stub)
    allowed, other = sites
    (tmp_path / "s").mkdir()
    spec = EffectiveToolsets(
        skills=SkillsSpec(paths=[str(tmp_path)]), http=HttpSpec(allowed_hosts=["localhost"]), tool_timeout=10
    )
    good = _with_runbook(f"http://localhost:{allowed.port}/runbook")
    result, _ = investigate(model_stub, spec, [[("fetch_runbook_url", {})]], good)
    assert "connection pool" in results_by_tool(model_stub, result)["fetch_runbook_url"][0]
    prompt = model_stub.completions[0]["messages"][1]["content"]
    assert "Runbook: http" in prompt
    bad = _with_runbook(f"http://127.0.0.1:{other.port}/runbook")
    refused, _ = investigate(model_stub, spec, [[("fetch_runbook_url", {})]], bad)
    assert refused.tool_calls[0].error is not None and "not on the allow-list" in refused.tool_calls[0].error
    assert other.requests == []


def test_a_wildcard_never_reaches_a_non_public_address(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = FetchPolicy(("*.localhost", "wiki.example.com", "127.0.0.1"), 5)
    assert host_allowed("docs.localhost", policy.allowed_hosts) == (True, False)
    assert host_allowed("WIKI.example.com.", policy.allowed_hosts) == (True, True)
    assert host_allowed("evil.example.com", policy.allowed_hosts) == (False, False)
    # What the resolver answers decides: a wildcard match reaching a private address is refused.
    answers = {"wiki.corp.example": "10.0.0.5", "docs.corp.example": "93.184.216.34", "meta.corp.example": "169.254.169.254"}

    def resolve(host: str, port: object, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    wildcard = FetchPolicy(("*.corp.example",), 5)
    with pytest.raises(ToolError, match="non-public address"):
        check_url("http://wiki.corp.example/", wildcard)
    with pytest.raises(ToolError, match="non-public address"):
        check_url("http://meta.corp.example/latest/meta-data", wildcard)
    check_url("https://docs.corp.example/page", wildcard)  # public: allowed (nothing is sent by the check)
    check_url("http://127.0.0.1:1/x", policy)  # listed exactly: allowed
    with pytest.raises(ToolError, match="credentials"):
        check_url("http://user:pw@wiki.example.com/", policy)
