"""Interface tests of the staff service: real RabbitMQ (a fresh vhost per
test) and the real store (a fresh database per test)."""

from __future__ import annotations

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from pawline.testing.checks import check_health_live, check_ping, check_ready_and_metrics
from staff.errors import (
    EmployeeNotFoundError,
    StaffInvalidInputError,
    StaffRefusedError,
    UnknownFeatureError,
)
from staff.service import StaffService

BUSINESS = "7b0c3f1e-5a43-4c8e-9a57-0d6c1f2e8a90"
OTHER_BUSINESS = "2d8f3c4a-1e6b-4f7a-9c0d-3b5e7a9f1c22"
NEW_YORK = "America/New_York"


def test_ping_answers_over_rpc(container_factory, staff_config):
    check_ping(container_factory, staff_config, StaffService)


def test_health_live_answers_over_http(container_factory, staff_config, web_config, http_session):
    check_health_live(container_factory, staff_config, web_config, http_session, StaffService)


def test_ready_and_metrics_answer_over_http(
    container_factory, staff_config, web_config, http_session
):
    check_ready_and_metrics(container_factory, staff_config, web_config, http_session, StaffService)


@pytest.fixture
def staff(container_factory, staff_config):
    container_factory(StaffService, staff_config).start()
    with ServiceRpcProxy("staff", staff_config, timeout=30) as proxy:
        yield proxy


def test_hiring_publishes_employee_hired_and_lists_the_employee(staff, received):
    hired = staff.hire(BUSINESS, "Ada Lovelace", "Manager", email="ada@example.com")
    employee_id = hired["employee_id"]

    (envelope,) = received.of_type("EmployeeHired")
    assert envelope["business_id"] == BUSINESS
    assert envelope["data"] == {
        "employee_id": employee_id, "name": "Ada Lovelace", "role": "Manager",
        "email": "ada@example.com",
    }  # fmt: skip
    employee = staff.get_employee(BUSINESS, employee_id)
    assert (employee["name"], employee["role"], employee["active"]) == (
        "Ada Lovelace",
        "Manager",
        True,
    )
    assert "settings.edit" not in employee["allowed"]
    assert [e["employee_id"] for e in staff.list_employees(BUSINESS)] == [employee_id]


def test_another_business_sees_no_employee_of_ours(staff):
    employee_id = staff.hire(BUSINESS, "Ada", "Employee")["employee_id"]
    with pytest.raises(EmployeeNotFoundError) as refused:
        staff.get_employee(OTHER_BUSINESS, employee_id)
    assert refused.value.code == "not_found"
    with pytest.raises(EmployeeNotFoundError):
        staff.clock_in(OTHER_BUSINESS, employee_id)
    assert staff.list_employees(OTHER_BUSINESS) == []


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(staff):
    with pytest.raises(StaffInvalidInputError) as refused:
        staff.hire(BUSINESS, "Ada", "Owner")
    assert list(refused.value.fields) == ["role"]
    employee_id = staff.hire(BUSINESS, "Ada", "Employee")["employee_id"]
    with pytest.raises(StaffInvalidInputError) as refused:
        staff.set_schedule(
            BUSINESS, employee_id, NEW_YORK, [{"weekday": 0, "start": "17:00", "end": "09:00"}],
            effective_from="2027-03-08",
        )  # fmt: skip
    assert list(refused.value.fields) == ["weekly.0.end"]
    with pytest.raises(StaffInvalidInputError) as refused:
        staff.set_schedule(BUSINESS, employee_id, "Mars/Base", [], effective_from="2027-03-08")
    assert list(refused.value.fields) == ["timezone"]
    with pytest.raises(StaffRefusedError, match="past"):
        staff.set_schedule(BUSINESS, employee_id, NEW_YORK, [], effective_from="2020-01-01")
    assert staff.get_employee(BUSINESS, employee_id)["schedules"] == []
    with pytest.raises(StaffInvalidInputError) as refused:
        staff.working_windows(BUSINESS, employee_id, "2027-01-01", "2029-01-01", NEW_YORK)
    assert list(refused.value.fields) == ["to_date"]
    with pytest.raises(StaffInvalidInputError) as refused:
        staff.timesheet(BUSINESS, "2027-01-02", "2027-01-01", NEW_YORK)
    assert list(refused.value.fields) == ["to_date"]
    with pytest.raises(StaffInvalidInputError) as refused:
        staff.timesheet(BUSINESS, "2027-01-01", "2027-01-07", NEW_YORK, week_starts_on=9)
    assert list(refused.value.fields) == ["week_starts_on"]


