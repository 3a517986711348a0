"""nameko dependency providers of an event-sourced Pawline service.

``EventSourced(AppClass)`` builds the service's application on its own MongoDB
database (``MONGO_URI``, ``MONGO_DATABASE``, ``MONGO_TIMEOUT`` from the
container's config), runs the outbox relay beside it, and gives each worker
the application. A worker that handles an inbox entry gets a unit of work
instead: what it saves is recorded together with the entry's tracking
record, in one transaction, when the handler returns.

``MessageContextProvider`` sets the correlation and causation ids of each
worker from the RPC call's context (or starts a new chain), so every event a
worker saves carries them.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import Tracking
from nameko.extensions import DependencyProvider

from pawline.eventstore.mongo import LogWatcher, MongoFactory
from pawline.messaging.application import PawlineApplication
from pawline.messaging.context import MessageContext, _current
from pawline.messaging.lease import Lease
from pawline.messaging.relay import OutboxRelay

TRACKING_KEY = "pawline.tracking"  # worker context data: (source, position) being applied
CORRELATION_KEY = "correlation_id"
CAUSATION_KEY = "causation_id"


class UnitOfWork:
    """What a handler saves, kept until the handler returns."""

    def __init__(self, app: PawlineApplication, tracking: Tracking | None) -> None:
        self.app = app
        self.processing_event: ProcessingEvent[uuid.UUID] = ProcessingEvent(tracking=tracking)

    def save(self, *objs: Any, **kwargs: Any) -> None:
        self.processing_event.collect_events(*objs, **kwargs)

    def commit(self) -> None:
        recordings = self.app._record(self.processing_event)
        self.app._take_snapshots(self.processing_event)
        self.app._notify(recordings)


class HandlerApplication:
    """The application as a handler sees it: ``save()`` joins the unit of work."""

    def __init__(self, app: PawlineApplication, unit: UnitOfWork) -> None:
        self._app = app
        self._unit = unit

    def save(self, *objs: Any, **kwargs: Any) -> None:
        self._unit.save(*objs, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


class EventSourced(DependencyProvider):  # type: ignore[misc]
    """``app = EventSourced(BookingApplication)`` on a nameko service class."""

    def __init__(self, app_class: type[PawlineApplication], relay: bool = True) -> None:
        self.app_class = app_class
        self.run_relay = relay
        self.app: PawlineApplication | None = None
        self.relay: OutboxRelay | None = None
        self.watcher: LogWatcher | None = None
        self.units: dict[Any, UnitOfWork] = {}
        self.database: Any = None  # the service's own MongoDB database, once set up

    def setup(self) -> None:
        config = self.container.config
        env = {
            "MONGO_URI": str(config.get("MONGO_URI") or "mongodb://127.0.0.1:27017"),
            "MONGO_DATABASE": str(config.get("MONGO_DATABASE") or self.container.service_name),
            "MONGO_TIMEOUT": str(config.get("MONGO_TIMEOUT") or 5),
        }
        self.app = self.app_class(env=env)
        factory = self.app.factory
        assert isinstance(factory, MongoFactory)
        self.database = factory.datastore.db

    def start(self) -> None:
        assert self.app is not None
        if self.run_relay and self.app.published:
            self.watcher = LogWatcher(self.app.process_recorder)
            self.relay = OutboxRelay(
                self.app,
                amqp_uri=self.container.config["AMQP_URI"],
                lease=Lease(self.database["leases"], "relay"),
                checkpoints=self.database["checkpoints"],
                wakeup=self.watcher.wakeup,
            )
            self.container.spawn_managed_thread(self.relay.run, identifier="pawline.relay")

    def stop(self) -> None:
        if self.relay is not None:
            self.relay.stop()
        if self.watcher is not None:
            self.watcher.stop()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> Any:
        assert self.app is not None
        # Popped, not read: nameko passes context data on to every RPC call
        # the worker makes, and the tracking belongs to this worker alone.
        tracking = worker_ctx.data.pop(TRACKING_KEY, None)
        if tracking is None:
            return self.app
        source, position = tracking
        # position None: a parked entry replayed after tracking moved past it
        unit = UnitOfWork(self.app, None if position is None else Tracking(source, position))
        self.units[worker_ctx] = unit
        return HandlerApplication(self.app, unit)

    def take_unit(self, worker_ctx: Any) -> UnitOfWork | None:
        return self.units.pop(worker_ctx, None)

    def worker_teardown(self, worker_ctx: Any) -> None:
        self.units.pop(worker_ctx, None)


class MessageContextProvider(DependencyProvider):  # type: ignore[misc]
    """Sets the message context of each worker; the service sees its ids."""

    def __init__(self) -> None:
        self.tokens: dict[Any, Any] = {}
        self.lock = threading.Lock()

    def worker_setup(self, worker_ctx: Any) -> None:
        data = worker_ctx.data
        context = MessageContext(
            str(data.get(CORRELATION_KEY) or uuid.uuid4()), data.get(CAUSATION_KEY)
        )
        # nameko passes context data on to the RPC calls a worker makes
        data[CORRELATION_KEY] = context.correlation_id
        self.tokens[worker_ctx] = _current.set(context)

    def get_dependency(self, worker_ctx: Any) -> MessageContext:
        return MessageContext(
            str(worker_ctx.data.get(CORRELATION_KEY)), worker_ctx.data.get(CAUSATION_KEY)
        )

    def worker_teardown(self, worker_ctx: Any) -> None:
        token = self.tokens.pop(worker_ctx, None)
        if token is not None:
            _current.reset(token)
