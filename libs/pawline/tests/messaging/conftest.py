"""Fixtures of the messaging tests: containers on a fresh vhost (nameko's
``rabbit_config``) and a fresh database per service."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import eventlet
import pytest


@pytest.fixture
def service_config(
    rabbit_config: dict[str, Any], mongo_uri: str, fresh_mongo_database: Callable[[], str]
) -> Callable[[], dict[str, Any]]:
    """Call it once per service: a config on the test's vhost, with a database
    of its own (the plugin's ``fresh_mongo_database``).

    The store gets 15 s per call instead of the default 5, as margin on a
    loaded machine. (The long stalls once seen late in full runs were the
    store deadlocking on a database dropped under a running transaction;
    databases are now dropped when the session ends.) Tests of
    the store-down bound set their own (1 s)."""

    def make() -> dict[str, Any]:
        return {
            **rabbit_config,
            "MONGO_URI": mongo_uri,
            "MONGO_DATABASE": fresh_mongo_database(),
            "MONGO_TIMEOUT": 15,
        }

    return make


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll until ``check()`` is truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        eventlet.sleep(0.2)
