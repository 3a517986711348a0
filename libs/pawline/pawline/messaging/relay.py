"""The outbox relay: publishes a service's public events, in log order, never
losing one.

It follows the application's notification log from its checkpoint, turns
each public event into an envelope, and publishes it in nameko's wire
convention (topic exchange ``<source>.events``, routing key = type, JSON,
persistent, ``message_id`` = envelope id) with publisher confirms and
``mandatory``. A batch of log entries is published with its confirms
pipelined (every message sent, then every ack awaited: one round trip per
batch, not per event). The checkpoint moves only past events the broker
confirmed as routed (kept in memory, written every half second while busy,
when idle and on a clean stop); an unroutable, refused or unconfirmed
publish is retried with backoff, counted, never dropped. So a crash can
publish what was confirmed in the last half second twice, never lose an
event (consumers drop duplicates).

Each envelope also carries ``previous_position``: the position of the
source's previous public event, so a consumer can tell a gap (a message it
has not received) from positions that hold internal events.

Only the holder of the service's ``relay`` lease publishes; other replicas
stand by. Every ``<source>.events`` exchange has an archive queue bound to
every key (bounded, oldest dropped: the log keeps them all), so an event no
service subscribes to yet is still routed and does not hold the log up.
"""

from __future__ import annotations

import contextlib
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
from pawline.messaging.broker import PipelinedPublisher, UnconfirmedError
from pawline.messaging.lease import Lease

log = logging.getLogger(__name__)

ARCHIVE_MAX_LENGTH = 100_000


class UnroutableError(Exception):
    """The broker returned the message: nothing is bound for its routing key."""


