"""The base classes of every Pawline service.

nameko collects entrypoints and dependencies from a service class's members,
inherited ones included, so each service gets these by subclassing:

- ``PawlineService``: ``ping`` over RPC, ``GET /health/live``, and the message
  context (correlation and causation ids) of every worker.
- ``EventSourcedService``: also ``get_notifications(after, limit)`` over RPC,
  the service's public events from its log (how a subscriber fills a gap or
  replays history). Subclasses set ``app = EventSourced(TheirApplication)``.
"""

from __future__ import annotations

import json
from typing import ClassVar

from nameko.rpc import rpc
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from pawline.nameko.eventsourced import EventSourced, MessageContextProvider

MAX_NOTIFICATIONS = 1000


class BadRequestError(ValueError):
    """The caller sent something unusable; the message says what."""


class PawlineService:
    """Subclass it and set ``name``; the service answers ``ping`` over RPC
    and ``GET /health/live`` over HTTP."""

    name: ClassVar[str]
    message_context = MessageContextProvider()

    @rpc
    def ping(self) -> dict[str, str]:
        """Answer an RPC round trip; callers use it to check we are up."""
        return {"service": self.name, "status": "ok"}

    @http("GET", "/health/live")
    def health_live(self, request: object) -> Response:
        """Live as long as the container runs its workers."""
        body = json.dumps({"service": self.name, "status": "ok"})
        return Response(body, status=200, mimetype="application/json")


class EventSourcedService(PawlineService):
    """A service with an event-sourced application and a public event log."""

    app: EventSourced

    @rpc(expected_exceptions=BadRequestError)
    def get_notifications(self, after: int, limit: int = 100) -> dict[str, object]:
        """Public events after log position ``after`` (at most ``limit`` log
        entries looked at), and ``last_position``, how far it looked."""
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            msg = f"after must be a whole number of 0 or more, got {after!r}"
            raise BadRequestError(msg)
        if (
            not isinstance(limit, int)
            or isinstance(limit, bool)
            or not 1 <= limit <= MAX_NOTIFICATIONS
        ):
            msg = f"limit must be a whole number from 1 to {MAX_NOTIFICATIONS}, got {limit!r}"
            raise BadRequestError(msg)
        return self.app.get_notifications(after, limit)  # type: ignore[no-any-return]
