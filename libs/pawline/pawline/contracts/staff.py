"""Contracts of the events the staff service publishes (exchange ``staff.events``).

Staff owns employees, schedules, the time clock, permissions and service
limitations. One schema per event type of EVENTS.md, holding the event's
``data``; ``EXAMPLES`` holds a valid ``data`` of each. Unknown fields are
refused (``RAISE``): see :mod:`pawline.contracts.base` for why.

Schedules are wall-clock times in the employee's IANA ``timezone``, not UTC
(ARCHITECTURE.md): ``weekday`` counts from Monday = 0 to Sunday = 6, as
Python's ``date.weekday()``, and a slot ends after it starts on the same day
(``24:00`` ends it at midnight; a night shift is two slots).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from marshmallow import ValidationError, fields, validates_schema

from pawline.contracts.base import EventSchema, PartSchema, sample_id
from pawline.contracts.values import (
    ClockTime,
    TimeZoneName,
    calendar_date,
    choice,
    count,
    email,
    entity_id,
    id_list,
    instant,
    text,
    text_list,
)

SOURCE: Final = "staff"
ROLES: Final = ("Admin", "Manager", "Employee")
FEATURES: Final = (
    "tickets.void",
    "tickets.refund",
    "tickets.reopen",
    "clients.delete",
    "schedules.edit",
    "timeclock.edit",
    "reports.view",
    "billing.card",
    "settings.edit",
    "status.post",
)
"""The permission table's features (staff.permissions has the role defaults).
Shared: the staff service answers for them, the gateway names them on its
routes, and EmployeePermissionsChanged's ``denied`` lists them."""


class _StaffEventSchema(EventSchema):
    source = SOURCE


class EmployeeHiredSchema(_StaffEventSchema):
    """An employee was hired, with the role that sets what they may do."""

    event_type = "EmployeeHired"

    employee_id = entity_id()
    name = text()
    role = choice(ROLES)
    email = email(optional=True)


class WeeklySlotSchema(PartSchema):
    """One working period of a weekly schedule, in the schedule's time zone."""

    weekday = count(minimum=0, maximum=6, description="Monday = 0 ... Sunday = 6.")
    start = ClockTime(required=True, metadata={"description": "Start, HH:MM local time."})
    end = ClockTime(
        required=True,
        end_of_day=True,
        metadata={"description": "End, HH:MM local time (24:00 = midnight)."},
    )

    @validates_schema
    def _check_end_after_start(self, data: dict[str, Any], **kwargs: Any) -> None:
        # Zero-padded HH:MM strings order like the times they name.
        if data["end"] <= data["start"]:
            raise ValidationError("Must be after start.", "end")


# Parts of the staff service's commands, shared by its RPC and the gateway's
# routes (one shape for what a caller sends either way).


class TimeWindowSchema(PartSchema):
    """A span between two UTC instants (the staff service refuses one that
    does not end after it starts)."""

    starts_at = instant()
    ends_at = instant()


class TimeOffRequestSchema(TimeWindowSchema):
    """Time off to add: a span, and why."""

    reason = text(optional=True)


class ServiceLimitationsRequestSchema(PartSchema):
    """The services and categories an employee may perform (both empty: all)."""

    service_ids = id_list()
    category_ids = id_list()


class EmployeeScheduleSetSchema(_StaffEventSchema):
    """An employee's weekly working hours were set, from a given day on."""

    event_type = "EmployeeScheduleSet"

    employee_id = entity_id()
    timezone = TimeZoneName(required=True)
    weekly = fields.List(fields.Nested(WeeklySlotSchema, required=True), required=True)
    effective_from = calendar_date(description="First day (in `timezone`) the schedule applies.")


class TimeOffAddedSchema(_StaffEventSchema):
    """Time off was added to an employee's calendar."""

    event_type = "TimeOffAdded"
    ordered_pairs = (("starts_at", "ends_at", False),)

    employee_id = entity_id()
    starts_at = instant()
    ends_at = instant()


class ServiceLimitationsSetSchema(_StaffEventSchema):
    """The services an employee may perform were limited (empty lists: no limit)."""

    event_type = "ServiceLimitationsSet"

    employee_id = entity_id()
    service_ids = id_list(description="Services the employee may perform.")
    category_ids = id_list(description="Service categories the employee may perform.")


class EmployeePermissionsChangedSchema(_StaffEventSchema):
    """The features an employee is denied were changed."""

    event_type = "EmployeePermissionsChanged"

    employee_id = entity_id()
    denied = text_list(description="Names of the features the employee may not use.")


class ClockedInSchema(_StaffEventSchema):
    """An employee clocked in."""

    event_type = "ClockedIn"

    employee_id = entity_id()
    entry_id = entity_id(description="The time-clock entry this opens.")
    at = instant()


class ClockedOutSchema(_StaffEventSchema):
    """An employee clocked out, closing a time-clock entry."""

    event_type = "ClockedOut"

    employee_id = entity_id()
    entry_id = entity_id(description="The time-clock entry this closes.")
    at = instant()
    worked_minutes = count(minimum=0)


_EMPLOYEE = sample_id("employee:jonas")
_ENTRY = sample_id("time-entry:1")

EXAMPLES: Final[Mapping[str, Mapping[str, Any]]] = {
    "EmployeeHired": {
        "employee_id": _EMPLOYEE,
        "name": "Jonas Berg",
        "role": "Employee",
        "email": "jonas@example.com",
    },
    "EmployeeScheduleSet": {
        "employee_id": _EMPLOYEE,
        "timezone": "Europe/Stockholm",
        "weekly": [
            {"weekday": 0, "start": "08:00", "end": "12:00"},
            {"weekday": 0, "start": "13:00", "end": "17:00"},
            {"weekday": 5, "start": "10:00", "end": "14:30"},
        ],
        "effective_from": "2026-12-01",
    },
    "TimeOffAdded": {
        "employee_id": _EMPLOYEE,
        "starts_at": "2026-12-23T00:00:00Z",
        "ends_at": "2026-12-27T00:00:00Z",
    },
    "ServiceLimitationsSet": {
        "employee_id": _EMPLOYEE,
        "service_ids": [sample_id("service:bath-and-brush")],
        "category_ids": [sample_id("category:grooming")],
    },
    "EmployeePermissionsChanged": {
        "employee_id": _EMPLOYEE,
        "denied": ["refunds", "reports"],
    },
    "ClockedIn": {"employee_id": _EMPLOYEE, "entry_id": _ENTRY, "at": "2026-11-21T07:58:00Z"},
    "ClockedOut": {
        "employee_id": _EMPLOYEE,
        "entry_id": _ENTRY,
        "at": "2026-11-21T16:04:00Z",
        "worked_minutes": 486,
    },
}
