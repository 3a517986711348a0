"""Unit tests of the schedule arithmetic (no I/O): hand-computed examples and properties."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from staff.errors import StaffInvalidInputError
from staff.schedule import (
    WeeklySchedule,
    first_showing,
    schedule_on,
    weekly_shifts,
    working_windows,
    zone,
)

NEW_YORK = "America/New_York"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def every_day(start: str, end: str) -> list[dict[str, object]]:
    return [{"weekday": day, "start": start, "end": end} for day in range(7)]


def schedule(slots: list[dict[str, object]], since: str = "2026-01-01", tz: str = NEW_YORK):
    return WeeklySchedule(tz, weekly_shifts(slots), date.fromisoformat(since))


def windows_on(day: str, slots, tz: str = NEW_YORK, **kwargs):
    on = date.fromisoformat(day)
    return working_windows([schedule(slots, tz=tz)], on, on, tz, **kwargs)


def hours(window) -> float:
    return (window[1] - window[0]).total_seconds() / 3600


# Daylight saving in New York: 2026-03-08 02:00 EST -> 03:00 EDT, 2026-11-01 02:00 EDT -> 01:00 EST.


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-03-07", ("2026-03-07T14:00", "2026-03-07T22:00")),  # EST, UTC-5
        ("2026-03-08", ("2026-03-08T13:00", "2026-03-08T21:00")),  # EDT from 03:00
        ("2026-10-31", ("2026-10-31T13:00", "2026-10-31T21:00")),  # EDT, UTC-4
        ("2026-11-01", ("2026-11-01T14:00", "2026-11-01T22:00")),  # EST from 02:00
    ],
)
def test_a_nine_to_five_shift_is_eight_hours_of_utc_either_side_of_a_dst_change(day, expected):
    windows = windows_on(day, every_day("09:00", "17:00"))
    assert windows == [(utc(expected[0]), utc(expected[1]))]
    assert hours(windows[0]) == 8


def test_a_shift_across_the_skipped_hour_starts_or_ends_at_the_jump():
    # 01:00-02:30 on 2026-03-08: the clock never shows 02:30; it reaches it at the jump (07:00Z).
    assert windows_on("2026-03-08", every_day("01:00", "02:30")) == [
        (utc("2026-03-08T06:00"), utc("2026-03-08T07:00"))
    ]
    # 02:30-04:00 starts at the jump too: one real hour, 03:00-04:00 EDT.
    assert windows_on("2026-03-08", every_day("02:30", "04:00")) == [
        (utc("2026-03-08T07:00"), utc("2026-03-08T08:00"))
    ]
    # A shift wholly inside the skipped hour is empty, so absent.
    assert windows_on("2026-03-08", every_day("02:15", "02:45")) == []


def test_a_shift_across_the_repeated_hour_uses_its_first_showing():
    # 01:00-03:00 on 2026-11-01: from 01:00 EDT (05:00Z) to 03:00 EST (08:00Z): three real hours.
    assert windows_on("2026-11-01", every_day("01:00", "03:00")) == [
        (utc("2026-11-01T05:00"), utc("2026-11-01T08:00"))
    ]
    # 00:00-01:30 ends at the first 01:30 (EDT).
    assert windows_on("2026-11-01", every_day("00:00", "01:30")) == [
        (utc("2026-11-01T04:00"), utc("2026-11-01T05:30"))
    ]


def test_24_00_ends_the_shift_at_the_next_local_midnight():
    assert windows_on("2026-03-07", every_day("18:00", "24:00")) == [
        (utc("2026-03-07T23:00"), utc("2026-03-08T05:00"))
    ]


def test_first_showing_of_a_skipped_time_is_the_jump_in_other_zones():
    # Lord Howe Island moves its clock by 30 minutes: 2026-10-04 02:00 -> 02:30.
    lord_howe = zone("Australia/Lord_Howe")
    jump = first_showing(date(2026, 10, 4), 2 * 60 + 10, lord_howe)
    assert jump == first_showing(date(2026, 10, 4), 2 * 60 + 30, lord_howe)
    assert jump.astimezone(lord_howe).strftime("%H:%M") == "02:30"


def test_several_shifts_a_day_merge_when_they_touch():
    slots = [
        {"weekday": 0, "start": "08:00", "end": "12:00"},
        {"weekday": 0, "start": "13:00", "end": "17:00"},
        {"weekday": 0, "start": "17:00", "end": "18:00"},
    ]
    # 2026-11-23 is a Monday; Paris is UTC+1 in November.
    assert windows_on("2026-11-23", slots, tz="Europe/Paris") == [
        (utc("2026-11-23T07:00"), utc("2026-11-23T11:00")),
        (utc("2026-11-23T12:00"), utc("2026-11-23T17:00")),
    ]


def test_a_new_schedule_does_not_rewrite_the_past():
    old = schedule(every_day("09:00", "17:00"), since="2026-01-01", tz="UTC")
    new = schedule(every_day("10:00", "12:00"), since="2026-06-10", tz="UTC")
    windows = working_windows([new, old], date(2026, 6, 9), date(2026, 6, 10), "UTC")
    assert windows == [
        (utc("2026-06-09T09:00"), utc("2026-06-09T17:00")),
        (utc("2026-06-10T10:00"), utc("2026-06-10T12:00")),
    ]
    assert schedule_on([old, new], date(2025, 12, 31)) is None


def test_time_off_is_removed_and_extra_shifts_added():
    windows = working_windows(
        [schedule(every_day("09:00", "17:00"), tz="UTC")],
        date(2026, 6, 1),
        date(2026, 6, 2),
        "UTC",
        time_off=[(utc("2026-06-01T12:00"), utc("2026-06-02T10:00"))],
        extra_shifts=[(utc("2026-06-02T17:00"), utc("2026-06-02T19:00"))],
    )
    assert windows == [
        (utc("2026-06-01T09:00"), utc("2026-06-01T12:00")),
        (utc("2026-06-02T10:00"), utc("2026-06-02T19:00")),
    ]


@pytest.mark.parametrize(
    ("slots", "field"),
    [
        ([{"weekday": 7, "start": "09:00", "end": "10:00"}], "weekly.0.weekday"),
        ([{"weekday": 1, "start": "9:00", "end": "10:00"}], "weekly.0.start"),
        ([{"weekday": 1, "start": "24:00", "end": "24:00"}], "weekly.0.start"),
        ([{"weekday": 1, "start": "10:00", "end": "10:00"}], "weekly.0.end"),
        ([{"weekday": 1, "start": "10:00", "end": "25:00"}], "weekly.0.end"),
        (
            [
                {"weekday": 1, "start": "09:00", "end": "12:00"},
                {"weekday": 1, "start": "11:00", "end": "13:00"},
            ],
            "weekly.1",
        ),
    ],
)
def test_a_bad_weekly_slot_is_refused_naming_it(slots, field):
    with pytest.raises(StaffInvalidInputError) as refused:
        weekly_shifts(slots)
    assert list(refused.value.fields) == [field]
    assert refused.value.code == "invalid_request"


def test_an_unknown_time_zone_and_a_backwards_range_are_refused():
    with pytest.raises(StaffInvalidInputError, match="timezone"):
        zone("Mars/Olympus_Mons")
    with pytest.raises(StaffInvalidInputError, match="before"):
        working_windows([], date(2026, 1, 2), date(2026, 1, 1), "UTC")


# Properties.

ZONES = ["America/New_York", "Europe/Paris", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]


@st.composite
def shifts(draw) -> list[dict[str, object]]:
    slots = []
    for weekday in draw(st.lists(st.integers(0, 6), max_size=10)):
        start = draw(st.integers(0, 24 * 60 - 1))
        end = draw(st.integers(start + 1, 24 * 60))
        slots.append({"weekday": weekday, "start": start, "end": end})
    # Keep the slots of a day apart (overlaps are refused).
    kept: list[dict[str, object]] = []
    for slot in slots:
        if all(
            other["weekday"] != slot["weekday"]
            or other["end"] <= slot["start"]
            or slot["end"] <= other["start"]
            for other in kept
        ):
            kept.append(slot)
    return [
        {"weekday": s["weekday"], "start": clock(s["start"]), "end": clock(s["end"])} for s in kept
    ]


def clock(minutes: object) -> str:
    assert isinstance(minutes, int)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def intervals(base: datetime, days: int):
    span = days * 24 * 60
    return st.lists(
        st.tuples(st.integers(-24 * 60, span), st.integers(1, 36 * 60)).map(
            lambda p: (base + timedelta(minutes=p[0]), base + timedelta(minutes=p[0] + p[1]))
        ),
        max_size=4,
    )


@st.composite
def cases(draw):
    tz = draw(st.sampled_from(ZONES))
    # Around the DST changes of the zones above, and ordinary weeks.
    first = draw(st.sampled_from([date(2026, 3, 6), date(2026, 3, 27), date(2026, 10, 1),
                                  date(2026, 10, 23), date(2026, 6, 15)]))  # fmt: skip
    first += timedelta(days=draw(st.integers(0, 6)))
    days = draw(st.integers(1, 9))
    versions = [
        schedule(draw(shifts()), since=str(first + timedelta(days=offset)), tz=tz)
        for offset in sorted(set(draw(st.lists(st.integers(-3, days), min_size=1, max_size=3))))
    ]
    base = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    time_off = draw(intervals(base, days))
    extra = draw(intervals(base, days))
    return tz, first, first + timedelta(days=days - 1), versions, time_off, extra


def wall_time_reached(moment: datetime, tz: str) -> datetime:
    """The latest wall time the clock in ``tz`` has shown by ``moment``: its reading,
    except in the hour the clock repeats after being set back, when it has already
    shown the hour once (a shift that began then goes on until its end is shown)."""
    tzinfo = zone(tz)
    readings = [moment.astimezone(tzinfo).replace(tzinfo=None)]
    hours_before = (moment - timedelta(hours=3)).astimezone(tzinfo)
    if hours_before.utcoffset() != moment.astimezone(tzinfo).utcoffset():  # a change since
        readings += [
            (moment - timedelta(minutes=m)).astimezone(tzinfo).replace(tzinfo=None)
            for m in range(1, 181)
        ]
    return max(readings)


def local_minute_in_a_shift(moment: datetime, versions: list[WeeklySchedule], tz: str) -> bool:
    local = wall_time_reached(moment, tz)
    version = schedule_on(sorted(versions, key=lambda v: v.effective_from), local.date())
    if version is None:
        return False
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    return any(
        shift.weekday == local.weekday() and shift.start * 60 <= seconds < shift.end * 60
        for shift in version.shifts
    )


@settings(max_examples=300, deadline=None)
@given(cases())
def test_windows_never_overlap_never_leave_the_hours_and_never_cover_time_off(case):
    tz, first, last, versions, time_off, extra = case
    windows = working_windows(versions, first, last, tz, time_off=time_off, extra_shifts=extra)
    low = first_showing(first, 0, zone(tz))
    high = first_showing(last + timedelta(days=1), 0, zone(tz))
    for start, end in windows:
        assert start < end
        assert low <= start
        assert end <= high
        for off_start, off_end in time_off:
            assert end <= off_start or off_end <= start  # time off is always removed
        for moment in (start, start + (end - start) / 2, end - timedelta(seconds=1)):
            in_extra = any(s <= moment < e for s, e in extra)
            assert in_extra or local_minute_in_a_shift(moment, versions, tz)
    for (_, end), (start, _) in itertools.pairwise(windows):
        assert end < start  # sorted, apart (touching windows are merged)
    # Every extra-shift instant inside the range and outside time off is a working one.
    for s, e in extra:
        for moment in (s, s + (e - s) / 2):
            if low <= moment < high and not any(a <= moment < b for a, b in time_off):
                assert any(a <= moment < b for a, b in windows)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ZONES), st.dates(date(2026, 1, 1), date(2027, 12, 31)), shifts())
def test_a_shift_clear_of_any_clock_change_keeps_its_length(tz, day, slots):
    windows = working_windows([schedule(slots, since="2025-01-01", tz=tz)], day, day, tz)
    tzinfo = zone(tz)
    midnight = first_showing(day, 0, tzinfo)
    next_midnight = first_showing(day + timedelta(days=1), 0, tzinfo)
    if next_midnight - midnight == timedelta(days=1):  # no clock change that day
        expected = sum(
            (s.end - s.start) for s in weekly_shifts(slots) if s.weekday == day.weekday()
        )
        assert sum((e - s).total_seconds() for s, e in windows) == expected * 60
