"""The errors a broken contract raises: what type, which fields, and a sentence.

Raised at publish (a producer's bug: fix the producer) and at receipt (the
message goes to the dead-letter queue with ``str(error)`` as its reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _paths(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """``(path, message)`` pairs of marshmallow's nested messages, e.g. ``lines[0].quantity``."""
    if isinstance(messages, Mapping):
        pairs: list[tuple[str, str]] = []
        for key, value in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            pairs.extend(_paths(value, path))
        return pairs
    if isinstance(messages, list | tuple):
        return [pair for message in messages for pair in _paths(message, prefix)]
    return [(prefix, str(messages))]


def describe(messages: Mapping[str, Any]) -> str:
    """One line naming every bad field and what is wrong with it."""
    return "; ".join(
        f"{path or '(whole payload)'}: {text.rstrip('.')}" for path, text in _paths(messages)
    )


class ContractError(ValueError):
    """An event (or its envelope) does not keep its published contract.

    ``type`` is the event type (``None`` when the envelope does not say one),
    ``fields`` marshmallow's messages (field name -> messages, nested for
    nested data), ``code`` a stable machine-readable reason.
    """

    code = "contract_violation"

    def __init__(
        self,
        event_type: str | None,
        fields: Mapping[str, Any],
        message: str | None = None,
    ) -> None:
        self.type = event_type
        self.fields = dict(fields)
        if message is None:
            subject = event_type or "event without a type"
            message = f"{subject} does not keep its contract: {describe(self.fields)}"
        self.message = message
        super().__init__(message)


class UnknownEventType(ContractError):  # noqa: N818  (the published name of this error)
    """No schema is registered for the event type."""

    code = "unknown_event_type"

    def __init__(self, event_type: str) -> None:
        message = (
            f"{event_type!r} is not a registered event type: pawline.contracts has no schema"
            " for it (a type published since needs a newer pawline)"
        )
        fields = {"type": [f"Not a registered event type: {event_type}."]}
        super().__init__(event_type, fields, message)
