"""The eventsourcing library's own persistence contract, run on our module.

Each case class comes from ``eventsourcing.tests.persistence``; we only say
how to build our recorder. Every test runs in a database of its own on the
store named by ``MONGO_URI`` (the embedded server in ``make test``, or a real
MongoDB replica set).
"""

from __future__ import annotations

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    ProcessRecorder,
    TrackingRecorder,
)
from eventsourcing.tests.persistence import (
    AggregateRecorderTestCase,
    ApplicationRecorderTestCase,
    InfrastructureFactoryTestCase,
    NonInterleavingNotificationIDsBaseCase,
    ProcessRecorderTestCase,
    TrackingRecorderTestCase,
)
from eventsourcing.utils import Environment

from pawline.eventstore.mongo import (
    MongoAggregateRecorder,
    MongoApplicationRecorder,
    MongoDatastore,
    MongoFactory,
    MongoProcessRecorder,
    MongoTrackingRecorder,
)
from pawline.testing.pytest_plugin import (
    drop_database_later,
    fresh_database_name,
    mongo_uri_from_env,
)

MONGO_URI = mongo_uri_from_env()


class WithFreshDatabase:
    """A datastore on a database of the test's own, dropped afterwards."""

    def setUp(self) -> None:
        self.database_name = fresh_database_name()
        self.datastore = MongoDatastore(MONGO_URI, self.database_name)
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        self.datastore.close()
        drop_database_later(self.database_name)


class TestMongoAggregateRecorder(WithFreshDatabase, AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        recorder = MongoAggregateRecorder(self.datastore, "stored_events")
        recorder.create_table()
        return recorder


class TestMongoApplicationRecorder(
    WithFreshDatabase, ApplicationRecorderTestCase[MongoApplicationRecorder]
):
    def create_recorder(self) -> MongoApplicationRecorder:
        recorder = MongoApplicationRecorder(self.datastore, "stored_events")
        recorder.create_table()
        return recorder

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestMongoTrackingRecorder(WithFreshDatabase, TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        recorder = MongoTrackingRecorder(self.datastore, "notification_tracking")
        recorder.create_table()
        return recorder


class TestMongoProcessRecorder(WithFreshDatabase, ProcessRecorderTestCase):
    def create_recorder(self) -> ProcessRecorder:
        recorder = MongoProcessRecorder(self.datastore, "stored_events", "notification_tracking")
        recorder.create_table()
        return recorder


class TestNonInterleavingNotificationIDs(WithFreshDatabase, NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> ApplicationRecorder:
        recorder = MongoApplicationRecorder(self.datastore, "stored_events")
        recorder.create_table()
        return recorder


class MongoTrackingRecorderSubclass(MongoTrackingRecorder):
    pass


class TestMongoInfrastructureFactory(InfrastructureFactoryTestCase[MongoFactory]):
    def expected_factory_class(self) -> type[MongoFactory]:
        return MongoFactory

    def expected_aggregate_recorder_class(self) -> type[AggregateRecorder]:
        return MongoAggregateRecorder

    def expected_application_recorder_class(self) -> type[ApplicationRecorder]:
        return MongoApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[TrackingRecorder]:
        return MongoTrackingRecorder

    def tracking_recorder_subclass(self) -> type[TrackingRecorder]:
        return MongoTrackingRecorderSubclass

    def expected_process_recorder_class(self) -> type[ProcessRecorder]:
        return MongoProcessRecorder

    def setUp(self) -> None:
        self.database_name = fresh_database_name()
        self.env = Environment(
            "TestCase",
            {
                "PERSISTENCE_MODULE": "pawline.eventstore.mongo",
                "MONGO_URI": MONGO_URI,
                "MONGO_DATABASE": self.database_name,
            },
        )
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        drop_database_later(self.database_name)


del AggregateRecorderTestCase
del ApplicationRecorderTestCase
del TrackingRecorderTestCase
del ProcessRecorderTestCase
del NonInterleavingNotificationIDsBaseCase
del InfrastructureFactoryTestCase
