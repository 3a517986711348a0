"""The schedule view: a read model of every employee's working hours, for roster-wide queries.

One document per employee in the service's own database (collection
``schedule_view``: business, name, active, schedules by effective date,
time off, extra shifts), kept from the application's notification log by
:class:`ScheduleView`, which records how far it has applied in
``schedule_view_tracking`` in the same transaction as the documents it
changes. It is only ever derived from events, so it can be rebuilt at any
time: :meth:`ScheduleView.rebuild` (RPC ``rebuild_schedule_view``) deletes
both collections' documents in one transaction and the running service
applies the log again from the start. (With the service stopped, dropping
both collections does the same at its next start.)

Two replicas may apply the same batch at once: the tracking document only
moves from the position a batch was read at, so one commits and the
other's transaction is abandoned and it reads again.

Reads: :meth:`ScheduleView.windows` answers the working windows of a whole
roster from one ``find``; a caller that just wrote waits for the view to
reach the position its command returned (``after_position``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import eventlet
from eventsourcing.persistence import IntegrityError
from nameko.extensions import DependencyProvider
from pymongo import ASCENDING

from pawline.eventstore.mongo import MongoFactory
from pawline.nameko import EventSourced
from staff.application import StaffApplication
from staff.domain import Employee, parse_instant
from staff.errors import StaffUnavailableError
from staff.schedule import WeeklySchedule, Window, weekly_shifts, working_windows

log = logging.getLogger(__name__)

VIEW = "schedule_view"
BATCH = 200
WAIT_SECONDS = 5.0


class ViewMovedOnError(Exception):
    """Another processor applied the batch first."""


class ScheduleView:
    """The schedule view of one staff application's database."""

    def __init__(self, app: StaffApplication) -> None:
        factory = app.factory
        assert isinstance(factory, MongoFactory)
        self.app = app
        self.datastore = factory.datastore
        self.views = self.datastore.db[VIEW]
        self.tracking = self.datastore.db[f"{VIEW}_tracking"]
        with self.datastore.bounded("creating the schedule view's index"):
            self.views.create_index([("business_id", ASCENDING)], name="business_id")

    def position(self) -> int:
        """The last log position applied (0: none yet)."""
        with self.datastore.bounded("reading the schedule view's position"):
            doc = self.tracking.find_one({"_id": VIEW})
        return int(doc["position"]) if doc else 0

    def catch_up(self, limit: int = BATCH) -> int:
        """Apply the next batch of the log; how many log entries it covered (0: none new)."""
        position = self.position()
        records = self.app.process_recorder.select_records(position, limit)
        if not records:
            return 0
        changes = [
            change
            for notification, _ in records
            for change in changes_of(self.app.mapper.to_domain_event(notification))
        ]
        last = records[-1][0].id

        def apply(session: Any) -> None:
            for selector, update in changes:
                self.views.update_one(selector, update, upsert=True, session=session)
            if position == 0:
                self.tracking.insert_one({"_id": VIEW, "position": last}, session=session)
                return
            moved = self.tracking.update_one(
                {"_id": VIEW, "position": position}, {"$set": {"position": last}}, session=session
            )
            if moved.matched_count != 1:
                raise ViewMovedOnError

        with self.datastore.bounded(f"applying log positions {position + 1}..{last} to {VIEW}"):
            self.datastore.transaction(apply)
        return len(records)

    def wait_for(self, position: int, timeout: float = WAIT_SECONDS) -> None:
        """Return once the view applied ``position``; StaffUnavailableError after ``timeout``."""
        give_up = time.monotonic() + timeout
        while self.position() < position:
            if time.monotonic() > give_up:
                msg = f"the schedule view has not reached position {position} in {timeout:g} s"
                raise StaffUnavailableError(f"{msg}: try again shortly")
            eventlet.sleep(0.05)

    def windows(
        self, business_id: str, first: date, last: date, timezone: str
    ) -> list[tuple[dict[str, Any], list[Window]]]:
        """Each active employee of the business (view document) with their working windows."""
        with self.datastore.bounded(f"reading the schedule view of business {business_id}"):
            docs = list(self.views.find({"business_id": business_id, "active": True}))
        return [(doc, windows_of(doc, first, last, timezone)) for doc in docs]

    def rebuild(self) -> None:
        """Forget everything: the view is applied again from the start of the log.

        One transaction, so a batch being applied meanwhile either commits
        before it (and is forgotten too) or fails on the tracking document."""

        def forget(session: Any) -> None:
            self.tracking.delete_many({}, session=session)
            self.views.delete_many({}, session=session)

        with self.datastore.bounded(f"emptying {VIEW}"):
            self.datastore.transaction(forget)


