"""The store's floor for the messaging benchmark: raw pymongo doing only the
store work one event needs end to end, no pawline, no broker.

Per batch of N events, as the platform does them at best:

1. the producer's save: one transaction inserting N event documents (the
   event store's layout: unique notification id, unique stream + version);
2. the relay's read of those N log entries (one bounded window);
3. the consumer's inbox write: one insert of N entries (unique source +
   position);
4. the consumer's apply: one transaction moving its tracking record and
   inserting the N events its handlers saved.

Sequential, one client, on a fresh database of the given server, for a fixed
time; prints the events/s as one JSON object. If the store alone cannot carry
a rate, the platform on that store cannot either::

    python bench/raw_store.py --uri mongodb://127.0.0.1:27017/ --batch 10 --seconds 5
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pymongo
from pymongo.client_session import ClientSession
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

MAJORITY = WriteConcern("majority")


def event_doc(position: int) -> dict[str, Any]:
    """An event document shaped as the event store writes one (~400 bytes)."""
    return {
        "notification_id": position,
        "originator_id": uuid.uuid4(),
        "originator_version": 1,
        "topic": "messaging_services:Employee.Hired",
        "state": b'{"name":"Employee number 1234","role":"Employee"}' * 2,
        "metadata": {
            "business_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
            "causation_id": None,
        },
        "writer": "0123456789ab",
    }


def inbox_doc(position: int) -> dict[str, Any]:
    return {
        "source": "staff",
        "position": position,
        "type": "EmployeeHired",
        "envelope": {"id": str(uuid.uuid4()), "data": {"name": "Employee number 1234" * 20}},
        "after": position - 1,
        "received_at": time.time(),
    }


def measure(uri: str, batch: int, seconds: float) -> dict[str, Any]:
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        uri, uuidRepresentation="standard"
    )
    name = f"bench_floor_{uuid.uuid4().hex[:8]}"
    producer = client.get_database(f"{name}_p", write_concern=MAJORITY)
    consumer = client.get_database(f"{name}_c", write_concern=MAJORITY)
    try:
        for db in (producer, consumer):
            db.events.create_index("notification_id", unique=True)
            db.events.create_index([("originator_id", 1), ("originator_version", 1)], unique=True)
        consumer.inbox.create_index([("source", 1), ("position", 1)], unique=True)

        def transaction(body: Callable[[ClientSession], Any]) -> None:
            with client.start_session() as session:
                session.start_transaction(
                    read_concern=ReadConcern("snapshot"), write_concern=MAJORITY
                )
                body(session)
                session.commit_transaction()

        position = 0
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            low, high = position + 1, position + batch
            saved = [event_doc(p) for p in range(low, high + 1)]
            transaction(lambda s, docs=saved: producer.events.insert_many(docs, session=s))
            window = {"notification_id": {"$gte": low, "$lte": high}}
            assert len(list(producer.events.find(window, batch_size=batch))) == batch
            consumer.inbox.insert_many([inbox_doc(p) for p in range(low, high + 1)])
            applied = [event_doc(p) for p in range(low, high + 1)]

            def apply(
                session: ClientSession, docs: list[dict[str, Any]] = applied, last: int = high
            ) -> None:
                consumer.tracking.update_one(
                    {"_id": "staff", "notification_id": {"$lt": last}},
                    {"$set": {"notification_id": last}},
                    upsert=True,
                    session=session,
                )
                consumer.events.insert_many(docs, session=session)

            transaction(apply)
            position = high
        elapsed = time.perf_counter() - started
    finally:
        client.drop_database(producer.name)
        client.drop_database(consumer.name)
        client.close()
    return {"batch": batch, "events": position, "seconds": elapsed, "rate": position / elapsed}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--uri", required=True, help="MongoDB URI")
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.uri, args.batch, args.seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
