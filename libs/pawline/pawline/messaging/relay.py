"""The outbox relay: publishes a service's public events, in log order, never
losing one.

It follows the application's notification log from its checkpoint, turns
each public event into an envelope, and publishes it in nameko's wire
convention (topic exchange ``<source>.events``, routing key = type, JSON,
persistent) with publisher confirms and ``mandatory``. The checkpoint moves
only past events the broker confirmed as routed (once per batch); an unroutable, refused or
unconfirmed publish is retried with backoff, counted, never dropped. So a
crash can publish a batch twice, never lose an event (consumers drop duplicates).

Each envelope also carries ``previous_position``: the position of the
source's previous public event, so a consumer can tell a gap (a message it
has not received) from positions that hold internal events.

Only the holder of the service's ``relay`` lease publishes; other replicas
stand by. Every ``<source>.events`` exchange has an archive queue bound to
every key (bounded, oldest dropped: the log keeps them all), so an event no
service subscribes to yet is still routed and does not hold the log up.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from datetime import UTC, datetime
from typing import Any

import kombu
from eventsourcing.persistence import PersistenceError
from kombu import Exchange, Queue
from pymongo.errors import PyMongoError

from pawline.messaging import metrics
from pawline.messaging.application import PawlineApplication
from pawline.messaging.broker import confirmed_connection, release_quietly
from pawline.messaging.lease import Lease

log = logging.getLogger(__name__)

ARCHIVE_MAX_LENGTH = 100_000


class UnroutableError(Exception):
    """The broker returned the message: nothing is bound for its routing key."""


def event_exchange(source: str) -> Exchange:
    """Declared exactly as nameko's own EventDispatcher and event_handler do."""
    return Exchange(f"{source}.events", type="topic", durable=True, auto_delete=False)


def archive_queue(source: str) -> Queue:
    return Queue(
        f"{source}.events.archive",
        exchange=event_exchange(source),
        routing_key="#",
        durable=True,
        queue_arguments={"x-max-length": ARCHIVE_MAX_LENGTH, "x-overflow": "drop-head"},
    )


