"""`make test` removes the per-test vhosts killed runs left behind, and only
those: a vhost another test run on this machine is using, or made after this
run began, stays. Real RabbitMQ, through its management API."""

from __future__ import annotations

import contextlib
import importlib.util
import urllib.error
import uuid
from collections.abc import Callable, Iterator
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
def make_vhost(devstack: ModuleType) -> Iterator[Callable[[], str]]:
    made: list[str] = []

    def make() -> str:
        name = f"nameko_test_{uuid.uuid4().hex[:10]}"
        devstack.management_request(f"/api/vhosts/{name}", "PUT")
        everything = {"configure": ".*", "write": ".*", "read": ".*"}
        devstack.management_request(f"/api/permissions/{name}/guest", "PUT", everything)
        made.append(name)
        return name

    yield make
    for name in made:
        with contextlib.suppress(urllib.error.HTTPError):  # already gone: what the test wanted
            devstack.management_request(f"/api/vhosts/{name}", "DELETE")


def vhost_names(devstack: ModuleType) -> set[str]:
    return {v["name"] for v in devstack.management_request("/api/vhosts")}


def test_only_vhosts_left_over_at_both_looks_and_unused_are_removed(devstack, make_vhost):
    left_over, in_use = make_vhost(), make_vhost()
    with kombu.Connection(f"amqp://guest:guest@127.0.0.1:5672/{in_use}") as connection:
        connection.connect()
        devstack.wait_until(
            lambda: any(
                c.get("vhost") == in_use for c in devstack.management_request("/api/connections")
            ),
            "the connection to show in the management API",
            10,
        )
        seen_at_start = devstack.leftover_test_vhosts() | {in_use}  # as if once unused
        assert left_over in seen_at_start
        assert in_use not in devstack.leftover_test_vhosts()
        made_during_the_run = make_vhost()  # another run's test, not connected yet

        # (only ours: other runs on this machine may have vhosts unused this instant)
        devstack.delete_test_vhosts(seen_at_start & {left_over, in_use, made_during_the_run})

        names = vhost_names(devstack)
    assert left_over not in names
    assert in_use in names
    assert made_during_the_run in names
