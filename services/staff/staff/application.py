"""The staff application: commands and queries over employees, on the event store.

Every command is get -> command -> ``save()``; every query loads the
employees it needs from their streams. Tenancy: an employee of another
business is "not found", the same as one that does not exist. A concurrent
writer to the same stream makes ``save()`` fail on the store's unique index:
the command is run again on the fresh state (its rules checked again), and
after a few such losses the caller gets a conflict.

Reads: an employee is read from its own stream, and the employees of a
business from its :class:`~staff.domain.Roster` aggregate, written by the
same ``save()`` as each hire. The working windows of a whole roster come
from the schedule view (:mod:`staff.schedule_view`): one document per
employee, written in the same transaction as the events that change it, and
rebuildable from the streams.

Public events (EVENTS.md, staff): EmployeeHired, EmployeeScheduleSet,
TimeOffAdded, ServiceLimitationsSet, EmployeePermissionsChanged, ClockedIn,
ClockedOut. Updates, deactivations, extra shifts, entry corrections and the
roster stay internal (the contracts have no type for them).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar, TypeVar

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Recording

from pawline.eventstore.mongo import MongoFactory
from pawline.messaging.application import PawlineApplication, Published
from staff import permissions
from staff.domain import Employee, Roster, instant_text
from staff.errors import EmployeeNotFoundError, StaffConflictError, StaffInvalidInputError
from staff.schedule import zone
from staff.schedule_view import ScheduleView, timezone_of, windows_of
from staff.timesheet import MONDAY, Timesheet, timesheet

ATTEMPTS = 3
T = TypeVar("T")


def _time_off_data(event: Any) -> dict[str, Any]:
    # The contract has no id or reason for time off: booking needs only the instants.
    return {"starts_at": event.starts_at, "ends_at": event.ends_at}


def check_id(value: Any, field: str) -> str:
    """A UUID string in canonical form, or an error naming the field."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise StaffInvalidInputError.of_field(field, f"{value!r} is not a UUID") from None


def hours_text(minutes: int) -> str:
    """Minutes as hours with two decimals ("40.50"): exact text, never a float."""
    hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return str(hours)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class StaffApplication(PawlineApplication):
    source = "staff"
    published: ClassVar[dict[type, Published]] = {
        Employee.Hired: Published("EmployeeHired", id_field="employee_id"),
        Employee.ScheduleSet: Published("EmployeeScheduleSet", id_field="employee_id"),
        Employee.TimeOffAdded: Published(
            "TimeOffAdded", id_field="employee_id", build=_time_off_data
        ),
        Employee.ServiceLimitationsSet: Published("ServiceLimitationsSet", id_field="employee_id"),
        Employee.PermissionsChanged: Published(
            "EmployeePermissionsChanged", id_field="employee_id"
        ),
        Employee.ClockedIn: Published("ClockedIn", id_field="employee_id"),
        Employee.ClockedOut: Published("ClockedOut", id_field="employee_id"),
    }

    def __init__(self, env: Any = None) -> None:
        super().__init__(env)
        factory = self.factory
        assert isinstance(factory, MongoFactory)
        self.schedule_view = ScheduleView(self, factory.datastore)
        if factory.env_create_table():
            self.schedule_view.create_index()

    # Writing.

    def _record(self, processing_event: ProcessingEvent[uuid.UUID]) -> list[Recording[uuid.UUID]]:
        # The schedule view changes in the transaction that records the events.
        writes = self.schedule_view.writes_for(processing_event.events, processing_event.aggregates)
        if writes:
            view_writes = processing_event.saved_kwargs.setdefault("view_writes", {})
            view_writes.setdefault(self.schedule_view.name, []).extend(writes)
        return super()._record(processing_event)

    def _save(self, *aggregates: Aggregate) -> int | None:
        recordings = self.save(*aggregates)
        return recordings[-1].notification.id if recordings else None

    def _retrying(self, attempt: Callable[[], T], what: str) -> T:
        for _ in range(ATTEMPTS):
            try:
                return attempt()
            except IntegrityError:
                continue  # someone wrote first: run the command again on what they wrote
        msg = f"{what} was changed by someone else at the same time, {ATTEMPTS} times: try again"
        raise StaffConflictError(msg)

    def change(
        self, business_id: str, employee_id: str, command: Callable[[Employee], T]
    ) -> tuple[T, int | None]:
        """Run ``command`` on the employee and save; what it returned and the position written."""

        def attempt() -> tuple[T, int | None]:
            employee = self.employee(business_id, employee_id)
            result = command(employee)
            return result, self._save(employee)

        return self._retrying(attempt, f"employee {employee_id}")

    def hire(self, business_id: str, name: str, role: str, email: str | None) -> dict[str, Any]:
        business_id = check_id(business_id, "business_id")
        permissions.check_role(role)

        def attempt() -> dict[str, Any]:
            employee = Employee(business_id, name, role, email)
            roster = self.roster(business_id) or Roster(business_id)
            roster.join(str(employee.id))
            position = self._save(employee, roster)
            return {"employee_id": str(employee.id), "position": position}

        return self._retrying(attempt, f"the roster of business {business_id}")

    # Reading.

    def employee(self, business_id: str, employee_id: str) -> Employee:
        business_id = check_id(business_id, "business_id")
        employee_id = check_id(employee_id, "employee_id")
        try:
            employee = self.repository.get(uuid.UUID(employee_id))
        except AggregateNotFoundError:
            employee = None
        if not isinstance(employee, Employee) or employee.business_id != business_id:
            msg = f"no employee {employee_id} in this business"
            raise EmployeeNotFoundError(msg, {"employee_id": [msg]})
        return employee

    def roster(self, business_id: str) -> Roster | None:
        try:
            roster = self.repository.get(Roster.create_id(business_id))
        except AggregateNotFoundError:
            return None
        assert isinstance(roster, Roster)
        return roster

    def employees(self, business_id: str) -> list[Employee]:
        business_id = check_id(business_id, "business_id")
        roster = self.roster(business_id)
        if roster is None:
            return []
        return [self.employee(business_id, employee_id) for employee_id in roster.employee_ids]

    def roster_windows(
        self,
        business_id: str,
        first: date,
        last: date,
        timezone: str | None,
        *,
        include_deactivated: bool = False,
    ) -> list[dict[str, Any]]:
        """Each employee's working windows, from the schedule view, in hiring order.

        ``timezone``: the business's; if None, each employee's latest
        schedule's (as for one employee's windows)."""
        business_id = check_id(business_id, "business_id")
        if timezone is not None:
            zone(timezone)
        return [
            {
                "employee_id": doc["_id"],
                "name": doc["name"],
                "active": doc["active"],
                "windows": [
                    {"starts_at": instant_text(start), "ends_at": instant_text(end)}
                    for start, end in windows_of(doc, first, last, timezone or timezone_of(doc))
                ],
            }
            for doc in self.schedule_view.employees(
                business_id, include_deactivated=include_deactivated
            )
        ]

    def timesheets(
        self,
        business_id: str,
        first: date,
        last: date,
        timezone: str,
        week_starts_on: int = MONDAY,
    ) -> dict[str, Any]:
        zone(timezone)
        sheets = []
        for employee in self.employees(business_id):
            sheet = timesheet(
                employee.entries.values(), first, last, timezone, week_starts_on=week_starts_on
            )
            sheets.append(timesheet_view(employee, sheet))
        return {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "timezone": timezone,
            "week_starts_on": week_starts_on,
            "employees": sheets,
        }


