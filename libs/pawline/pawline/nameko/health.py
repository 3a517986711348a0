"""Readiness of a Pawline service: what ``GET /health/ready`` answers.

Ready means the broker and the service's store answer, and the relay and the
inbox's receivers and processor (where the service has them) are running; a
standby replica whose relay waits for the lease is running too.
"""

from __future__ import annotations

from typing import Any

import kombu
import pymongo
from nameko.extensions import DependencyProvider
from pymongo.errors import PyMongoError

from pawline.nameko.eventsourced import EventSourced

CHECK_TIMEOUT = 2.0
OK = "ok"


class Readiness(DependencyProvider):  # type: ignore[misc]
    """Gives workers ``check()``: ``{check name: "ok" or what is wrong}``."""

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.check

    def check(self) -> dict[str, str]:
        checks = {"broker": self._broker()}
        event_sourced = next(
            (d for d in self.container.dependencies if isinstance(d, EventSourced)), None
        )
        if event_sourced is not None:
            checks["store"] = self._store(event_sourced.database)
            if event_sourced.relay is not None:
                checks["relay"] = OK if event_sourced.relay.running else "not running"
        inbox = next((e for e in self.container.subextensions if type(e).__name__ == "Inbox"), None)
        if inbox is not None:
            processor = inbox.processor
            checks["processor"] = OK if processor and processor.running else "not running"
            for source, receiver in inbox.receivers.items():
                checks[f"inbox.{source}"] = OK if receiver.ready else "not consuming"
        return checks

    def _broker(self) -> str:
        connection = kombu.Connection(
            self.container.config["AMQP_URI"], connect_timeout=CHECK_TIMEOUT
        )
        try:
            connection.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT)
        except Exception as e:
            return f"does not answer: {e}"
        finally:
            connection.release()
        return OK

    @staticmethod
    def _store(database: Any) -> str:
        try:
            with pymongo.timeout(CHECK_TIMEOUT):
                database.command("ping")
        except PyMongoError as e:
            return f"does not answer: {e}"
        return OK
