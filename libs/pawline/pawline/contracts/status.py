"""Contracts of the events the status service publishes (exchange ``status.events``).

Status owns the public status page: components, incidents, maintenance
windows and notices. One schema per event type of EVENTS.md, holding the
event's ``data``; ``EXAMPLES`` holds a valid ``data`` of each. Unknown fields
are refused (``RAISE``): see :mod:`pawline.contracts.base` for why.

Statuses and impacts are Atlassian Statuspage's enumerations, spelled as it
spells them, so status pages and their clients read them as they are.
Components are named by their key (``online-booking``), not by a UUID.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pawline.contracts.base import EventSchema, sample_id
from pawline.contracts.values import choice, entity_id, flag, instant, text, text_list

SOURCE: Final = "status"
COMPONENT_STATUSES: Final = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
INCIDENT_STATUSES: Final = ("investigating", "identified", "monitoring", "resolved", "postmortem")
#: No event carries a maintenance status: its event type says it
#: (scheduled, in_progress on MaintenanceStarted, completed on MaintenanceCompleted).
MAINTENANCE_STATUSES: Final = ("scheduled", "in_progress", "verifying", "completed")
IMPACTS: Final = ("none", "minor", "major", "critical")
NOTICE_KINDS: Final = ("office_closure", "phone_hours", "general")


class _StatusEventSchema(EventSchema):
    source = SOURCE


class ComponentStatusChangedSchema(_StatusEventSchema):
    """A component of the platform changed status on the status page."""

    event_type = "ComponentStatusChanged"

    component = text(description="The component's key, e.g. online-booking.")
    old_status = choice(COMPONENT_STATUSES)
    new_status = choice(COMPONENT_STATUSES)


class IncidentOpenedSchema(_StatusEventSchema):
    """An incident was opened on the status page, by a person or automatically."""

    event_type = "IncidentOpened"

    incident_id = entity_id()
    name = text()
    impact = choice(IMPACTS)
    status = choice(INCIDENT_STATUSES)
    components = text_list(description="Keys of the affected components.")
    message = text(description="The first update's text (Markdown).")
    automatic = flag(description="Opened by a rule (e.g. payment failures), not a person.")


class IncidentUpdatedSchema(_StatusEventSchema):
    """An incident got an update: its status and a message."""

    event_type = "IncidentUpdated"

    incident_id = entity_id()
    status = choice(INCIDENT_STATUSES)
    message = text(description="The update's text (Markdown).")


class IncidentResolvedSchema(_StatusEventSchema):
    """An incident was resolved."""

    event_type = "IncidentResolved"

    incident_id = entity_id()
    resolved_at = instant()


class MaintenanceScheduledSchema(_StatusEventSchema):
    """A maintenance window was scheduled for some components."""

    event_type = "MaintenanceScheduled"
    ordered_pairs = (("scheduled_for", "scheduled_until", False),)

    maintenance_id = entity_id()
    name = text()
    components = text_list(description="Keys of the components under maintenance.")
    scheduled_for = instant(description="Planned start (UTC).")
    scheduled_until = instant(description="Planned end (UTC).")
    message = text(description="What will happen (Markdown).")


class MaintenanceStartedSchema(_StatusEventSchema):
    """A scheduled maintenance window started (in_progress)."""

    event_type = "MaintenanceStarted"

    maintenance_id = entity_id()


class MaintenanceCompletedSchema(_StatusEventSchema):
    """A maintenance window was completed."""

    event_type = "MaintenanceCompleted"

    maintenance_id = entity_id()


class NoticePostedSchema(_StatusEventSchema):
    """A notice was posted for clients, such as an office closure or phone hours."""

    event_type = "NoticePosted"
    ordered_pairs = (("starts_at", "ends_at", False),)

    notice_id = entity_id()
    kind = choice(NOTICE_KINDS)
    message = text()
    starts_at = instant(optional=True, description="When what it announces starts (UTC).")
    ends_at = instant(optional=True, description="When what it announces ends (UTC).")


_INCIDENT = sample_id("incident:1")
_MAINTENANCE = sample_id("maintenance:1")

EXAMPLES: Final[Mapping[str, Mapping[str, Any]]] = {
    "ComponentStatusChanged": {
        "component": "card-payments",
        "old_status": "operational",
        "new_status": "degraded_performance",
    },
    "IncidentOpened": {
        "incident_id": _INCIDENT,
        "name": "Card payments failing",
        "impact": "major",
        "status": "investigating",
        "components": ["card-payments"],
        "message": "Many card payments are being declined. We are looking into it.",
        "automatic": True,
    },
    "IncidentUpdated": {
        "incident_id": _INCIDENT,
        "status": "identified",
        "message": "Our card processor has an outage; payments are retried automatically.",
    },
    "IncidentResolved": {"incident_id": _INCIDENT, "resolved_at": "2026-11-21T15:20:00Z"},
    "MaintenanceScheduled": {
        "maintenance_id": _MAINTENANCE,
        "name": "Database upgrade",
        "components": ["online-booking", "card-payments"],
        "scheduled_for": "2026-11-29T02:00:00Z",
        "scheduled_until": "2026-11-29T03:00:00Z",
        "message": "Online booking and payments pause for up to an hour.",
    },
    "MaintenanceStarted": {"maintenance_id": _MAINTENANCE},
    "MaintenanceCompleted": {"maintenance_id": _MAINTENANCE},
    "NoticePosted": {
        "notice_id": sample_id("notice:1"),
        "kind": "office_closure",
        "message": "We are closed on December 24-26. Happy holidays!",
        "starts_at": "2026-12-24T00:00:00Z",
        "ends_at": "2026-12-27T00:00:00Z",
    },
}