def changes_of(event: Any) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """The view updates one domain event makes (none for the rest)."""
    employee = {"_id": str(event.originator_id)}
    if isinstance(event, Employee.Hired):
        yield (
            employee,
            {
                "$set": {"business_id": event.business_id, "name": event.name, "active": True},
                "$setOnInsert": {"schedules": {}, "time_off": [], "extra_shifts": []},
            },
        )
    elif isinstance(event, Employee.Updated):
        yield employee, {"$set": {"name": event.name}}
    elif isinstance(event, Employee.ScheduleSet):
        schedule = {"timezone": event.timezone, "weekly": event.weekly}
        yield employee, {"$set": {f"schedules.{event.effective_from}": schedule}}
    elif isinstance(event, Employee.TimeOffAdded):
        yield employee, {"$push": {"time_off": [event.starts_at, event.ends_at]}}
    elif isinstance(event, Employee.ExtraShiftAdded):
        yield employee, {"$push": {"extra_shifts": [event.starts_at, event.ends_at]}}
    elif isinstance(event, Employee.Deactivated):
        yield employee, {"$set": {"active": False}}


def windows_of(doc: dict[str, Any], first: date, last: date, timezone: str) -> list[Window]:
    schedules = [
        WeeklySchedule(s["timezone"], weekly_shifts(s["weekly"]), date.fromisoformat(day))
        for day, s in doc.get("schedules", {}).items()
    ]
    return working_windows(
        schedules,
        first,
        last,
        timezone,
        time_off=[(parse_instant(s), parse_instant(e)) for s, e in doc.get("time_off", [])],
        extra_shifts=[(parse_instant(s), parse_instant(e)) for s, e in doc.get("extra_shifts", [])],
    )


class ScheduleViewProcessor(DependencyProvider):  # type: ignore[misc]
    """Keeps the schedule view up with the log beside the service; workers get the view."""

    def __init__(self) -> None:
        self.view: ScheduleView | None = None
        self.wakeup = threading.Event()
        self.running = False

    def start(self) -> None:
        source = next(d for d in self.container.dependencies if isinstance(d, EventSourced))
        assert isinstance(source.app, StaffApplication)
        self.view = ScheduleView(source.app)
        # Our own writes wake it at once; other replicas' within the wait below.
        source.app.process_recorder.listen(self.wakeup)
        self.running = True
        self.container.spawn_managed_thread(self.run, identifier="staff.schedule_view")

    def run(self) -> None:
        assert self.view is not None
        while self.running:
            self.wakeup.clear()
            try:
                while self.running and self.view.catch_up():
                    pass
            except (ViewMovedOnError, IntegrityError):
                continue  # another replica applied it: read again
            except Exception:
                # A managed thread that raises kills the container: log, wait, go on.
                log.exception("the schedule view could not apply the log; trying again in 1 s")
                eventlet.sleep(1.0)
                continue
            self.wakeup.wait(0.5)

    def stop(self) -> None:
        self.running = False
        self.wakeup.set()
        if self.view is not None:
            self.view.app.process_recorder.unlisten(self.wakeup)

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> ScheduleView:
        assert self.view is not None
        return self.view
