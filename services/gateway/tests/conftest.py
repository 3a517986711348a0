"""Fixtures of the gateway's interface tests: the gateway container on a fresh
vhost (nameko's ``rabbit_config``), its web port (``web_config``) and a fresh
database of its own in the real store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway.service import GatewayService

OPERATOR_KEY = "test-operator-key-8c1f2e6a4b"
A_BUSINESS = {
    "name": "Happy Paws",
    "timezone": "Europe/Paris",
    "currency": "EUR",
    "tax_rate_bp": 2000,
}


@pytest.fixture
def gateway_config(
    rabbit_config: dict[str, Any], web_config: dict[str, Any], mongo_uri: str, mongo_database: str
) -> dict[str, Any]:
    return {
        **rabbit_config,
        **web_config,
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": mongo_database,
        # margin on a loaded machine
        "MONGO_TIMEOUT": 15,
        "PAWLINE_ADMIN_KEY": OPERATOR_KEY,
        "RPC_TIMEOUT": 1,
        "GATEWAY_NEEDS": "",
        "RATE_LIMIT_PER_CALLER": "1000/second",
        "RATE_LIMIT_PER_ADDRESS": "1000/second",
    }


@pytest.fixture
def start_gateway(container_factory: Any, gateway_config: dict[str, Any]) -> Callable[..., Any]:
    """Start a gateway (or a test subclass of it) with config overrides."""

    def start(service_cls: type = GatewayService, **overrides: Any) -> Any:
        container = container_factory(service_cls, {**gateway_config, **overrides})
        container.start()
        return container

    return start


@pytest.fixture
def gateway(start_gateway: Callable[..., Any]) -> Any:
    return start_gateway()


@pytest.fixture
def staff(
    container_factory: Any,
    rabbit_config: dict[str, Any],
    mongo_uri: str,
    fresh_mongo_database: Callable[[], str],
) -> Any:
    """The real staff service beside the gateway, in a database of its own."""
    from staff.service import StaffService  # noqa: PLC0415  (a test dependency only)

    container = container_factory(
        StaffService,
        {
            **rabbit_config,
            "MONGO_URI": mongo_uri,
            "MONGO_DATABASE": fresh_mongo_database(),
            "MONGO_TIMEOUT": 15,
        },
    )
    container.start()
    return container


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def register(http_session: Any, **changes: Any) -> dict[str, str]:
    """A new business, registered by the operator: {business_id, slug, api_key}."""
    reply = http_session.post(
        "/v1/businesses", json={**A_BUSINESS, **changes}, headers=bearer(OPERATOR_KEY)
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def assert_error(reply: Any, status: int, code: str) -> dict[str, Any]:
    """The answer is API.md's error format with this status and code."""
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/json")
    body = reply.json()
    assert body["error"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    assert set(body) <= {"error", "message", "fields"}
    return dict(body)
