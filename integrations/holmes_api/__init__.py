"""HolmesGPT's `/api/investigate`: a push source served by ingest's own API routes."""

from __future__ import annotations

from pydantic_settings import BaseSettings

from alertfleet.integration import Integration


class HolmesApiIntegration(Integration[BaseSettings]):
    name = "holmes_api"


integration = HolmesApiIntegration()
