"""Working hours: weekly schedules, their exceptions, and the working windows they give.

Pure arithmetic, no framework. A weekly schedule is wall-clock shifts per
weekday (Monday = 0 ... Sunday = 6, ``HH:MM``, ``24:00`` ends a day) in an
IANA time zone, effective from a local date: each date uses the latest
schedule effective on or before it, so a new schedule never rewrites the
past. Exceptions are UTC instants: time off is taken out of the windows,
extra shifts are added. :func:`working_windows` answers an employee's
working windows over a range of local dates as merged, sorted UTC instants.

Daylight saving, deliberately: a shift starts the first time the wall clock
shows its start and ends the first time it shows its end.

- A wall time the clock skips (America/New_York 2026-03-08 02:00-03:00) is
  reached at the jump, 03:00 EDT: a 01:00-02:30 shift that day is one real
  hour (06:00Z-07:00Z), a 02:15-02:45 shift is empty and left out.
- A wall time the clock shows twice (2026-11-01 01:00-02:00) is its first
  showing (EDT): a 00:00-01:30 shift that day ends at 05:30Z, a 01:00-03:00
  shift runs 05:00Z-08:00Z, three real hours.
- A shift clear of the change is its nominal length either side: 09:00-17:00
  is 14:00Z-22:00Z on 2026-03-07 (EST) and 13:00Z-21:00Z on 2026-03-08
  (EDT), eight hours each.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from staff.errors import StaffInvalidInputError

MINUTES_PER_DAY: Final = 24 * 60
WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

Window = tuple[datetime, datetime]
"""A half-open interval [start, end) of aware UTC datetimes."""


@dataclasses.dataclass(frozen=True, order=True)
class Shift:
    """One working period of a weekday, in minutes after local midnight."""

    weekday: int
    start: int
    end: int

    def as_slot(self) -> dict[str, Any]:
        return {
            "weekday": self.weekday,
            "start": clock_text(self.start),
            "end": clock_text(self.end),
        }


@dataclasses.dataclass(frozen=True)
class WeeklySchedule:
    """Weekly shifts in ``timezone``, from ``effective_from`` (a local date) on."""

    timezone: str
    shifts: tuple[Shift, ...]
    effective_from: date


def zone(name: str, field: str = "timezone") -> ZoneInfo:
    """The IANA zone, or an error naming the field."""
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise StaffInvalidInputError.of_field(
            field, f"{name!r} is not an IANA time zone name, e.g. Europe/Stockholm"
        ) from None


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def clock_minutes(text: str, field: str, *, end_of_day: bool = False) -> int:
    """Minutes after midnight of ``HH:MM`` (``24:00`` too where it ends a day)."""
    if end_of_day and text == "24:00":
        return MINUTES_PER_DAY
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        allowed = "HH:MM on a 24-hour clock" + (" or 24:00" if end_of_day else "")
        raise StaffInvalidInputError.of_field(field, f"{text!r} is not a time: use {allowed}")
    return int(match.group(1)) * 60 + int(match.group(2))


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def weekly_shifts(slots: Iterable[dict[str, Any]]) -> tuple[Shift, ...]:
    """Shifts from ``[{weekday, start, end}]``, sorted; an error names the bad slot.

    Several shifts a day are allowed; overlapping ones are refused, as they
    mean the schedule was typed wrong.
    """
    shifts: list[tuple[Shift, int]] = []
    for index, slot in enumerate(slots):
        where = f"weekly.{index}"
        weekday = slot.get("weekday")
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            raise StaffInvalidInputError.of_field(
                f"{where}.weekday", f"{weekday!r} is not a weekday: 0 (Monday) to 6 (Sunday)"
            )
        start = clock_minutes(slot.get("start"), f"{where}.start")  # type: ignore[arg-type]
        end = clock_minutes(slot.get("end"), f"{where}.end", end_of_day=True)  # type: ignore[arg-type]
        if end <= start:
            raise StaffInvalidInputError.of_field(
                f"{where}.end", f"must be after start {clock_text(start)}"
            )
        shifts.append((Shift(weekday, start, end), index))
    shifts.sort()
    for (before, first), (after, second) in itertools.pairwise(shifts):
        if before.weekday == after.weekday and after.start < before.end:
            raise StaffInvalidInputError.of_field(
                f"weekly.{second}",
                f"overlaps weekly.{first} ({WEEKDAYS[before.weekday]} "
                f"{clock_text(before.start)}-{clock_text(before.end)})",
            )
    return tuple(shift for shift, _ in shifts)


# Cached: the employees of a business share a zone and mostly the same shift
# times, so a roster's windows ask the same few conversions again and again.
@lru_cache(maxsize=65536)
def first_showing(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """The first UTC instant at which the wall clock in ``tz`` shows ``day`` + ``minutes``.

    A time the clock shows twice: its first showing (``fold=0``). A time it
    skips: the instant of the jump.
    """
    wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
    later = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if later.astimezone(tz).replace(tzinfo=None) == wall:
        return later
    # In a gap: fold=0 reads the wall time with the offset before the jump
    # (an instant after it), fold=1 with the one after (an instant before it).
    # The jump lies between; transitions fall on whole seconds.
    earlier = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after_offset = later.astimezone(tz).utcoffset()
    low, high = earlier, later
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) // 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(tz).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return high


def day_bounds(first: date, last: date, tz: ZoneInfo) -> Window:
    """[start of ``first``, start of the day after ``last``) in UTC."""
    return first_showing(first, 0, tz), first_showing(last + timedelta(days=1), 0, tz)


def merge(windows: Iterable[Window]) -> list[Window]:
    """The union of the windows, sorted; touching windows become one."""
    merged: list[Window] = []
    for start, end in sorted(w for w in windows if w[1] > w[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(windows: Sequence[Window], holes: Iterable[Window]) -> list[Window]:
    """``windows`` (merged) less every instant of ``holes``."""
    result: list[Window] = []
    cuts = merge(holes)
    for window_start, end in windows:
        start = window_start
        for cut_start, cut_end in cuts:
            if cut_end <= start or cut_start >= end:
                continue
            if cut_start > start:
                result.append((start, cut_start))
            start = max(start, cut_end)
            if start >= end:
                break
        if start < end:
            result.append((start, end))
    return result


def clip(windows: Iterable[Window], bounds: Window) -> list[Window]:
    low, high = bounds
    return [(max(s, low), min(e, high)) for s, e in windows if e > low and s < high]


def schedule_on(schedules: Sequence[WeeklySchedule], day: date) -> WeeklySchedule | None:
    """The latest schedule effective on or before ``day``; ``schedules`` sorted by date."""
    index = bisect.bisect_right([s.effective_from for s in schedules], day)
    return schedules[index - 1] if index else None


def scheduled_windows(schedules: Iterable[WeeklySchedule], first: date, last: date) -> list[Window]:
    """The weekly shifts of each local date from ``first`` to ``last``, as UTC windows."""
    ordered = sorted(schedules, key=lambda s: s.effective_from)
    windows: list[Window] = []
    day = first
    while day <= last:
        schedule = schedule_on(ordered, day)
        if schedule is not None:
            tz = zone(schedule.timezone)
            for shift in schedule.shifts:
                if shift.weekday == day.weekday():
                    window = (
                        first_showing(day, shift.start, tz),
                        first_showing(day, shift.end, tz),
                    )
                    if window[1] > window[0]:  # empty when the shift lies in a skipped hour
                        windows.append(window)
        day += timedelta(days=1)
    return windows


def working_windows(
    schedules: Iterable[WeeklySchedule],
    first: date,
    last: date,
    timezone: str,
    *,
    time_off: Iterable[Window] = (),
    extra_shifts: Iterable[Window] = (),
) -> list[Window]:
    """Working windows over local dates ``first``..``last`` (in ``timezone``) as
    merged, sorted UTC windows: weekly shifts plus extra shifts, less time off."""
    if last < first:
        raise StaffInvalidInputError.of_field("to", f"{last} is before from {first}")
    bounds = day_bounds(first, last, zone(timezone))
    # A schedule in another zone than the range's may put a shift of the day
    # before or after inside the range: look one day further each side.
    scheduled = scheduled_windows(schedules, first - timedelta(days=1), last + timedelta(days=1))
    return clip(subtract(merge([*scheduled, *extra_shifts]), time_off), bounds)
