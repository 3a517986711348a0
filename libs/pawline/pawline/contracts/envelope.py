"""The envelope every published event travels in (ARCHITECTURE.md, "Events on the wire").

Published on the topic exchange ``<source>.events`` with routing key = ``type``,
as a persistent JSON message, so that a plain nameko
``@event_handler("booking", "TicketClosed")`` receives it::

    {"id": "<uuid>", "type": "TicketClosed", "schema_version": 1,
     "source": "booking", "position": 1234,
     "stream_id": "<uuid>", "stream_version": 7,
     "previous_position": 1230,
     "occurred_at": "2026-11-21T14:03:00Z", "business_id": "<uuid>",
     "correlation_id": "<uuid>", "causation_id": "<uuid>|null",
     "data": {...}}

:class:`EnvelopeSchema` checks the envelope only; ``data`` is any JSON object
here and is checked against its type's schema by
:func:`pawline.contracts.validate_envelope`. Unknown keys are refused, as in
the event schemas.
"""

from __future__ import annotations

from typing import Final

from marshmallow import RAISE, Schema, fields, validate

from pawline.contracts.values import UUIDString, count, entity_id, instant

EVENT_TYPE_PATTERN: Final = r"^[A-Z][A-Za-z0-9]*$"
SOURCE_PATTERN: Final = r"^[a-z][a-z0-9_]*$"


class EnvelopeSchema(Schema):
    """The envelope of a published event: who, where in which stream, when, and why."""

    class Meta:
        unknown = RAISE

    id = entity_id(description="Unique id of this event (consumers drop duplicates by it).")
    type = fields.String(
        required=True,
        validate=validate.Regexp(EVENT_TYPE_PATTERN, error="Not an event type name."),
        metadata={"description": "Event type, past tense (also the AMQP routing key)."},
    )
    schema_version = count(minimum=1, description="Version of the shape of `data`.")
    source = fields.String(
        required=True,
        validate=validate.Regexp(SOURCE_PATTERN, error="Not a service name."),
        metadata={"description": "The producing service; the exchange is `<source>.events`."},
    )
    position = count(
        minimum=1,
        description=(
            "Position in the producer's notification log (commit order). The log is gapless;"
            " public events skip the positions of internal ones."
        ),
    )
    previous_position = fields.Integer(
        strict=True,
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1),
        metadata={
            "description": (
                "Position of the source's previous public event (null: none before it). A"
                " consumer whose last applied position differs has missed a message."
                " Set by the relay; absent from get_notifications replies."
            )
        },
    )
    stream_id = entity_id(description="The aggregate whose stream recorded the event.")
    stream_version = count(minimum=1, description="The event's version in its stream.")
    occurred_at = instant(description="When the event was recorded (UTC).")
    business_id = entity_id(description="The business (tenant) the event belongs to.")
    correlation_id = entity_id(description="The request or flow the event is part of.")
    causation_id = UUIDString(
        required=True,
        allow_none=True,
        metadata={"description": "Id of the event that caused this one; null for a command."},
    )
    data = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={"description": "The event's data, per its type's schema."},
    )
