"""The Compose demo's fake vendors: `python -m tests.stubs.serve` serves the Slack and model stubs.

The same stubs the tests hold alertfleet to (Slack checked against Slack's OpenAPI spec, an
OpenAI-compatible model with a scripted tool loop), bound to all interfaces on fixed ports so the
demo's ingest and workers reach them by service name. Posted messages are printed as JSON lines,
so `docker compose logs stubs` shows what Slack would have shown.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from types import FrameType

from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--slack-port", type=int, default=8081)
    parser.add_argument("--slack-token", default="xoxb-demo-token")
    parser.add_argument("--slack-channel", action="append", default=None)
    parser.add_argument("--model-port", type=int, default=8082)
    parser.add_argument("--model-api-key", default="sk-demo")
    args = parser.parse_args(argv)

    slack = SlackStub(token=args.slack_token, channels=tuple(args.slack_channel or ["#alerts"]))
    model = ModelStub(api_key=args.model_api_key)
    slack.bind, model.bind = (args.host, args.slack_port), (args.host, args.model_port)
    stopped = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with slack, model:
        print(json.dumps({"event": "stubs_ready", "slack": args.slack_port, "model": args.model_port}), flush=True)
        shown = 0
        while not stopped.wait(1.0):
            messages = slack.messages
            for message in messages[shown:]:
                print(json.dumps({"event": "slack_message", "message": message}, default=str), flush=True)
            shown = len(messages)


if __name__ == "__main__":
    main()
