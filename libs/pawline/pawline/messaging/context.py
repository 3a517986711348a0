"""Which message caused the work in hand, carried along every hop.

Entrypoints set it (from an RPC call's context or an envelope received);
``PawlineApplication.save()`` stamps it on the events it writes; the relay
puts it in the envelopes it publishes; log lines carry it.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class MessageContext:
    correlation_id: str
    """The id of the request or event that started the whole chain."""
    causation_id: str | None = None
    """The id of the message that directly caused this work (None: a request)."""


_current: contextvars.ContextVar[MessageContext | None] = contextvars.ContextVar(
    "pawline_message_context", default=None
)


def current() -> MessageContext:
    """The context in hand, or a new chain when there is none."""
    context = _current.get()
    return context if context is not None else MessageContext(str(uuid.uuid4()))


@contextmanager
def message_context(
    correlation_id: str | None, causation_id: str | None = None
) -> Iterator[MessageContext]:
    """Work inside this block belongs to the given chain (a new one if None)."""
    context = MessageContext(correlation_id or str(uuid.uuid4()), causation_id)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
