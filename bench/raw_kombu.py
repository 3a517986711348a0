"""Raw kombu baselines of the messaging benchmark: no pawline, no nameko.

1. publish with publisher confirms: ``kombu.Connection(uri,
   transport_options={"confirm_publish": True})``, one message at a time,
   persistent JSON envelopes of ~600 bytes (the shape the relay publishes),
   ``mandatory`` like the relay, to a durable topic exchange with one durable
   queue bound;
2. consume + ack: a kombu ``Consumer`` (prefetch 100) reading that queue,
   pre-filled by (1), decoding each JSON body and acking each message.

Each round publishes for a fixed time, then consumes exactly what it
published; the figure is the median round. ``bench_messaging.py`` runs this
file as a plain (not monkey-patched) Python process, and calls
:func:`measure` in its own eventlet process for reference::

    python bench/raw_kombu.py --uri amqp://guest:guest@127.0.0.1:5672/vhost [--seconds 1 --rounds 5]

which prints the result as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

import kombu
from kombu import Exchange, Queue

EXCHANGE = Exchange("bench.raw.events", type="topic", durable=True, auto_delete=False)
QUEUE = Queue("bench.raw.queue", exchange=EXCHANGE, routing_key="#", durable=True)
PREFETCH = 100
WARMUP_SECONDS = 0.3


def sample_envelope(position: int) -> dict[str, Any]:
    """An envelope like the relay's for staff's EmployeeHired (~600 bytes of JSON)."""
    return {
        "id": str(uuid.uuid4()),
        "type": "EmployeeHired",
        "schema_version": 1,
        "source": "staff",
        "position": position,
        "stream_id": str(uuid.uuid4()),
        "stream_version": 1,
        "occurred_at": "2026-11-21T14:03:00.123456Z",
        "business_id": "7b0c3f1e-5a43-4c8e-9a57-0d6c1f2e8a90",
        "correlation_id": str(uuid.uuid4()),
        "causation_id": str(uuid.uuid4()),
        "previous_position": position - 1 if position > 1 else None,
        "data": {
            "employee_id": str(uuid.uuid4()),
            "name": "Employee number 1234 of the grooming and boarding team",
            "role": "Employee",
            "email": "employee.number.1234@grooming-and-boarding.example.com",
        },
    }


def envelope_size() -> int:
    return len(json.dumps(sample_envelope(1234)).encode())


def publish_for(connection: Any, seconds: float, first_position: int) -> tuple[int, float]:
    """Publish, each confirmed, for ``seconds``; return (messages, elapsed seconds)."""
    producer = kombu.Producer(connection.channel(), exchange=EXCHANGE)
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        envelope = sample_envelope(first_position + count)
        producer.publish(
            envelope,
            exchange=EXCHANGE,
            routing_key=envelope["type"],
            serializer="json",
            delivery_mode=2,
            mandatory=True,
            headers={"correlation_id": envelope["correlation_id"]},
            retry=False,
        )
        count += 1
        if time.perf_counter() >= deadline:
            break
    elapsed = time.perf_counter() - started
    producer.channel.close()
    return count, elapsed


def consume(connection: Any, count: int, timeout: float = 30.0) -> float:
    """Consume and ack ``count`` messages from the queue; return elapsed seconds."""
    channel = connection.channel()
    channel.basic_qos(0, PREFETCH, False)
    received = 0

    def on_message(body: Any, message: Any) -> None:
        nonlocal received
        assert isinstance(body, dict)  # decoded from JSON, as a consumer would
        message.ack()
        received += 1

    consumer = kombu.Consumer(
        channel, queues=[QUEUE(channel)], callbacks=[on_message], auto_declare=False
    )
    started = time.perf_counter()
    consumer.consume()
    deadline = time.monotonic() + timeout
    while received < count:
        if time.monotonic() > deadline:
            msg = f"consumed only {received} of {count} messages in {timeout:g} s"
            raise TimeoutError(msg)
        try:
            connection.drain_events(timeout=1.0)
        except TimeoutError:
            continue
    elapsed = time.perf_counter() - started
    consumer.cancel()
    channel.close()
    return elapsed


def measure(uri: str, seconds: float, rounds: int) -> dict[str, Any]:
    """Rates of both baselines: one per round, after a short unrecorded warm-up."""
    publish_rates: list[float] = []
    consume_rates: list[float] = []
    published_total = 0
    with kombu.Connection(uri, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        QUEUE(channel).declare()
        QUEUE(channel).purge()
        for round_no in range(rounds + 1):
            count, publish_seconds = publish_for(
                connection, seconds if round_no else WARMUP_SECONDS, published_total + 1
            )
            published_total += count
            consume_seconds = consume(connection, count)
            if round_no:  # round 0 warms up
                publish_rates.append(count / publish_seconds)
                consume_rates.append(count / consume_seconds)
        QUEUE(channel).delete()
        channel.close()
    return {
        "publish_rates": publish_rates,
        "consume_rates": consume_rates,
        "messages": published_total,
        "envelope_bytes": envelope_size(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--uri", required=True, help="AMQP URI (its vhost is used as is)")
    parser.add_argument("--seconds", type=float, default=1.0, help="publishing time per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.uri, args.seconds, args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
