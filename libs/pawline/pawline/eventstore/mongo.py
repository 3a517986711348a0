"""MongoDB persistence module for the ``eventsourcing`` library.

Select it with ``PERSISTENCE_MODULE=pawline.eventstore.mongo``. Settings come
from the environment (each may be prefixed with the application's name, as the
library does for its own modules, e.g. ``BOOKING_MONGO_DATABASE``):

``MONGO_URI``
    where the store is (default ``mongodb://127.0.0.1:27017``). A real MongoDB
    must be a replica set (transactions need one); a single-node replica set is
    enough.
``MONGO_DATABASE``
    the database this application owns (default ``pawline``).
``MONGO_TIMEOUT``
    seconds any one recorder call may take, retries included, before it fails
    with :class:`eventsourcing.persistence.OperationalError` (default ``5``).
``CREATE_TABLE``
    create the collections' indexes on start (default ``yes``).

How records are laid out, per application (``<prefix>`` is the application's
name in lower case, or ``stored``):

- ``<prefix>_events``: one document per stored event, with its notification
  id (its position in the application's log) under a unique index, and a
  unique index on ``(originator_id, originator_version)`` that makes a
  concurrent writer to the same stream lose with :class:`IntegrityError`.
- ``<prefix>_tracking``: one document per upstream application, holding the
  highest notification id processed from it; it only moves forward.
- ``<prefix>_<purpose>`` for plain aggregate recorders (e.g. snapshots).

Why notification ids are gapless and in commit order: a writer numbers its
events from the highest id it has seen committed, and the ``_id`` index lets
only one writer take each id. A writer can only know id ``N - 1`` once it is
committed, so id ``N`` never becomes visible before every id below it: a
reader following the log never skips an event that commits late. Log reads
are bounded index windows (the ids being gapless, ``limit`` notifications
after ``start`` are exactly ``start+1 .. start+limit``). Events,
their ids and a tracking record of one ``insert_events()`` commit in one
transaction (a lone event without tracking is a single-document insert,
atomic by itself).

Views kept in the same transaction: ``insert_events(..., view_writes={name:
[operations]})`` also runs pymongo bulk-write operations (``ReplaceOne``,
``UpdateOne`` ...) on other collections of the application's database, in the
transaction that records the events, so a read model can be exactly as new
as the events it is derived from (no second write, no processor). If one of
them fails (a duplicate key: :class:`IntegrityError`), the events are not
recorded either.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import random
import threading
import time
import uuid
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import pymongo
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    DatabaseError,
    InfrastructureFactory,
    IntegrityError,
    Notification,
    OperationalError,
    ProcessRecorder,
    ProgrammingError,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.utils import Environment, EnvType, resolve_topic, strtobool
from pymongo import MongoClient, ReadPreference
from pymongo.errors import (
    BulkWriteError,
    ConfigurationError,
    DuplicateKeyError,
    InvalidURI,
    PyMongoError,
)
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern
from typing_extensions import TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from uuid import UUID

    from pymongo.client_session import ClientSession
    from pymongo.collection import Collection
    from pymongo.operations import (
        DeleteMany,
        DeleteOne,
        InsertOne,
        ReplaceOne,
        UpdateMany,
        UpdateOne,
    )

    ViewWrite = InsertOne[Any] | ReplaceOne[Any] | UpdateOne | UpdateMany | DeleteOne | DeleteMany
    """One write to a view, run in the transaction that records the events."""

__all__ = [
    "MongoAggregateRecorder",
    "MongoApplicationRecorder",
    "MongoDatastore",
    "MongoFactory",
    "MongoProcessRecorder",
    "MongoSubscription",
    "MongoTrackingRecorder",
]

DEFAULT_URI = "mongodb://127.0.0.1:27017"
DEFAULT_DATABASE = "pawline"
DEFAULT_TIMEOUT = 5.0

DUPLICATE_KEY = 11000
_T = TypeVar("_T")


class MongoDatastore:
    """One MongoDB client and database, shared by an application's recorders.

    Every recorder call runs inside :meth:`bounded`, which gives it one
    deadline for everything it does (server selection, each round trip, each
    retry) and turns driver errors into the library's exception types.
    """

    def __init__(
        self,
        uri: str = DEFAULT_URI,
        database: str = DEFAULT_DATABASE,
        timeout: float = DEFAULT_TIMEOUT,
        app_name: str = "pawline",
    ) -> None:
        if timeout <= 0:
            msg = f"MONGO_TIMEOUT must be a positive number of seconds, got {timeout!r}"
            raise ValueError(msg)
        self.timeout = timeout
        self.database_name = database
        timeout_ms = int(timeout * 1000)
        try:
            self.client: MongoClient[dict[str, Any]] = MongoClient(
                uri,
                uuidRepresentation="standard",
                serverSelectionTimeoutMS=timeout_ms,
                connectTimeoutMS=timeout_ms,
                appname=app_name,
                read_preference=ReadPreference.PRIMARY,
                connect=False,
            )
        except (InvalidURI, ConfigurationError) as e:
            msg = f"MONGO_URI is not a usable MongoDB connection string: {e}"
            raise ValueError(msg) from e
        self.db = self.client.get_database(database, write_concern=WriteConcern("majority"))
        self._address = uri.rsplit("@", maxsplit=1)[-1]  # never show credentials

    @contextmanager
    def bounded(self, what: str) -> Iterator[None]:
        """Run the block within the store timeout; translate driver errors."""
        try:
            with pymongo.timeout(self.timeout):
                yield
        except (DuplicateKeyError, BulkWriteError) as e:
            raise IntegrityError(f"{what}: {_duplicate_message(e)}") from e
        except PyMongoError as e:
            if e.timeout or _is_unreachable(e):
                msg = (
                    f"MongoDB store ({self._address}, database "
                    f"{self.database_name!r}) did not answer within "
                    f"{self.timeout:g} s while {what} (bound set by MONGO_TIMEOUT): {e}"
                )
                raise OperationalError(msg) from e
            msg = f"MongoDB store refused {what}: {e}"
            raise DatabaseError(msg) from e

    def transaction(self, body: Callable[[ClientSession], _T]) -> _T:
        """Run ``body`` in one transaction, retrying transient conflicts.

        Must be called inside :meth:`bounded`: retries stop at its deadline,
        never pymongo's two-minute ``with_transaction`` limit.
        """
        attempt = 0
        while True:
            attempt += 1
            with self.client.start_session() as session:
                session.start_transaction(
                    read_concern=ReadConcern("snapshot"),
                    write_concern=WriteConcern("majority"),
                )
                try:
                    result = body(session)
                    self._commit(session)
                except PyMongoError as e:
                    if session.in_transaction:
                        with contextlib.suppress(PyMongoError):
                            session.abort_transaction()
                    if not e.timeout and e.has_error_label("TransientTransactionError"):
                        _backoff(attempt)
                        continue
                    raise
                return result

    @staticmethod
    def _commit(session: ClientSession) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                session.commit_transaction()
            except PyMongoError as e:
                if not e.timeout and e.has_error_label("UnknownTransactionCommitResult"):
                    _backoff(attempt)
                    continue
                raise
            return

    def close(self) -> None:
        self.client.close()


def _backoff(attempt: int) -> None:
    """Sleep a little before retrying a conflict; jitter breaks lockstep."""
    time.sleep(random.uniform(0, min(0.001 * 2**attempt, 0.05)))  # noqa: S311


def _is_unreachable(e: PyMongoError) -> bool:
    return isinstance(e, pymongo.errors.ConnectionFailure)


def _duplicate_message(e: PyMongoError) -> str:
    details = getattr(e, "details", None) or {}
    errors = details.get("writeErrors") or [details]
    key = errors[0].get("keyValue") if errors else None
    return f"a record with the same key already exists ({key})" if key else str(e)


def _is_duplicate_of(e: PyMongoError, key: str) -> bool:
    """Whether ``e`` is a duplicate-key error on the index over ``key``."""
    details = getattr(e, "details", None) or {}
    errors = details.get("writeErrors") or [details]
    return any(
        err.get("code") == DUPLICATE_KEY and list(err.get("keyPattern", {})) == [key]
        for err in errors
    )


class MongoRecorder:
    """Base class of the recorders: a datastore and a way to create indexes."""

    def __init__(self, datastore: MongoDatastore) -> None:
        self.datastore = datastore

    def create_table(self) -> None:
        """Create the collections' indexes (the library calls them tables)."""


