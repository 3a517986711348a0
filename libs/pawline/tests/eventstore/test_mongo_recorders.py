"""What the library's contract cases do not cover, and every service relies on:

- many eventlet green threads writing and following the log at once;
- several processes (separate clients) appending to one log: ids stay
  gapless and a follower never skips an event that commits late;
- a concurrent writer to one stream loses with IntegrityError, never overwrites;
- events and a tracking record commit together or not at all;
- events and the view writes given with them (``view_writes``) too, grouped
  writers included;
- the store down: calls fail within MONGO_TIMEOUT with a clear error, and work
  again once it is back;
- bad settings: a clear error naming the setting.

Runs against the store ``make test`` started (MONGO_URI), a fresh database
per test; the store-down tests start a store of their own to stop.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import eventlet
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import (
    IntegrityError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
    Tracking,
)
from pymongo import ReplaceOne, UpdateOne

from pawline.eventstore.mongo import (
    MongoApplicationRecorder,
    MongoDatastore,
    MongoFactory,
    MongoProcessRecorder,
)
from pawline.testing.embedded_store import EmbeddedStore, free_port


def stored(originator_id: UUID, version: int, topic: str = "topic") -> StoredEvent:
    return StoredEvent(
        originator_id=originator_id, originator_version=version, topic=topic, state=b"{}"
    )


@pytest.fixture
def datastore(mongo_uri: str, mongo_database: str) -> Iterator[MongoDatastore]:
    store = MongoDatastore(mongo_uri, mongo_database)
    yield store
    store.close()


@pytest.fixture
def recorder(datastore: MongoDatastore) -> MongoApplicationRecorder:
    recorder = MongoApplicationRecorder(datastore, "app_events")
    recorder.create_table()
    return recorder


def other_process_recorder(mongo_uri: str, database: str) -> MongoApplicationRecorder:
    """A recorder on a client of its own, as another replica's process has."""
    recorder = MongoApplicationRecorder(MongoDatastore(mongo_uri, database), "app_events")
    recorder.create_table()
    return recorder


def test_many_green_threads_write_and_read_at_once(recorder: MongoApplicationRecorder) -> None:
    writers, writes_each = 40, 5
    results: list[list[int]] = []

    def write(n: int) -> None:
        for _ in range(writes_each):
            ids = recorder.insert_events([stored(uuid4(), 1), stored(uuid4(), 1)])
            assert ids is not None
            results.append(list(ids))
            recorder.select_notifications(start=None, limit=5)

    pool = eventlet.GreenPool(writers)
    for n in range(writers):
        pool.spawn(write, n)
    pool.waitall()

    all_ids = sorted(i for ids in results for i in ids)
    assert all_ids == list(range(1, 2 * writers * writes_each + 1))
    for ids in results:  # the two events of one call are adjacent
        assert ids[1] == ids[0] + 1
    assert recorder.max_notification_id() == 2 * writers * writes_each


def test_several_processes_append_to_one_log_without_gaps(
    mongo_uri: str, mongo_database: str
) -> None:
    writers = [other_process_recorder(mongo_uri, mongo_database) for _ in range(3)]
    follower = other_process_recorder(mongo_uri, mongo_database)
    per_writer, batch = 15, 3
    written: set[tuple[UUID, int]] = set()

    def write(recorder: MongoApplicationRecorder) -> None:
        for _ in range(per_writer):
            events = [stored(uuid4(), 1) for _ in range(batch)]
            recorder.insert_events(events)
            written.update((e.originator_id, e.originator_version) for e in events)  # type: ignore[misc]

    seen: list[int] = []
    seen_events: set[tuple[UUID, int]] = set()
    total = len(writers) * per_writer * batch

    def follow() -> None:
        with follower.subscribe(gt=None) as subscription:
            for notification in subscription:
                seen.append(notification.id)
                seen_events.add((notification.originator_id, notification.originator_version))  # type: ignore[arg-type]
                if len(seen) == total:
                    break

    reader = eventlet.spawn(follow)
    pool = eventlet.GreenPool()
    for recorder in writers:
        pool.spawn(write, recorder)
    pool.waitall()
    with eventlet.Timeout(30):
        reader.wait()

    assert seen == list(range(1, total + 1))  # in order, none skipped, none twice
    assert seen_events == written
    for recorder in [*writers, follower]:
        recorder.datastore.close()


