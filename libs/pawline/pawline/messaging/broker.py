"""Connections to RabbitMQ that the relay and the inbox share the handling of."""

from __future__ import annotations

import logging
from typing import Any

import kombu

log = logging.getLogger(__name__)


def confirmed_connection(amqp_uri: str) -> Any:
    """A connection whose publishes wait for the broker's confirm (an unconfirmed
    or refused publish raises instead of passing silently)."""
    return kombu.Connection(amqp_uri, transport_options={"confirm_publish": True})


def release_quietly(connection: Any, what: str) -> None:
    """Close a connection that may already be broken; a failure is only logged."""
    if connection is None:
        return
    try:
        connection.release()
    except Exception:
        log.debug("closing %s failed", what, exc_info=True)
