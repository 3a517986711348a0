"""The schedule view: each employee's working hours in one document, for roster-wide queries.

Collection ``staff_schedule_view`` of the service's own database holds one
document per employee: business, name, hiring time, whether active, the
schedules by effective date (zone and shifts in minutes), time off and extra
shifts, and the stream ``version`` it was derived from. A business's
working windows come from one ``find`` by ``business_id`` (indexed) and the
same arithmetic as the employee's own (:func:`staff.schedule.working_windows`).

Kept without a processor: :meth:`ScheduleView.writes_for` turns the
employees a ``save()`` changes into replacements of their documents, and
the application hands them to the event store, which runs them in the
transaction that records the events (``view_writes``). So the view is
exactly as new as the streams, a command's own write is visible to the next
query, and a writer that loses on the stream's unique index loses its view
write with it. Replacements are guarded by the stream version a document
was derived from (a live write replaces only an earlier version's document,
a rebuild only the same or an earlier version's), which is what makes a
rebuild safe beside live writers.

Only ever derived from the streams: :meth:`ScheduleView.rebuild` writes
every employee's document again from their stream (RPC
``rebuild_schedule_view``). A database that has events but no built view
(the view is newer than the data, or its layout changed: ``LAYOUT``) is
rebuilt on its first query.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic
from pymongo import ASCENDING, ReplaceOne

from staff.domain import Employee, instant_text, parse_instant
from staff.schedule import Shift, WeeklySchedule, Window, working_windows

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from eventsourcing.domain import DomainEventProtocol
    from pymongo.collection import Collection

    from pawline.eventstore.mongo import MongoDatastore
    from pawline.messaging.application import PawlineApplication

# Events that change what the view holds; the others (time clock,
# permissions, limitations) leave an employee's document as it is.
VIEW_EVENTS: Final = (
    Employee.Hired,
    Employee.Updated,
    Employee.ScheduleSet,
    Employee.TimeOffAdded,
    Employee.ExtraShiftAdded,
    Employee.Deactivated,
)
LAYOUT: Final = 1  # bump when the documents' shape changes: the next query rebuilds them
BUILT: Final = "schedule_view_built"  # the _id of the document saying the view is built
REBUILD_BATCH: Final = 500


def view_document(employee: Employee) -> dict[str, Any]:
    """The view document of an employee, from the aggregate's current state."""
    return {
        "_id": str(employee.id),
        "business_id": employee.business_id,
        "version": employee.version,
        "name": employee.name,
        "hired_at": employee.created_on,
        "active": employee.active,
        "schedules": [
            [
                day.isoformat(),
                schedule.timezone,
                [[s.weekday, s.start, s.end] for s in schedule.shifts],
            ]
            for day, schedule in sorted(employee.schedules.items())
        ],
        "time_off": [
            [instant_text(start), instant_text(end)]
            for (start, end), _ in employee.time_off.values()
        ],
        "extra_shifts": [
            [instant_text(start), instant_text(end)]
            for start, end in employee.extra_shifts.values()
        ],
    }


def schedules_of(doc: Mapping[str, Any]) -> list[WeeklySchedule]:
    return [
        WeeklySchedule(timezone, tuple(Shift(*shift) for shift in shifts), date.fromisoformat(day))
        for day, timezone, shifts in doc["schedules"]
    ]


def timezone_of(doc: Mapping[str, Any]) -> str:
    """The zone of the latest schedule, as ``working_windows`` uses when none is given."""
    return doc["schedules"][-1][1] if doc["schedules"] else "UTC"


def windows_of(doc: Mapping[str, Any], first: date, last: date, timezone: str) -> list[Window]:
    """The employee's working windows, as :meth:`Employee.working_windows` answers them."""
    return working_windows(
        schedules_of(doc),
        first,
        last,
        timezone,
        time_off=[(parse_instant(s), parse_instant(e)) for s, e in doc["time_off"]],
        extra_shifts=[(parse_instant(s), parse_instant(e)) for s, e in doc["extra_shifts"]]
        if doc["active"]
        else [],
    )