def test_a_schedule_gives_windows_in_utc_across_a_dst_change_less_time_off(staff, received):
    employee_id = staff.hire(BUSINESS, "Ada", "Employee")["employee_id"]
    weekly = [{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(7)]
    staff.set_schedule(BUSINESS, employee_id, NEW_YORK, weekly, effective_from="2027-03-12")
    # New York moves from EST to EDT on 2027-03-14.
    staff.add_time_off(
        BUSINESS, employee_id, "2027-03-15T13:00:00Z", "2027-03-15T17:00:00Z", "dentist"
    )
    staff.add_extra_shift(BUSINESS, employee_id, "2027-03-11T14:00:00Z", "2027-03-11T16:00:00Z")

    windows = staff.working_windows(BUSINESS, employee_id, "2027-03-11", "2027-03-15", NEW_YORK)
    assert windows == [
        {"starts_at": "2027-03-11T14:00:00Z", "ends_at": "2027-03-11T16:00:00Z"},  # extra
        {"starts_at": "2027-03-12T14:00:00Z", "ends_at": "2027-03-12T22:00:00Z"},  # EST
        {"starts_at": "2027-03-13T14:00:00Z", "ends_at": "2027-03-13T22:00:00Z"},
        {"starts_at": "2027-03-14T13:00:00Z", "ends_at": "2027-03-14T21:00:00Z"},  # EDT
        {"starts_at": "2027-03-15T17:00:00Z", "ends_at": "2027-03-15T21:00:00Z"},  # time off
    ]
    (schedule_set,) = received.of_type("EmployeeScheduleSet")
    assert schedule_set["data"] == {
        "employee_id": employee_id, "timezone": NEW_YORK, "weekly": weekly,
        "effective_from": "2027-03-12",
    }  # fmt: skip
    (time_off,) = received.of_type("TimeOffAdded")
    assert time_off["data"] == {
        "employee_id": employee_id,
        "starts_at": "2027-03-15T13:00:00Z",
        "ends_at": "2027-03-15T17:00:00Z",
    }


def test_a_denied_feature_is_refused_and_the_change_published(staff, received):
    employee_id = staff.hire(BUSINESS, "Ada", "Manager")["employee_id"]
    assert staff.is_allowed(BUSINESS, employee_id, "tickets.refund") is True
    staff.set_permissions(BUSINESS, employee_id, ["tickets.refund"])
    assert staff.is_allowed(BUSINESS, employee_id, "tickets.refund") is False
    assert staff.is_allowed(BUSINESS, employee_id, "tickets.void") is True
    assert staff.is_allowed(BUSINESS, employee_id, "clients.delete") is False  # not a Manager's
    with pytest.raises(UnknownFeatureError, match=r"tickets\.burn"):
        staff.is_allowed(BUSINESS, employee_id, "tickets.burn")
    with pytest.raises(UnknownFeatureError) as refused:
        staff.set_permissions(BUSINESS, employee_id, ["tickets.void", "refunds"])
    assert list(refused.value.fields) == ["denied.1"]
    (changed,) = received.of_type("EmployeePermissionsChanged")
    assert changed["data"] == {"employee_id": employee_id, "denied": ["tickets.refund"]}


def test_service_limitations_are_kept_and_published(staff, received):
    employee_id = staff.hire(BUSINESS, "Ada", "Employee")["employee_id"]
    service = "5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    staff.set_service_limitations(BUSINESS, employee_id, [service], [])
    assert staff.get_employee(BUSINESS, employee_id)["service_ids"] == [service]
    (limited,) = received.of_type("ServiceLimitationsSet")
    assert limited["data"] == {
        "employee_id": employee_id,
        "service_ids": [service],
        "category_ids": [],
    }


def test_the_time_clock_refuses_twice_in_and_out_without_in(staff, received):
    employee_id = staff.hire(BUSINESS, "Ada", "Employee")["employee_id"]
    with pytest.raises(StaffRefusedError, match="not clocked in"):
        staff.clock_out(BUSINESS, employee_id)
    clocked_in = staff.clock_in(BUSINESS, employee_id, at="2026-11-16T13:00:00Z")
    with pytest.raises(StaffRefusedError, match="already clocked in since 2026-11-16T13:00:00Z"):
        staff.clock_in(BUSINESS, employee_id)
    clocked_out = staff.clock_out(BUSINESS, employee_id, at="2026-11-16T21:30:00Z")
    assert clocked_out["entry_id"] == clocked_in["entry_id"]
    assert clocked_out["worked_minutes"] == 510
    (out,) = received.of_type("ClockedOut")
    assert out["data"] == {
        "employee_id": employee_id, "entry_id": clocked_in["entry_id"],
        "at": "2026-11-16T21:30:00Z", "worked_minutes": 510,
    }  # fmt: skip
    (into,) = received.of_type("ClockedIn")
    assert into["data"]["at"] == "2026-11-16T13:00:00Z"
    with pytest.raises(StaffRefusedError, match="future"):
        staff.clock_in(BUSINESS, employee_id, at="2999-01-01T00:00:00Z")


def test_a_timesheet_has_overtime_and_corrections_stay_in_history(staff):
    ada = staff.hire(BUSINESS, "Ada", "Employee")["employee_id"]
    grace = staff.hire(BUSINESS, "Grace", "Employee")["employee_id"]
    entries = []
    for day in range(16, 21):  # Monday 2026-11-16 to Friday, 08:00-17:00 in New York (EST)
        entries.append(staff.clock_in(BUSINESS, ada, at=f"2026-11-{day}T13:00:00Z")["entry_id"])
        staff.clock_out(BUSINESS, ada, at=f"2026-11-{day}T22:00:00Z")
    staff.clock_in(BUSINESS, grace, at="2026-11-17T14:00:00Z")
    staff.clock_out(BUSINESS, grace, at="2026-11-17T18:00:00Z")
    # A manager corrects Friday: Ada left at 16:00, not 17:00.
    staff.correct_entry(
        BUSINESS, ada, entry_id=entries[-1], clocked_out_at="2026-11-20T21:00:00Z",
        reason="left early, forgot to clock out", corrected_by="manager-1",
    )  # fmt: skip
    with pytest.raises(StaffRefusedError, match="overlap"):
        staff.correct_entry(
            BUSINESS, ada, entry_id=entries[0], clocked_out_at="2026-11-17T14:00:00Z",
            reason="typo", corrected_by="manager-1",
        )  # fmt: skip

    sheet = staff.timesheet(BUSINESS, "2026-11-16", "2026-11-22", NEW_YORK)
    by_name = {e["name"]: e for e in sheet["employees"]}
    assert (by_name["Ada"]["regular_minutes"], by_name["Ada"]["overtime_minutes"]) == (2400, 240)
    assert (by_name["Ada"]["regular_hours"], by_name["Ada"]["overtime_hours"]) == ("40.00", "4.00")
    assert by_name["Grace"]["total_minutes"] == 240
    assert by_name["Grace"]["overtime_minutes"] == 0
    friday = staff.time_entries(BUSINESS, ada)[-1]
    assert friday["clocked_out_at"] == "2026-11-20T21:00:00Z"
    (correction,) = friday["history"]
    assert correction["previous_out"] == "2026-11-20T22:00:00Z"
    assert correction["reason"] == "left early, forgot to clock out"
    assert correction["corrected_by"] == "manager-1"


def test_a_deactivated_employee_keeps_history_but_cannot_clock_in_or_be_booked(staff, received):
    employee_id = staff.hire(BUSINESS, "Ada", "Employee")["employee_id"]
    weekly = [{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(7)]
    staff.set_schedule(BUSINESS, employee_id, "UTC", weekly)
    staff.clock_in(BUSINESS, employee_id, at="2026-11-16T09:00:00Z")
    with pytest.raises(StaffRefusedError, match="clock them out first"):
        staff.deactivate_employee(BUSINESS, employee_id)
    staff.clock_out(BUSINESS, employee_id, at="2026-11-16T17:00:00Z")
    staff.deactivate_employee(BUSINESS, employee_id)

    with pytest.raises(StaffRefusedError, match="deactivated"):
        staff.clock_in(BUSINESS, employee_id)
    assert staff.is_allowed(BUSINESS, employee_id, "tickets.reopen") is False
    assert len(staff.time_entries(BUSINESS, employee_id)) == 1
    assert staff.list_employees(BUSINESS) == []
    assert [e["active"] for e in staff.list_employees(BUSINESS, include_deactivated=True)] == [
        False
    ]
    # Booking's view: a second EmployeeScheduleSet with no hours from today on.
    cleared = received.of_type("EmployeeScheduleSet", count=2)[1]
    assert cleared["data"]["weekly"] == []
    today = cleared["data"]["effective_from"]
    assert staff.working_windows(BUSINESS, employee_id, today, today, "UTC") == []


def test_two_clock_ins_at_once_open_one_entry(staff, staff_config):
    employee_id = staff.hire(BUSINESS, "Ada", "Employee")["employee_id"]

    def clock_in() -> str:
        with ServiceRpcProxy("staff", staff_config, timeout=30) as proxy:
            try:
                return proxy.clock_in(BUSINESS, employee_id)["entry_id"]
            except StaffRefusedError as refused:
                return refused.code

    pool = eventlet.GreenPool()
    outcomes = sorted(pool.imap(lambda _: clock_in(), range(4)))
    assert outcomes.count("refused") == 3
    assert len(staff.time_entries(BUSINESS, employee_id)) == 1
