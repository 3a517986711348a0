"""Log lines that say which message they belong to.

``MessageContextFilter`` adds ``correlation_id`` and ``causation_id`` (from
the message context every worker sets) to each record, so the JSON lines of
one request can be followed through every service. Use it in a service's
LOGGING config (see ``services/<name>/config.yaml``).
"""

from __future__ import annotations

import logging

from pawline.messaging.context import _current


class MessageContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _current.get()
        record.correlation_id = context.correlation_id if context else None
        record.causation_id = context.causation_id if context else None
        return True
