"""A backlog to one channel at Slack's 1 message/s: paced by the shared pacer, no post arrives early.

Four threads (as four workers' writers would) race to post to one channel of a stub that answers 429
to any post less than 1.000 s after the previous one (no tolerance). The pacer's gap is counted from
the previous answer, so however the threads and the machine's load interleave, none is refused.
"""

from __future__ import annotations

import threading

import redis
from limits import parse
from slack_sdk import WebClient

from alertfleet.pacing import Pacer
from tests.conftest import SLACK_TOKEN
from tests.stubs.slack_quota import QuotaSlackStub

POSTS = 6


def test_a_backlog_to_one_channel_gets_no_self_caused_429(redis_client: redis.Redis) -> None:
    item = parse("1/second")
    pacer = Pacer(redis_client)
    with QuotaSlackStub(limit=1, per_seconds=1.0, tolerance=0.0, token=SLACK_TOKEN, channels=("#alerts",)) as stub:
        client = WebClient(token=SLACK_TOKEN, base_url=stub.api_url)
        sent: list[str] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def writer(count: int) -> None:
            try:
                for n in range(count):
                    while (wait := pacer.take("slack", "#alerts")) > 0:
                        threading.Event().wait(wait)
                    try:
                        answer = client.chat_postMessage(channel="#alerts", text=f"post {n}")
                    finally:
                        pacer.done("slack", "#alerts", item)
                    with lock:
                        sent.append(str(answer["ts"]))
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(POSTS // 3,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

        assert not errors, errors
        assert len(sent) == POSTS
        assert stub.over_quota == 0
        assert len(stub.served_times()) == POSTS
