"""The staff service's aggregates: an ``Employee`` and the ``Roster`` of a business.

State changes only through events. Each command method checks its rules
first (with the pure modules: schedule, permissions, timeclock) and then
triggers one past-tense event whose method body only applies it, as
replaying the stream runs those bodies again.

An employee's stream holds everything about them: profile, schedules and
their exceptions, service limitations, deny list, and time-clock entries
with their corrections. The roster lists the employees a business ever
hired, so the business's employees and timesheets can be found without a
second write beside ``save()`` (it is saved with the hire, in one
transaction). Instants in events are UTC ISO 8601 strings, as published.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from staff import permissions, timeclock
from staff.errors import StaffInvalidInputError, StaffRefusedError
from staff.schedule import WeeklySchedule, Window, schedule_on, weekly_shifts, working_windows
from staff.timesheet import TimeEntry

ROSTER_NAMESPACE = uuid.UUID("0b6c7f7e-52a4-4c8f-8d1e-5b3f0c8f2d41")


def instant_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class Employee(Aggregate):
    """A person working for a business: who they are, when they work, what they may do."""

    @event("Hired")
    def __init__(self, business_id: str, name: str, role: str, email: str | None) -> None:
        self.business_id = business_id
        self.name = name
        self.role = role
        self.email = email
        self.active = True
        self.schedules: dict[date, WeeklySchedule] = {}
        self.time_off: dict[str, tuple[Window, str | None]] = {}
        self.extra_shifts: dict[str, Window] = {}
        self.service_ids: list[str] = []
        self.category_ids: list[str] = []
        self.denied: list[str] = []
        self.entries: dict[str, TimeEntry] = {}
        self.corrections: dict[str, list[timeclock.Correction]] = {}

    # Profile.

    def update(self, name: str | None, role: str | None, email: str | None) -> None:
        self._check_active("be changed")
        if role is not None:
            permissions.check_role(role)
        self._updated(
            name or self.name, role or self.role, email if email is not None else self.email
        )

    @event("Updated")
    def _updated(self, name: str, role: str, email: str | None) -> None:
        self.name, self.role, self.email = name, role, email

    def deactivate(self, today: date) -> None:
        """Keeps the history; from today on no schedule (so nothing to book) and no clocking in."""
        self._check_active("be deactivated again")
        current = timeclock.open_entry(self.entries.values())
        if current is not None:
            raise StaffRefusedError(
                f"{self.name} is clocked in (entry {current.entry_id}): clock them out first"
            )
        # Booking reads hours from EmployeeScheduleSet only: no hours from
        # today on, nor from any later schedule already set.
        for effective_from, schedule in sorted(self.schedules.items()):
            if effective_from > today and schedule.shifts:
                self._schedule_set(schedule.timezone, [], effective_from.isoformat())
        current_schedule = schedule_on(sorted(self.schedules.values(), key=by_date), today)
        if current_schedule is not None and current_schedule.shifts:
            self._schedule_set(current_schedule.timezone, [], today.isoformat())
        self._deactivated()

    @event("Deactivated")
    def _deactivated(self) -> None:
        self.active = False

    # Schedules and their exceptions.

    def set_schedule(
        self, timezone: str, weekly: list[dict[str, Any]], effective_from: date, today: date
    ) -> None:
        self._check_active("get a schedule")
        shifts = weekly_shifts(weekly)
        if effective_from < today:
            raise StaffRefusedError(
                f"a schedule cannot start on {effective_from}, in the past ({timezone}): "
                f"changes do not rewrite the past; start it on {today} or later"
            )
        slots = [shift.as_slot() for shift in shifts]
        self._schedule_set(timezone, slots, effective_from.isoformat())

    @event("ScheduleSet")
    def _schedule_set(
        self, timezone: str, weekly: list[dict[str, Any]], effective_from: str
    ) -> None:
        day = date.fromisoformat(effective_from)
        self.schedules[day] = WeeklySchedule(timezone, weekly_shifts(weekly), day)

    def latest_schedule(self) -> WeeklySchedule | None:
        return self.schedules[max(self.schedules)] if self.schedules else None

    def add_time_off(
        self, time_off_id: str, starts_at: datetime, ends_at: datetime, reason: str | None
    ) -> None:
        self._check_active("get time off")
        check_window(starts_at, ends_at)
        self._time_off_added(time_off_id, instant_text(starts_at), instant_text(ends_at), reason)

    @event("TimeOffAdded")
    def _time_off_added(
        self, time_off_id: str, starts_at: str, ends_at: str, reason: str | None
    ) -> None:
        self.time_off[time_off_id] = ((parse_instant(starts_at), parse_instant(ends_at)), reason)

    def add_extra_shift(self, shift_id: str, starts_at: datetime, ends_at: datetime) -> None:
        self._check_active("get an extra shift")
        check_window(starts_at, ends_at)
        self._extra_shift_added(shift_id, instant_text(starts_at), instant_text(ends_at))

    @event("ExtraShiftAdded")
    def _extra_shift_added(self, shift_id: str, starts_at: str, ends_at: str) -> None:
        self.extra_shifts[shift_id] = (parse_instant(starts_at), parse_instant(ends_at))

    def working_windows(self, first: date, last: date, timezone: str) -> list[Window]:
        return working_windows(
            self.schedules.values(),
            first,
            last,
            timezone,
            time_off=[window for window, _ in self.time_off.values()],
            extra_shifts=list(self.extra_shifts.values()) if self.active else [],
        )

    # What they may do.

    def set_service_limitations(self, service_ids: list[str], category_ids: list[str]) -> None:
        self._check_active("get service limitations")
        self._service_limitations_set(sorted(set(service_ids)), sorted(set(category_ids)))

    @event("ServiceLimitationsSet")
    def _service_limitations_set(self, service_ids: list[str], category_ids: list[str]) -> None:
        self.service_ids, self.category_ids = service_ids, category_ids

    def set_permissions(self, denied: list[str]) -> None:
        self._check_active("get permissions")
        self._permissions_changed(permissions.deny_list(denied))

    @event("PermissionsChanged")
    def _permissions_changed(self, denied: list[str]) -> None:
        self.denied = denied

    def is_allowed(self, feature: str) -> bool:
        allowed = permissions.is_allowed(self.role, self.denied, feature)
        return allowed and self.active

    # The time clock.

    def clock_in(self, entry_id: str, at: datetime) -> None:
        timeclock.check_clock_in(self.name, self.active, self.entries.values(), at)
        self._clocked_in(entry_id, instant_text(at))

    @event("ClockedIn")
    def _clocked_in(self, entry_id: str, at: str) -> None:
        self.entries[entry_id] = TimeEntry(entry_id, parse_instant(at))

    def clock_out(self, at: datetime) -> tuple[str, int]:
        """The entry closed and its worked minutes."""
        entry_id, minutes = timeclock.check_clock_out(self.name, self.entries.values(), at)
        self._clocked_out(entry_id, instant_text(at), minutes)
        return entry_id, minutes

    @event("ClockedOut")
    def _clocked_out(self, entry_id: str, at: str, worked_minutes: int) -> None:
        entry = self.entries[entry_id]
        self.entries[entry_id] = TimeEntry(entry_id, entry.clocked_in_at, parse_instant(at))

    def correct_entry(
        self,
        entry_id: str,
        *,
        clocked_in_at: datetime | None,
        clocked_out_at: datetime | None,
        reason: str,
        corrected_by: str,
        now: datetime,
    ) -> None:
        """A manager's correction; allowed after deactivation too (it fixes history)."""
        new_in, new_out = timeclock.check_correction(
            self.entries, entry_id, clocked_in_at, clocked_out_at, reason
        )
        self._entry_corrected(
            entry_id,
            instant_text(new_in),
            instant_text(new_out) if new_out else None,
            reason.strip(),
            corrected_by,
            instant_text(now),
        )

    @event("EntryCorrected")
    def _entry_corrected(  # noqa: PLR0917  (the event's fields, as the library builds it)
        self,
        entry_id: str,
        clocked_in_at: str,
        clocked_out_at: str | None,
        reason: str,
        corrected_by: str,
        corrected_at: str,
    ) -> None:
        before = self.entries[entry_id]
        after = TimeEntry(
            entry_id,
            parse_instant(clocked_in_at),
            parse_instant(clocked_out_at) if clocked_out_at else None,
        )
        self.entries[entry_id] = after
        self.corrections.setdefault(entry_id, []).append(
            timeclock.Correction(
                parse_instant(corrected_at),
                corrected_by,
                reason,
                after.clocked_in_at,
                after.clocked_out_at,
                before.clocked_in_at,
                before.clocked_out_at,
            )
        )

    def _check_active(self, what: str) -> None:
        if not self.active:
            raise StaffRefusedError(f"{self.name} is deactivated and cannot {what}")


def by_date(schedule: WeeklySchedule) -> date:
    return schedule.effective_from


def check_window(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise StaffInvalidInputError.of_field(
            "ends_at", f"{instant_text(ends_at)} is not after starts_at {instant_text(starts_at)}"
        )


class Roster(Aggregate):
    """The employees a business has hired, in hiring order (deactivated ones stay)."""

    @staticmethod
    def create_id(business_id: str) -> uuid.UUID:
        return uuid.uuid5(ROSTER_NAMESPACE, business_id)

    @event("Opened")
    def __init__(self, business_id: str) -> None:
        self.business_id = business_id
        self.employee_ids: list[str] = []

    @event("EmployeeJoined")
    def join(self, employee_id: str) -> None:
        self.employee_ids.append(employee_id)
