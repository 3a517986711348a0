"""Receiving other services' events: inbox, in-order processor, dead letters.

``@subscribe("booking", "TicketClosed")`` on a service method declares a
durable queue ``<service>.inbox.<source>`` bound to ``<source>.events``
(every key: the processor must see the source's whole public sequence to
apply it in order). Then:

1. Every replica receives: a message that cannot be read (bad JSON, unknown
   type, schema-invalid) goes to ``<service>.dead-letter`` with the reason;
   a readable one is written to the ``inbox`` collection, unique on
   ``(source, position)``, so a duplicate delivery vanishes; then it is acked
   (a burst of messages: one insert, one ack). An entry is applied once the
   source's tracking record passes its position; only a parked one is
   marked (``state``).
2. One processor per service (the ``processor`` lease) applies entries per
   source in position order. What this replica's receivers wrote is handed
   to it in memory; it reads the store when that does not go on from the
   tracked position (after taking the lease, entries other replicas took
   in, or when idle). An entry is in order when the entry before it in the
   source's public sequence is applied: relayed envelopes name their
   ``previous_position``. Otherwise the gap is filled from the producer's
   log over RPC (``<source>.get_notifications(after, limit)``), which is
   also how a new subscriber replays history from the start.
3. A handler runs as a nameko worker; what it saves commits with the tracking
   record of the entry, in one transaction. A handler that raises is retried
   with backoff up to ``MAX_ATTEMPTS``; then the entry is parked (kept,
   counted, copied to the dead-letter queue with the error) and the source's
   stream goes on. Entries of types with no handler just move tracking on.
"""

from __future__ import annotations

import collections
import itertools
import json
import logging
import random
import threading
import time
from datetime import UTC, datetime
from typing import Any

import kombu
from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import IntegrityError, PersistenceError, Tracking
from kombu import Exchange, Queue
from nameko.extensions import Entrypoint, ProviderCollector, SharedExtension
from nameko.standalone.rpc import ClusterRpcProxy
from pymongo.errors import BulkWriteError, PyMongoError

from pawline import contracts
from pawline.eventstore.mongo import DUPLICATE_KEY
from pawline.messaging import metrics
from pawline.messaging.broker import confirmed_connection, release_quietly
from pawline.messaging.lease import Lease
from pawline.messaging.relay import event_exchange
from pawline.nameko.eventsourced import CAUSATION_KEY, CORRELATION_KEY, TRACKING_KEY, EventSourced

log = logging.getLogger(__name__)

APPLIED, PARKED = "applied", "parked"  # states an entry is marked with (pending has none)


def inbox_queue(service: str, source: str) -> Queue:
    return Queue(
        f"{service}.inbox.{source}", exchange=event_exchange(source), routing_key="#", durable=True
    )


def dead_letter_queue(service: str) -> Queue:
    return Queue(
        f"{service}.dead-letter",
        exchange=Exchange(""),
        routing_key=f"{service}.dead-letter",
        durable=True,
    )


def _after(entry: dict[str, Any]) -> int:
    """The position an entry comes after: it is in order once that is applied."""
    return int(entry.get("after") or 0)


def _merge(
    batch: collections.deque[dict[str, Any]], entries: list[dict[str, Any]], tracked: int
) -> None:
    """Add entries to a batch kept sorted by position, without duplicates,
    dropping those at or before ``tracked`` (applied)."""
    while batch and batch[0]["position"] <= tracked:
        batch.popleft()
    fresh = [e for e in entries if e["position"] > tracked]
    if not fresh:
        return
    positions = [batch[-1]["position"] if batch else tracked, *(e["position"] for e in fresh)]
    if all(a < b for a, b in itertools.pairwise(positions)):
        batch.extend(fresh)  # the usual case: newer entries, in order
        return
    by_position = {e["position"]: e for e in fresh}
    by_position.update({e["position"]: e for e in batch})
    batch.clear()
    batch.extend(by_position[p] for p in sorted(by_position))


