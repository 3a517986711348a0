"""The schedule view answers what replaying each employee's stream answers.

- properties (no I/O): an employee's view document gives the windows the
  aggregate gives, for any schedules, zones, time off, extra shifts and
  deactivation;
- on the real store: the roster's windows from the view equal each stream's
  replay (DST, time off, extra shifts, a schedule changing from a date, a
  deactivation, another business); the view changes in the same save as
  the events; rebuilding from the streams gives the same view and never
  overwrites a newer document; a database with events and no view is
  rebuilt on its first query; two replicas writing at once leave the view
  equal to the streams;
- over RPC: ``roster_windows`` sees a command's change at once, and
  ``rebuild_schedule_view`` rebuilds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import eventlet
import pytest
from eventsourcing.persistence import IntegrityError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nameko.standalone.rpc import ServiceRpcProxy

from staff.application import StaffApplication
from staff.domain import Employee, instant_text
from staff.errors import StaffConflictError
from staff.schedule_view import BUILT, timezone_of, view_document, windows_of
from staff.service import StaffService

BUSINESS = "7b0c3f1e-5a43-4c8e-9a57-0d6c1f2e8a90"
OTHER_BUSINESS = "2d8f3c4a-1e6b-4f7a-9c0d-3b5e7a9f1c22"
NEW_YORK = "America/New_York"
BERLIN = "Europe/Berlin"
TODAY = date(2027, 3, 1)
FIRST, LAST = date(2027, 3, 10), date(2027, 3, 31)  # New York springs forward on the 14th,
# Berlin on the 28th.


def every_day(start: str, end: str, days: range = range(7)) -> list[dict[str, Any]]:
    return [{"weekday": day, "start": start, "end": end} for day in days]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Properties: the document gives what the aggregate gives.

ZONES = st.sampled_from([NEW_YORK, BERLIN, "UTC", "Australia/Lord_Howe", "Asia/Kolkata"])
CLOCK = st.integers(0, 47).map(lambda half_hours: half_hours * 30)


@st.composite
def weekly(draw: st.DrawFn) -> list[dict[str, Any]]:
    slots = []
    for weekday in draw(st.sets(st.integers(0, 6), max_size=7)):
        start = draw(CLOCK)
        end = draw(st.integers(start // 30 + 1, 48)) * 30
        slots.append(
            {
                "weekday": weekday,
                "start": clock(start),
                "end": "24:00" if end == 1440 else clock(end),
            }
        )
    return slots


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


WINDOW = st.tuples(st.integers(0, 31 * 24 * 4), st.integers(1, 3 * 24 * 4)).map(
    lambda w: (
        at("2027-03-05T00:00:00") + timedelta(minutes=15 * w[0]),
        at("2027-03-05T00:00:00") + timedelta(minutes=15 * (w[0] + w[1])),
    )
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    schedules=st.lists(st.tuples(ZONES, weekly(), st.integers(0, 40)), min_size=0, max_size=3),
    time_off=st.lists(WINDOW, max_size=4),
    extra_shifts=st.lists(WINDOW, max_size=3),
    deactivated_on=st.none() | st.integers(0, 40),
    query_zone=ZONES,
)
def test_a_view_document_gives_the_aggregates_windows(
    schedules: list[tuple[str, list[dict[str, Any]], int]],
    time_off: list[tuple[datetime, datetime]],
    extra_shifts: list[tuple[datetime, datetime]],
    deactivated_on: int | None,
    query_zone: str,
) -> None:
    employee = Employee(BUSINESS, "Ada", "Employee", None)
    for zone_name, slots, days in schedules:
        employee.set_schedule(zone_name, slots, TODAY + timedelta(days=days), TODAY)
    for n, (start, end) in enumerate(time_off):
        employee.add_time_off(f"off-{n}", start, end, None)
    for n, (start, end) in enumerate(extra_shifts):
        employee.add_extra_shift(f"extra-{n}", start, end)
    if deactivated_on is not None:
        employee.deactivate(TODAY + timedelta(days=deactivated_on))

    doc = view_document(employee)
    assert windows_of(doc, FIRST, LAST, query_zone) == employee.working_windows(
        FIRST, LAST, query_zone
    )
    latest = employee.latest_schedule()
    assert timezone_of(doc) == (latest.timezone if latest else "UTC")


# On the real store.


@pytest.fixture
def app(mongo_uri: str, mongo_database: str) -> Iterator[StaffApplication]:
    app = StaffApplication(env={"MONGO_URI": mongo_uri, "MONGO_DATABASE": mongo_database})
    yield app
    app.close()


def hire(app: StaffApplication, name: str, business: str = BUSINESS) -> str:
    return str(app.hire(business, name, "Employee", None)["employee_id"])


def replayed(
    app: StaffApplication, business: str, timezone: str | None, *, everyone: bool = False
) -> list[dict[str, Any]]:
    """What the roster answers, computed from each employee's stream instead."""
    answer = []
    for employee in app.employees(business):
        if not (employee.active or everyone):
            continue
        latest = employee.latest_schedule()
        tz = timezone or (latest.timezone if latest else "UTC")
        answer.append(
            {
                "employee_id": str(employee.id),
                "name": employee.name,
                "active": employee.active,
                "windows": [
                    {"starts_at": instant_text(s), "ends_at": instant_text(e)}
                    for s, e in employee.working_windows(FIRST, LAST, tz)
                ],
            }
        )
    return answer


