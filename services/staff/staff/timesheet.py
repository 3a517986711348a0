"""Timesheets: worked minutes per time-clock entry, and regular and overtime hours per week.

Pure arithmetic, no framework. Minutes are real elapsed minutes between UTC
instants (an entry across a daylight-saving change counts the hours that
passed, not the wall-clock difference), rounded down to the whole minute.

A pay period is local dates ``first``..``last`` in the business's time zone;
work weeks start at local midnight of ``week_starts_on`` (Monday = 0 ...
Sunday = 6, default Monday, as our weekdays and ISO 8601 count). Overtime is
what a work week has beyond ``weekly_limit_minutes`` (40 hours). An entry
across midnight, a week boundary or a period boundary is split there, and
only its minutes inside the period count: a period that cuts a work week in
two counts overtime on the part inside it, so pay periods should start on
the week's first day. Entries still open (clocked in, not out) are listed
and counted nowhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, Final

from staff.errors import StaffInvalidInputError
from staff.schedule import day_bounds, first_showing, zone

WEEKLY_LIMIT_MINUTES: Final = 40 * 60
MONDAY: Final = 0


@dataclasses.dataclass(frozen=True)
class TimeEntry:
    """One time-clock entry: clocked in at, clocked out at (None while open)."""

    entry_id: str
    clocked_in_at: datetime
    clocked_out_at: datetime | None = None


def worked_minutes(clocked_in_at: datetime, clocked_out_at: datetime) -> int:
    """Whole minutes that passed between two instants."""
    return int((clocked_out_at - clocked_in_at).total_seconds() // 60)


def minutes_within(entry: TimeEntry, start: datetime, end: datetime) -> int:
    """Minutes of a closed entry inside [start, end).

    Counted as minute marks passed (a minute belongs where it ends), so the
    pieces of an entry split anywhere always add up to its worked minutes.
    """
    assert entry.clocked_out_at is not None
    low = min(max(start, entry.clocked_in_at), entry.clocked_out_at)
    high = min(max(end, entry.clocked_in_at), entry.clocked_out_at)
    if high <= low:
        return 0
    return worked_minutes(entry.clocked_in_at, high) - worked_minutes(entry.clocked_in_at, low)


@dataclasses.dataclass(frozen=True)
class WeekHours:
    week_starts_on: date
    total_minutes: int
    regular_minutes: int
    overtime_minutes: int


@dataclasses.dataclass(frozen=True)
class Timesheet:
    """One employee's pay period."""

    entries: list[dict[str, Any]]
    weeks: list[WeekHours]
    open_entries: list[str]

    @property
    def total_minutes(self) -> int:
        return sum(week.total_minutes for week in self.weeks)

    @property
    def regular_minutes(self) -> int:
        return sum(week.regular_minutes for week in self.weeks)

    @property
    def overtime_minutes(self) -> int:
        return sum(week.overtime_minutes for week in self.weeks)


def week_starts(first: date, last: date, week_starts_on: int) -> list[date]:
    """First days of the work weeks that meet ``first``..``last``."""
    start = first - timedelta(days=(first.weekday() - week_starts_on) % 7)
    starts = []
    while start <= last:
        starts.append(start)
        start += timedelta(days=7)
    return starts


def check_week_start(week_starts_on: Any) -> int:
    if (
        not isinstance(week_starts_on, int)
        or isinstance(week_starts_on, bool)
        or not 0 <= week_starts_on <= 6
    ):
        raise StaffInvalidInputError.of_field(
            "week_starts_on", f"{week_starts_on!r} is not a weekday: 0 (Monday) to 6 (Sunday)"
        )
    return week_starts_on


def timesheet(
    entries: Iterable[TimeEntry],
    first: date,
    last: date,
    timezone: str,
    *,
    week_starts_on: int = MONDAY,
    weekly_limit_minutes: int = WEEKLY_LIMIT_MINUTES,
) -> Timesheet:
    """One employee's pay period ``first``..``last`` (local dates in ``timezone``)."""
    if last < first:
        raise StaffInvalidInputError.of_field("to", f"{last} is before from {first}")
    check_week_start(week_starts_on)
    tz = zone(timezone)
    period_start, period_end = day_bounds(first, last, tz)
    ordered = sorted(entries, key=lambda e: e.clocked_in_at)
    closed = [e for e in ordered if e.clocked_out_at is not None]
    lines = []
    for entry in closed:
        assert entry.clocked_out_at is not None
        inside = minutes_within(entry, period_start, period_end)
        if inside or period_start <= entry.clocked_in_at < period_end:
            lines.append(
                {
                    "entry_id": entry.entry_id,
                    "clocked_in_at": entry.clocked_in_at,
                    "clocked_out_at": entry.clocked_out_at,
                    "worked_minutes": worked_minutes(entry.clocked_in_at, entry.clocked_out_at),
                    "minutes_in_period": inside,
                }
            )
    weeks = []
    for week_start in week_starts(first, last, week_starts_on):
        start = max(first_showing(week_start, 0, tz), period_start)
        end = min(first_showing(week_start + timedelta(days=7), 0, tz), period_end)
        total = sum(minutes_within(entry, start, end) for entry in closed)
        overtime = max(0, total - weekly_limit_minutes)
        weeks.append(WeekHours(week_start, total, total - overtime, overtime))
    open_entries = [
        e.entry_id for e in ordered if e.clocked_out_at is None and e.clocked_in_at < period_end
    ]
    return Timesheet(lines, weeks, open_entries)
