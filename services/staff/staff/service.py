"""The staff nameko service: thin RPC entrypoints over the staff application.

Every RPC takes ``business_id`` first (the gateway takes it from the
caller's credentials) and touches only that business's employees. Each
loads its arguments with a schema of :mod:`staff.schemas`, calls the
application, and answers JSON-native data. Domain errors
(:mod:`staff.errors`) are expected exceptions: the caller gets them as
themselves once it registers them with ``deserialize_to_instance``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from nameko.rpc import rpc

from pawline.nameko import EventSourced, EventSourcedService
from staff import permissions
from staff.application import StaffApplication, check_id, employee_view, entries_view, now
from staff.domain import Employee
from staff.domain import instant_text as iso
from staff.errors import EXPECTED_ERRORS, StaffRefusedError
from staff.schedule import zone
from staff.schemas import (
    ClockSchema,
    CorrectionSchema,
    DateRangeSchema,
    HireSchema,
    PermissionsSchema,
    ScheduleSchema,
    ServiceLimitationsSchema,
    TimeOffSchema,
    TimesheetSchema,
    UpdateEmployeeSchema,
    WindowSchema,
    date_of,
    instant_or_none,
    load,
)

# How far ahead of the server's clock a given clock-in/out time may be
# (clocks of callers drift a little; a time further ahead is a mistake).
CLOCK_SKEW = timedelta(minutes=1)


def local_today(timezone: str) -> Any:
    return now().astimezone(zone(timezone)).date()


def clock_time(at: str | None) -> datetime:
    moment = instant_or_none(at) or now()
    if moment > now() + CLOCK_SKEW:
        msg = f"at {at} is in the future: the time clock records what happened"
        raise StaffRefusedError(msg, {"at": [msg]})
    return moment


class StaffService(EventSourcedService):
    name = "staff"
    app = EventSourced(StaffApplication)

    # Employees.

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def hire(
        self, business_id: str, name: str, role: str, email: str | None = None
    ) -> dict[str, Any]:
        """Hire an employee: ``{employee_id, position}``."""
        args = load(HireSchema, {"name": name, "role": role, "email": email})
        return self.app.hire(business_id, args["name"], args["role"], args["email"])  # type: ignore[no-any-return]

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_employee(self, business_id: str, employee_id: str, **changes: Any) -> dict[str, Any]:
        """Change name, role and/or email."""
        args = load(UpdateEmployeeSchema, changes)
        return self._change(
            business_id,
            employee_id,
            lambda e: e.update(args["name"], args["role"], args["email"]),
        )

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def deactivate_employee(self, business_id: str, employee_id: str) -> dict[str, Any]:
        """Deactivate: history stays; no clocking in, no schedule from today (nothing to book)."""

        def deactivate(employee: Employee) -> None:
            latest = employee.latest_schedule()
            employee.deactivate(local_today(latest.timezone if latest else "UTC"))

        return self._change(business_id, employee_id, deactivate)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_employee(self, business_id: str, employee_id: str) -> dict[str, Any]:
        return employee_view(self.app.employee(business_id, employee_id))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_employees(
        self, business_id: str, include_deactivated: bool = False
    ) -> list[dict[str, Any]]:
        """The business's employees in hiring order (active ones unless told)."""
        return [
            employee_view(e)
            for e in self.app.employees(business_id)
            if e.active or include_deactivated is True
        ]

    # Schedules.

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_schedule(
        self,
        business_id: str,
        employee_id: str,
        timezone: str,
        weekly: list[dict[str, Any]],
        effective_from: str | None = None,
    ) -> dict[str, Any]:
        """Weekly hours in the business's ``timezone`` from ``effective_from`` (today if absent)."""
        args = load(
            ScheduleSchema,
            {"timezone": timezone, "weekly": weekly, "effective_from": effective_from},
        )
        today = local_today(args["timezone"])
        starts = date_of(args["effective_from"]) if args["effective_from"] else today
        return self._change(
            business_id,
            employee_id,
            lambda e: e.set_schedule(args["timezone"], args["weekly"], starts, today),
        )

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def add_time_off(
        self,
        business_id: str,
        employee_id: str,
        starts_at: str,
        ends_at: str,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Time off between two UTC instants: ``{time_off_id, position}``."""
        args = load(TimeOffSchema, {"starts_at": starts_at, "ends_at": ends_at, "reason": reason})
        time_off_id = str(uuid.uuid4())
        start, end = (
            datetime.fromisoformat(args["starts_at"]),
            datetime.fromisoformat(args["ends_at"]),
        )
        reply = self._change(
            business_id,
            employee_id,
            lambda e: e.add_time_off(time_off_id, start, end, args["reason"]),
        )
        return {"time_off_id": time_off_id, **reply}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def add_extra_shift(
        self, business_id: str, employee_id: str, starts_at: str, ends_at: str
    ) -> dict[str, Any]:
        """A shift outside the weekly hours: ``{shift_id, position}``."""
        args = load(WindowSchema, {"starts_at": starts_at, "ends_at": ends_at})
        shift_id = str(uuid.uuid4())
        start, end = (
            datetime.fromisoformat(args["starts_at"]),
            datetime.fromisoformat(args["ends_at"]),
        )
        reply = self._change(
            business_id, employee_id, lambda e: e.add_extra_shift(shift_id, start, end)
        )
        return {"shift_id": shift_id, **reply}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def working_windows(
        self,
        business_id: str,
        employee_id: str,
        from_date: str,
        to_date: str,
        timezone: str | None = None,
    ) -> list[dict[str, str]]:
        """Working windows over local dates ``from_date``..``to_date`` as UTC instants.

        ``timezone`` is the business's; if absent, that of the employee's latest schedule."""
        args = load(
            DateRangeSchema, {"from_date": from_date, "to_date": to_date, "timezone": timezone}
        )
        employee = self.app.employee(business_id, employee_id)
        latest = employee.latest_schedule()
        tz = args["timezone"] or (latest.timezone if latest else "UTC")
        windows = employee.working_windows(date_of(args["from_date"]), date_of(args["to_date"]), tz)
        return [{"starts_at": iso(start), "ends_at": iso(end)} for start, end in windows]

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def roster_windows(
        self,
        business_id: str,
        from_date: str,
        to_date: str,
        timezone: str | None = None,
        include_deactivated: bool = False,
    ) -> dict[str, Any]:
        """Every employee's working windows, as ``working_windows`` answers each, in hiring
        order (active ones unless told): ``{from_date, to_date, timezone, employees:
        [{employee_id, name, active, windows}]}``. Read from the schedule view, which is
        written with the events, so a command's change is in the next answer."""
        args = load(
            DateRangeSchema, {"from_date": from_date, "to_date": to_date, "timezone": timezone}
        )
        employees = self.app.roster_windows(
            business_id,
            date_of(args["from_date"]),
            date_of(args["to_date"]),
            args["timezone"],
            include_deactivated=include_deactivated is True,
        )
        return {**args, "employees": employees}

    @rpc
    def rebuild_schedule_view(self) -> dict[str, int]:
        """Operators: write every employee's schedule view document again from their stream."""
        return {"employees": self.app.schedule_view.rebuild()}

    # What employees may do.

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_service_limitations(
        self, business_id: str, employee_id: str, service_ids: list[str], category_ids: list[str]
    ) -> dict[str, Any]:
        """The services and categories the employee may perform (both empty: all)."""
        args = load(
            ServiceLimitationsSchema, {"service_ids": service_ids, "category_ids": category_ids}
        )
        return self._change(
            business_id,
            employee_id,
            lambda e: e.set_service_limitations(args["service_ids"], args["category_ids"]),
        )

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_permissions(
        self, business_id: str, employee_id: str, denied: list[str]
    ) -> dict[str, Any]:
        """The features the employee is denied (on top of the role's defaults)."""
        args = load(PermissionsSchema, {"denied": denied})
        return self._change(business_id, employee_id, lambda e: e.set_permissions(args["denied"]))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def is_allowed(self, business_id: str, employee_id: str, feature: str) -> bool:
        """Whether the employee may use the feature; an unknown feature is an error naming it."""
        permissions.check_feature(feature)
        return self.app.employee(business_id, employee_id).is_allowed(feature)  # type: ignore[no-any-return]

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def is_active(self, business_id: str, employee_id: str) -> bool:
        """Whether the employee still works here (the gateway asks, for each
        request made with their token on a route that needs no feature)."""
        return self.app.employee(business_id, employee_id).active  # type: ignore[no-any-return]

    @rpc
    def permission_table(self) -> dict[str, Any]:
        """The features, and which each role may use by default."""
        return {
            "features": list(permissions.FEATURES),
            "roles": {
                role: [f for f in permissions.FEATURES if f in permissions.ROLE_DEFAULTS[role]]
                for role in permissions.ROLES
            },
        }

    # The time clock.

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def clock_in(self, business_id: str, employee_id: str, at: str | None = None) -> dict[str, Any]:
        """Clock in now (or at ``at``, not in the future): ``{entry_id, at, position}``."""
        moment = clock_time(load(ClockSchema, {"at": at})["at"])
        entry_id = str(uuid.uuid4())
        reply = self._change(business_id, employee_id, lambda e: e.clock_in(entry_id, moment))
        return {"entry_id": entry_id, "at": iso(moment), **reply}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def clock_out(
        self, business_id: str, employee_id: str, at: str | None = None
    ) -> dict[str, Any]:
        """Clock out: ``{entry_id, at, worked_minutes, position}``."""
        moment = clock_time(load(ClockSchema, {"at": at})["at"])
        (entry_id, minutes), position = self.app.change(
            business_id, employee_id, lambda e: e.clock_out(moment)
        )
        return {
            "employee_id": check_id(employee_id, "employee_id"),
            "entry_id": entry_id,
            "at": iso(moment),
            "worked_minutes": minutes,
            "position": position,
        }

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def correct_entry(
        self, business_id: str, employee_id: str, **correction: Any
    ) -> dict[str, Any]:
        """A manager's correction of an entry, with a reason, kept in its history."""
        args = load(CorrectionSchema, correction)
        return self._change(
            business_id,
            employee_id,
            lambda e: e.correct_entry(
                args["entry_id"],
                clocked_in_at=instant_or_none(args["clocked_in_at"]),
                clocked_out_at=instant_or_none(args["clocked_out_at"]),
                reason=args["reason"],
                corrected_by=args["corrected_by"],
                now=now(),
            ),
        )

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def time_entries(self, business_id: str, employee_id: str) -> list[dict[str, Any]]:
        """Every time-clock entry of the employee, with its correction history."""
        return entries_view(self.app.employee(business_id, employee_id))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def timesheet(
        self,
        business_id: str,
        from_date: str,
        to_date: str,
        timezone: str,
        week_starts_on: int = 0,
    ) -> dict[str, Any]:
        """Per employee over a pay period: minutes per entry, regular and overtime per week."""
        args = load(
            TimesheetSchema,
            {
                "from_date": from_date,
                "to_date": to_date,
                "timezone": timezone,
                "week_starts_on": week_starts_on,
            },
        )
        return self.app.timesheets(  # type: ignore[no-any-return]
            check_id(business_id, "business_id"),
            date_of(args["from_date"]),
            date_of(args["to_date"]),
            args["timezone"],
            args["week_starts_on"],
        )

    def _change(self, business_id: str, employee_id: str, command: Any) -> dict[str, Any]:
        _, position = self.app.change(business_id, employee_id, command)
        return {"employee_id": check_id(employee_id, "employee_id"), "position": position}
