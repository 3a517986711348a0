"""Upcasters: the steps that turn an event's old ``data`` into its current shape.

A breaking change to a published type is a new ``schema_version`` of its
schema plus one upcaster per step, registered next to the schema::

    def _ticket_closed_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "channel": "in_store"}

    register_upcaster("TicketClosed", 1, _ticket_closed_v1_to_v2)

:func:`pawline.contracts.upcast` applies the steps from an event's version up
to the current one; :func:`pawline.contracts.validate_envelope` does it for
every received event, so handlers only ever see the current shape (events
stored or replayed from a notification log keep the version they were
written with). None is registered yet: every type is at version 1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_steps: dict[tuple[str, int], Upcaster] = {}
#: ``(event type, from version) -> step to from version + 1``, read-only.
STEPS: Mapping[tuple[str, int], Upcaster] = MappingProxyType(_steps)


def register_upcaster(event_type: str, from_version: int, fn: Upcaster) -> Upcaster:
    """Register ``fn`` turning ``data`` of ``event_type`` at ``from_version`` into the next.

    ``fn`` gets a copy of the data it may change, and returns the data of
    version ``from_version + 1``. Returns ``fn`` (so it can be kept as a name).
    """
    if isinstance(from_version, bool) or not isinstance(from_version, int) or from_version < 1:
        raise ValueError(f"from_version must be an integer >= 1, not {from_version!r}")
    key = (event_type, from_version)
    if key in _steps:
        raise ValueError(
            f"an upcaster of {event_type} from version {from_version} is already registered"
        )
    _steps[key] = fn
    return fn


def unregister_upcaster(event_type: str, from_version: int) -> None:
    """Forget a registered step (tests register temporary ones)."""
    _steps.pop((event_type, from_version), None)


def step(event_type: str, from_version: int) -> Upcaster | None:
    """The registered step of ``event_type`` from ``from_version``, if any."""
    return _steps.get((event_type, from_version))