def test_a_follower_wakes_on_another_process_write(mongo_uri: str, mongo_database: str) -> None:
    writer = other_process_recorder(mongo_uri, mongo_database)
    follower = other_process_recorder(mongo_uri, mongo_database)
    originator = uuid4()
    with follower.subscribe(gt=None) as subscription:
        eventlet.spawn_after(0.3, writer.insert_events, [stored(originator, 1)])
        with eventlet.Timeout(10):
            notification = next(subscription)
    assert notification.originator_id == originator
    assert notification.id == 1
    writer.datastore.close()
    follower.datastore.close()


def test_concurrent_writers_to_one_stream_one_wins(mongo_uri: str, mongo_database: str) -> None:
    first = other_process_recorder(mongo_uri, mongo_database)
    second = other_process_recorder(mongo_uri, mongo_database)
    stream = uuid4()
    first.insert_events([stored(stream, 1)])
    outcomes: list[str] = []

    def append(recorder: MongoApplicationRecorder, topic: str) -> None:
        try:
            recorder.insert_events([stored(stream, 2, topic), stored(stream, 3, topic)])
            outcomes.append("won")
        except IntegrityError:
            outcomes.append("conflict")

    pool = eventlet.GreenPool()
    pool.spawn(append, first, "first")
    pool.spawn(append, second, "second")
    pool.waitall()

    assert sorted(outcomes) == ["conflict", "won"]
    events = first.select_events(stream)
    assert [e.originator_version for e in events] == [1, 2, 3]
    assert len({e.topic for e in events[1:]}) == 1  # the loser wrote nothing
    assert first.max_notification_id() == 3  # and took no notification id
    first.datastore.close()
    second.datastore.close()


def test_writers_committed_together_keep_their_own_outcome(datastore: MongoDatastore) -> None:
    """Writers queued behind one another are written as one group; one that
    conflicts fails alone (its tracking and view writes with it), the others
    commit, and the log stays gapless."""
    recorder = MongoProcessRecorder(datastore, "app_events", "app_tracking")
    recorder.create_table()
    taken = uuid4()
    recorder.insert_events([stored(taken, 1)])
    outcomes: dict[int, str] = {}
    ids_of: dict[int, list[int]] = {}
    groups: list[tuple[int, str]] = []  # (writers, outcome) of each group written together
    write_together = recorder._write_together

    def spy(group: list[Any]) -> None:
        try:
            write_together(group)
        except IntegrityError:
            groups.append((len(group), "conflict"))
            raise
        groups.append((len(group), "written"))

    recorder._write_together = spy  # type: ignore[method-assign]

    def write(n: int) -> None:
        if n % 10 == 3:  # these append to a stream at a version already taken
            events = [stored(taken, 1, f"loser {n}")]
        else:
            events = [stored(uuid4(), 1), stored(uuid4(), 1)] if n % 2 else [stored(uuid4(), 1)]
        tracking = Tracking(f"upstream {n}", n + 1) if n % 7 == 0 else None
        view_writes = {"app_view": [ReplaceOne({"_id": n}, {"_id": n}, upsert=True)]}
        try:
            ids_of[n] = list(
                recorder.insert_events(
                    events, tracking=tracking, view_writes=view_writes if n % 3 == 0 else None
                )
                or []
            )
            outcomes[n] = "written"
        except IntegrityError:
            outcomes[n] = "conflict"

    pool = eventlet.GreenPool(60)
    for n in range(60):
        pool.spawn(write, n)
    pool.waitall()

    assert {n for n, o in outcomes.items() if o == "conflict"} == {3, 13, 23, 33, 43, 53}
    all_ids = sorted(i for ids in ids_of.values() for i in ids)
    assert all_ids == list(range(2, recorder.max_notification_id() + 1))  # gapless after 1
    for n, ids in ids_of.items():
        assert ids == list(range(ids[0], ids[0] + (2 if n % 2 else 1)))  # adjacent, in order
        if n % 7 == 0:
            assert recorder.max_tracking_id(f"upstream {n}") == n + 1
    assert [e.topic for e in recorder.select_events(taken)] == ["topic"]  # no loser wrote
    views = sorted(doc["_id"] for doc in datastore.db["app_view"].find())
    assert views == [n for n in range(0, 60, 3) if outcomes[n] == "written"]  # 3, 33: lost
    assert any(outcome == "written" and size > 1 for size, outcome in groups)
    assert any(outcome == "conflict" for _, outcome in groups)  # then each alone


