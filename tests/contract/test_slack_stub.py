"""The Slack stub, driven by the real slack_sdk WebClient over loopback HTTP."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from tests.stubs.slack import SPEC_PATH, SlackStub, required_params

SHARED_SPEC_SHA256 = "742a5c977180a829df8767cf57bc417d99b3713583aee83741efb9c08ca731e7"
# slack_sdk rightly warns when a post has no top-level text; these tests omit it on purpose.
NO_TEXT_WARNING = "ignore:The top-level `text` argument is missing:UserWarning"


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    with SlackStub(channels={"#alerts", "#ops"}) as running:
        yield running


@pytest.fixture
def client(stub: SlackStub) -> WebClient:
    return WebClient(token=stub.token, base_url=stub.api_url, timeout=5)


def slack_error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    return str(excinfo.value.response["error"])


def test_spec_copy_is_byte_identical_to_the_shared_spec() -> None:
    assert hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest() == SHARED_SPEC_SHA256
    shared = Path("/work/shared/specs/slack/slack_web_openapi_v2.json")
    if shared.exists():
        assert shared.read_bytes() == SPEC_PATH.read_bytes()


def test_required_params_come_from_the_spec() -> None:
    assert required_params("chat.postMessage") == {"token", "channel"}
    assert required_params("chat.update") == {"token", "channel", "ts"}


def test_stub_listens_on_loopback_only(stub: SlackStub) -> None:
    assert stub.base_url.startswith("http://127.0.0.1:")
    assert stub.api_url == f"{stub.base_url}/api/"


def test_post_then_update_changes_the_stored_message(stub: SlackStub, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="#alerts", text="firing")
    assert posted["channel"] == stub.channel_id("#alerts")
    assert posted["message"]["text"] == "firing"

    updated = client.chat_update(channel=posted["channel"], ts=posted["ts"], text="resolved")

    assert (updated["ts"], updated["text"]) == (posted["ts"], "resolved")
    [message] = stub.messages_in("#alerts")
    assert message["channel"] == "#alerts"
    assert message["text"] == "resolved"
    assert message["update_count"] == 1
    assert [v["text"] for v in message["history"]] == ["firing", "resolved"]
    assert (stub.post_count(), stub.update_count(), stub.violations) == (1, 1, [])
    assert stub.requests[0].headers["authorization"] == f"Bearer {stub.token}"


def test_timestamps_are_unique_and_increasing(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel="#alerts", text=str(i))["ts"] for i in range(3)]
    assert stamps == sorted(set(stamps))
    assert abs(float(stamps[0]) - time.time()) < 60, "a ts is the unix time of the post, as Slack's"


def test_thread_reply_is_stored_with_its_parent_ts(stub: SlackStub, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="#ops", text="summary")
    client.chat_postMessage(channel="#ops", text="details", thread_ts=parent["ts"])

    [reply] = stub.thread_replies(parent["ts"])
    assert reply["text"] == "details"
    assert len(stub.messages_in("ops")) == 2


@pytest.mark.filterwarnings(NO_TEXT_WARNING)
def test_blocks_only_post_is_accepted(stub: SlackStub, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*firing*"}}]
    client.chat_postMessage(channel="#alerts", blocks=blocks)
    assert stub.messages[0]["blocks"] == blocks


def test_form_encoded_post_is_accepted(stub: SlackStub, client: WebClient) -> None:
    blocks = json.dumps([{"type": "divider"}])
    client.api_call("chat.postMessage", params={"channel": "#alerts", "text": "form", "blocks": blocks})
    assert stub.requests[0].content_type == "application/x-www-form-urlencoded"
    assert stub.messages[0]["blocks"] == [{"type": "divider"}]


@pytest.mark.filterwarnings(NO_TEXT_WARNING)
def test_post_without_text_blocks_or_attachments_fails_with_no_text(stub: SlackStub, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="#alerts")
    assert slack_error(excinfo) == "no_text"
    assert excinfo.value.response.status_code == 200
    assert stub.post_count() == 0
    assert stub.violations == ["chat.postMessage: no_text (none of text, blocks, attachments)"]


def test_block_without_type_fails_with_invalid_blocks(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="#alerts", text="x", blocks=[{"text": "no type"}])
    assert slack_error(excinfo) == "invalid_blocks"


def test_text_over_40000_chars_fails_with_msg_too_long(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="#alerts", text="x" * 40_001)
    assert slack_error(excinfo) == "msg_too_long"


def test_bad_token_fails_with_invalid_auth(stub: SlackStub) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(token="xoxb-wrong", base_url=stub.api_url).chat_postMessage(channel="#alerts", text="x")
    assert slack_error(excinfo) == "invalid_auth"


def test_missing_token_fails_with_not_authed(stub: SlackStub) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(base_url=stub.api_url).auth_test()
    assert slack_error(excinfo) == "not_authed"


def test_unknown_channel_fails_with_channel_not_found(stub: SlackStub, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="#nowhere", text="x")
    assert slack_error(excinfo) == "channel_not_found"
    assert stub.messages == []


def test_update_of_unknown_ts_fails_with_message_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel="#alerts", ts="1.000000", text="x")
    assert slack_error(excinfo) == "message_not_found"


def test_unemulated_method_answers_unknown_method(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("reactions.add", json={"channel": "#alerts", "name": "eyes", "timestamp": "1.0"})
    assert slack_error(excinfo) == "unknown_method"


def test_auth_test_and_conversations_info_describe_the_workspace(stub: SlackStub, client: WebClient) -> None:
    assert client.auth_test()["bot_id"] == "B0000001"
    info = client.conversations_info(channel=stub.channel_id("#ops"))
    assert info["channel"]["name"] == "ops"


def test_rate_limit_mode_answers_429_with_retry_after(stub: SlackStub, client: WebClient) -> None:
    stub.rate_limit(retry_after=2, for_seconds=5)

    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="#alerts", text="x")

    response = excinfo.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert response["error"] == "ratelimited"
    assert stub.early_retries == []
    assert stub.post_count() == 0


def test_retry_before_retry_after_is_recorded_as_early(stub: SlackStub, client: WebClient) -> None:
    stub.rate_limit(retry_after=2, for_seconds=5)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="#alerts", text="x")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="#alerts", text="in flight")  # within the grace: could not know yet
    time.sleep(stub.in_flight_grace + 0.05)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="#alerts", text="too early")
    assert [r.json["text"] for r in stub.early_retries] == ["too early"]


def test_sdk_retry_handler_that_honours_retry_after_is_not_early(stub: SlackStub) -> None:
    client = WebClient(token=stub.token, base_url=stub.api_url, timeout=5)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    stub.rate_limit(retry_after=1, for_seconds=0.5)
    started = time.monotonic()

    client.chat_postMessage(channel="#alerts", text="eventually")

    assert time.monotonic() - started >= 1
    assert (stub.post_count(), stub.early_retries) == (1, [])


def test_fail_next_injects_server_errors_then_recovers(stub: SlackStub, client: WebClient) -> None:
    stub.fail_next(1, 503, path="/api/chat.postMessage")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="#alerts", text="x")
    assert excinfo.value.response.status_code == 503

    client.chat_postMessage(channel="#alerts", text="x")
    assert stub.post_count() == 1
    assert stub.violations == []


def test_wait_until_sees_posts_from_another_thread(stub: SlackStub, client: WebClient) -> None:
    threading.Timer(0.1, lambda: client.chat_postMessage(channel="#alerts", text="later")).start()
    assert stub.wait_until(lambda: stub.post_count() == 1, timeout=5)
