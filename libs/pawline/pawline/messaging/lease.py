"""One active worker per service, chosen by a lease in the service's store.

Every replica runs a relay and a processor; only the holder of the matching
lease works, the others stand by and take over once the holder stops
renewing (it died, or lost the store). The lease is a document
``{_id: name, holder, expires_at}``; taking it is one conditional upsert, so
two replicas can never both think they took it from the store's view.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError, PyMongoError


class Lease:
    """``hold()`` takes or renews the lease and says whether we hold it."""

    def __init__(
        self,
        collection: Collection[dict[str, Any]],
        name: str,
        ttl: float = 6.0,
        holder: str | None = None,
    ) -> None:
        self.collection = collection
        self.name = name
        self.ttl = ttl
        self.holder = holder or f"{uuid.uuid4()}"
        self._valid_until = 0.0  # monotonic clock, ours
        self._renewed_at = -ttl

    def hold(self) -> bool:
        """Take the lease if free or expired, renew it if ours. False if
        another holder has it, or the store cannot be reached. A lease held
        and renewed less than a third of its time ago is not written again
        (callers ask on every loop)."""
        started = time.monotonic()
        if self.held and started - self._renewed_at < self.ttl / 3:
            return True
        now = datetime.now(UTC)
        try:
            self.collection.update_one(
                {"_id": self.name, "$or": [{"holder": self.holder}, {"expires_at": {"$lt": now}}]},
                {"$set": {"holder": self.holder, "expires_at": now + timedelta(seconds=self.ttl)}},
                upsert=True,
            )
        except DuplicateKeyError:
            self._valid_until = 0.0
            return False
        except PyMongoError:
            return self.held
        # Count validity from before the write: never longer than the store's view.
        self._valid_until = started + self.ttl
        self._renewed_at = started
        return True

    @property
    def held(self) -> bool:
        """Whether our last successful renewal is still valid, with a margin
        so we stop before another replica may start."""
        return time.monotonic() < self._valid_until - min(1.0, self.ttl / 4)

    def current_holder(self) -> str | None:
        doc = self.collection.find_one({"_id": self.name})
        if doc is None or doc["expires_at"].replace(tzinfo=UTC) < datetime.now(UTC):
            return None
        return str(doc["holder"])

    def release(self) -> None:
        """Give the lease up at once (a clean shutdown), so a standby need not wait."""
        self._valid_until = 0.0
        with contextlib.suppress(PyMongoError):  # if not, it expires by itself
            self.collection.delete_one({"_id": self.name, "holder": self.holder})
