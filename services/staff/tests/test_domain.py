"""Unit tests of the Employee aggregate (no I/O): rules before events, state rebuilt from events."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pawline import contracts
from staff.application import StaffApplication
from staff.domain import Employee
from staff.errors import StaffRefusedError

BUSINESS = "7b0c3f1e-5a43-4c8e-9a57-0d6c1f2e8a90"
WEEKLY = [{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(5)]
TODAY = date(2026, 11, 21)
ENTRY = "3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a9f"
SERVICE_A = "1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
SERVICE_B = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def busy_employee() -> Employee:
    employee = Employee(BUSINESS, "Ada", "Manager", "ada@example.com")
    employee.set_schedule("Europe/Paris", WEEKLY, date(2026, 12, 1), TODAY)
    employee.add_time_off("t1", at("2026-12-24T00:00"), at("2026-12-27T00:00"), "holidays")
    employee.add_extra_shift("x1", at("2026-12-05T09:00"), at("2026-12-05T12:00"))
    employee.set_service_limitations([SERVICE_B, SERVICE_A, SERVICE_A], [])
    employee.set_permissions(["status.post", "tickets.void"])
    employee.clock_in(ENTRY, at("2026-11-20T08:00"))
    employee.clock_out(at("2026-11-20T16:30"))
    employee.correct_entry(
        ENTRY,
        clocked_in_at=at("2026-11-20T07:45"),
        clocked_out_at=None,
        reason="badge reader down",
        corrected_by="admin",
        now=at("2026-11-21T10:00"),
    )
    return employee


def test_replaying_the_events_rebuilds_the_same_employee():
    employee = busy_employee()
    events = employee.collect_events()
    replayed = None
    for domain_event in events:
        replayed = domain_event.mutate(replayed)
    assert isinstance(replayed, Employee)
    for attribute in (
        "name", "role", "email", "active", "schedules", "time_off", "extra_shifts",
        "service_ids", "category_ids", "denied", "entries", "corrections",
    ):  # fmt: skip
        assert getattr(replayed, attribute) == getattr(employee, attribute), attribute


def test_every_public_event_meets_its_contract():
    events = busy_employee().collect_events()
    published = StaffApplication.published
    kinds = []
    for domain_event in events:
        rule = published.get(type(domain_event))
        if rule is not None:
            data = rule.data_of(domain_event)
            assert contracts.validate(rule.event_type, data) == data
            kinds.append(rule.event_type)
    assert kinds == [
        "EmployeeHired", "EmployeeScheduleSet", "TimeOffAdded", "ServiceLimitationsSet",
        "EmployeePermissionsChanged", "ClockedIn", "ClockedOut",
    ]  # fmt: skip


def test_a_refused_command_triggers_no_event():
    employee = busy_employee()
    before = len(employee.collect_events())
    assert before > 0
    with pytest.raises(StaffRefusedError):
        employee.clock_out(at("2026-11-21T12:00"))
    with pytest.raises(StaffRefusedError, match="past"):
        employee.set_schedule("Europe/Paris", WEEKLY, date(2026, 11, 1), TODAY)
    assert employee.collect_events() == []


def test_service_limitations_are_kept_once_each_in_order():
    assert busy_employee().service_ids == [SERVICE_A, SERVICE_B]


def test_deactivation_clears_todays_and_later_schedules_and_keeps_history():
    employee = busy_employee()
    employee.set_schedule("Europe/Paris", WEEKLY, TODAY, TODAY)
    employee.collect_events()
    employee.deactivate(TODAY)
    cleared = [e for e in employee.collect_events() if isinstance(e, Employee.ScheduleSet)]
    assert sorted(e.effective_from for e in cleared) == ["2026-11-21", "2026-12-01"]
    assert all(e.weekly == [] for e in cleared)
    assert employee.working_windows(date(2026, 11, 21), date(2026, 12, 31), "Europe/Paris") == []
    assert list(employee.entries) == [ENTRY]
    assert not employee.is_allowed("tickets.reopen")
    with pytest.raises(StaffRefusedError, match="deactivated"):
        employee.set_permissions([])
