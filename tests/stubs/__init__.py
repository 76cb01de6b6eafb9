"""Loopback HTTP stubs of the vendors alertfleet talks to, for contract and end-to-end tests."""

from tests.stubs.http import RecordedRequest, StubResponse, StubServer
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackMessage, SlackStub

__all__ = ["ModelStub", "RecordedRequest", "SlackMessage", "SlackStub", "StubResponse", "StubServer"]
