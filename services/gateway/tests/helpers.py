"""Services the interface tests put beside the gateway: ``echo`` answers over
RPC (with the correlation id it received, or slowly), and a gateway with one
more route that calls a service, as every service issue's routes will."""

from __future__ import annotations

from typing import Any

import eventlet
from nameko.rpc import rpc

from gateway.credentials import BUSINESS_STAFF
from gateway.routing import Call, route
from gateway.service import GatewayService
from pawline.nameko import MessageContextProvider


class EchoService:
    name = "echo"
    message_context = MessageContextProvider()

    @rpc
    def ping(self) -> dict[str, str]:
        return {"service": self.name, "status": "ok"}

    @rpc
    def correlation(self) -> dict[str, str]:
        return {"correlation_id": self.message_context.correlation_id}

    @rpc
    def slowly(self, seconds: float) -> dict[str, str]:
        eventlet.sleep(seconds)
        return {"correlation_id": self.message_context.correlation_id}


class GatewayWithServiceRoutes(GatewayService):
    @route("GET", "/v1/test/correlation", access=BUSINESS_STAFF)
    def echo_correlation(self, call: Call) -> Any:
        return self.services.call("echo", "correlation")

    @route("GET", "/v1/test/slow", access=BUSINESS_STAFF)
    def echo_slowly(self, call: Call) -> Any:
        return self.services.call("echo", "slowly", 3)

    @route("GET", "/v1/test/absent", access=BUSINESS_STAFF)
    def call_absent_service(self, call: Call) -> Any:
        return self.services.call("absent", "ping")
