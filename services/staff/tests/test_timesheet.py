"""Unit tests of timesheets (no I/O): hand-computed pay periods and properties."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from staff.errors import StaffInvalidInputError
from staff.timesheet import TimeEntry, minutes_within, timesheet, worked_minutes

NEW_YORK = "America/New_York"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def entry(number: int, clocked_in: str, clocked_out: str | None) -> TimeEntry:
    return TimeEntry(f"e{number}", utc(clocked_in), utc(clocked_out) if clocked_out else None)


def test_a_night_shift_across_spring_forward_is_seven_real_hours():
    # 22:00 EST on 2026-03-07 to 06:00 EDT on 2026-03-08: 8 wall-clock hours, 7 real.
    night = entry(1, "2026-03-08T03:00", "2026-03-08T10:00")
    sheet = timesheet([night], date(2026, 3, 2), date(2026, 3, 8), NEW_YORK)
    assert sheet.entries[0]["worked_minutes"] == 420
    assert sheet.total_minutes == 420
    assert sheet.overtime_minutes == 0


def test_a_night_shift_across_fall_back_is_nine_real_hours():
    # 22:00 EDT on 2026-10-31 to 06:00 EST on 2026-11-01: 8 wall-clock hours, 9 real.
    night = entry(1, "2026-11-01T02:00", "2026-11-01T11:00")
    sheet = timesheet([night], date(2026, 10, 26), date(2026, 11, 1), NEW_YORK)
    assert sheet.total_minutes == 540


def test_five_nine_hour_days_give_five_hours_of_overtime():
    # Monday 2026-11-16 to Friday 2026-11-20, 08:00-17:00 EST (13:00Z-22:00Z).
    days = [entry(n, f"2026-11-{16 + n}T13:00", f"2026-11-{16 + n}T22:00") for n in range(5)]
    sheet = timesheet(days, date(2026, 11, 16), date(2026, 11, 29), NEW_YORK)
    assert [(w.week_starts_on, w.regular_minutes, w.overtime_minutes) for w in sheet.weeks] == [
        (date(2026, 11, 16), 40 * 60, 5 * 60),
        (date(2026, 11, 23), 0, 0),
    ]
    assert (sheet.regular_minutes, sheet.overtime_minutes) == (2400, 300)


def test_the_work_week_start_decides_which_week_hours_belong_to():
    # Sunday 2026-11-22 and Monday 2026-11-23, 24 hours each (UTC business).
    long_days = [
        entry(1, "2026-11-22T00:00", "2026-11-23T00:00"),
        entry(2, "2026-11-23T00:00", "2026-11-24T00:00"),
    ]
    monday_weeks = timesheet(long_days, date(2026, 11, 16), date(2026, 11, 29), "UTC")
    assert monday_weeks.overtime_minutes == 0  # 24 h in each week
    sunday_weeks = timesheet(
        long_days, date(2026, 11, 15), date(2026, 11, 28), "UTC", week_starts_on=6
    )
    assert [w.week_starts_on for w in sunday_weeks.weeks] == [
        date(2026, 11, 15),
        date(2026, 11, 22),
    ]
    assert sunday_weeks.weeks[1].total_minutes == 48 * 60
    assert sunday_weeks.overtime_minutes == 8 * 60


def test_an_entry_across_midnight_at_the_week_boundary_is_split_there():
    # Sunday 2026-11-22 20:00 to Monday 02:00 in Paris (UTC+1): 4 h in one week, 2 h in the next.
    night = entry(1, "2026-11-22T19:00", "2026-11-23T01:00")
    sheet = timesheet([night], date(2026, 11, 16), date(2026, 11, 29), "Europe/Paris")
    assert [w.total_minutes for w in sheet.weeks] == [240, 120]


def test_only_minutes_inside_the_period_count_and_open_entries_are_listed_apart():
    entries = [
        entry(1, "2026-11-15T22:00", "2026-11-16T02:00"),  # 2 h before the period (UTC)
        entry(2, "2026-11-17T09:00", None),
    ]
    sheet = timesheet(entries, date(2026, 11, 16), date(2026, 11, 22), "UTC")
    assert sheet.entries[0]["worked_minutes"] == 240
    assert sheet.entries[0]["minutes_in_period"] == 120
    assert sheet.total_minutes == 120
    assert sheet.open_entries == ["e2"]


def test_minutes_are_whole_elapsed_minutes_rounded_down():
    assert worked_minutes(utc("2026-01-01T08:00:00"), utc("2026-01-01T08:59:59")) == 59


def test_a_bad_week_start_or_a_backwards_period_is_refused_naming_it():
    with pytest.raises(StaffInvalidInputError) as refused:
        timesheet([], date(2026, 1, 1), date(2026, 1, 7), "UTC", week_starts_on=7)
    assert list(refused.value.fields) == ["week_starts_on"]
    with pytest.raises(StaffInvalidInputError) as refused:
        timesheet([], date(2026, 1, 7), date(2026, 1, 1), "UTC")
    assert list(refused.value.fields) == ["to"]


# Properties.


@st.composite
def entries(draw):
    start = datetime(2026, 10, 20, tzinfo=UTC)
    moment = start + timedelta(seconds=draw(st.integers(0, 3 * 24 * 3600)))
    result = []
    for number in range(draw(st.integers(0, 25))):
        length = timedelta(seconds=draw(st.integers(0, 16 * 3600)))
        result.append(TimeEntry(f"e{number}", moment, moment + length))
        moment += length + timedelta(seconds=draw(st.integers(0, 20 * 3600)))
    return result


@settings(max_examples=300, deadline=None)
@given(
    entries(),
    st.sampled_from([NEW_YORK, "Europe/Paris", "Australia/Lord_Howe", "UTC"]),
    st.dates(date(2026, 10, 15), date(2026, 11, 10)),
    st.integers(1, 30),
    st.integers(0, 6),
)
def test_regular_plus_overtime_is_the_total_and_overtime_only_beyond_40_hours(
    sample, tz, first, days, week_starts_on
):
    last = first + timedelta(days=days - 1)
    sheet = timesheet(sample, first, last, tz, week_starts_on=week_starts_on)
    assert sheet.regular_minutes + sheet.overtime_minutes == sheet.total_minutes
    assert sheet.total_minutes == sum(line["minutes_in_period"] for line in sheet.entries)
    for week in sheet.weeks:
        assert week.week_starts_on.weekday() == week_starts_on
        assert week.regular_minutes + week.overtime_minutes == week.total_minutes
        assert week.regular_minutes <= 40 * 60
        assert week.overtime_minutes == max(0, week.total_minutes - 40 * 60)
    for line in sheet.entries:
        assert 0 <= line["minutes_in_period"] <= line["worked_minutes"]


@settings(max_examples=300, deadline=None)
@given(entries(), st.lists(st.integers(-3600, 20 * 24 * 3600), min_size=1, max_size=5))
def test_an_entry_split_anywhere_adds_up_to_its_worked_minutes(sample, cuts):
    base = datetime(2026, 10, 20, tzinfo=UTC)
    marks = sorted({base + timedelta(seconds=c) for c in cuts})
    bounds = [base - timedelta(days=30), *marks, base + timedelta(days=60)]
    for one in sample:
        assert one.clocked_out_at is not None
        pieces = [minutes_within(one, a, b) for a, b in itertools.pairwise(bounds)]
        assert sum(pieces) == worked_minutes(one.clocked_in_at, one.clocked_out_at)
