"""X-Request-Id: taken or made, returned, and passed on as the correlation id."""

from __future__ import annotations

import uuid

from .conftest import assert_error, bearer, register
from .helpers import EchoService, GatewayWithServiceRoutes


def test_a_request_id_is_returned_as_given(gateway, http_session):
    reply = http_session.get("/health/live", headers={"X-Request-Id": "req-42.a:b_c"})
    assert reply.headers["X-Request-Id"] == "req-42.a:b_c"


def test_a_request_without_one_gets_a_new_one(gateway, http_session):
    first = http_session.get("/health/live").headers["X-Request-Id"]
    second = http_session.get("/health/live").headers["X-Request-Id"]
    assert uuid.UUID(first)
    assert first != second


def test_a_malformed_request_id_is_refused_and_replaced(gateway, http_session):
    for bad in ("x" * 129, "has space", "semi;colon"):
        reply = http_session.get("/health/live", headers={"X-Request-Id": bad})
        body = assert_error(reply, 400, "invalid_request")
        assert "X-Request-Id" in body["message"]
        assert uuid.UUID(reply.headers["X-Request-Id"])


def test_the_request_id_is_the_correlation_id_of_the_rpc_calls(
    start_gateway, container_factory, rabbit_config, http_session
):
    container_factory(EchoService, rabbit_config).start()
    start_gateway(GatewayWithServiceRoutes)
    key = register(http_session)["api_key"]
    reply = http_session.get(
        "/v1/test/correlation", headers={**bearer(key), "X-Request-Id": "follow-me-1"}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"correlation_id": "follow-me-1"}
    assert reply.headers["X-Request-Id"] == "follow-me-1"
