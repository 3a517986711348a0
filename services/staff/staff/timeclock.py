"""Time-clock rules: when an employee may clock in or out, and how a manager corrects an entry.

Pure rules, no framework: each function checks a command against an
employee's entries and returns what the event should say, or raises a
:class:`~staff.errors.StaffRefusedError` / ``StaffInvalidInputError`` whose
sentence says what to do instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime

from staff.errors import StaffInvalidInputError, StaffRefusedError
from staff.timesheet import TimeEntry, worked_minutes


@dataclasses.dataclass(frozen=True)
class Correction:
    """A manager's change to an entry, kept in the entry's history."""

    corrected_at: datetime
    corrected_by: str
    reason: str
    clocked_in_at: datetime
    clocked_out_at: datetime | None
    previous_in: datetime
    previous_out: datetime | None


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def open_entry(entries: Iterable[TimeEntry]) -> TimeEntry | None:
    return next((e for e in entries if e.clocked_out_at is None), None)


def overlapping(
    entries: Iterable[TimeEntry],
    start: datetime,
    end: datetime | None,
    *,
    besides: str | None = None,
) -> TimeEntry | None:
    """An entry other than ``besides`` sharing time with [start, end) (end None: open)."""
    for entry in entries:
        if entry.entry_id == besides:
            continue
        other_end = entry.clocked_out_at
        if (end is None or entry.clocked_in_at < end) and (other_end is None or start < other_end):
            return entry
    return None


def check_clock_in(name: str, active: bool, entries: Iterable[TimeEntry], at: datetime) -> None:
    """Refuses a deactivated employee, one already clocked in, or a time inside another entry."""
    entries = list(entries)
    if not active:
        raise StaffRefusedError(f"{name} is deactivated and cannot clock in")
    current = open_entry(entries)
    if current is not None:
        raise StaffRefusedError(
            f"{name} is already clocked in since {iso(current.clocked_in_at)} "
            f"(entry {current.entry_id}): clock out first"
        )
    clash = overlapping(entries, at, None)
    if clash is not None:
        raise StaffRefusedError(
            f"{name} cannot clock in at {iso(at)}: entry {clash.entry_id} already covers "
            f"{iso(clash.clocked_in_at)} to {iso(clash.clocked_out_at)}"
        )


def check_clock_out(name: str, entries: Iterable[TimeEntry], at: datetime) -> tuple[str, int]:
    """The open entry's id and its worked minutes; refused when not clocked in."""
    current = open_entry(entries)
    if current is None:
        raise StaffRefusedError(f"{name} is not clocked in: clock in first")
    if at < current.clocked_in_at:
        raise StaffRefusedError(
            f"{name} cannot clock out at {iso(at)}, before clocking in at "
            f"{iso(current.clocked_in_at)}"
        )
    return current.entry_id, worked_minutes(current.clocked_in_at, at)


def check_correction(
    entries: Mapping[str, TimeEntry],
    entry_id: str,
    clocked_in_at: datetime | None,
    clocked_out_at: datetime | None,
    reason: str,
) -> tuple[datetime, datetime | None]:
    """The corrected entry's times; refused if it would end before it starts or overlap another."""
    if not reason or not reason.strip():
        raise StaffInvalidInputError.of_field("reason", "say why the entry is corrected")
    entry = entries.get(entry_id)
    if entry is None:
        raise StaffInvalidInputError.of_field(
            "entry_id", f"no time-clock entry {entry_id} for this employee"
        )
    new_in = clocked_in_at or entry.clocked_in_at
    new_out = clocked_out_at or entry.clocked_out_at
    if clocked_in_at is None and clocked_out_at is None:
        raise StaffInvalidInputError.of_field(
            "clocked_in_at", "give clocked_in_at, clocked_out_at or both"
        )
    if new_out is not None and new_out <= new_in:
        raise StaffRefusedError(
            f"entry {entry_id} would end at {iso(new_out)}, not after it starts at {iso(new_in)}"
        )
    clash = overlapping(entries.values(), new_in, new_out, besides=entry_id)
    if clash is not None:
        raise StaffRefusedError(
            f"entry {entry_id} would overlap entry {clash.entry_id} "
            f"({iso(clash.clocked_in_at)} to {iso(clash.clocked_out_at)})"
        )
    return new_in, new_out