def employee_view(employee: Employee) -> dict[str, Any]:
    """An employee as the staff service answers it."""
    current = next((e for e in employee.entries.values() if e.clocked_out_at is None), None)
    return {
        "employee_id": str(employee.id),
        "business_id": employee.business_id,
        "name": employee.name,
        "role": employee.role,
        "email": employee.email,
        "active": employee.active,
        "denied": list(employee.denied),
        "allowed": permissions.allowed_features(employee.role, employee.denied)
        if employee.active
        else [],
        "service_ids": list(employee.service_ids),
        "category_ids": list(employee.category_ids),
        "schedules": [
            {
                "timezone": s.timezone,
                "effective_from": s.effective_from.isoformat(),
                "weekly": [shift.as_slot() for shift in s.shifts],
            }
            for _, s in sorted(employee.schedules.items())
        ],
        "time_off": [
            {
                "time_off_id": time_off_id,
                "starts_at": instant_text(start),
                "ends_at": instant_text(end),
                "reason": reason,
            }
            for time_off_id, ((start, end), reason) in employee.time_off.items()
        ],
        "extra_shifts": [
            {"shift_id": shift_id, "starts_at": instant_text(start), "ends_at": instant_text(end)}
            for shift_id, (start, end) in employee.extra_shifts.items()
        ],
        "clocked_in": None
        if current is None
        else {"entry_id": current.entry_id, "at": instant_text(current.clocked_in_at)},
    }


def entries_view(employee: Employee) -> list[dict[str, Any]]:
    """Every time-clock entry of the employee with its corrections, oldest first."""
    entries = sorted(employee.entries.values(), key=lambda e: e.clocked_in_at)
    return [
        {
            "entry_id": entry.entry_id,
            "clocked_in_at": instant_text(entry.clocked_in_at),
            "clocked_out_at": instant_text(entry.clocked_out_at) if entry.clocked_out_at else None,
            "history": [
                {
                    "corrected_at": instant_text(c.corrected_at),
                    "corrected_by": c.corrected_by,
                    "reason": c.reason,
                    "clocked_in_at": instant_text(c.clocked_in_at),
                    "clocked_out_at": instant_text(c.clocked_out_at) if c.clocked_out_at else None,
                    "previous_in": instant_text(c.previous_in),
                    "previous_out": instant_text(c.previous_out) if c.previous_out else None,
                }
                for c in employee.corrections.get(entry.entry_id, [])
            ],
        }
        for entry in entries
    ]


def timesheet_view(employee: Employee, sheet: Timesheet) -> dict[str, Any]:
    return {
        "employee_id": str(employee.id),
        "name": employee.name,
        "total_minutes": sheet.total_minutes,
        "regular_minutes": sheet.regular_minutes,
        "overtime_minutes": sheet.overtime_minutes,
        "regular_hours": hours_text(sheet.regular_minutes),
        "overtime_hours": hours_text(sheet.overtime_minutes),
        "weeks": [
            {
                "week_starts_on": week.week_starts_on.isoformat(),
                "total_minutes": week.total_minutes,
                "regular_minutes": week.regular_minutes,
                "overtime_minutes": week.overtime_minutes,
            }
            for week in sheet.weeks
        ],
        "entries": [
            {
                **line,
                "clocked_in_at": instant_text(line["clocked_in_at"]),
                "clocked_out_at": instant_text(line["clocked_out_at"]),
            }
            for line in sheet.entries
        ],
        "open_entries": sheet.open_entries,
    }
