"""Errors over HTTP: API.md's format for every failure, 503 within the bound
for a service or store that is slow or down, never a hang, never a 500 for
what a client sends."""

from __future__ import annotations

import time

from nameko.rpc import ReplyListener

from gateway.calls import pending_replies
from pawline.testing.embedded_store import free_port

from .conftest import A_BUSINESS, OPERATOR_KEY, assert_error, bearer, register
from .helpers import EchoService, GatewayWithServiceRoutes


def test_an_unknown_path_is_a_json_404(gateway, http_session):
    reply = http_session.get("/v1/no-such-thing")
    assert_error(reply, 404, "not_found")
    assert reply.headers["X-Request-Id"]


def test_a_wrong_method_is_a_json_405_with_allow(gateway, http_session):
    reply = http_session.delete("/v1/businesses", headers=bearer(OPERATOR_KEY))
    body = assert_error(reply, 405, "method_not_allowed")
    assert reply.headers["Allow"] == "POST"
    assert "POST" in body["message"]


def test_an_absent_service_is_a_503_at_once(start_gateway, http_session):
    gateway = start_gateway(GatewayWithServiceRoutes)
    key = register(http_session)["api_key"]
    started = time.monotonic()
    reply = http_session.get("/v1/test/absent", headers=bearer(key), timeout=10)
    assert_error(reply, 503, "unavailable")
    assert time.monotonic() - started < 2
    for _ in range(3):
        http_session.get("/v1/test/absent", headers=bearer(key), timeout=10)
    listeners = [e for e in gateway.subextensions if isinstance(e, ReplyListener)]
    assert listeners
    assert all(pending_replies(listener) == 0 for listener in listeners)


def test_a_slow_service_is_a_503_within_the_rpc_timeout(
    start_gateway, container_factory, rabbit_config, http_session
):
    container_factory(EchoService, rabbit_config).start()
    start_gateway(GatewayWithServiceRoutes, RPC_TIMEOUT=1)
    key = register(http_session)["api_key"]
    started = time.monotonic()
    reply = http_session.get("/v1/test/slow", headers=bearer(key), timeout=10)
    elapsed = time.monotonic() - started
    body = assert_error(reply, 503, "unavailable")
    assert "echo" in body["message"]
    assert "1 s" in body["message"]
    assert 0.9 < elapsed < 2.5


def test_a_store_that_does_not_answer_is_a_503_within_its_bound(start_gateway, http_session):
    start_gateway(MONGO_URI=f"mongodb://127.0.0.1:{free_port()}/", MONGO_TIMEOUT=1)
    started = time.monotonic()
    reply = http_session.post("/v1/businesses", json=A_BUSINESS, headers=bearer(OPERATOR_KEY))
    assert_error(reply, 503, "unavailable")
    reply = http_session.get("/v1/business", headers=bearer("pwl_bk_" + "x" * 43))
    body = assert_error(reply, 503, "unavailable")
    assert "store" in body["message"]
    assert time.monotonic() - started < 5


def test_ready_names_the_services_that_do_not_answer_within_the_bound(
    start_gateway, container_factory, rabbit_config, http_session
):
    container_factory(EchoService, rabbit_config).start()
    start_gateway(GATEWAY_NEEDS="echo,absent")
    started = time.monotonic()
    reply = http_session.get("/health/ready", timeout=10)
    assert time.monotonic() - started < 3
    assert reply.status_code == 503
    checks = reply.json()["checks"]
    assert checks["service.echo"] == "ok"
    assert "not running" in checks["service.absent"]
    assert checks["broker"] == "ok"
    assert checks["store"] == "ok"


def test_ready_when_every_service_it_needs_answers(
    start_gateway, container_factory, rabbit_config, http_session
):
    container_factory(EchoService, rabbit_config).start()
    start_gateway(GATEWAY_NEEDS="echo")
    reply = http_session.get("/health/ready", timeout=10)
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "ready"


def test_odd_requests_never_get_a_500(gateway, http_session):
    odd = [
        ("POST", "/v1/businesses", {"data": b"\x00\x01", "headers": bearer(OPERATOR_KEY)}),
        ("POST", "/v1/businesses", {"json": None, "headers": bearer(OPERATOR_KEY)}),
        ("POST", "/v1/businesses", {"json": [A_BUSINESS], "headers": bearer(OPERATOR_KEY)}),
        ("POST", "/v1/businesses", {"data": '{"tax_rate_bp": 1e400, "name": NaN}',
                                    "headers": bearer(OPERATOR_KEY)}),
        ("POST", "/v1/businesses", {"json": {**A_BUSINESS, "name": None},
                                    "headers": bearer(OPERATOR_KEY)}),
        ("GET", "/v1/business", {"headers": {"Authorization": "Bearer " + "é" * 10}}),
        ("GET", "/v1/business", {"headers": {"Authorization": "Bearer"}}),
        ("GET", "/v1/business", {"headers": {"Authorization": "Bearer " + "k" * 5000}}),
        ("PUT", "/openapi.json", {}),
        ("OPTIONS", "/v1/businesses", {}),
        ("TRACE", "/v1/business", {}),
        ("GET", "/%ff%fe", {}),
    ]  # fmt: skip
    for method, path, kwargs in odd:
        reply = http_session.request(method, path, **kwargs)
        assert 400 <= reply.status_code < 500, (method, path, reply.status_code, reply.text)
        assert set(reply.json()) <= {"error", "message", "fields"}


def test_a_body_over_the_bound_is_refused_with_or_without_content_length(gateway, http_session):
    big = b'{"name": "' + b"x" * 1_100_000 + b'"}'
    headers = {**bearer(OPERATOR_KEY), "Content-Type": "application/json"}
    sized = http_session.post("/v1/businesses", data=big, headers=headers)
    assert "larger" in assert_error(sized, 400, "invalid_request")["message"]
    chunked = http_session.post("/v1/businesses", data=iter([big[:500_000], big[500_000:]]),
                                headers=headers)  # fmt: skip
    assert chunked.status_code == 400, chunked.text