class ScheduleView:
    """The schedule view in one staff application's database."""

    def __init__(self, app: PawlineApplication, datastore: MongoDatastore) -> None:
        self.app = app
        self.datastore = datastore
        self.name = f"{app.name.lower()}_schedule_view"
        self.documents: Collection[dict[str, Any]] = datastore.db[self.name]
        self._known_built = False

    def create_index(self) -> None:
        with self.datastore.bounded(f"creating the index of {self.name}"):
            self.documents.create_index([("business_id", ASCENDING)], name="business_id")

    # Writing, inside the event store's transaction.

    def writes_for(
        self,
        events: Iterable[DomainEventProtocol[UUID]],
        aggregates: Mapping[UUID, Any],
    ) -> list[ReplaceOne[dict[str, Any]]]:
        """Replacements of the documents of the employees these events change."""
        changed = {e.originator_id for e in events if isinstance(e, VIEW_EVENTS)}
        writes = []
        for employee_id in sorted(changed, key=str):
            employee = aggregates.get(employee_id)
            if not isinstance(employee, Employee):
                msg = (
                    f"the schedule view needs employee {employee_id} saved as an aggregate, "
                    "not as bare events"
                )
                raise TypeError(msg)
            writes.append(ReplaceOne(*guarded(employee, older_than="$lt"), upsert=True))
        return writes

    # Reading.

    def employees(self, business_id: str, *, include_deactivated: bool) -> list[dict[str, Any]]:
        """The business's view documents in hiring order (active ones unless told)."""
        self.ensure_built()
        query: dict[str, Any] = {"business_id": business_id}
        if not include_deactivated:
            query["active"] = True
        with self.datastore.bounded(f"reading the schedule view of business {business_id}"):
            docs = list(self.documents.find(query))
        return sorted(docs, key=lambda d: (d["hired_at"], d["_id"]))

    # Rebuilding from the streams.

    def ensure_built(self) -> None:
        """Rebuild the view if this database never had it built (at this ``LAYOUT``)."""
        if self._known_built:
            return
        with self.datastore.bounded(f"reading whether {self.name} is built"):
            marker = self.documents.find_one({"_id": BUILT})
        if marker is None or marker.get("layout") != LAYOUT:
            self.rebuild()
        self._known_built = True

    def rebuild(self) -> int:
        """Every employee's document again from their stream; how many were written.

        Safe beside live writers: a document is replaced only if it was
        derived from the same or an earlier version of the stream than the
        one just read, so a newer one written meanwhile stays."""
        recorder = self.app.process_recorder
        hired = get_topic(Employee.Hired)
        written = 0
        position = 0
        while True:
            batch = recorder.select_notifications(
                start=position, limit=REBUILD_BATCH, topics=[hired], inclusive_of_start=False
            )
            if not batch:
                break
            for notification in batch:
                employee: Any = self.app.repository.get(UUID(str(notification.originator_id)))
                assert isinstance(employee, Employee)
                written += self._write_rebuilt(employee)
            position = batch[-1].id
        with self.datastore.bounded(f"marking {self.name} built"):
            self.documents.replace_one(
                {"_id": BUILT}, {"_id": BUILT, "layout": LAYOUT}, upsert=True
            )
        self._known_built = True
        return written

    def _write_rebuilt(self, employee: Employee) -> int:
        try:
            with self.datastore.bounded(f"rebuilding the view of employee {employee.id}"):
                self.documents.replace_one(*guarded(employee, older_than="$lte"), upsert=True)
        except IntegrityError:
            return 0  # a later version was written meanwhile: it stays
        return 1


def guarded(employee: Employee, older_than: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The filter and the document of an upsert that replaces the employee's
    document only if its version is ``older_than`` (``$lt``, ``$lte``) the
    aggregate's, or inserts it if there is none. A document of a later
    version makes the upsert collide on ``_id``: a duplicate-key error."""
    doc = view_document(employee)
    return {"_id": doc["_id"], "version": {older_than: employee.version}}, doc
