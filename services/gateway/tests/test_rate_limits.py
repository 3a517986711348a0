"""Rate limits: per caller on authenticated routes, per client address on
public routes and failed credentials; 429 with Retry-After."""

from __future__ import annotations

from .conftest import assert_error, bearer, register


def assert_limited(reply):
    body = assert_error(reply, 429, "rate_limited")
    retry_after = int(reply.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert "retry in" in body["message"]


def test_a_caller_over_its_limit_gets_429_and_others_do_not(start_gateway, http_session):
    start_gateway(RATE_LIMIT_PER_CALLER="3/minute")
    first = register(http_session)["api_key"]
    second = register(http_session, name="Other Kennel")["api_key"]
    for _ in range(3):
        assert http_session.get("/v1/business", headers=bearer(first)).status_code == 200
    assert_limited(http_session.get("/v1/business", headers=bearer(first)))
    assert http_session.get("/v1/business", headers=bearer(second)).status_code == 200


def test_public_routes_are_limited_per_address(start_gateway, http_session):
    start_gateway(RATE_LIMIT_PER_ADDRESS="2/minute")
    for _ in range(2):
        assert http_session.get("/openapi.json").status_code == 200
    assert_limited(http_session.get("/openapi.json"))
    assert_limited(http_session.get("/docs"))


def test_failed_credentials_count_against_the_address(start_gateway, http_session):
    start_gateway(RATE_LIMIT_PER_ADDRESS="2/minute")
    for _ in range(2):
        reply = http_session.get("/v1/business", headers=bearer("pwl_bk_guess"))
        assert_error(reply, 401, "not_authenticated")
    assert_limited(http_session.get("/v1/business", headers=bearer("pwl_bk_guess")))


def test_health_and_metrics_are_not_limited(start_gateway, http_session):
    start_gateway(RATE_LIMIT_PER_ADDRESS="1/minute")
    for path in ["/health/live"] * 3 + ["/health/ready"] * 2 + ["/metrics"] * 2:
        assert http_session.get(path).status_code == 200, path