class RefusedError(Exception):
    """The broker refused the message (a nack)."""


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

    BATCH = 200  # log entries read, and their envelopes published, at once
    CONFIRM_TIMEOUT = 30.0
    CHECKPOINT_EVERY = 0.5  # seconds a confirmed position may go unwritten while busy
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
        self.publisher = PipelinedPublisher(
            amqp_uri, self.exchange, declare=(self.exchange, archive_queue(app.source))
        )
        self._stopped = threading.Event()
        self._checkpoint: tuple[int, int | None] | None = None  # confirmed, in memory
        self._saved: tuple[int, int | None] | None = None  # as last written
        self._saved_at = 0.0
        self.attempt = 0
        self.running = False

    # --- state ---------------------------------------------------------------

    @property
    def confirmed_position(self) -> int:
        """The log position the broker has confirmed everything up to, as far
        as this replica knows (the stored checkpoint may lag it by half a second)."""
        return self._checkpoint[0] if self._checkpoint is not None else self.checkpoint()[0]

    def checkpoint(self) -> tuple[int, int | None]:
        doc = self.checkpoints.find_one({"_id": "relay"}) or {}
        return int(doc.get("position", 0)), doc.get("previous_public")

    def _save_checkpoint(self, position: int, previous_public: int | None) -> None:
        self.checkpoints.update_one(
            {"_id": "relay"},
            {"$set": {"position": position, "previous_public": previous_public}},
            upsert=True,
        )
        self._saved, self._saved_at = (position, previous_public), time.monotonic()

    def _flush(self, due_only: bool = False) -> None:
        """Write the confirmed position if it moved (and, with ``due_only``,
        only once CHECKPOINT_EVERY has passed since the last write)."""
        if self._checkpoint is None or self._checkpoint == self._saved:
            return
        if due_only and time.monotonic() - self._saved_at < self.CHECKPOINT_EVERY:
            return
        self._save_checkpoint(*self._checkpoint)

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
                    if self.relay_pending() == 0 and not self.wakeup.wait(self.IDLE_WAIT):
                        self._flush()  # idle: record where we are
                    self.attempt = 0
                except Exception as e:  # any error: a dead loop would be a silent outage
                    self._back_off(e)
        finally:
            self.running = False
            if self._stopped.is_set() and self.lease.held:  # a clean stop
                with contextlib.suppress(Exception):
                    self._flush()
            self._close()
            self.lease.release()

    def relay_pending(self) -> int:
        """Publish what the log holds past the checkpoint; return how many
        log entries were passed (0: nothing new)."""
        # While we hold the lease nobody else moves the checkpoint: read it
        # from the store only when we (re)take the lease or after a failure.
        if self._checkpoint is None:
            self._checkpoint = self._saved = self.checkpoint()
        position, previous_public = self._checkpoint
        # What this process wrote is read from memory, the rest from the store.
        recorder = self.app.process_recorder
        records = recorder.recent_records(position, self.BATCH) or recorder.select_records(
            position, self.BATCH
        )
        if not records:
            metrics.RELAY_LAG.labels(self.app.source).set(0)
            return 0
        metrics.RELAY_LAG.labels(self.app.source).set(records[-1][0].id - position)
        # Each log entry and its envelope (None: internal), in log order.
        outgoing: list[tuple[int, dict[str, Any] | None]] = []
        for notification, metadata in records:
            envelope = self.app.envelope(notification, metadata)
            if envelope is not None:
                envelope["previous_position"] = previous_public
                previous_public = notification.id
            outgoing.append((notification.id, envelope))
        envelopes = [envelope for _, envelope in outgoing if envelope is not None]
        if not self.lease.held or self._stopped.is_set():
            return 0
        started = time.monotonic()
        confirmed = self.publisher.publish(
            [(envelope, envelope["type"]) for envelope in envelopes], self.CONFIRM_TIMEOUT
        )
        if envelopes:
            metrics.PUBLISH_SECONDS.labels(self.app.source).observe(time.monotonic() - started)
        # The checkpoint covers only what the broker confirmed: the entries
        # before the first envelope not confirmed. It is kept in memory and
        # written every CHECKPOINT_EVERY seconds, when idle and on stopping: a
        # crash republishes what was confirmed since, which consumers drop
        # as duplicates.
        position, previous_public = self._checkpoint
        passed = 0
        for log_position, envelope in outgoing:
            if envelope is not None:
                if confirmed == 0:
                    break
                confirmed -= 1
                metrics.PUBLISHED.labels(self.app.source, envelope["type"]).inc()
                previous_public = log_position
                age = datetime.now(UTC) - datetime.fromisoformat(envelope["occurred_at"])
                metrics.RELAY_LAG_SECONDS.labels(self.app.source).set(age.total_seconds())
            position = log_position
            passed += 1
        if passed:
            self._checkpoint = (position, previous_public)
            self._flush(due_only=True)
        metrics.RELAY_LAG.labels(self.app.source).set(records[-1][0].id - position)
        if passed < len(outgoing):
            reason = "unroutable" if self.publisher.returned else "refused"
            metrics.PUBLISH_FAILURES.labels(self.app.source, reason).inc()
            envelope = outgoing[passed][1]
            assert envelope is not None
            msg = (
                f"{envelope['type']} at position {envelope['position']} was {reason} by the broker"
            )
            raise (UnroutableError if reason == "unroutable" else RefusedError)(msg)
        return passed

    # --- the broker --------------------------------------------------------------

    def _close(self) -> None:
        self.publisher.close()

    def _back_off(self, error: Exception) -> None:
        self._close()  # a fresh connection next time
        with contextlib.suppress(Exception):  # keep what was confirmed, if the store answers
            self._flush()
        self._checkpoint = None
        self.attempt += 1
        metrics.PUBLISH_FAILURES.labels(self.app.source, type(error).__name__).inc()
        delay = min(self.MAX_BACKOFF, 0.1 * 2 ** min(self.attempt, 10)) * random.uniform(0.5, 1)  # noqa: S311
        broker_errors = kombu.exceptions.KombuError | UnconfirmedError
        expected = PersistenceError | PyMongoError | OSError | broker_errors
        log.warning(
            "relay of %s: %s; retrying in %.1f s (attempt %d)",
            self.app.source, error, delay, self.attempt,
            exc_info=not isinstance(error, expected | UnroutableError | RefusedError),
        )  # fmt: skip
        self._stopped.wait(delay)

    def stop(self) -> None:
        self._stopped.set()
        self.wakeup.set()
