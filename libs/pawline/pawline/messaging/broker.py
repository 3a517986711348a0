"""Connections to RabbitMQ that the relay and the inbox share the handling of."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import kombu
from kombu import Exchange

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


class UnconfirmedError(Exception):
    """The broker did not confirm every message of a batch in time."""


class PipelinedPublisher:
    """Publishes batches on a channel in confirm mode, with the confirms
    pipelined: every message of a batch is sent, then their acks awaited,
    instead of one round trip per message.

    :meth:`publish` returns how many leading messages of the batch the broker
    confirmed as routed; the first one it returned (unroutable with
    ``mandatory``) or refused (nack) ends that prefix. RabbitMQ sends a
    message's ``basic.return`` before its ``basic.ack``, so once every ack is
    in, every return is known. A caller must treat the rest of the batch as
    not published (publish it again later): a broker may still have routed
    some of them, which consumers drop as duplicates.
    """

    def __init__(self, amqp_uri: str, exchange: Exchange, declare: Sequence[Any] = ()) -> None:
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.declare = declare  # entities (exchange, queues) declared on connecting
        self._connection: Any = None
        self._producer: kombu.Producer | None = None
        self._next_tag = 1  # delivery tag of the next message on this channel
        self._acked_through = 0
        self._refused: set[int] = set()  # tags nacked, or returned (by message id)
        self._returned_ids: set[str] = set()

    def publish(self, messages: Sequence[tuple[dict[str, Any], str]], timeout: float) -> int:
        """Publish ``(envelope, routing key)`` pairs; how many leading ones were
        confirmed as routed. Raises on connection errors and if the broker
        has not confirmed them all within ``timeout`` seconds."""
        if not messages:
            return 0
        producer = self._ensure()
        self._returned_ids.clear()
        first_tag = self._next_tag
        tags_by_id: dict[str, int] = {}
        for envelope, routing_key in messages:
            tags_by_id[envelope["id"]] = self._next_tag
            producer.publish(
                envelope,
                exchange=self.exchange,
                routing_key=routing_key,
                serializer="json",
                delivery_mode=2,
                mandatory=True,
                message_id=envelope["id"],
                headers={"correlation_id": envelope.get("correlation_id")},
                retry=False,
            )
            self._next_tag += 1
        last_tag = self._next_tag - 1
        deadline = time.monotonic() + timeout
        while self._acked_through < last_tag:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                msg = (
                    f"the broker confirmed {max(self._acked_through - first_tag + 1, 0)} of "
                    f"{len(messages)} messages within {timeout:g} s"
                )
                raise UnconfirmedError(msg)
            try:
                self._connection.drain_events(timeout=remaining)
            except TimeoutError:
                continue
        refused = self._refused | {tags_by_id[i] for i in self._returned_ids if i in tags_by_id}
        self._refused.clear()
        failed = [tag for tag in refused if first_tag <= tag <= last_tag]
        return (min(failed) - first_tag) if failed else len(messages)

    @property
    def returned(self) -> bool:
        """Whether the last batch had a message returned as unroutable."""
        return bool(self._returned_ids)

    def _ensure(self) -> kombu.Producer:
        if self._producer is None:
            connection = kombu.Connection(self.amqp_uri)
            channel = connection.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            for entity in self.declare:
                entity(channel).declare()
            self._producer = kombu.Producer(channel, on_return=self._on_return)
            self._connection = connection
            self._next_tag, self._acked_through = 1, 0
            self._refused.clear()
        return self._producer

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._acked_through = max(self._acked_through, delivery_tag)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        low = self._acked_through + 1 if multiple else delivery_tag
        self._refused.update(range(low, delivery_tag + 1))
        self._acked_through = max(self._acked_through, delivery_tag)

    def _on_return(
        self, exception: Exception, exchange: str, routing_key: str, message: Any
    ) -> None:
        message_id = message.properties.get("message_id")
        if message_id:
            self._returned_ids.add(str(message_id))

    def close(self) -> None:
        release_quietly(self._connection, "the relay's broker connection")
        self._connection = self._producer = None