def _backoff(attempt: int, cap: float = 10.0) -> float:
    return float(min(cap, 0.05 * 2 ** min(attempt, 12)) * random.uniform(0.5, 1))  # noqa: S311


class DeadLetters:
    """Publishes to ``<service>.dead-letter`` with confirms; nothing is dropped."""

    def __init__(self, service: str, amqp_uri: str) -> None:
        self.service = service
        self.amqp_uri = amqp_uri
        self.queue = dead_letter_queue(service)
        self._connection: kombu.Connection | None = None
        self._lock = threading.Lock()

    def send(
        self, body: bytes | str, reason: str, error: str, event_type: str = "", **details: Any
    ) -> None:
        headers = {"x-pawline-reason": reason, "x-pawline-error": error[:2000]}
        headers.update({f"x-pawline-{k}": v for k, v in details.items() if v is not None})
        with self._lock:
            for attempt in range(1, 6):
                try:
                    connection = self._ensure()
                    producer = kombu.Producer(connection.default_channel)
                    producer.publish(
                        body if isinstance(body, bytes) else body.encode(),
                        exchange="", routing_key=self.queue.name, headers=headers,
                        content_type="application/json", content_encoding="utf-8",
                        delivery_mode=2, retry=False,
                    )  # fmt: skip
                except (OSError, kombu.exceptions.KombuError) as e:
                    self.close()
                    log.warning("dead-lettering failed (%s); attempt %d", e, attempt)
                    time.sleep(_backoff(attempt))
                    continue
                metrics.DEAD_LETTERED.labels(self.service, reason, event_type).inc()
                return
        msg = f"could not dead-letter a message of {self.service} ({reason}: {error})"
        raise ConnectionError(msg)

    def _ensure(self) -> kombu.Connection:
        if self._connection is None:
            connection = confirmed_connection(self.amqp_uri)
            self.queue(connection.default_channel).declare()
            self._connection = connection
        return self._connection

    def close(self) -> None:
        release_quietly(self._connection, "the dead-letter connection")
        self._connection = None