class OutboxRelay:
    """Run :meth:`run` in a thread of its own; :meth:`stop` ends it."""

    BATCH = 200
    IDLE_WAIT = 1.0  # also how often a standby asks for the lease
    MAX_BACKOFF = 10.0

    def __init__(
        self,
        app: PawlineApplication,
        *,
        amqp_uri: str,
        lease: Lease,
        checkpoints: Any,
        wakeup: threading.Event,
    ) -> None:
        self.app = app
        self.amqp_uri = amqp_uri
        self.lease = lease
        self.checkpoints = checkpoints  # collection: {_id: "relay", position, previous_public}
        self.wakeup = wakeup
        self.exchange = event_exchange(app.source)
        self._stopped = threading.Event()
        self._connection: kombu.Connection | None = None
        self._producer: kombu.Producer | None = None
        self._returned: list[Any] = []
        self._checkpoint: tuple[int, int | None] | None = None
        self.attempt = 0
        self.running = False

    # --- state ---------------------------------------------------------------

    def checkpoint(self) -> tuple[int, int | None]:
        doc = self.checkpoints.find_one({"_id": "relay"}) or {}
        return int(doc.get("position", 0)), doc.get("previous_public")

    def _save_checkpoint(self, position: int, previous_public: int | None) -> None:
        self.checkpoints.update_one(
            {"_id": "relay"},
            {"$set": {"position": position, "previous_public": previous_public}},
            upsert=True,
        )
        self._checkpoint = (position, previous_public)

    # --- the loop --------------------------------------------------------------

    def run(self) -> None:
        self.running = True
        try:
            while not self._stopped.is_set():
                try:
                    if not self.lease.hold():
                        self._checkpoint = None
                        metrics.LEASE_HELD.labels(self.app.source, "relay").set(0)
                        self._stopped.wait(self.IDLE_WAIT)
                        continue
                    metrics.LEASE_HELD.labels(self.app.source, "relay").set(1)
                    self.wakeup.clear()
                    if self.relay_pending() == 0:
                        self.wakeup.wait(self.IDLE_WAIT)
                    self.attempt = 0
                except Exception as e:  # any error: a dead loop would be a silent outage
                    self._back_off(e)
        finally:
            self.running = False
            self._close()
            self.lease.release()

    def relay_pending(self) -> int:
        """Publish what the log holds past the checkpoint; return how many
        log entries were passed (0: nothing new)."""
        # While we hold the lease nobody else moves the checkpoint: read it
        # from the store only when we (re)take the lease or after a failure.
        if self._checkpoint is None:
            self._checkpoint = self.checkpoint()
        position, previous_public = self._checkpoint
        records = self.app.process_recorder.select_records(position, self.BATCH)
        if records:
            metrics.RELAY_LAG.labels(self.app.source).set(records[-1][0].id - position)
        try:
            for notification, metadata in records:
                if not self.lease.held or self._stopped.is_set():
                    break
                envelope = self.app.envelope(notification, metadata)
                if envelope is not None:
                    envelope["previous_position"] = previous_public
                    self.publish(envelope)
                    previous_public = notification.id
                    age = datetime.now(UTC) - datetime.fromisoformat(envelope["occurred_at"])
                    metrics.RELAY_LAG_SECONDS.labels(self.app.source).set(age.total_seconds())
                position = notification.id
        finally:
            # One checkpoint per batch, covering only what the broker
            # confirmed: a crash before it republishes at most this batch,
            # which consumers drop as duplicates.
            if records:
                self._save_checkpoint(position, previous_public)
        metrics.RELAY_LAG.labels(self.app.source).set(
            max((records[-1][0].id if records else position) - position, 0)
        )
        return len(records)

    def publish(self, envelope: dict[str, Any]) -> None:
        producer = self._ensure_producer()
        self._returned.clear()
        started = time.monotonic()
        producer.publish(
            envelope,
            exchange=self.exchange,
            routing_key=envelope["type"],
            serializer="json",
            delivery_mode=2,
            mandatory=True,
            headers={"correlation_id": envelope["correlation_id"]},
            retry=False,
        )
        if self._returned:
            metrics.PUBLISH_FAILURES.labels(self.app.source, "unroutable").inc()
            msg = f"{envelope['type']} at position {envelope['position']} was unroutable"
            raise UnroutableError(msg)
        metrics.PUBLISHED.labels(self.app.source, envelope["type"]).inc()
        metrics.PUBLISH_SECONDS.labels(self.app.source).observe(time.monotonic() - started)

    # --- the broker --------------------------------------------------------------

    def _ensure_producer(self) -> kombu.Producer:
        if self._producer is None:
            connection = confirmed_connection(self.amqp_uri)
            channel = connection.channel()
            producer = kombu.Producer(channel, exchange=self.exchange, on_return=self._on_return)
            self.exchange(channel).declare()
            archive_queue(self.app.source)(channel).declare()
            self._connection, self._producer = connection, producer
        return self._producer

    def _on_return(
        self, exception: Exception, exchange: str, routing_key: str, message: Any
    ) -> None:
        self._returned.append((exchange, routing_key))

    def _close(self) -> None:
        release_quietly(self._connection, "the relay's broker connection")
        self._connection = self._producer = None

    def _back_off(self, error: Exception) -> None:
        self._close()  # a fresh connection next time
        self._checkpoint = None
        self.attempt += 1
        metrics.PUBLISH_FAILURES.labels(self.app.source, type(error).__name__).inc()
        delay = min(self.MAX_BACKOFF, 0.1 * 2 ** min(self.attempt, 10)) * random.uniform(0.5, 1)  # noqa: S311
        expected = PersistenceError | PyMongoError | OSError | kombu.exceptions.KombuError
        log.warning(
            "relay of %s: %s; retrying in %.1f s (attempt %d)",
            self.app.source, error, delay, self.attempt,
            exc_info=not isinstance(error, expected | UnroutableError),
        )  # fmt: skip
        self._stopped.wait(delay)

    def stop(self) -> None:
        self._stopped.set()
        self.wakeup.set()
