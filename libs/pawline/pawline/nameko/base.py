"""The base classes of every Pawline service.

nameko collects entrypoints and dependencies from a service class's members,
inherited ones included, so each service gets these by subclassing:

- ``PawlineService``: ``ping`` over RPC; ``GET /health/live``,
  ``GET /health/ready`` and ``GET /metrics`` (Prometheus: our messaging
  metrics, and nameko-prometheus's RPC and HTTP counts and durations); and
  the message context (correlation and causation ids) of every worker.
- ``EventSourcedService``: also ``get_notifications(after, limit)`` over RPC,
  the service's public events from its log (how a subscriber fills a gap or
  replays history). Subclasses set ``app = EventSourced(TheirApplication)``.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from nameko.web.handlers import http
from nameko_prometheus import PrometheusMetrics
from nameko_prometheus.utils import reset_prometheus_registry
from werkzeug.wrappers import Response

from pawline.nameko.eventsourced import EventSourced, MessageContextProvider
from pawline.nameko.health import OK, Readiness

MAX_NOTIFICATIONS = 1000


class EntrypointMetrics(PrometheusMetrics):
    """nameko-prometheus's RPC and HTTP metrics, per service.

    It registers them in the process-wide registry when a container is set
    up. A process runs one container of a service in production; where a
    second replica starts in the same process (tests of failover), it takes
    the service's collectors over instead of failing on duplicates.
    """

    def setup(self) -> None:
        reset_prometheus_registry(self.container.service_name)
        super().setup()

    def observe_entrypoint(self, entrypoint: Any, worker_summary: Any) -> None:
        # @subscribe workers are timed and counted by the inbox's processor
        # (pawline_handler_seconds, pawline_events_applied_total); the base
        # class would log a warning for each of them.
        if getattr(entrypoint, "pawline_metrics", False):
            return
        super().observe_entrypoint(entrypoint, worker_summary)


class BadRequestError(ValueError):
    """The caller sent something unusable; the message says what."""


class PawlineService:
    """Subclass it and set ``name``; the service answers ``ping`` over RPC
    and ``GET /health/live`` over HTTP."""

    name: ClassVar[str]
    message_context = MessageContextProvider()
    prometheus = EntrypointMetrics()  # type: ignore[no-untyped-call]
    readiness = Readiness()

    @rpc
    def ping(self) -> dict[str, str]:
        """Answer an RPC round trip; callers use it to check we are up."""
        return {"service": self.name, "status": "ok"}

    @http("GET", "/health/live")
    def health_live(self, request: object) -> Response:
        """Live as long as the container runs its workers."""
        body = json.dumps({"service": self.name, "status": "ok"})
        return Response(body, status=200, mimetype="application/json")

    @http("GET", "/health/ready")
    def health_ready(self, request: object) -> Response:
        """Ready when the broker and the store answer and the workers run."""
        checks = self.readiness()
        ready = all(state == OK for state in checks.values())
        body = json.dumps(
            {"service": self.name, "status": "ready" if ready else "not ready", "checks": checks}
        )
        return Response(body, status=200 if ready else 503, mimetype="application/json")

    @http("GET", "/metrics")
    def metrics(self, request: object) -> Response:
        """Prometheus text format."""
        return self.prometheus.expose_metrics(request)  # type: ignore[no-any-return]


class ParkedEntries(DependencyProvider):  # type: ignore[misc]
    """Gives workers the service's inbox ``replay_parked``, if it subscribes."""

    def get_dependency(self, worker_ctx: Any) -> Any:
        inbox = next((e for e in self.container.subextensions if type(e).__name__ == "Inbox"), None)
        if inbox is None:
            return None
        return inbox.replay_parked


class EventSourcedService(PawlineService):
    """A service with an event-sourced application and a public event log."""

    app: EventSourced
    parked = ParkedEntries()

    @rpc(expected_exceptions=BadRequestError)
    def replay_parked(self, source: str | None = None) -> dict[str, object]:
        """Apply the parked inbox entries (of one source, or all) again, once
        their handler is fixed: ``{replayed: [...], still_parked: [...]}``."""
        if self.parked is None:
            msg = f"{self.name} subscribes to no events: it has no parked entries"
            raise BadRequestError(msg)
        return self.parked(source)  # type: ignore[no-any-return]

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