class Receiver:
    """Consumes ``<service>.inbox.<source>`` into the inbox; reconnects forever."""

    PREFETCH = 100
    BURST_WAIT = 0.001  # how long the next message of a burst may take before it is written

    def __init__(self, inbox: Inbox, source: str) -> None:
        self.inbox = inbox
        self.source = source
        self.stopped = threading.Event()
        self.ready = False
        # Readable messages received and not yet written: written together
        # (one insert for a burst), then acked.
        self.buffer: list[tuple[dict[str, Any], Any]] = []

    def run(self) -> None:
        attempt = 0
        while not self.stopped.is_set():
            try:
                with kombu.Connection(self.inbox.amqp_uri, heartbeat=30) as connection:
                    channel = connection.channel()
                    channel.basic_qos(0, self.PREFETCH, False)
                    queue = inbox_queue(self.inbox.service, self.source)(channel)
                    queue.declare()
                    consumer = kombu.Consumer(
                        channel, queues=[queue], on_message=self.on_message, auto_declare=False
                    )
                    consumer.consume()
                    self.ready, attempt = True, 0
                    while not self.stopped.is_set():
                        try:
                            connection.drain_events(timeout=self.BURST_WAIT if self.buffer else 0.5)
                        except TimeoutError:
                            self.write_buffer()
                            connection.heartbeat_check()
                        if len(self.buffer) >= self.PREFETCH:
                            self.write_buffer()
                    self.write_buffer()
            except Exception as e:  # any error: a dead loop would be a silent outage
                self.buffer.clear()  # unacked: the broker delivers them again
                self.ready = False
                attempt += 1
                log.warning(
                    "inbox receiver %s<-%s: %s; reconnecting", self.inbox.service, self.source, e,
                    exc_info=not isinstance(e, OSError | kombu.exceptions.KombuError),
                )  # fmt: skip
                self.stopped.wait(_backoff(attempt))
        self.ready = False

    def on_message(self, message: Any) -> None:
        body = message.body
        try:
            envelope = self.read(body)
        except contracts.ContractError as e:
            reason = "unknown_type" if e.code == contracts.UnknownEventType.code else "invalid"
            self.inbox.dead_letters.send(
                body, reason, str(e), event_type=e.type or "",
                queue=f"{self.inbox.service}.inbox.{self.source}",
            )  # fmt: skip
            message.ack()
            return
        except ValueError as e:
            self.inbox.dead_letters.send(body, "unreadable", f"not a JSON object: {e}")
            message.ack()
            return
        self.buffer.append((envelope, message))

    def write_buffer(self) -> None:
        """Write the buffered entries in one go, then ack them; while the
        store is away, keep them and try again (they stay unacked)."""
        if not self.buffer:
            return
        attempt = 0
        while True:
            try:
                entries = self.inbox.receive_many(
                    [(envelope, envelope.get("previous_position")) for envelope, _ in self.buffer]
                )
                break
            except (PyMongoError, PersistenceError) as e:  # the store is away: keep them, retry
                attempt += 1
                log.warning(
                    "inbox of %s cannot store %d entries: %s", self.inbox.service,
                    len(self.buffer), e,
                )  # fmt: skip
                if self.stopped.wait(_backoff(attempt)):
                    for _, message in self.buffer:
                        message.requeue()
                    self.buffer.clear()
                    return
        # One ack for the burst: every delivery before its last one is in it,
        # or was acked when it was dead-lettered.
        self.buffer[-1][1].ack(multiple=True)
        self.buffer.clear()
        self.inbox.hand_over(self.source, entries)

    def read(self, body: bytes | str) -> dict[str, Any]:
        data = json.loads(body)
        if not isinstance(data, dict):
            msg = f"the body is a JSON {type(data).__name__}, not an object"
            raise ValueError(msg)
        envelope = contracts.validate_envelope(data)
        if envelope["source"] != self.source:
            msg = f"an envelope from {envelope['source']!r} arrived on {self.source!r}'s exchange"
            raise contracts.ContractError(envelope["type"], {"source": [msg]}, msg)
        return envelope