def set_schedule(
    app: StaffApplication, employee_id: str, tz: str, slots: list[dict[str, Any]], since: date
) -> None:
    app.change(BUSINESS, employee_id, lambda e: e.set_schedule(tz, slots, since, TODAY))


def add_time_off(app: StaffApplication, employee_id: str, start: str, end: str) -> None:
    time_off_id = str(uuid.uuid4())
    app.change(
        BUSINESS, employee_id, lambda e: e.add_time_off(time_off_id, at(start), at(end), None)
    )


def add_extra_shift(app: StaffApplication, employee_id: str, start: str, end: str) -> None:
    shift_id = str(uuid.uuid4())
    app.change(BUSINESS, employee_id, lambda e: e.add_extra_shift(shift_id, at(start), at(end)))


def a_roster(app: StaffApplication) -> dict[str, str]:
    """Employees with what the view must get right; their ids by name."""
    ids = {name: hire(app, name) for name in ("Ada", "Grace", "Linus", "Margaret", "Edsger")}
    hire(app, "Someone else", OTHER_BUSINESS)
    # Ada: New York hours from the 12th, across the spring-forward, a dentist's visit.
    set_schedule(app, ids["Ada"], NEW_YORK, every_day("09:00", "17:00"), date(2027, 3, 12))
    add_time_off(app, ids["Ada"], "2027-03-15T13:00:00", "2027-03-15T17:00:00")
    # Grace: weekday hours, from the 20th other hours in Berlin; an extra Sunday shift.
    weekdays = every_day("08:00", "12:00", range(5))
    set_schedule(app, ids["Grace"], NEW_YORK, weekdays, date(2027, 3, 1))
    berlin = every_day("10:00", "18:00", range(6))
    set_schedule(app, ids["Grace"], BERLIN, berlin, date(2027, 3, 20))
    add_extra_shift(app, ids["Grace"], "2027-03-14T15:00:00", "2027-03-14T18:00:00")
    # Linus: hours and an extra shift, then deactivated on the 13th.
    set_schedule(app, ids["Linus"], NEW_YORK, every_day("09:00", "17:00"), date(2027, 3, 1))
    add_extra_shift(app, ids["Linus"], "2027-03-21T15:00:00", "2027-03-21T18:00:00")
    app.change(BUSINESS, ids["Linus"], lambda e: e.deactivate(date(2027, 3, 13)))
    # Margaret: nights across midnight, renamed, and clocked in (not in the view).
    nights = every_day("22:00", "24:00") + every_day("00:00", "06:00")
    set_schedule(app, ids["Margaret"], NEW_YORK, nights, date(2027, 3, 1))
    app.change(BUSINESS, ids["Margaret"], lambda e: e.update("Margaret H.", None, None))
    entry_id = str(uuid.uuid4())
    app.change(BUSINESS, ids["Margaret"], lambda e: e.clock_in(entry_id, at("2027-03-02T22:00:00")))
    # Edsger: no schedule at all.
    return ids


