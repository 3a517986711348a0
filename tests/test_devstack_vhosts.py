"""`make test` removes the per-test vhosts killed runs left behind, and only
those: another test run on this machine keeps the ones it is connected to.
Real RabbitMQ, through its management API."""

from __future__ import annotations

import contextlib
import importlib.util
import urllib.error
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import kombu
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def devstack() -> ModuleType:
    spec = importlib.util.spec_from_file_location("devstack", ROOT / "devstack" / "devstack.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def two_vhosts(devstack: ModuleType) -> Iterator[tuple[str, str]]:
    names = tuple(f"nameko_test_{uuid.uuid4().hex[:10]}" for _ in range(2))
    for name in names:
        devstack.management_request(f"/api/vhosts/{name}", "PUT")
        devstack.management_request(
            f"/api/permissions/{name}/guest",
            "PUT",
            {"configure": ".*", "write": ".*", "read": ".*"},
        )
    yield names  # type: ignore[misc]
    for name in names:
        with contextlib.suppress(urllib.error.HTTPError):  # already gone: what the test wanted
            devstack.management_request(f"/api/vhosts/{name}", "DELETE")


def vhost_names(devstack: ModuleType) -> set[str]:
    return {v["name"] for v in devstack.management_request("/api/vhosts")}


def test_left_over_test_vhosts_go_and_ones_in_use_stay(devstack, two_vhosts):
    in_use, left_over = two_vhosts
    with kombu.Connection(f"amqp://guest:guest@127.0.0.1:5672/{in_use}") as connection:
        connection.connect()
        devstack.wait_until(
            lambda: any(
                c.get("vhost") == in_use for c in devstack.management_request("/api/connections")
            ),
            "the connection to show in the management API",
            10,
        )
        devstack.delete_test_vhosts()
        names = vhost_names(devstack)
    assert in_use in names
    assert left_over not in names