class Processor:
    """Applies inbox entries per source in position order; one per service."""

    MAX_ATTEMPTS = 5
    BATCH = 100  # pending entries read at once
    APPLY_RUN = 50  # in-order entries applied in one transaction
    IDLE_WAIT = 0.5
    FILL_LIMIT = 500
    RPC_TIMEOUT = 10.0
    CATCH_UP_INTERVAL = 10.0
    HANDLER_TIMEOUT = 60.0

    def __init__(self, inbox: Inbox, lease: Lease) -> None:
        self.inbox = inbox
        self.lease = lease
        self.stopped = threading.Event()
        self.running = False
        # When each source's log was last read to its end over RPC. Nothing
        # reveals a missing message at the tail (or history from before our
        # queue existed): on taking the lease, and every CATCH_UP_INTERVAL
        # while idle, the processor asks the producer what comes after.
        self.caught_up_at: dict[str, float] = {}
        # While we hold the lease, nobody else moves tracking: keep each
        # source's tracked position and next pending entries in memory.
        self.positions: dict[str, int] = {}
        self.batches: dict[str, collections.deque[dict[str, Any]]] = {}
        self.singly_through: dict[str, int] = {}
        # Sources whose pending entries must be read from the store before a
        # gap or an empty batch is believed: entries this replica's receivers
        # hand over are in memory, but not always all there is.
        self.unread: set[str] = set(inbox.sources())

    def forget(self) -> None:
        """Drop what is cached: the lease was lost, or something failed."""
        self.caught_up_at.clear()
        self.positions.clear()
        self.batches.clear()
        self.unread.update(self.inbox.sources())

    def tracked(self, source: str) -> int:
        if source not in self.positions:
            self.positions[source] = self.inbox.tracked(source)
        return self.positions[source]

    def run(self) -> None:
        self.running = True
        attempt = 0
        try:
            while not self.stopped.is_set():
                try:
                    if not self.lease.hold():
                        metrics.LEASE_HELD.labels(self.inbox.service, "processor").set(0)
                        self.forget()
                        self.stopped.wait(self.IDLE_WAIT)
                        continue
                    metrics.LEASE_HELD.labels(self.inbox.service, "processor").set(1)
                    self.inbox.wakeup.clear()
                    worked = False
                    for source in self.inbox.sources():
                        while self.lease.held and not self.stopped.is_set() and self.step(source):
                            worked = True
                    if not worked and not self.inbox.wakeup.wait(self.IDLE_WAIT):
                        # Idle for a while: look in the store again, where other
                        # replicas' receivers write what they take in.
                        self.unread.update(self.inbox.sources())
                    attempt = 0
                except Exception as e:  # any error: a dead loop would be a silent outage
                    attempt += 1
                    self.forget()
                    log.warning(
                        "processor of %s: %s; retrying", self.inbox.service, e,
                        exc_info=not isinstance(e, PersistenceError | PyMongoError | OSError),
                    )  # fmt: skip
                    self.stopped.wait(_backoff(attempt))
        finally:
            self.running = False
            self.lease.release()

    def step(self, source: str) -> bool:
        """Apply the next entries of ``source`` if they are in order, or fill
        the gap before them. False when there is nothing to do."""
        tracked = self.tracked(source)
        batch = self.batches.setdefault(source, collections.deque())
        arrived, overflowed = self.inbox.take_arrivals(source)
        _merge(batch, arrived, tracked)
        if overflowed:
            self.unread.add(source)
        if (not batch or _after(batch[0]) > tracked) and source in self.unread:
            # What this replica received does not go on from the tracked
            # position: the store may hold more (from before we took the
            # lease, from other replicas, or past a full read).
            self.unread.discard(source)
            pending = self.inbox.pending(source, tracked, self.BATCH)
            _merge(batch, pending, tracked)
            if len(pending) == self.BATCH:
                self.unread.add(source)
        self.inbox.report_lag(source, tracked)
        if not batch:
            if (
                time.monotonic() - self.caught_up_at.get(source, -self.CATCH_UP_INTERVAL)
                < self.CATCH_UP_INTERVAL
            ):
                return False
            progressed = self.fill_gap(source, tracked)
            if not progressed:
                self.caught_up_at[source] = time.monotonic()
            return progressed
        entry = batch[0]
        if _after(entry) > tracked:
            return self.fill_gap(source, tracked)
        # The entries that follow with no gap between them go in one transaction
        # (one at a time through a run that conflicted: they share an aggregate).
        run = [entry]
        longest = 1 if entry["position"] <= self.singly_through.get(source, 0) else self.APPLY_RUN
        for following in itertools.islice(batch, 1, longest):
            if _after(following) > run[-1]["position"]:
                break
            run.append(following)
        applied = self.apply_run(source, run)
        if applied == 0:
            self.apply(source, entry)
            applied = 1
        for _ in range(applied):
            batch.popleft()
        return True

    def fill_gap(self, source: str, tracked: int) -> bool:
        """Read the producer's log after ``tracked`` into the inbox."""
        try:
            with ClusterRpcProxy(self.inbox.container.config, timeout=self.RPC_TIMEOUT) as rpc:
                reply = getattr(rpc, source).get_notifications(tracked, self.FILL_LIMIT)
        except Exception as e:  # any RPC failure: try again later
            log.warning("cannot fill the gap after %s:%d: %s", source, tracked, e)
            self.stopped.wait(1.0)
            return False
        envelopes = reply["notifications"]
        if envelopes:
            # Each is in order after ``tracked``: the log has no gap between them.
            self.inbox.receive_many(
                [(contracts.validate_envelope(envelope), tracked) for envelope in envelopes]
            )
        self.batches.pop(source, None)  # read again, with what was filled in
        self.unread.add(source)
        if not envelopes and reply["last_position"] > tracked:
            # Nothing public in (tracked, last]: move tracking past it.
            self.inbox.record_tracking(source, reply["last_position"])
            self.positions[source] = reply["last_position"]
        return bool(envelopes) or reply["last_position"] > tracked

    def apply_run(self, source: str, run: list[dict[str, Any]]) -> int:
        """Apply consecutive in-order entries in one transaction: each handler
        runs in turn, and what they saved commits with the last entry's
        tracking record. Returns how many were applied; stops before the first
        whose handler fails, and applies none if the commit conflicts (two
        handlers of the run changed one aggregate): the caller then applies
        one at a time, with retries and parking."""
        started = time.monotonic()
        combined: ProcessingEvent[Any] = ProcessingEvent()
        done: list[dict[str, Any]] = []
        for entry in run:
            handler = self.inbox.handler_for(source, entry["envelope"]["type"])
            if handler is not None and self.run_handler(
                handler, entry["envelope"], collect_into=combined
            ):
                break
            done.append(entry)
        if not done:
            return 0
        combined.tracking = Tracking(source, done[-1]["position"])
        app = self.inbox.event_sourced.app
        assert app is not None
        try:
            recordings = app._record(combined)  # the library's own unit of work
        except IntegrityError as e:
            if self.inbox.tracked(source) >= done[-1]["position"]:
                raise  # another processor moved tracking: forget and start again
            log.info(
                "%d entries of %s from %d conflicted in one transaction (%s);"
                " applying them one at a time", len(done), source, done[0]["position"], e,
            )  # fmt: skip
            self.singly_through[source] = done[-1]["position"]
            return 0
        app._take_snapshots(combined)
        app._notify(recordings)
        self.positions[source] = done[-1]["position"]
        each = (time.monotonic() - started) / len(done)
        for entry in done:
            metrics.APPLIED.labels(self.inbox.service, source, entry["envelope"]["type"]).inc()
            metrics.HANDLER_SECONDS.labels(self.inbox.service, source).observe(each)
        return len(done)

    def apply(self, source: str, entry: dict[str, Any]) -> None:
        envelope = entry["envelope"]
        handler = self.inbox.handler_for(source, envelope["type"])
        started = time.monotonic()
        if handler is None:
            self.inbox.record_tracking(source, entry["position"])
        else:
            error = None
            for attempt in range(1, self.MAX_ATTEMPTS + 1):
                error = self.run_handler(handler, envelope)
                if error is None:
                    break
                metrics.HANDLER_FAILURES.labels(self.inbox.service, source, envelope["type"]).inc()
                if attempt < self.MAX_ATTEMPTS:
                    self.stopped.wait(_backoff(attempt, cap=5.0))
            if error is not None:
                self.park(source, entry, error)
                self.positions[source] = entry["position"]
                return
        self.positions[source] = entry["position"]
        metrics.APPLIED.labels(self.inbox.service, source, envelope["type"]).inc()
        metrics.HANDLER_SECONDS.labels(self.inbox.service, source).observe(
            time.monotonic() - started
        )

    def run_handler(
        self,
        handler: Entrypoint,
        envelope: dict[str, Any],
        *,
        replay: bool = False,
        collect_into: ProcessingEvent[Any] | None = None,
    ) -> BaseException | None:
        """Run the handler as a nameko worker; commit what it saved with the
        entry's tracking record (without, when replaying a parked entry), or
        add it to ``collect_into`` for the caller to commit."""
        outcome: list[BaseException | None] = []
        finished = threading.Event()
        provider = self.inbox.event_sourced

        def commit(worker_ctx: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
            if exc_info is None:
                unit = provider.take_unit(worker_ctx)
                try:
                    if collect_into is not None:
                        if unit is not None:
                            pending = unit.processing_event
                            collect_into.collect_events(*pending.events)
                            collect_into.aggregates.update(pending.aggregates)
                    elif unit is None:
                        self.inbox.record_tracking(envelope["source"], envelope["position"])
                    else:
                        unit.commit()
                except IntegrityError as e:
                    if replay or self.inbox.tracked(envelope["source"]) < envelope["position"]:
                        exc_info = (type(e), e, e.__traceback__)  # a real conflict: retry
                    # else another processor applied it already: nothing to do
                except Exception as e:  # reported as the handler's failure
                    exc_info = (type(e), e, e.__traceback__)
            outcome.append(exc_info[1] if exc_info else None)
            finished.set()
            return result, exc_info

        context = {
            TRACKING_KEY: (
                envelope["source"],
                None if replay or collect_into is not None else envelope["position"],
            ),
            CORRELATION_KEY: envelope["correlation_id"],
            CAUSATION_KEY: envelope["id"],
        }
        self.inbox.container.spawn_worker(
            handler, (envelope,), {}, context_data=context, handle_result=commit
        )
        # A worker that outlives this is treated as failed; if it commits
        # later, the retry's tracking record finds the entry applied.
        if not finished.wait(self.HANDLER_TIMEOUT):
            return TimeoutError(f"the handler ran for more than {self.HANDLER_TIMEOUT:g} s")
        return outcome[0]

    def park(self, source: str, entry: dict[str, Any], error: BaseException) -> None:
        envelope = entry["envelope"]
        text = f"{type(error).__name__}: {error}"
        log.error("parking %s %s at %s:%d after %d attempts: %s", envelope["type"], envelope["id"],
                  source, entry["position"], self.MAX_ATTEMPTS, text)  # fmt: skip
        self.inbox.mark(entry, PARKED, error=text)
        self.inbox.dead_letters.send(
            json.dumps(envelope), "handler_failed", text, event_type=envelope["type"],
            source=source, position=entry["position"],
        )  # fmt: skip
        self.inbox.record_tracking(source, entry["position"])
        metrics.PARKED.labels(self.inbox.service, source, envelope["type"]).inc()


class Inbox(SharedExtension, ProviderCollector):  # type: ignore[misc]
    """One per service container: receivers per source, and the processor."""

    NEAR = 1000  # log positions looked at first for the next pending entry

    def __init__(self) -> None:
        super().__init__()
        self.wakeup = threading.Event()
        self.receivers: dict[str, Receiver] = {}
        self.processor: Processor | None = None
        self.entries: Any = None  # the service's inbox collection, once started
        self._lag_reported_at: dict[str, float] = {}
        # Entries this replica's receivers wrote, per source, for the processor
        # (if this replica holds its lease) to apply without reading them back.
        self.arrivals: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        self.overflowed: set[str] = set()

    def setup(self) -> None:
        self.service = self.container.service_name
        self.amqp_uri = self.container.config["AMQP_URI"]
        providers = [d for d in self.container.dependencies if isinstance(d, EventSourced)]
        if len(providers) != 1:
            msg = f"{self.service}: @subscribe needs one EventSourced dependency on the service"
            raise TypeError(msg)
        self.event_sourced: EventSourced = providers[0]
        self.dead_letters = DeadLetters(self.service, self.amqp_uri)
        seen: dict[tuple[str, str], str] = {}
        for provider in self._providers:
            key = (provider.source, provider.event_type)
            if key in seen:
                msg = (
                    f"{self.service}: {key[0]}.{key[1]} is handled by both {seen[key]} "
                    f"and {provider.method_name}"
                )
                raise TypeError(msg)
            seen[key] = provider.method_name

    def start(self) -> None:
        # Every extension is set up before any starts; the store is ready now.
        self.entries = self.event_sourced.database["inbox"]
        self.entries.create_index(
            [("source", 1), ("position", 1)], unique=True, name="source_position"
        )
        for source in self.sources():
            receiver = self.receivers[source] = Receiver(self, source)
            self.container.spawn_managed_thread(receiver.run, identifier=f"pawline.inbox.{source}")
        self.processor = Processor(self, Lease(self.event_sourced.database["leases"], "processor"))
        self.container.spawn_managed_thread(self.processor.run, identifier="pawline.processor")

    def stop(self) -> None:
        for receiver in self.receivers.values():
            receiver.stopped.set()
        if self.processor is not None:
            self.processor.stopped.set()
        self.wakeup.set()
        self.dead_letters.close()
        super().stop()

    def kill(self) -> None:
        self.stop()

    def unregister_provider(self, provider: Any) -> None:
        # The entrypoints stop first: stop taking in and applying at once,
        # before the service's dependencies go away under the processor.
        for receiver in self.receivers.values():
            receiver.stopped.set()
        if self.processor is not None:
            self.processor.stopped.set()
        self.wakeup.set()
        super().unregister_provider(provider)

    def sources(self) -> list[str]:
        return sorted({p.source for p in self._providers})

    def handler_for(self, source: str, event_type: str) -> Entrypoint | None:
        for provider in self._providers:
            if provider.source == source and provider.event_type == event_type:
                return provider
        return None

    # --- the inbox collection ------------------------------------------------------

    def tracked(self, source: str) -> int:
        app = self.event_sourced.app
        assert app is not None
        return app.process_recorder.max_tracking_id(source) or 0  # type: ignore[attr-defined]

    def receive_many(
        self, entries: list[tuple[dict[str, Any], int | None]]
    ) -> list[dict[str, Any]]:
        """Store entries in one write; return those that were new. Entries are
        kept once applied, so the unique index alone drops duplicates. An
        entry has no state while pending or applied (it is applied once the
        source's tracking passes its position); a parked one says so."""
        now = datetime.now(UTC)
        docs = [
            {
                "source": envelope["source"],
                "position": envelope["position"],
                "type": envelope["type"],
                "envelope": envelope,
                "after": after,
                "received_at": now,
            }
            for envelope, after in entries
        ]
        duplicates: set[int] = set()
        try:
            self.entries.insert_many(docs, ordered=False)
        except BulkWriteError as e:
            errors = e.details.get("writeErrors", [])
            if any(error.get("code") != DUPLICATE_KEY for error in errors) or not errors:
                raise
            duplicates = {error["index"] for error in errors}
        new = []
        for index, doc in enumerate(docs):
            if index in duplicates:
                metrics.DUPLICATES.labels(self.service, doc["source"]).inc()
            else:
                metrics.RECEIVED.labels(self.service, doc["source"], doc["type"]).inc()
                new.append(doc)
        return new

    MAX_ARRIVALS = 2000  # entries kept in memory per source; past that, read from the store

    def hand_over(self, source: str, entries: list[dict[str, Any]]) -> None:
        """Give what a receiver wrote to this replica's processor, if it is the
        active one, and wake it."""
        processor = self.processor
        if entries and processor is not None and processor.lease.held:
            arrivals = self.arrivals[source]
            if len(arrivals) + len(entries) > self.MAX_ARRIVALS:
                self.overflowed.add(source)  # the processor reads them from the store
            else:
                arrivals.extend(entries)
        self.wakeup.set()

    def take_arrivals(self, source: str) -> tuple[list[dict[str, Any]], bool]:
        """What receivers handed over since last asked, and whether some were
        left in the store only."""
        arrived = self.arrivals.pop(source, [])
        overflowed = source in self.overflowed
        self.overflowed.discard(source)
        return arrived, overflowed

    def record_tracking(self, source: str, position: int) -> None:
        app = self.event_sourced.app
        assert app is not None
        try:
            app.process_recorder.insert_events([], tracking=Tracking(source, position))
        except IntegrityError:
            if self.tracked(source) < position:
                raise

    def mark(self, entry: dict[str, Any], state: str, error: str | None = None) -> None:
        update: dict[str, Any] = {"state": state, "done_at": datetime.now(UTC)}
        if error is not None:
            update["error"] = error
        self.entries.update_one({"_id": entry["_id"]}, {"$set": update})

    def replay_parked(self, source: str | None = None) -> dict[str, Any]:
        """Apply parked entries again, after their handler was fixed.

        The source's stream has moved on past them, so each runs out of order
        and without tracking; an entry is claimed first (parked -> replaying)
        so two replays never apply it twice. One that fails again stays
        parked with its new error."""
        assert self.processor is not None
        query: dict[str, Any] = {"state": PARKED}
        if source is not None:
            query["source"] = source
        replayed, failed = [], []
        for entry in list(self.entries.find(query, sort=[("source", 1), ("position", 1)])):
            claimed = self.entries.find_one_and_update(
                {"_id": entry["_id"], "state": PARKED}, {"$set": {"state": "replaying"}}
            )
            if claimed is None:
                continue  # another replay took it
            envelope = entry["envelope"]
            handler = self.handler_for(entry["source"], envelope["type"])
            error = (
                LookupError(f"no handler for {entry['source']}.{envelope['type']} any more")
                if handler is None
                else self.processor.run_handler(handler, envelope, replay=True)
            )
            where = {"source": entry["source"], "position": entry["position"], "id": envelope["id"]}
            if error is None:
                self.entries.update_one(
                    {"_id": entry["_id"]},
                    {"$set": {"state": APPLIED, "done_at": datetime.now(UTC), "replayed": True}},
                )
                replayed.append(where)
            else:
                self.mark(entry, PARKED, error=f"{type(error).__name__}: {error}")
                failed.append({**where, "error": f"{type(error).__name__}: {error}"})
        return {"replayed": replayed, "still_parked": failed}

    def pending(self, source: str, tracked: int, limit: int) -> list[dict[str, Any]]:
        """The entries of ``source`` after ``tracked`` (not applied yet), lowest first."""
        # A bounded window first: some stores (SecantusDB) read every match of
        # an open-ended range before sorting, and the next entries are nearly
        # always close to the tracked position.
        for upper in (tracked + self.NEAR, None):
            position: dict[str, int] = {"$gt": tracked}
            if upper is not None:
                position["$lte"] = upper
            entries = list(
                self.entries.find(
                    {"source": source, "position": position},
                    sort=[("position", 1)],
                    limit=limit,
                    batch_size=limit,
                )
            )
            if entries:
                return entries
        return []

    def report_lag(self, source: str, tracked: int) -> None:
        """Count the entries not applied yet, at most once a second."""
        now = time.monotonic()
        if now - self._lag_reported_at.get(source, 0.0) < 1.0:
            return
        self._lag_reported_at[source] = now
        after = {"source": source, "position": {"$gt": tracked}}
        metrics.INBOX_LAG.labels(self.service, source).set(self.entries.count_documents(after))
        oldest = self.entries.find_one(after, {"received_at": 1}, sort=[("position", 1)])
        waited = 0.0
        if oldest is not None:
            since = oldest["received_at"].replace(tzinfo=UTC)
            waited = (datetime.now(UTC) - since).total_seconds()
        metrics.INBOX_LAG_SECONDS.labels(self.service, source).set(waited)


class Subscription(Entrypoint):  # type: ignore[misc]
    """The entrypoint behind ``@subscribe``."""

    pawline_metrics = True  # the processor measures these workers

    inbox = Inbox()

    def __init__(self, source: str, event_type: str, **kwargs: Any) -> None:
        self.source = source
        self.event_type = event_type
        super().__init__(**kwargs)

    def setup(self) -> None:
        if self.event_type not in contracts.types_of(self.source):
            msg = f"{self.source} publishes no {self.event_type!r} (see pawline.contracts)"
            raise TypeError(msg)
        self.inbox.register_provider(self)

    def stop(self) -> None:
        self.inbox.unregister_provider(self)


subscribe = Subscription.decorator
"""``@subscribe("booking", "TicketClosed")``: apply each such event once, in
order, with what the method saves. The method receives the envelope (a dict)."""

__all__ = [
    "Inbox",
    "Processor",
    "Receiver",
    "Subscription",
    "dead_letter_queue",
    "inbox_queue",
    "subscribe",
]