def test_a_process_reads_back_its_own_recent_writes_as_the_store_has_them(
    mongo_uri: str, mongo_database: str
) -> None:
    ours = other_process_recorder(mongo_uri, mongo_database)
    theirs = other_process_recorder(mongo_uri, mongo_database)
    ours.insert_events([stored(uuid4(), 1), stored(uuid4(), 1)], metadata=[{"n": 1}, {"n": 2}])
    theirs.insert_events([stored(uuid4(), 1)])  # position 3, by another process
    ours.insert_events([stored(uuid4(), 1)])  # position 4

    assert ours.recent_records(0, 10) == ours.select_records(0, 2)  # up to the gap
    assert ours.recent_records(2, 10) is None  # 3 is not ours: read the store
    assert ours.recent_records(3, 10) == ours.select_records(3, 10)
    assert ours.recent_records(4, 10) is None  # nothing yet
    ours.datastore.close()
    theirs.datastore.close()


def test_events_and_tracking_commit_together_or_not_at_all(datastore: MongoDatastore) -> None:
    recorder = MongoProcessRecorder(datastore, "app_events", "app_tracking")
    recorder.create_table()
    recorder.insert_events([stored(uuid4(), 1)], tracking=Tracking("booking", 5))

    with pytest.raises(IntegrityError, match="already at or past notification 5"):
        recorder.insert_events([stored(uuid4(), 1)], tracking=Tracking("booking", 5))
    assert recorder.max_notification_id() == 1  # the refused event is not in the log

    stream = uuid4()
    recorder.insert_events([stored(stream, 1)])
    with pytest.raises(IntegrityError):
        recorder.insert_events([stored(stream, 1)], tracking=Tracking("booking", 6))
    assert recorder.max_tracking_id("booking") == 5  # tracking did not move either


def test_selected_through_persistence_module_setting(mongo_uri: str, mongo_database: str) -> None:
    class Dog(Aggregate):
        @event("Registered")
        def __init__(self, name: str) -> None:
            self.name = name
            self.tricks: list[str] = []

        @event("TrickAdded")
        def add_trick(self, trick: str) -> None:
            self.tricks.append(trick)

    app: Application[UUID] = Application(
        env={
            "PERSISTENCE_MODULE": "pawline.eventstore.mongo",
            "MONGO_URI": mongo_uri,
            "MONGO_DATABASE": mongo_database,
            "IS_SNAPSHOTTING_ENABLED": "yes",
        }
    )
    assert isinstance(app.factory, MongoFactory)
    dog = Dog("Rex")
    dog.add_trick("sit")
    app.save(dog)
    app.take_snapshot(dog.id)
    dog = app.repository.get(dog.id)
    dog.add_trick("roll over")
    app.save(dog)

    assert app.repository.get(dog.id).tricks == ["sit", "roll over"]
    assert [n.id for n in app.notification_log.select(start=1, limit=10)] == [1, 2, 3]
    app.close()


def test_bad_settings_are_named(mongo_database: str) -> None:
    with pytest.raises(OSError, match="MONGO_TIMEOUT must be a positive number of seconds"):
        MongoFactory({"MONGO_TIMEOUT": "soon", "MONGO_DATABASE": mongo_database})
    with pytest.raises(ValueError, match="MONGO_URI is not a usable MongoDB connection string"):
        MongoFactory({"MONGO_URI": "postgres://nope", "MONGO_DATABASE": mongo_database})


@pytest.fixture
def own_store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(free_port(), tmp_path / "data", tmp_path / "store.log")
    with store:
        yield store


