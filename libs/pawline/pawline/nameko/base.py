"""The base class of every Pawline service: liveness and an RPC ping.

nameko collects entrypoints from a service class's members, inherited ones
included, so each service gets these by subclassing.
"""

from __future__ import annotations

import json
from typing import ClassVar

from nameko.rpc import rpc
from nameko.web.handlers import http
from werkzeug.wrappers import Response


class PawlineService:
    """Subclass it and set ``name``; the service answers ``ping`` over RPC
    and ``GET /health/live`` over HTTP."""

    name: ClassVar[str]

    @rpc
    def ping(self) -> dict[str, str]:
        """Answer an RPC round trip; callers use it to check we are up."""
        return {"service": self.name, "status": "ok"}

    @http("GET", "/health/live")
    def health_live(self, request: object) -> Response:
        """Live as long as the container runs its workers."""
        body = json.dumps({"service": self.name, "status": "ok"})
        return Response(body, status=200, mimetype="application/json")
