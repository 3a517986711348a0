"""The gateway nameko service: Pawline's one public HTTP surface.

Handlers are thin: the route (``gateway.routing``) checks the caller and
loads the body with the route's schema, the handler makes one call, the
route dumps the reply. Each service issue adds its routes here.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from gateway.calls import GatewayReadiness, Services
from gateway.credentials import BUSINESS_STAFF, OPERATOR
from gateway.errors import JSON
from gateway.openapi import docs_page, openapi_document
from gateway.routing import Call, route
from gateway.schemas import (
    BusinessRegisteredSchema,
    BusinessRegistrationSchema,
    BusinessSchema,
    LiveSchema,
    ReadySchema,
)
from gateway.staff import StaffRoutes
from gateway.store import BusinessDirectory
from pawline.nameko import PawlineService


class GatewayService(StaffRoutes, PawlineService):
    name = "gateway"
    readiness = GatewayReadiness()
    businesses = BusinessDirectory()
    services = Services()

    @route(
        "POST",
        "/v1/businesses",
        access=OPERATOR,
        body=BusinessRegistrationSchema,
        reply=BusinessRegisteredSchema,
        status=201,
    )
    def register_business(self, call: Call) -> dict[str, str]:
        """Register a business (platform operator only).

        The answer holds the business admin's API key: it is shown this once
        and stored only as a hash.
        """
        return self.businesses.register(**call.body)

    @route("GET", "/v1/business", access=BUSINESS_STAFF, reply=BusinessSchema)
    def own_business(self, call: Call) -> dict[str, Any]:
        """The caller's own business."""
        return self.businesses.get(call.business_id)

    # The kit's routes, served by the gateway's frame (JSON errors, request ids).

    @route("GET", "/health/live", access="infrastructure", reply=LiveSchema)
    def health_live(self, call: Call) -> Response:
        """Live as long as the gateway runs its workers."""
        return super().health_live(call.request)

    @route(
        "GET",
        "/health/ready",
        access="infrastructure",
        reply=ReadySchema,
        replies={503: ReadySchema},
    )
    def health_ready(self, call: Call) -> Response:
        """Ready when the broker, the gateway's store and the services it needs answer."""
        return super().health_ready(call.request)

    @route("GET", "/metrics", access="infrastructure", content_type="text/plain")
    def metrics(self, call: Call) -> Response:
        """Prometheus text format."""
        request = call.request
        if "Accept" not in request.headers:
            # nameko-prometheus reads the Accept header unguarded (a KeyError)
            request = Request({**request.environ, "HTTP_ACCEPT": "text/plain"})
        return super().metrics(request)

    @route("GET", "/openapi.json", access="public")
    def openapi(self, call: Call) -> Response:
        """This API's OpenAPI 3.1 document."""
        return Response(json.dumps(openapi_document(GatewayService)), mimetype=JSON)

    @route("GET", "/docs", access="public", content_type="text/html")
    def docs(self, call: Call) -> Response:
        """This API's operations, for people."""
        page = docs_page(openapi_document(GatewayService))
        return Response(page, mimetype="text/html")