def test_store_down_fails_within_the_timeout_then_recovers(own_store: EmbeddedStore) -> None:
    timeout = 1.0
    recorder = MongoApplicationRecorder(MongoDatastore(own_store.uri, "app", timeout), "events")
    recorder.create_table()
    recorder.insert_events([stored(uuid4(), 1)])

    own_store.kill()
    for call in (
        lambda: recorder.insert_events([stored(uuid4(), 1)]),
        lambda: recorder.select_notifications(start=1, limit=10),
        recorder.max_notification_id,
    ):
        started = time.monotonic()
        with pytest.raises(OperationalError, match=r"did not answer within 1 s .*MONGO_TIMEOUT"):
            call()
        # pymongo alone would retry a transaction for two minutes
        assert time.monotonic() - started < timeout + 10

    own_store.start()  # same port, same data directory
    assert recorder.insert_events([stored(uuid4(), 1)]) == [2]
    assert [n.id for n in recorder.select_notifications(start=1, limit=10)] == [1, 2]
    recorder.datastore.close()


def test_store_down_during_a_subscription_surfaces_the_error(own_store: EmbeddedStore) -> None:
    recorder = MongoApplicationRecorder(MongoDatastore(own_store.uri, "app", 1.0), "events")
    recorder.create_table()
    recorder.insert_events([stored(uuid4(), 1)])
    with recorder.subscribe(gt=None) as subscription:
        assert next(subscription).id == 1
        own_store.kill()
        with eventlet.Timeout(15), pytest.raises(OperationalError):
            next(subscription)
    recorder.datastore.close()


def test_metadata_is_kept_beside_each_event(recorder: MongoApplicationRecorder) -> None:
    first, second = uuid4(), uuid4()
    recorder.insert_events([stored(first, 1)], metadata=[{"correlation_id": "c-1"}])
    recorder.insert_events(
        [stored(second, 1), stored(second, 2)],
        metadata=[{"business_id": "b-1"}, {"business_id": "b-2"}],
    )
    recorder.insert_events([stored(uuid4(), 1)])
    records = recorder.select_records(0, 10)
    assert [meta for _, meta in records] == [
        {"correlation_id": "c-1"},
        {"business_id": "b-1"},
        {"business_id": "b-2"},
        {},
    ]
    assert [n.id for n, _ in recorder.select_records(2, 10)] == [3, 4]
    with pytest.raises(ProgrammingError, match="metadata has 1 entries for 2 events"):
        recorder.insert_events([stored(uuid4(), 1), stored(uuid4(), 1)], metadata=[{}])


def test_view_writes_commit_with_the_events_or_not_at_all(datastore: MongoDatastore) -> None:
    recorder = MongoProcessRecorder(datastore, "app_events", "app_tracking")
    recorder.create_table()
    views = datastore.db["app_view"]
    stream = uuid4()
    ids = recorder.insert_events(  # one event and its view write: one transaction
        [stored(stream, 1)],
        view_writes={"app_view": [ReplaceOne({"_id": "a"}, {"_id": "a", "v": 1}, upsert=True)]},
    )
    assert ids == [1]
    assert views.find_one({"_id": "a"}) == {"_id": "a", "v": 1}

    # The stream's version is taken: neither the event nor its view write lands.
    with pytest.raises(IntegrityError):
        recorder.insert_events(
            [stored(stream, 1)],
            view_writes={"app_view": [UpdateOne({"_id": "a"}, {"$set": {"v": 2}})]},
        )
    assert views.find_one({"_id": "a"}) == {"_id": "a", "v": 1}

    # The view write fails (a duplicate key): the event is not recorded either.
    with pytest.raises(IntegrityError):
        recorder.insert_events(
            [stored(uuid4(), 1)],
            view_writes={"app_view": [ReplaceOne({"_id": "a", "v": 0}, {"v": 3}, upsert=True)]},
        )
    assert recorder.max_notification_id() == 1
    assert views.find_one({"_id": "a"}) == {"_id": "a", "v": 1}

    with pytest.raises(ProgrammingError, match="view_writes without events"):
        recorder.insert_events([], view_writes={"app_view": [UpdateOne({}, {"$set": {"v": 4}})]})
