"""Tenancy: a business's credentials reach only its own data, on every route."""

from __future__ import annotations

import pytest

from gateway.openapi import routes
from gateway.service import GatewayService

from .conftest import assert_error, bearer, register

ROUTES = routes(GatewayService)


def business_routes():
    return [r for _, r in ROUTES if not isinstance(r.access, str) and "business" in r.access]


def operator_only_routes():
    return [r for _, r in ROUTES if not isinstance(r.access, str) and "business" not in r.access]


def test_every_route_is_in_one_group():
    assert business_routes()
    assert operator_only_routes()


@pytest.mark.parametrize("route", business_routes(), ids=lambda r: f"{r.method} {r.url}")
def test_a_second_business_never_sees_the_first(gateway, http_session, route):
    first = register(http_session)
    second = register(http_session, name="Other Kennel", timezone="America/New_York")
    url = route.url
    for name in ("id", "business_id"):
        url = url.replace(f"<{name}>", first["business_id"])
    reply = http_session.request(route.method, url, headers=bearer(second["api_key"]), json={})
    assert first["business_id"] not in reply.text
    assert "Happy Paws" not in reply.text
    assert "happy-paws" not in reply.text
    if reply.status_code == 200:
        assert second["business_id"] in reply.text


@pytest.mark.parametrize("route", operator_only_routes(), ids=lambda r: f"{r.method} {r.url}")
def test_a_business_cannot_use_operator_routes(gateway, http_session, route):
    business = register(http_session)
    reply = http_session.request(route.method, route.url, headers=bearer(business["api_key"]))
    assert_error(reply, 403, "not_allowed")
