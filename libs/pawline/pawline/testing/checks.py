"""Checks every service's own test suite runs against its container.

Used with nameko's pytest fixtures (``container_factory``, ``rabbit_config``,
``web_config``, ``http_session``): real RabbitMQ, a fresh vhost per test.
"""

from __future__ import annotations

from typing import Any

from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter


def check_ping(container_factory: Any, rabbit_config: dict[str, Any], service_cls: Any) -> None:
    """The service answers ``ping`` over RPC through the broker."""
    container = container_factory(service_cls, rabbit_config)
    container.start()
    with ServiceRpcProxy(service_cls.name, rabbit_config) as proxy:
        assert proxy.ping() == {"service": service_cls.name, "status": "ok"}


def check_health_live(
    container_factory: Any,
    rabbit_config: dict[str, Any],
    web_config: dict[str, Any],
    http_session: Any,
    service_cls: Any,
) -> None:
    """The service answers ``GET /health/live`` over HTTP."""
    container = container_factory(service_cls, {**rabbit_config, **web_config})
    container.start()
    with entrypoint_waiter(container, "health_live"):
        response = http_session.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"service": service_cls.name, "status": "ok"}


def check_ready_and_metrics(
    container_factory: Any,
    rabbit_config: dict[str, Any],
    web_config: dict[str, Any],
    http_session: Any,
    service_cls: Any,
) -> None:
    """``GET /health/ready`` says ready with its checks; ``GET /metrics`` is
    Prometheus text with the service's RPC counts."""
    container = container_factory(service_cls, {**rabbit_config, **web_config})
    container.start()
    with ServiceRpcProxy(service_cls.name, rabbit_config) as proxy:
        proxy.ping()
    ready = http_session.get("/health/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["broker"] == "ok"
    metrics = http_session.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["Content-Type"].startswith("text/plain")
    assert f'{service_cls.name}_rpc_requests_total{{method_name="ping"}} 1.0' in metrics.text
