"""Fixtures of the staff service's interface tests: the real broker (a fresh
vhost per test, nameko's ``rabbit_config``) and the real store (a fresh
database per test, our plugin's ``mongo_database``)."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import eventlet
import eventlet.queue
import pytest
from nameko.events import event_handler
from nameko.exceptions import deserialize_to_instance

from staff.errors import EXPECTED_ERRORS

# As the gateway does: the staff errors cross RPC as themselves.
for error_class in EXPECTED_ERRORS:
    deserialize_to_instance(error_class)

PUBLIC_TYPES = (
    "EmployeeHired",
    "EmployeeScheduleSet",
    "TimeOffAdded",
    "ServiceLimitationsSet",
    "EmployeePermissionsChanged",
    "ClockedIn",
    "ClockedOut",
)


@pytest.fixture
def staff_config(
    rabbit_config: dict[str, Any], mongo_uri: str, mongo_database: str
) -> dict[str, Any]:
    # 15 s per store call, as the kit's messaging tests give the embedded store.
    return {
        **rabbit_config,
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": mongo_database,
        "MONGO_TIMEOUT": 15,
    }


class Received:
    """The envelopes a plain nameko event handler received; waits for those a test expects."""

    def __init__(self) -> None:
        self.envelopes: list[dict[str, Any]] = []
        self.arrivals: eventlet.queue.LightQueue = eventlet.queue.LightQueue()

    def add(self, envelope: dict[str, Any]) -> None:
        self.envelopes.append(envelope)
        self.arrivals.put(envelope)

    def of_type(
        self, event_type: str, count: int = 1, timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """The first ``count`` envelopes of ``event_type`` once they arrived (fails naming them)."""
        give_up = time.monotonic() + timeout
        while len(found := [e for e in self.envelopes if e["type"] == event_type]) < count:
            left = give_up - time.monotonic()
            if left <= 0:
                pytest.fail(f"{len(found)} of {count} {event_type} arrived in {timeout:g} s")
            with contextlib.suppress(eventlet.queue.Empty):
                self.arrivals.get(timeout=left)
        return found[:count]


@pytest.fixture
def received(container_factory: Any, staff_config: dict[str, Any]) -> Received:
    """What staff publishes, received by a plain ``@event_handler`` per public type."""
    envelopes = Received()

    def handler(event_type: str) -> Any:
        @event_handler("staff", event_type)
        def on_event(self: Any, envelope: dict[str, Any]) -> None:
            envelopes.add(envelope)

        return on_event

    listener = type(
        "Listener",
        (),
        {"name": "listener", **{f"on_{t}": handler(t) for t in PUBLIC_TYPES}},
    )
    container_factory(listener, staff_config).start()
    return envelopes
