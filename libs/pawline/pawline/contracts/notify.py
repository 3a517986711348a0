"""Contracts of the events the notify service publishes (exchange ``notify.events``).

Notify owns notifications, subscriptions, templates and the contact book.
One schema per event type of EVENTS.md, holding the event's ``data``;
``EXAMPLES`` holds a valid ``data`` of each. Unknown fields are refused
(``RAISE``): see :mod:`pawline.contracts.base` for why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pawline.contracts.base import EventSchema, sample_id
from pawline.contracts.values import choice, count, entity_id, flag, text

SOURCE: Final = "notify"
CHANNELS: Final = ("email", "sms", "webhook")


class _NotifyEventSchema(EventSchema):
    source = SOURCE


class NotificationSentSchema(_NotifyEventSchema):
    """A notification was handed to its channel's provider for delivery."""

    event_type = "NotificationSent"

    notification_id = entity_id()
    channel = choice(CHANNELS)
    template = text(description="The template's key, e.g. appointment_reminder.")
    to = text(description="Email address, E.164 phone number or webhook URL, per `channel`.")
    cause_event_id = entity_id(description="Envelope id of the event that caused it.")


class NotificationFailedSchema(_NotifyEventSchema):
    """A notification could not be delivered on an attempt."""

    event_type = "NotificationFailed"

    notification_id = entity_id()
    channel = choice(CHANNELS)
    reason = text(description="The provider's or notify's explanation.")
    attempt = count(minimum=1, description="1 for the first attempt.")
    will_retry = flag(description="Whether notify will try again.")


EXAMPLES: Final[Mapping[str, Mapping[str, Any]]] = {
    "NotificationSent": {
        "notification_id": sample_id("notification:1"),
        "channel": "sms",
        "template": "appointment_reminder",
        "to": "+46701234567",
        "cause_event_id": sample_id("event:AppointmentBooked"),
    },
    "NotificationFailed": {
        "notification_id": sample_id("notification:2"),
        "channel": "email",
        "reason": "550 mailbox unavailable",
        "attempt": 2,
        "will_retry": True,
    },
}
