"""The fault tests' fleet factory, for the hardening tests too."""

from tests.faults.conftest import fleet_factory  # noqa: F401 - a fixture, found by name