def test_the_roster_from_the_view_equals_each_stream_replayed(app: StaffApplication) -> None:
    ids = a_roster(app)
    for timezone in (NEW_YORK, BERLIN, None):
        answer = app.roster_windows(BUSINESS, FIRST, LAST, timezone)
        assert answer == replayed(app, BUSINESS, timezone)
        everyone = app.roster_windows(BUSINESS, FIRST, LAST, timezone, include_deactivated=True)
        assert everyone == replayed(app, BUSINESS, timezone, everyone=True)
    names = [e["name"] for e in app.roster_windows(BUSINESS, FIRST, LAST, None)]
    assert names == ["Ada", "Grace", "Margaret H.", "Edsger"]  # hiring order, Linus left
    linus = app.roster_windows(BUSINESS, FIRST, LAST, NEW_YORK, include_deactivated=True)[2]
    assert (linus["employee_id"], linus["active"]) == (ids["Linus"], False)
    assert linus["windows"][-1] == {  # his hours end where he was deactivated
        "starts_at": "2027-03-12T14:00:00Z", "ends_at": "2027-03-12T22:00:00Z",
    }  # fmt: skip
    ada = app.roster_windows(BUSINESS, FIRST, LAST, NEW_YORK)[0]["windows"]
    assert ada[:4] == [
        {"starts_at": "2027-03-12T14:00:00Z", "ends_at": "2027-03-12T22:00:00Z"},  # EST
        {"starts_at": "2027-03-13T14:00:00Z", "ends_at": "2027-03-13T22:00:00Z"},
        {"starts_at": "2027-03-14T13:00:00Z", "ends_at": "2027-03-14T21:00:00Z"},  # EDT
        {"starts_at": "2027-03-15T17:00:00Z", "ends_at": "2027-03-15T21:00:00Z"},  # dentist
    ]
    others = app.roster_windows(OTHER_BUSINESS, FIRST, LAST, None)
    assert [e["name"] for e in others] == ["Someone else"]


def test_the_view_changes_in_the_same_save_as_the_events(app: StaffApplication) -> None:
    ada = hire(app, "Ada")
    view = app.schedule_view.documents
    assert view.find_one({"_id": ada})["version"] == 1
    app.change(BUSINESS, ada, lambda e: e.set_permissions(["tickets.void"]))  # not in the view
    assert view.find_one({"_id": ada})["version"] == 1
    set_schedule(app, ada, NEW_YORK, every_day("09:00", "17:00"), TODAY)
    doc = view.find_one({"_id": ada})
    assert doc["version"] == 3
    assert doc["schedules"] == [["2027-03-01", NEW_YORK, [[d, 540, 1020] for d in range(7)]]]

    # A save that loses on the stream's version writes nothing to the view either.
    stale = app.employee(BUSINESS, ada)
    add_time_off(app, ada, "2027-03-15T13:00:00", "2027-03-15T17:00:00")
    stale.add_time_off("t2", at("2027-03-16T13:00:00"), at("2027-03-16T17:00:00"), None)
    with pytest.raises(IntegrityError):
        app.save(stale)
    assert view.find_one({"_id": ada})["time_off"] == [
        ["2027-03-15T13:00:00Z", "2027-03-15T17:00:00Z"]
    ]


def test_rebuilding_gives_the_same_view_and_keeps_newer_documents(app: StaffApplication) -> None:
    ids = a_roster(app)
    before = app.roster_windows(BUSINESS, FIRST, LAST, None, include_deactivated=True)
    view = app.schedule_view.documents
    view.delete_many({"_id": ids["Ada"]})  # lost
    view.update_one({"_id": ids["Grace"]}, {"$set": {"schedules": []}})  # wrong, same version
    assert app.schedule_view.rebuild() == 6  # every employee hired, other business included
    assert app.roster_windows(BUSINESS, FIRST, LAST, None, include_deactivated=True) == before

    # A rebuild that read an older version than the view has leaves the view as it is.
    older = app.repository.get(uuid.UUID(ids["Grace"]), version=2)
    assert app.schedule_view._write_rebuilt(older) == 0
    grace = app.employee(BUSINESS, ids["Grace"])
    assert view.find_one({"_id": ids["Grace"]})["version"] == grace.version > older.version
    assert app.roster_windows(BUSINESS, FIRST, LAST, None, include_deactivated=True) == before