class MongoAggregateRecorder(MongoRecorder, AggregateRecorder):
    """Stores events in aggregate sequences (used for snapshots too)."""

    def __init__(
        self, datastore: MongoDatastore, events_collection_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore)
        self.events_collection_name = events_collection_name
        self.events: Collection[dict[str, Any]] = datastore.db[events_collection_name]

    def create_table(self) -> None:
        with self.datastore.bounded(f"creating indexes of {self.events.name}"):
            self.events.create_index(
                [("originator_id", 1), ("originator_version", 1)],
                unique=True,
                name="originator_id_version",
            )

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return None
        docs = [_event_doc(s) for s in stored_events]
        with self.datastore.bounded(f"recording {_count(docs)}"):
            if len(docs) == 1:
                self.events.insert_one(docs[0])
            else:
                self.datastore.transaction(
                    lambda session: self.events.insert_many(docs, session=session)
                )
        return None

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        query: dict[str, Any] = {"originator_id": originator_id}
        version: dict[str, int] = {}
        if gt is not None:
            version["$gt"] = gt
        if lte is not None:
            version["$lte"] = lte
        if version:
            query["originator_version"] = version
        with self.datastore.bounded(f"reading the events of {originator_id}"):
            cursor = self.events.find(
                query, {"_id": 0}, sort=[("originator_version", -1 if desc else 1)]
            )
            if limit is not None:
                cursor = cursor.limit(limit)
            return [
                StoredEvent(
                    originator_id=d["originator_id"],
                    originator_version=d["originator_version"],
                    topic=d["topic"],
                    state=d["state"],
                )
                for d in cursor
            ]


