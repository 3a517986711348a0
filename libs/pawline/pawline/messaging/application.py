"""The event-sourced application every Pawline service is built on.

Its notification log is the service's outbox: ``save()`` writes the new
events, their log positions, their metadata (business, correlation and
causation ids) and any tracking record in one transaction, and nothing else
(no publishing here). The relay later turns each public event into an
envelope (:meth:`PawlineApplication.envelopes_after`), which is also what
``get_notifications`` answers over RPC.

Which events are public is declared, per domain event class, in
``published``; their data is checked against ``pawline.contracts`` when they
are saved, so an event that breaks its contract never reaches the log.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import ProcessRecorder, Recording

from pawline import contracts
from pawline.eventstore.mongo import MongoApplicationRecorder
from pawline.messaging import metrics
from pawline.messaging.context import current

ENVELOPE_NAMESPACE = uuid.UUID("6f1c2a4e-2b0e-4c55-9f0a-70a1b5c0e7d1")
EVENT_BASE_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic"}
)


@dataclasses.dataclass(frozen=True)
class Published:
    """How one domain event class becomes a public event.

    ``data`` is built by ``build`` if given, else from the event's own fields
    (less the library's bookkeeping ones), with the aggregate's id added under
    ``id_field``.
    """

    event_type: str
    id_field: str | None = None
    build: Callable[[Any], dict[str, Any]] | None = None

    def data_of(self, event: Any) -> dict[str, Any]:
        if self.build is not None:
            data = self.build(event)
        else:
            data = {
                k: v
                for k, v in vars(event).items()
                if k not in EVENT_BASE_FIELDS and k != "business_id"
            }
        if self.id_field is not None:
            data.setdefault(self.id_field, event.originator_id)
        native: dict[str, Any] = json_native(data)
        return native


def json_native(value: Any) -> Any:  # noqa: PLR0911  (one return per JSON type)
    """UUIDs and dates as strings, datetimes as UTC ISO 8601, recursively."""
    if isinstance(value, Mapping):
        return {str(k): json_native(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_native(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class PawlineApplication(Application[uuid.UUID]):
    """Subclass it, set ``source`` (the service's name) and ``published``."""

    source: ClassVar[str]
    published: ClassVar[Mapping[type, Published]] = {}
    env: ClassVar[dict[str, str]] = {"PERSISTENCE_MODULE": "pawline.eventstore.mongo"}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "source" in cls.__dict__:
            cls.name = cls.source  # collections are named after it: booking_events ...

    @property
    def process_recorder(self) -> MongoApplicationRecorder:
        assert isinstance(self.recorder, MongoApplicationRecorder)
        return self.recorder

    def construct_recorder(self) -> ProcessRecorder:
        # A process recorder, so events handled from other services are
        # recorded with their tracking record in the same transaction.
        return self.factory.process_recorder()

    def public_form(
        self, event: DomainEventProtocol[uuid.UUID]
    ) -> tuple[str, dict[str, Any]] | None:
        """The event's public type and contract-checked data, or None if internal."""
        published = self.published.get(type(event))
        if published is None:
            return None
        return published.event_type, contracts.validate(
            published.event_type, published.data_of(event)
        )

    def _record(self, processing_event: ProcessingEvent[uuid.UUID]) -> list[Recording[uuid.UUID]]:
        context = current()
        metadata = []
        for event in processing_event.events:
            self.public_form(event)  # one that breaks its contract is refused here
            metadata.append(
                {
                    "business_id": json_native(self._business_id(event, processing_event)),
                    "correlation_id": context.correlation_id,
                    "causation_id": context.causation_id,
                }
            )
        processing_event.saved_kwargs["metadata"] = metadata
        recordings = super()._record(processing_event)
        for event in processing_event.events:
            published = self.published.get(type(event))
            kind = published.event_type if published else type(event).__qualname__
            metrics.APPENDED.labels(self.source, kind).inc()
        return recordings

    @staticmethod
    def _business_id(event: Any, processing_event: ProcessingEvent[uuid.UUID]) -> Any:
        business_id = getattr(event, "business_id", None)
        if business_id is None:
            aggregate = processing_event.aggregates.get(event.originator_id)
            business_id = getattr(aggregate, "business_id", None)
        return business_id

    def envelope(self, notification: Any, metadata: Mapping[str, Any]) -> dict[str, Any] | None:
        """The wire envelope of a logged event, or None if it is internal."""
        event = self.mapper.to_domain_event(notification)
        public = self.public_form(event)
        if public is None:
            return None
        event_type, data = public
        stream_id = str(event.originator_id)
        return {
            # The same event always gets the same id, so a re-publish is
            # recognisably the same message.
            "id": str(
                uuid.uuid5(
                    ENVELOPE_NAMESPACE, f"{self.source}/{stream_id}/{event.originator_version}"
                )
            ),
            "type": event_type,
            "schema_version": contracts.schema_for(event_type).schema_version,
            "source": self.source,
            "position": notification.id,
            "stream_id": stream_id,
            "stream_version": event.originator_version,
            "occurred_at": utc_iso(getattr(event, "timestamp")),  # noqa: B009  (not on the protocol)
            "business_id": metadata.get("business_id"),
            "correlation_id": metadata.get("correlation_id") or str(uuid.uuid4()),
            "causation_id": metadata.get("causation_id"),
            "data": data,
        }

    def envelopes_after(self, after: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Public envelopes among the next ``limit`` log entries after
        ``after``, and the last position looked at (internal events included),
        so a reader knows how far it has seen."""
        records = self.process_recorder.select_records(after, limit)
        envelopes = [
            envelope
            for notification, metadata in records
            if (envelope := self.envelope(notification, metadata)) is not None
        ]
        return envelopes, (records[-1][0].id if records else after)

    def get_notifications(self, after: int, limit: int) -> dict[str, Any]:
        """What ``get_notifications`` answers over RPC: public envelopes after
        a position, and the position read up to (``last_position``)."""
        envelopes, last = self.envelopes_after(after, limit)
        return {"notifications": envelopes, "last_position": last}
