"""The staff routes through the gateway, with the real staff service beside
it (real broker, each service its own database): employees, tokens and the
permission checks made for every request with an employee token."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.openapi import routes
from gateway.service import GatewayService
from pawline.contracts.staff import FEATURES

from .conftest import assert_error, bearer, register

WEEKDAYS_9_TO_5 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]


@pytest.fixture
def business(gateway: Any, staff: Any, http_session: Any) -> dict[str, str]:
    return register(http_session)  # Europe/Paris


def hire(http_session: Any, key: str, name: str, role: str) -> str:
    reply = http_session.post(
        "/v1/employees", json={"name": name, "role": role}, headers=bearer(key)
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["employee_id"])


def token_for(http_session: Any, key: str, employee_id: str) -> str:
    reply = http_session.post(f"/v1/employees/{employee_id}/tokens", headers=bearer(key))
    assert reply.status_code == 201, reply.text
    assert reply.json()["employee_id"] == employee_id
    return str(reply.json()["token"])


def test_every_feature_a_route_names_is_in_the_permission_table():
    named = {r.feature for _, r in routes(GatewayService) if r.feature is not None}
    assert named
    assert named <= set(FEATURES)
    # an "own" route makes sense only with an employee id in its path
    assert all("<id>" in r.url for _, r in routes(GatewayService) if r.own)


def test_an_admin_hires_sets_hours_and_time_off_and_reads_windows_across_dst(
    business, http_session
):
    key = business["api_key"]
    groomer = hire(http_session, key, "Ana Groomer", "Employee")
    reply = http_session.put(
        f"/v1/employees/{groomer}/schedule",
        json={"weekly": WEEKDAYS_9_TO_5, "effective_from": "2027-03-01"},
        headers=bearer(key),
    )
    assert reply.status_code == 200, reply.text
    reply = http_session.post(
        f"/v1/employees/{groomer}/time-off",
        json={
            "starts_at": "2027-03-30T07:00:00Z",
            "ends_at": "2027-03-30T15:00:00Z",
            "reason": "vet",
        },
        headers=bearer(key),
    )
    assert reply.status_code == 201, reply.text
    # Paris springs forward on Sunday 2027-03-28: 09:00 is 08:00Z before, 07:00Z after
    reply = http_session.get(
        f"/v1/employees/{groomer}/working-windows?from=2027-03-26&to=2027-03-30",
        headers=bearer(key),
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["timezone"] == "Europe/Paris"
    assert body["windows"] == [
        {"starts_at": "2027-03-26T08:00:00Z", "ends_at": "2027-03-26T16:00:00Z"},
        {"starts_at": "2027-03-29T07:00:00Z", "ends_at": "2027-03-29T15:00:00Z"},
    ]
    reply = http_session.put(
        f"/v1/employees/{groomer}/service-limitations",
        json={"service_ids": ["8f0c6a55-2e64-4a47-9d6f-0c9c4a3d8b11"], "category_ids": []},
        headers=bearer(key),
    )
    assert reply.status_code == 200, reply.text
    seen = http_session.get(f"/v1/employees/{groomer}", headers=bearer(key)).json()
    assert seen["name"] == "Ana Groomer"
    assert seen["service_ids"] == ["8f0c6a55-2e64-4a47-9d6f-0c9c4a3d8b11"]
    assert seen["schedules"][0]["timezone"] == "Europe/Paris"
    listed = http_session.get("/v1/employees", headers=bearer(key)).json()["employees"]
    assert [e["employee_id"] for e in listed] == [groomer]
    # the whole roster's windows, as the appointment book shows them
    reply = http_session.get(
        "/v1/working-windows?from=2027-03-26&to=2027-03-30", headers=bearer(key)
    )
    assert reply.status_code == 200, reply.text
    roster = reply.json()
    assert (roster["from"], roster["to"], roster["timezone"]) == (
        "2027-03-26",
        "2027-03-30",
        "Europe/Paris",
    )
    assert roster["employees"] == [
        {"employee_id": groomer, "name": "Ana Groomer", "active": True, "windows": body["windows"]}
    ]


def test_bad_input_is_named_and_an_unknown_employee_is_404(business, http_session):
    key = business["api_key"]
    groomer = hire(http_session, key, "Ana", "Employee")
    reply = http_session.put(
        f"/v1/employees/{groomer}/schedule",
        json={"weekly": [{"weekday": 7, "start": "10:00", "end": "09:00"}]},
        headers=bearer(key),
    )
    body = assert_error(reply, 400, "invalid_request")
    assert set(body["fields"]["weekly"]["0"]) == {"weekday"}
    reply = http_session.put(
        f"/v1/employees/{groomer}/schedule",
        json={"weekly": [{"weekday": 1, "start": "10:00", "end": "09:00"}]},
        headers=bearer(key),
    )
    assert "end" in str(assert_error(reply, 400, "invalid_request")["fields"])
    reply = http_session.put(
        f"/v1/employees/{groomer}/permissions", json={"denied": ["fly"]}, headers=bearer(key)
    )
    assert "fly" in str(assert_error(reply, 400, "invalid_request")["fields"])
    reply = http_session.get("/v1/employees/not-an-id", headers=bearer(key))
    assert "id" in assert_error(reply, 400, "invalid_request")["fields"]
    stranger = "0b9d0c1e-2f3a-4b5c-8d6e-7f8091a2b3c4"
    assert_error(
        http_session.get(f"/v1/employees/{stranger}", headers=bearer(key)), 404, "not_found"
    )
    reply = http_session.get("/v1/timesheets?from=2027-03-02&to=2027-03-01", headers=bearer(key))
    assert "to" in assert_error(reply, 400, "invalid_request")["fields"]
    # found by schemathesis: year 1 overflowed the window arithmetic (a 500)
    reply = http_session.get(
        f"/v1/employees/{groomer}/working-windows?from=0001-01-01&to=0001-01-01",
        headers=bearer(key),
    )
    assert "1900" in str(assert_error(reply, 400, "invalid_request")["fields"]["from"])
    reply = http_session.post(
        "/v1/employees", json={"name": "X", "role": "Boss"}, headers=bearer(key)
    )
    assert "role" in assert_error(reply, 400, "invalid_request")["fields"]


def test_an_employee_token_is_checked_against_the_employees_permissions(business, http_session):
    key = business["api_key"]
    manager = hire(http_session, key, "Mia Manager", "Manager")
    groomer = hire(http_session, key, "Eli Groomer", "Employee")
    mia, eli = token_for(http_session, key, manager), token_for(http_session, key, groomer)
    schedule = {"weekly": WEEKDAYS_9_TO_5}

    # an Employee's role lacks schedules.edit: refused, naming the feature
    reply = http_session.put(
        f"/v1/employees/{manager}/schedule", json=schedule, headers=bearer(eli)
    )
    assert "'schedules.edit'" in assert_error(reply, 403, "not_allowed")["message"]
    # a Manager's has it
    reply = http_session.put(
        f"/v1/employees/{groomer}/schedule", json=schedule, headers=bearer(mia)
    )
    assert reply.status_code == 200, reply.text

    # the admin denies it to the manager: enforced on the next request
    reply = http_session.put(
        f"/v1/employees/{manager}/permissions",
        json={"denied": ["schedules.edit"]},
        headers=bearer(key),
    )
    assert reply.status_code == 200, reply.text
    reply = http_session.put(
        f"/v1/employees/{groomer}/schedule", json=schedule, headers=bearer(mia)
    )
    assert "'schedules.edit'" in assert_error(reply, 403, "not_allowed")["message"]
    seen = http_session.get(f"/v1/employees/{manager}", headers=bearer(key)).json()
    assert seen["denied"] == ["schedules.edit"]
    assert "schedules.edit" not in seen["allowed"]

    # employees clock themselves in and out; someone else needs timeclock.edit
    reply = http_session.post(f"/v1/employees/{groomer}/clock-in", headers=bearer(eli))
    assert reply.status_code == 201, reply.text
    reply = http_session.post(f"/v1/employees/{manager}/clock-in", headers=bearer(eli))
    assert "'timeclock.edit'" in assert_error(reply, 403, "not_allowed")["message"]
    reply = http_session.post(f"/v1/employees/{groomer}/clock-out", headers=bearer(eli))
    assert reply.status_code == 200, reply.text
    assert reply.json()["worked_minutes"] >= 0
    entries = http_session.get(f"/v1/employees/{groomer}/time-entries", headers=bearer(eli))
    assert len(entries.json()["entries"]) == 1

    # reports and tokens
    reply = http_session.get("/v1/timesheets?from=2027-03-01&to=2027-03-07", headers=bearer(eli))
    assert "'reports.view'" in assert_error(reply, 403, "not_allowed")["message"]
    reply = http_session.get("/v1/timesheets?from=2027-03-01&to=2027-03-07", headers=bearer(mia))
    assert reply.status_code == 200, reply.text
    reply = http_session.post(f"/v1/employees/{groomer}/tokens", headers=bearer(mia))
    assert "business admin" in assert_error(reply, 403, "not_allowed")["message"]

    # what any employee may read
    assert http_session.get("/v1/employees", headers=bearer(eli)).status_code == 200
    table = http_session.get("/v1/permissions", headers=bearer(eli)).json()
    assert table["features"] == list(FEATURES)
    assert table["roles"]["Employee"] == ["tickets.reopen"]


def test_a_deactivated_employees_tokens_stop_working_and_revoked_ones_too(business, http_session):
    key = business["api_key"]
    leaving = hire(http_session, key, "Lee Leaving", "Manager")
    staying = hire(http_session, key, "Sam Staying", "Employee")
    lee, sam = token_for(http_session, key, leaving), token_for(http_session, key, staying)
    assert http_session.get("/v1/employees", headers=bearer(lee)).status_code == 200

    reply = http_session.post(f"/v1/employees/{leaving}/deactivate", headers=bearer(key))
    assert reply.status_code == 200, reply.text
    reply = http_session.get("/v1/employees", headers=bearer(lee))
    assert "deactivated" in assert_error(reply, 401, "not_authenticated")["message"]
    reply = http_session.put(
        f"/v1/employees/{staying}/schedule", json={"weekly": []}, headers=bearer(lee)
    )
    assert_error(reply, 403, "not_allowed")
    reply = http_session.post(f"/v1/employees/{leaving}/tokens", headers=bearer(key))
    assert "deactivated" in assert_error(reply, 422, "refused")["message"]
    reply = http_session.post(f"/v1/employees/{leaving}/clock-in", headers=bearer(key))
    assert "deactivated" in assert_error(reply, 422, "refused")["message"]

    reply = http_session.delete(f"/v1/employees/{staying}/tokens", headers=bearer(key))
    assert reply.json() == {"employee_id": staying, "revoked": 1}
    reply = http_session.get("/v1/employees", headers=bearer(sam))
    assert_error(reply, 401, "not_authenticated")


def test_a_timesheet_counts_overtime_past_40_hours_a_week(business, http_session):
    key = business["api_key"]
    groomer = hire(http_session, key, "Ana", "Employee")
    # five days of 09:00-18:30 Paris time (08:00-17:30Z) in the week of Monday
    # 2026-11-09: 47.5 hours, 7.5 of them overtime. The time clock takes "now"
    # only; a manager's corrections put each entry on its day.
    for day in range(9, 14):
        clocked_in = http_session.post(f"/v1/employees/{groomer}/clock-in", headers=bearer(key))
        assert clocked_in.status_code == 201, clocked_in.text
        entry_id = clocked_in.json()["entry_id"]
        out = http_session.post(f"/v1/employees/{groomer}/clock-out", headers=bearer(key))
        assert out.status_code == 200, out.text
        reply = http_session.post(
            f"/v1/employees/{groomer}/time-entries/{entry_id}/corrections",
            json={
                "clocked_in_at": f"2026-11-{day:02d}T08:00:00Z",
                "clocked_out_at": f"2026-11-{day:02d}T17:30:00Z",
                "reason": "entered on the paper sheet",
            },
            headers=bearer(key),
        )
        assert reply.status_code == 201, reply.text
    reply = http_session.get("/v1/timesheets?from=2026-11-09&to=2026-11-15", headers=bearer(key))
    assert reply.status_code == 200, reply.text
    sheet = reply.json()
    assert sheet["timezone"] == "Europe/Paris"
    (ana,) = sheet["employees"]
    assert ana["total_minutes"] == 5 * 570
    assert ana["overtime_minutes"] == 5 * 570 - 40 * 60
    assert ana["overtime_hours"] == "7.50"
    assert len(ana["entries"]) == 5
    history = http_session.get(f"/v1/employees/{groomer}/time-entries", headers=bearer(key))
    corrected = history.json()["entries"][0]["history"]
    assert corrected[0]["corrected_by"] == "admin"
    assert corrected[0]["reason"] == "entered on the paper sheet"
