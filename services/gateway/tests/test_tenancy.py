"""Tenancy: a business's credentials reach only its own data, on every route.

Every route a business may call is tried with a second business's API key
against the first business's things (its employee, that employee's time
entry), with a valid body, so the request gets past validation to the
service that owns the data. The staff service runs beside the gateway."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.openapi import routes
from gateway.service import GatewayService

from .conftest import assert_error, bearer, register

ROUTES = routes(GatewayService)

# A valid body for each route that takes one: what the second business sends.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/employees"): {"name": "Second's hire", "role": "Employee"},
    ("PATCH", "/v1/employees/<id>"): {"name": "Renamed by a stranger"},
    ("PUT", "/v1/employees/<id>/schedule"): {
        "weekly": [{"weekday": 0, "start": "09:00", "end": "17:00"}]
    },
    ("POST", "/v1/employees/<id>/time-off"): {
        "starts_at": "2027-01-04T08:00:00Z",
        "ends_at": "2027-01-04T12:00:00Z",
    },
    ("POST", "/v1/employees/<id>/extra-shifts"): {
        "starts_at": "2027-01-09T08:00:00Z",
        "ends_at": "2027-01-09T12:00:00Z",
    },
    ("PUT", "/v1/employees/<id>/service-limitations"): {"service_ids": [], "category_ids": []},
    ("PUT", "/v1/employees/<id>/permissions"): {"denied": ["tickets.void"]},
    ("POST", "/v1/employees/<id>/time-entries/<entry_id>/corrections"): {
        "clocked_in_at": "2026-11-02T08:00:00Z",
        "reason": "a stranger's correction",
    },
}
A_WEEK = "?from=2027-01-04&to=2027-01-10"
QUERIES = {r.url: A_WEEK for _, r in ROUTES if r.query_schema is not None}


def business_routes():
    return [r for _, r in ROUTES if not isinstance(r.access, str) and "business" in r.access]


def operator_only_routes():
    return [r for _, r in ROUTES if not isinstance(r.access, str) and "business" not in r.access]


def test_every_route_is_in_one_group():
    assert business_routes()
    assert operator_only_routes()


def test_every_route_with_a_schema_has_a_valid_body_here():
    needing = {(r.method, r.url) for r in business_routes() if r.body_schema is not None}
    assert needing <= set(BODIES), needing - set(BODIES)


@pytest.fixture
def first_business(gateway: Any, staff: Any, http_session: Any) -> dict[str, str]:
    """A business with an employee (named Fiona First) who has a time entry."""
    first = register(http_session)
    key = bearer(first["api_key"])
    hired = http_session.post(
        "/v1/employees", json={"name": "Fiona First", "role": "Manager"}, headers=key
    )
    employee_id = hired.json()["employee_id"]
    entry = http_session.post(f"/v1/employees/{employee_id}/clock-in", headers=key).json()
    http_session.post(f"/v1/employees/{employee_id}/clock-out", headers=key)
    return {**first, "employee_id": employee_id, "entry_id": entry["entry_id"]}


@pytest.mark.parametrize("route", business_routes(), ids=lambda r: f"{r.method} {r.url}")
def test_a_second_business_never_sees_or_changes_the_firsts(http_session, first_business, route):
    first = first_business
    second = register(http_session, name="Other Kennel", timezone="America/New_York")
    url = route.url.replace("<id>", first["employee_id"])
    url = url.replace("<entry_id>", first["entry_id"]) + QUERIES.get(route.url, "")
    reply = http_session.request(
        route.method,
        url,
        headers=bearer(second["api_key"]),
        json=BODIES.get((route.method, route.url)) if route.body_schema else None,
    )
    for secret in (first["business_id"], "Happy Paws", "happy-paws", "Fiona First"):
        assert secret not in reply.text
    if "<id>" in route.url:
        # the first business's employee does not exist for the second
        assert_error(reply, 404, "not_found")
    else:
        assert reply.status_code < 300, reply.text
        if route.url == "/v1/business":
            assert second["business_id"] in reply.text
    # and nothing of the first's changed
    seen = http_session.get(
        f"/v1/employees/{first['employee_id']}", headers=bearer(first["api_key"])
    ).json()
    assert seen["name"] == "Fiona First"
    assert seen["active"] is True
    assert seen["denied"] == []
    assert seen["schedules"] == []
    assert seen["time_off"] == []


@pytest.mark.parametrize("route", operator_only_routes(), ids=lambda r: f"{r.method} {r.url}")
def test_a_business_cannot_use_operator_routes(gateway, http_session, route):
    business = register(http_session)
    reply = http_session.request(route.method, route.url, headers=bearer(business["api_key"]))
    assert_error(reply, 403, "not_allowed")