def test_a_database_with_events_and_no_view_is_rebuilt_on_its_first_query(
    app: StaffApplication, mongo_uri: str, mongo_database: str
) -> None:
    a_roster(app)
    expected = replayed(app, BUSINESS, NEW_YORK)
    app.schedule_view.documents.drop()  # as before the view existed
    fresh = StaffApplication(env={"MONGO_URI": mongo_uri, "MONGO_DATABASE": mongo_database})
    try:
        assert fresh.roster_windows(BUSINESS, FIRST, LAST, NEW_YORK) == expected
        assert fresh.schedule_view.documents.find_one({"_id": BUILT}) is not None
    finally:
        fresh.close()


def test_two_replicas_writing_at_once_leave_the_view_equal_to_the_streams(
    app: StaffApplication, mongo_uri: str, mongo_database: str
) -> None:
    other = StaffApplication(env={"MONGO_URI": mongo_uri, "MONGO_DATABASE": mongo_database})
    try:
        ids = [hire(app, f"Employee {n}") for n in range(3)]
        outcomes: list[str] = []

        def add_time_off(replica: StaffApplication, n: int) -> None:
            start = at("2027-03-10T13:00:00") + timedelta(hours=n)
            try:
                replica.change(
                    BUSINESS,
                    ids[n % 3],
                    lambda e: e.add_time_off(f"t{n}", start, start + timedelta(minutes=30), None),
                )
                outcomes.append("written")
            except StaffConflictError:
                outcomes.append("conflict")

        for n in range(3):
            set_schedule(app, ids[n], NEW_YORK, every_day("08:00", "20:00"), TODAY)
        pool = eventlet.GreenPool(12)
        for n in range(24):
            pool.spawn(add_time_off, app if n % 2 else other, n)
        pool.waitall()

        assert outcomes.count("written") > 0
        assert app.roster_windows(BUSINESS, FIRST, LAST, NEW_YORK) == replayed(
            app, BUSINESS, NEW_YORK
        )
        for employee_id in ids:
            doc = app.schedule_view.documents.find_one({"_id": employee_id})
            assert doc["version"] == app.employee(BUSINESS, employee_id).version
    finally:
        other.close()


# Over RPC.


def test_roster_windows_over_rpc_see_a_command_at_once_and_rebuild(
    container_factory: Any, staff_config: dict[str, Any]
) -> None:
    container_factory(StaffService, staff_config).start()
    with ServiceRpcProxy("staff", staff_config, timeout=30) as staff:
        ada = staff.hire(BUSINESS, "Ada", "Employee")["employee_id"]
        staff.set_schedule(
            BUSINESS, ada, NEW_YORK, every_day("09:00", "17:00"), effective_from="2027-03-12"
        )
        staff.add_time_off(BUSINESS, ada, "2027-03-15T13:00:00Z", "2027-03-15T17:00:00Z")
        roster = staff.roster_windows(BUSINESS, "2027-03-13", "2027-03-15")
        assert roster["timezone"] is None
        (entry,) = roster["employees"]
        assert entry["windows"] == staff.working_windows(BUSINESS, ada, "2027-03-13", "2027-03-15")
        assert entry["windows"][-1] == {
            "starts_at": "2027-03-15T17:00:00Z", "ends_at": "2027-03-15T21:00:00Z",
        }  # fmt: skip
        staff.deactivate_employee(BUSINESS, ada)
        after = staff.roster_windows(BUSINESS, "2027-03-13", "2027-03-15", NEW_YORK)
        assert after["employees"] == []
        assert staff.rebuild_schedule_view() == {"employees": 1}
        (again,) = staff.roster_windows(
            BUSINESS, "2027-03-13", "2027-03-15", NEW_YORK, include_deactivated=True
        )["employees"]
        assert again["active"] is False
        assert again["windows"] == staff.working_windows(
            BUSINESS, ada, "2027-03-13", "2027-03-15", NEW_YORK
        )