def _event_doc(s: StoredEvent) -> dict[str, Any]:
    return {
        "originator_id": s.originator_id,
        "originator_version": s.originator_version,
        "topic": s.topic,
        "state": s.state,
    }


def _notification(d: dict[str, Any]) -> Notification:
    return Notification(
        id=d["notification_id"],
        originator_id=d["originator_id"],
        originator_version=d["originator_version"],
        topic=d["topic"],
        state=d["state"],
    )


def _count(items: Sequence[Any]) -> str:
    return f"{len(items)} event" + ("" if len(items) == 1 else "s")


class _Write:
    """One ``insert_events`` call, queued until a writer records it."""

    def __init__(
        self,
        stored_events: Sequence[StoredEvent],
        tracking: Tracking | None,
        metadata: Sequence[dict[str, Any]] | None,
        view_writes: Mapping[str, Sequence[ViewWrite]] | None = None,
    ) -> None:
        self.stored_events = stored_events
        self.tracking = tracking
        self.metadata = metadata
        self.view_writes = view_writes or {}
        self.ids: list[int] = []
        self.error: BaseException | None = None
        self.done = threading.Event()

    @property
    def what(self) -> str:
        what = f"recording {_count(self.stored_events)}"
        if self.tracking is not None:
            what += f" with tracking of {self.tracking.application_name}"
        return what


