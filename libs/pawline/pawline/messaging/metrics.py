"""Prometheus metrics of the messaging kit, labelled by service.

Each service runs in a process of its own, so the default registry serves
its ``/metrics``; the ``service`` label keeps several containers apart when
tests run them in one process.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

APPENDED = Counter(
    "pawline_events_appended", "Events saved to the service's log (its outbox), by type",
    ["service", "type"],
)  # fmt: skip
PUBLISHED = Counter(
    "pawline_events_published", "Events the relay published and the broker confirmed",
    ["service", "type"],
)  # fmt: skip
PUBLISH_FAILURES = Counter(
    "pawline_publish_failures", "Publish attempts that failed and will be retried",
    ["service", "reason"],
)  # fmt: skip
PUBLISH_SECONDS = Histogram(
    "pawline_publish_seconds", "Time to publish a batch of events and get their confirms",
    ["service"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)  # fmt: skip
RELAY_LAG = Gauge(
    "pawline_relay_lag_events", "Log entries not yet passed by the relay", ["service"]
)
RELAY_LAG_SECONDS = Gauge(
    "pawline_relay_lag_seconds", "Age of the event the relay published last, when published",
    ["service"],
)  # fmt: skip
LEASE_HELD = Gauge("pawline_lease_held", "1 if this replica holds the lease", ["service", "lease"])
RECEIVED = Counter(
    "pawline_events_received", "Events written to the inbox", ["service", "source", "type"]
)
DUPLICATES = Counter(
    "pawline_duplicates_dropped", "Deliveries dropped as already received or applied",
    ["service", "source"],
)  # fmt: skip
APPLIED = Counter(
    "pawline_events_applied", "Inbox entries applied (handled, or passed by with no handler)",
    ["service", "source", "type"],
)  # fmt: skip
HANDLER_FAILURES = Counter(
    "pawline_handler_failures", "Handler attempts that raised", ["service", "source", "type"]
)
PARKED = Counter(
    "pawline_events_parked", "Inbox entries parked after their handler kept failing",
    ["service", "source", "type"],
)  # fmt: skip
DEAD_LETTERED = Counter(
    "pawline_events_dead_lettered", "Messages sent to the dead-letter queue",
    ["service", "reason", "type"],
)  # fmt: skip
HANDLER_SECONDS = Histogram(
    "pawline_handler_seconds", "Time to apply one inbox entry", ["service", "source"]
)
INBOX_LAG = Gauge(
    "pawline_inbox_lag_events", "Inbox entries received and not yet applied", ["service", "source"]
)
INBOX_LAG_SECONDS = Gauge(
    "pawline_inbox_lag_seconds", "How long the oldest entry not yet applied has waited",
    ["service", "source"],
)  # fmt: skip
