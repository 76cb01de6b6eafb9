"""TicketDesk: a throwaway vendor built only from the integration interface (tests/integration_shape).

It polls tickets in (a paged list with a cursor) and writes investigations out as comments on a
queue. Nothing outside this folder names it: it reaches every process through one line,
ALERTFLEET_INTEGRATIONS=tests.integration_shape.ticketdesk:integration.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings

from alertfleet.config_file import StrictModel
from alertfleet.integration import Integration, NotConfigured, Poller, RateLimit
from alertfleet.models import Investigation, WriteTarget
from alertfleet.settings import SETTINGS_CONFIG, FleetSettings
from alertfleet.writing import Throttle, Writer


class TicketDeskSettings(BaseSettings):
    model_config = SETTINGS_CONFIG

    ticketdesk_url: str | None = Field(default=None, alias="TICKETDESK_URL")
    ticketdesk_poll_interval: float = Field(default=0.3, gt=0, alias="TICKETDESK_POLL_INTERVAL")


class TicketDeskDestination(StrictModel):
    type: Literal["ticketdesk"]
    queue: str = Field(min_length=1)


class TicketDeskIntegration(Integration[TicketDeskSettings]):
    name = "ticketdesk"
    settings_model = TicketDeskSettings
    destination_model = TicketDeskDestination
    rate_limit = RateLimit("5/second")

    def pollers(self, settings: FleetSettings, throttle: Throttle) -> list[Poller]:
        from tests.integration_shape.ticketdesk.vendor import TicketPoller

        own = self.own(settings)
        return [TicketPoller(own.ticketdesk_url, own.ticketdesk_poll_interval, throttle)] if own.ticketdesk_url else []

    def write_target(self, destination: BaseModel) -> WriteTarget:
        assert isinstance(destination, TicketDeskDestination)
        return WriteTarget(type=self.name, target=destination.queue)

    def writer(self, settings: FleetSettings, throttle: Throttle) -> Writer:
        from tests.integration_shape.ticketdesk.vendor import CommentWriter

        url = self.own(settings).ticketdesk_url
        if not url:
            raise NotConfigured("ticketdesk destination needs TICKETDESK_URL")
        return CommentWriter(url)

    def render(self, investigation: Investigation) -> str:
        result = investigation.result
        return f"{investigation.event.title}\n\n{result.analysis if result else ''}"


integration = TicketDeskIntegration()