class MongoApplicationRecorder(MongoAggregateRecorder, ApplicationRecorder):
    """Stores events in aggregate sequences and in the application's log."""

    GROUP_EVENTS = 500  # events written together at most, when writers queue up

    def __init__(
        self, datastore: MongoDatastore, events_collection_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_collection_name)
        # One writer at a time in this process: concurrent writers would only
        # fight over the same next ids. Other processes are kept out by the
        # unique index. Under eventlet's monkey patching this lock is green.
        # Writes queue up while one is written, and the next writer writes
        # them all at once (group commit).
        self._writing = threading.Lock()
        self._queued: collections.deque[_Write] = collections.deque()
        self._recent: collections.OrderedDict[int, tuple[Notification, dict[str, Any]]] = (
            collections.OrderedDict()
        )
        # Which process wrote an event: its log watcher wakes only on others'
        # writes (its own wake listeners at once).
        self.writer = uuid.uuid4().hex[:12]
        self._known_max = 0  # the highest notification id known committed
        self._known_max_is_fresh = False
        self._listeners: set[threading.Event] = set()
        self._listeners_lock = threading.Lock()

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.bounded(f"creating indexes of {self.events.name}"):
            self.events.create_index("notification_id", unique=True, name="notification_id")

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Record events under the next notification ids (and ``tracking``).

        ``metadata``, if given, is a list with one JSON-native dict per event
        (e.g. business and correlation ids), kept beside the event and read
        back by :meth:`select_records`.

        ``view_writes``, if given, maps collection names of this database to
        pymongo write operations, run in the same transaction as the events
        (see the module's docstring).
        """
        tracking: Tracking | None = kwargs.get("tracking")
        metadata: Sequence[dict[str, Any]] | None = kwargs.get("metadata")
        view_writes: Mapping[str, Sequence[ViewWrite]] | None = kwargs.get("view_writes")
        if metadata is not None and len(metadata) != len(stored_events):
            msg = f"metadata has {len(metadata)} entries for {len(stored_events)} events"
            raise ProgrammingError(msg)
        if view_writes and not stored_events:
            msg = "view_writes without events: views change only with the events they derive from"
            raise ProgrammingError(msg)
        write = _Write(stored_events, tracking, metadata, view_writes)
        self._queued.append(write)
        # Group commit: one writer at a time writes everything queued by then
        # in one transaction, and goes on until the queue is empty; the
        # others wait for theirs to be done. Whoever finds the queue non-empty
        # after releasing the lock tries to take it again, so nothing queued
        # is left behind.
        while self._queued and self._writing.acquire(blocking=False):
            try:
                while self._queued:
                    self._write_queued()
            finally:
                self._writing.release()
        if not write.done.wait(timeout=self.datastore.timeout):
            try:
                self._queued.remove(write)
            except ValueError:  # being written: that call is bounded by the same timeout
                write.done.wait(timeout=self.datastore.timeout)
            else:
                msg = (
                    f"{write.what}: other writers in this process held the store for more "
                    f"than {self.datastore.timeout:g} s (bound set by MONGO_TIMEOUT)"
                )
                raise OperationalError(msg)
        if not write.done.is_set():
            msg = f"{write.what}: no outcome within {2 * self.datastore.timeout:g} s"
            raise OperationalError(msg)
        if write.error is not None:
            raise write.error
        if write.ids:
            self._notify_listeners()
        return write.ids

    def _write_queued(self) -> None:
        """Write what is queued (up to GROUP_EVENTS events) in one transaction."""
        group: list[_Write] = []
        events = 0
        while self._queued and (
            not group or events + len(self._queued[0].stored_events) <= self.GROUP_EVENTS
        ):
            group.append(self._queued.popleft())
            events += len(group[-1].stored_events)
        self._write_group(group)

    def _write_group(self, group: list[_Write]) -> None:
        """Write a group in one transaction; if one of them conflicts, write
        each half on its own, down to single writes, which fail alone."""
        try:
            self._write_together(group)
        except IntegrityError as e:
            if len(group) == 1:
                group[0].error = e
                group[0].done.set()
                return
            middle = len(group) // 2
            self._write_group(group[:middle])
            self._write_group(group[middle:])

    def _write_together(self, group: list[_Write]) -> None:
        """One transaction for the group; a conflict is raised (IntegrityError)
        for the caller to split the group, any other error is each writer's."""
        stored = [s for write in group for s in write.stored_events]
        metadata = [
            meta
            for write in group
            for meta in (write.metadata or [{} for _ in write.stored_events])
        ]
        trackings = [write.tracking for write in group if write.tracking is not None]
        view_writes: dict[str, list[ViewWrite]] = {}
        for write in group:  # in the order the writers came
            for name, operations in write.view_writes.items():
                view_writes.setdefault(name, []).extend(operations)
        what = f"recording {_count(stored)} of {len(group)} writers"
        if len(group) == 1:
            what = group[0].what
        try:
            with self.datastore.bounded(what):
                ids = self._insert_numbered(stored, trackings, metadata, view_writes)
        except IntegrityError:
            raise
        except Exception as e:  # each writer raises it
            for write in group:
                write.error = e
                write.done.set()
            return
        for write in group:
            write.ids, ids = ids[: len(write.stored_events)], ids[len(write.stored_events) :]
            write.done.set()

    def _insert_numbered(
        self,
        stored_events: Sequence[StoredEvent],
        trackings: Sequence[Tracking],
        metadata: Sequence[dict[str, Any]] | None,
        view_writes: Mapping[str, Sequence[ViewWrite]] | None = None,
    ) -> list[int]:
        """Insert the events under the next free notification ids (and the
        tracking records and view writes, in the same transaction).

        Another process may have taken those ids since we last wrote: then
        the unique index refuses ours, and we find the new maximum and retry.
        """
        attempt = 0
        while True:
            attempt += 1
            if not self._known_max_is_fresh:
                self._read_max()
            first = self._known_max + 1
            docs = [
                {"notification_id": first + i, **_event_doc(s), "writer": self.writer}
                for i, s in enumerate(stored_events)
            ]
            if metadata is not None:
                for doc, meta in zip(docs, metadata, strict=True):
                    doc["metadata"] = meta
            try:
                if not trackings and not view_writes and len(docs) == 1:
                    self.events.insert_one(docs[0])
                elif len(trackings) == 1 and not docs:
                    self._record_tracking(trackings[0], session=None)
                else:
                    self.datastore.transaction(
                        functools.partial(self._insert_docs, docs, trackings, view_writes or {})
                    )
            except (DuplicateKeyError, BulkWriteError) as e:
                self._known_max_is_fresh = False
                if _is_duplicate_of(e, "notification_id"):
                    _backoff(attempt)
                    continue
                raise
            except PyMongoError:
                self._known_max_is_fresh = False
                raise
            self._known_max += len(docs)
            self._remember(docs)
            return [d["notification_id"] for d in docs]

    RECENT = 2000  # records this process wrote, kept for its relay to read without the store

    def _remember(self, docs: list[dict[str, Any]]) -> None:
        for doc in docs:
            self._recent[doc["notification_id"]] = (_notification(doc), doc.get("metadata") or {})
        while len(self._recent) > self.RECENT:
            self._recent.popitem(last=False)  # the oldest

    def recent_records(
        self, after: int, limit: int
    ) -> list[tuple[Notification, dict[str, Any]]] | None:
        """The records after ``after`` that this process wrote itself and still
        remembers, as :meth:`select_records` would read them, as far as they
        run without a gap; None if the next one is not among them (another
        process wrote it, it was forgotten, or there is none yet)."""
        records: list[tuple[Notification, dict[str, Any]]] = []
        position = after + 1
        while len(records) < limit and (record := self._recent.get(position)) is not None:
            records.append(record)
            position += 1
        return records or None

    def _insert_docs(
        self,
        docs: list[dict[str, Any]],
        trackings: Sequence[Tracking],
        view_writes: Mapping[str, Sequence[ViewWrite]],
        session: ClientSession,
    ) -> None:
        for tracking in trackings:
            self._record_tracking(tracking, session)
        if docs:
            self.events.insert_many(docs, session=session)
        for name, operations in view_writes.items():
            if operations:
                self.datastore.db[name].bulk_write(list(operations), session=session)

    def _record_tracking(self, tracking: Tracking, session: ClientSession | None) -> None:
        msg = "this recorder keeps no tracking records"
        raise ProgrammingError(msg)

    def _exists(self, notification_id: int) -> bool:
        return notification_id <= 0 or (
            self.events.find_one({"notification_id": notification_id}, {"_id": 1}) is not None
        )

    def _read_max(self) -> int:
        """Find the highest committed notification id.

        Ids are gapless, so the committed ones are always 1..max: gallop up
        from the last id we knew with point lookups, then bisect. That is
        O(log n) index lookups on any store, where an open-ended sort may
        scan the whole collection on some servers.
        """
        low, step = self._known_max, 1  # low exists; ids only ever get added
        while self._exists(low + step):
            low += step
            step *= 2
        high = low + step  # did not exist when looked at
        while high - low > 1:
            middle = (low + high) // 2
            if self._exists(middle):
                low = middle
            else:
                high = middle
        self._known_max, self._known_max_is_fresh = low, True
        return low

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        low = 1 if start is None else (start if inclusive_of_start else start + 1)
        low = max(low, 1)
        with self.datastore.bounded(f"reading the notification log from {low}"):
            if not topics:
                # Gapless ids: the next `limit` notifications are exactly the
                # window [low, low + limit - 1], a bounded index range.
                high = low + limit - 1 if stop is None else min(low + limit - 1, stop)
                return self._select_window(low, high, (), limit)
            last = self._read_max() if stop is None else min(stop, self._read_max())
            found: list[Notification] = []
            while low <= last and len(found) < limit:
                high = min(low + max(limit, 500) - 1, last)
                found += self._select_window(low, high, topics, limit - len(found))
                low = high + 1
            return found

    def select_records(self, after: int, limit: int) -> list[tuple[Notification, dict[str, Any]]]:
        """The next ``limit`` notifications after ``after``, each with the
        metadata it was recorded with (``{}`` if none)."""
        low = max(after + 1, 1)
        with self.datastore.bounded(f"reading the notification log from {low}"):
            docs = self._find_window(low, low + limit - 1, (), limit)
            return [(_notification(d), d.get("metadata") or {}) for d in docs]

    def _select_window(
        self, low: int, high: int, topics: Sequence[str], limit: int
    ) -> list[Notification]:
        return [_notification(d) for d in self._find_window(low, high, topics, limit)]

    def _find_window(
        self, low: int, high: int, topics: Sequence[str], limit: int
    ) -> list[dict[str, Any]]:
        if high < low or limit <= 0:
            return []
        query: dict[str, Any] = {"notification_id": {"$gte": low, "$lte": high}}
        if topics:
            query["topic"] = {"$in": list(topics)}
        # One round trip: the whole window in the first batch.
        return list(
            self.events.find(
                query, {"_id": 0}, sort=[("notification_id", 1)], limit=limit, batch_size=limit
            )
        )

    def max_notification_id(self) -> int | None:
        with self.datastore.bounded("reading the last notification id"):
            return self._read_max() or None

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return MongoSubscription(recorder=self, gt=gt, topics=topics)

    def listen(self, event: threading.Event) -> None:
        with self._listeners_lock:
            self._listeners.add(event)

    def unlisten(self, event: threading.Event) -> None:
        with self._listeners_lock:
            self._listeners.discard(event)

    def _notify_listeners(self) -> None:
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener.set()


class LogWatcher:
    """Sets ``wakeup`` whenever the log may have grown: at once for this
    process's own writes, through a change stream for other processes'
    writes (each event names the recorder that wrote it, so the stream
    leaves out this process's own and costs nothing while they flow). While
    no change stream can be had (store away, or not a replica set), it sets
    nothing: callers also wait with a timeout, and so poll."""

    def __init__(self, recorder: MongoApplicationRecorder, max_await: float = 0.25) -> None:
        self.recorder = recorder
        self.max_await = max_await
        self.wakeup = threading.Event()
        self._stopped = False
        recorder.listen(self.wakeup)
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        pipeline: list[dict[str, Any]] = [
            {
                "$match": {
                    "operationType": "insert",
                    "fullDocument.writer": {"$ne": self.recorder.writer},
                }
            },
            {"$project": {"_id": 1}},
        ]
        while not self._stopped:
            try:
                with self.recorder.events.watch(
                    pipeline, max_await_time_ms=int(self.max_await * 1000)
                ) as stream:
                    while not self._stopped and stream.alive:
                        if stream.try_next() is not None:
                            self.wakeup.set()
            except PyMongoError:
                time.sleep(self.max_await)

    def stop(self) -> None:
        self._stopped = True
        self.wakeup.set()
        self.recorder.unlisten(self.wakeup)
        self._thread.join(timeout=2 * self.max_await + 1)


class MongoSubscription(Subscription[MongoApplicationRecorder]):
    """Follows the notification log from a position, blocking for new events.

    Wakes at once on this process's own writes, on other processes' writes
    through a change stream, and polls as a fallback while no change stream
    is available. Reads happen in the iterating thread (no queue between
    threads), so it works the same under eventlet's monkey patching.
    """

    POLL_INTERVAL = 0.25
    BATCH_SIZE = 500

    def __init__(
        self,
        recorder: MongoApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._batch: collections.deque[Notification] = collections.deque()
        self._watcher = LogWatcher(recorder, self.POLL_INTERVAL)

    def __next__(self) -> Notification:
        while not self._has_been_stopped:
            if self._batch:
                notification = self._batch.popleft()
                self._last_notification_id = notification.id
                return notification
            self._watcher.wakeup.clear()
            self._batch.extend(
                self._recorder.select_notifications(
                    start=self._last_notification_id or 0,
                    limit=self.BATCH_SIZE,
                    topics=self._topics,
                    inclusive_of_start=False,
                )
            )
            if not self._batch:
                self._watcher.wakeup.wait(timeout=self.POLL_INTERVAL)
        raise StopIteration

    def stop(self) -> None:
        super().stop()
        self._watcher.stop()


class MongoTrackingRecorder(MongoRecorder, TrackingRecorder):
    """Records how far this application has processed each upstream log."""

    def __init__(
        self, datastore: MongoDatastore, tracking_collection_name: str = "notification_tracking"
    ) -> None:
        super().__init__(datastore)
        self.tracking_collection_name = tracking_collection_name
        self.tracking: Collection[dict[str, Any]] = datastore.db[tracking_collection_name]

    def insert_tracking(self, tracking: Tracking) -> None:
        with self.datastore.bounded(f"recording tracking of {tracking.application_name}"):
            self._record_tracking(tracking, session=None)

    def _record_tracking(self, tracking: Tracking, session: ClientSession | None) -> None:
        # Moves the position forward only: when it is already at or past this
        # notification, the filter matches nothing and the upsert collides
        # with the existing document's _id, which surfaces as IntegrityError.
        try:
            self.tracking.update_one(
                {
                    "_id": tracking.application_name,
                    "notification_id": {"$lt": tracking.notification_id},
                },
                {"$set": {"notification_id": tracking.notification_id}},
                upsert=True,
                session=session,
            )
        except DuplicateKeyError as e:
            msg = (
                f"tracking of {tracking.application_name} is already at or past "
                f"notification {tracking.notification_id}"
            )
            raise IntegrityError(msg) from e

    def max_tracking_id(self, application_name: str) -> int | None:
        with self.datastore.bounded(f"reading tracking of {application_name}"):
            doc = self.tracking.find_one({"_id": application_name})
        return int(doc["notification_id"]) if doc else None


class MongoProcessRecorder(MongoTrackingRecorder, MongoApplicationRecorder, ProcessRecorder):
    """Records new events and the upstream position they answer, atomically."""

    def __init__(
        self,
        datastore: MongoDatastore,
        events_collection_name: str = "stored_events",
        tracking_collection_name: str = "notification_tracking",
    ) -> None:
        MongoTrackingRecorder.__init__(self, datastore, tracking_collection_name)
        MongoApplicationRecorder.__init__(self, datastore, events_collection_name)

    def create_table(self) -> None:
        MongoApplicationRecorder.create_table(self)


_R = TypeVar("_R", bound=MongoRecorder)
TMongoTrackingRecorder = TypeVar(
    "TMongoTrackingRecorder", bound=MongoTrackingRecorder, default=MongoTrackingRecorder
)


class MongoFactory(InfrastructureFactory[MongoTrackingRecorder]):
    """Builds the MongoDB recorders of one application from its environment."""

    MONGO_URI = "MONGO_URI"
    MONGO_DATABASE = "MONGO_DATABASE"
    MONGO_TIMEOUT = "MONGO_TIMEOUT"
    CREATE_TABLE = "CREATE_TABLE"

    aggregate_recorder_class = MongoAggregateRecorder
    application_recorder_class = MongoApplicationRecorder
    tracking_recorder_class = MongoTrackingRecorder
    process_recorder_class = MongoProcessRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        timeout_text = self.env.get(self.MONGO_TIMEOUT) or str(DEFAULT_TIMEOUT)
        try:
            timeout = float(timeout_text)
        except ValueError:
            timeout = -1.0
        if not timeout > 0:
            msg = f"{self.MONGO_TIMEOUT} must be a positive number of seconds, got {timeout_text!r}"
            raise OSError(msg)
        self.datastore = MongoDatastore(
            uri=self.env.get(self.MONGO_URI) or DEFAULT_URI,
            database=self.env.get(self.MONGO_DATABASE) or DEFAULT_DATABASE,
            timeout=timeout,
            app_name=self.env.name or "pawline",
        )

    def env_create_table(self) -> bool:
        return bool(strtobool(self.env.get(self.CREATE_TABLE) or "yes"))

    def _prefix(self, default: str) -> str:
        return self.env.name.lower() or default

    def _maybe_create(self, recorder: MongoRecorder) -> None:
        if self.env_create_table():
            recorder.create_table()

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        recorder = type(self).aggregate_recorder_class(
            self.datastore, f"{self._prefix('stored')}_{purpose}"
        )
        self._maybe_create(recorder)
        return recorder

    def application_recorder(self) -> ApplicationRecorder:
        cls = self._resolve(self.APPLICATION_RECORDER_TOPIC, self.application_recorder_class)
        recorder = cls(self.datastore, f"{self._prefix('stored')}_events")
        self._maybe_create(recorder)
        return recorder

    def tracking_recorder(
        self, tracking_recorder_class: type[TMongoTrackingRecorder] | None = None
    ) -> TMongoTrackingRecorder:
        cls = tracking_recorder_class or cast(
            "type[TMongoTrackingRecorder]",
            self._resolve(self.TRACKING_RECORDER_TOPIC, self.tracking_recorder_class),
        )
        recorder = cls(self.datastore, f"{self._prefix('notification')}_tracking")
        self._maybe_create(recorder)
        return recorder

    def process_recorder(self) -> ProcessRecorder:
        cls = self._resolve(self.PROCESS_RECORDER_TOPIC, self.process_recorder_class)
        recorder = cls(
            self.datastore,
            f"{self._prefix('stored')}_events",
            f"{self._prefix('notification')}_tracking",
        )
        self._maybe_create(recorder)
        return recorder

    def _resolve(self, topic_key: str, default: type[_R]) -> type[_R]:
        topic = self.env.get(topic_key)
        if not topic:
            return default
        cls = resolve_topic(topic)
        if not (isinstance(cls, type) and issubclass(cls, default)):
            msg = f"{topic_key}={topic!r} is not a subclass of {default.__name__}"
            raise OSError(msg)
        return cls

    def close(self) -> None:
        self.datastore.close()


Factory = MongoFactory
