"""The base every published event's schema stands on, and what all share.

An event schema is a marshmallow schema of the event's ``data`` (the envelope
is :mod:`pawline.contracts.envelope`). Its class names the fact:

- ``event_type``: the type on the wire, also the AMQP routing key;
- ``source``: the producing service, whose exchange is ``<source>.events``;
- ``schema_version``: the version of this shape of ``data`` (starts at 1; a
  breaking change is a new version plus an upcaster, see
  :func:`pawline.contracts.register_upcaster`);
- its docstring: one line saying what fact the event records (it becomes the
  description in the AsyncAPI document).

Unknown fields are refused (marshmallow ``RAISE``), in events and in their
nested parts: a producer's typo (``clinet_id``) or a field that must never
travel (a card number) is caught at publish instead of being silently
dropped or passed on. Adding a field to a contract is a change of this
package, so producer and schema move together; consumers running an older
kit see the new field as an error, so a new field is added as optional, and
consumers upgrade before producers send it.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, validates_schema

from pawline.contracts.values import parse_instant

_SAMPLE_NAMESPACE = uuid.UUID("6f1c1d0e-1f53-4a0e-9a4e-2f0a5e3b7c11")


def sample_id(name: str) -> str:
    """A stable UUID string for examples (``sample_id("client")`` is always the same)."""
    return str(uuid.uuid5(_SAMPLE_NAMESPACE, name))


class PartSchema(Schema):
    """A part nested in an event's data (a ticket line, a weekly slot)."""

    class Meta:
        unknown = RAISE


class EventSchema(Schema):
    """The data of one published event type."""

    event_type: ClassVar[str]
    source: ClassVar[str]
    schema_version: ClassVar[int] = 1
    #: ``(earlier, later, may_be_equal)`` field pairs whose order the event promises.
    ordered_pairs: ClassVar[tuple[tuple[str, str, bool], ...]] = ()

    class Meta:
        unknown = RAISE

    @classmethod
    def fact(cls) -> str:
        """The one-line description of the fact the event records (its docstring)."""
        return " ".join((cls.__dict__.get("__doc__") or "").split())

    @validates_schema
    def _check_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        for earlier, later, may_be_equal in self.ordered_pairs:
            first, second = data.get(earlier), data.get(later)
            if first is None or second is None:
                continue
            start, end = parse_instant(first), parse_instant(second)
            if end < start or (end == start and not may_be_equal):
                relation = "at or after" if may_be_equal else "after"
                errors.setdefault(later, []).append(f"Must be {relation} {earlier}.")
        if errors:
            raise ValidationError(errors)
