"""The gateway's own MongoDB database: registered businesses (with the hash of
their API key), employee tokens (only their hash, with whose they are) and
the stored answers of requests sent with an Idempotency-Key.

``GatewayStore`` is a nameko SharedExtension (one pymongo client per
container, built in ``setup()``, closed in ``stop()``, every call bounded by
``MONGO_TIMEOUT``) used by the HTTP frame (credentials, idempotency) and, via
the ``BusinessDirectory`` dependency, by handlers. Workers get narrow
wrappers, never the client. A store that does not answer raises pymongo's
errors, which the error table turns into 503.
"""

from __future__ import annotations

import re
import secrets
import time
import unicodedata
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import pymongo
from nameko.extensions import DependencyProvider, SharedExtension
from pymongo.errors import DuplicateKeyError

from gateway.credentials import Principal, hash_secret, new_api_key, new_employee_token
from gateway.errors import ConflictError, NotFoundError, RefusedByRuleError
from gateway.schemas import BLANKS

DEFAULT_URI = "mongodb://127.0.0.1:27017"
IDEMPOTENCY_TTL = timedelta(hours=24)
# A request still "in progress" after this long died with its gateway: the
# next request with the key takes it over.
STALE_IN_PROGRESS = timedelta(seconds=60)
KEY_CACHE_SECONDS = 10.0
clock = time.monotonic  # what the caches' expiry is measured by (tests move it on)
MAX_CACHED_KEYS = 10_000
V = TypeVar("V")
MAX_SLUG = 48
SLUG_ATTEMPTS = 5


class Remembered(Generic[V]):
    """Values kept in memory for KEY_CACHE_SECONDS after they were put, at
    most MAX_CACHED_KEYS of them (all are forgotten when that is reached)."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[V, float]] = {}

    def get(self, key: str) -> V | None:
        entry = self.entries.get(key)
        return entry[0] if entry is not None and entry[1] > clock() else None

    def put(self, key: str, value: V) -> V:
        if len(self.entries) >= MAX_CACHED_KEYS:
            self.entries.clear()
        self.entries[key] = (value, clock() + KEY_CACHE_SECONDS)
        return value

    def forget(self, which: Callable[[V], bool]) -> None:
        for key, (value, _) in list(self.entries.items()):
            if which(value):
                del self.entries[key]


class GatewayStore(SharedExtension):  # type: ignore[misc]
    """The pymongo client and database of one gateway container."""

    def __init__(self) -> None:
        super().__init__()
        self.client: pymongo.MongoClient[dict[str, Any]] | None = None
        self.database: Any = None
        self.timeout = 5.0
        self._indexed = False
        self._keys: Remembered[dict[str, Any]] = Remembered()
        self._tokens: Remembered[Principal] = Remembered()
        self._businesses: Remembered[dict[str, Any]] = Remembered()

    def setup(self) -> None:
        config = self.container.config
        self.timeout = float(config.get("MONGO_TIMEOUT") or 5)
        bound_ms = int(self.timeout * 1000)
        self.client = pymongo.MongoClient(
            str(config.get("MONGO_URI") or DEFAULT_URI),
            serverSelectionTimeoutMS=bound_ms,
            connectTimeoutMS=bound_ms,
            socketTimeoutMS=bound_ms,
            tz_aware=True,
        )
        self.database = self.client[str(config.get("MONGO_DATABASE") or "gateway")]

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()

    def kill(self) -> None:
        self.stop()

    def collections(self) -> Any:
        """The database, its indexes made on first use (the store may be down
        when the gateway starts; it must start all the same)."""
        if not self._indexed:
            db = self.database
            db.businesses.create_index("key_hash", unique=True)
            db.businesses.create_index("slug", unique=True)
            db.idempotency_keys.create_index("expires_at", expireAfterSeconds=0)
            db.employee_tokens.create_index("employee_id")
            self._indexed = True
        return self.database

    # The wrappers reach the collections only when called: a worker's
    # dependencies must be built without I/O (a failure there kills the
    # container, not just the request).

    def business_by_key_hash(self, key_hash: str) -> dict[str, Any] | None:
        """The business an API key belongs to. Found keys are remembered for
        KEY_CACHE_SECONDS, with their business's document: one store round
        trip less per request, and the caller's own business (``business``)
        comes with it (revoking a key, when it comes, takes effect within
        that time). Unknown keys are never remembered, so a new key works at
        once."""
        found = self._keys.get(key_hash)
        if found is None:
            found = self.businesses().by_key_hash(key_hash)
            if found is not None:
                self._keys.put(key_hash, found)
                self._remember(found)
        return found

    def business(self, business_id: str) -> dict[str, Any]:
        """A business as its admin sees it, from the store or, for
        KEY_CACHE_SECONDS after its key or itself was looked up, from memory
        (its time zone, currency and tax rate never change; a change of name,
        when a route allows it, shows within that time on other replicas)."""
        view = self._businesses.get(business_id)
        if view is None:
            found = self.businesses().find(business_id)
            if found is None:
                raise NotFoundError(f"business {business_id} does not exist")
            view = self._remember(found)
        return dict(view)

    def _remember(self, document: dict[str, Any]) -> dict[str, Any]:
        view = {k: v for k, v in document.items() if k not in ("_id", "key_hash")}
        view["business_id"] = str(document["_id"])
        return self._businesses.put(view["business_id"], view)

    def employee_by_token_hash(self, token_hash: str) -> Principal | None:
        """The employee a token was issued to, remembered like API keys (for
        KEY_CACHE_SECONDS; a revoked token stops working at once on the
        replica that revoked it, within that time on the others). Whether the
        employee may still do anything is the staff service's answer, asked
        on every request."""
        principal = self._tokens.get(token_hash)
        if principal is None:
            found = self.employee_tokens().by_hash(token_hash)
            if found is None:
                return None
            principal = self._tokens.put(
                token_hash,
                Principal(
                    "employee", business_id=found["business_id"], employee_id=found["employee_id"]
                ),
            )
        return principal

    def forget_tokens(self, employee_id: str) -> None:
        self._tokens.forget(lambda principal: principal.employee_id == employee_id)

    def businesses(self) -> BusinessRecords:
        return BusinessRecords(lambda: self.collections().businesses)

    def employee_tokens(self) -> EmployeeTokens:
        return EmployeeTokens(lambda: self.collections().employee_tokens, self.forget_tokens)

    def idempotency(self) -> IdempotencyRecords:
        return IdempotencyRecords(lambda: self.collections().idempotency_keys)


def slug_of(name: str) -> str:
    """The name in lowercase ASCII words joined by hyphens, for public URLs."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:MAX_SLUG].strip("-")
    return slug or "business"


class BusinessRecords:
    """The registered businesses."""

    def __init__(self, collection: Callable[[], Any]) -> None:
        self._collection = collection

    @property
    def collection(self) -> Any:
        return self._collection()

    def register(self, name: str, timezone: str, currency: str, tax_rate_bp: int) -> dict[str, str]:
        """A new business with a new API key: ``{business_id, slug, api_key}``."""
        api_key = new_api_key()
        document = {
            "_id": str(uuid.uuid4()),
            "name": name.strip(BLANKS),
            "timezone": timezone,
            "currency": currency,
            "tax_rate_bp": tax_rate_bp,
            "key_hash": hash_secret(api_key),
            "created_at": datetime.now(UTC),
        }
        base = slug_of(name)
        for attempt in range(SLUG_ATTEMPTS):
            # a taken slug gets a short random suffix: "happy-paws-3f9a"
            document["slug"] = base if attempt == 0 else f"{base}-{secrets.token_hex(2)}"
            try:
                self.collection.insert_one(document)
            except DuplicateKeyError as e:
                if "slug" not in str(e):
                    raise
                continue
            return {"business_id": document["_id"], "slug": document["slug"], "api_key": api_key}
        raise ConflictError(
            f"no free slug for {name!r} after {SLUG_ATTEMPTS} tries; try another name"
        )

    def by_key_hash(self, key_hash: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.collection.find_one({"key_hash": key_hash})
        return found

    def find(self, business_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.collection.find_one({"_id": business_id})
        return found


class EmployeeTokens:
    """Tokens a business admin issued to its employees, stored as SHA-256."""

    def __init__(self, collection: Callable[[], Any], forget: Callable[[str], None]) -> None:
        self._collection = collection
        self._forget = forget

    @property
    def collection(self) -> Any:
        return self._collection()

    def issue(self, business_id: str, employee_id: str) -> dict[str, str]:
        """A new token for the employee: ``{token, employee_id}``, shown this once."""
        token = new_employee_token()
        self.collection.insert_one(
            {
                "_id": hash_secret(token),
                "business_id": business_id,
                "employee_id": employee_id,
                "created_at": datetime.now(UTC),
            }
        )
        return {"token": token, "employee_id": employee_id}

    def by_hash(self, token_hash: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.collection.find_one({"_id": token_hash})
        return found

    def revoke(self, business_id: str, employee_id: str) -> int:
        """Revoke every token of the employee; how many there were."""
        result = self.collection.delete_many(
            {"employee_id": employee_id, "business_id": business_id}
        )
        self._forget(employee_id)
        return int(result.deleted_count)


class IdempotencyRecords:
    """One record per (principal, Idempotency-Key): the request's fingerprint
    and, once answered, the answer. Records expire after a day (TTL index)."""

    def __init__(self, collection: Callable[[], Any]) -> None:
        self._collection = collection

    @property
    def collection(self) -> Any:
        return self._collection()

    @staticmethod
    def record_id(principal_id: str, key: str) -> str:
        # keys hold no spaces (checked at the edge), so this cannot collide
        return f"{principal_id} {key}"

    def begin(self, record_id: str, fingerprint: str) -> dict[str, Any] | None:
        """None: go ahead, the work is ours to do. A dict: the stored answer.
        Raises when the key was used for another request, or is in progress."""
        now = datetime.now(UTC)
        try:
            self.collection.insert_one(
                {
                    "_id": record_id,
                    "fingerprint": fingerprint,
                    "state": "in_progress",
                    "started_at": now,
                    "expires_at": now + IDEMPOTENCY_TTL,
                }
            )
        except DuplicateKeyError:
            pass
        else:
            return None
        record = self.collection.find_one({"_id": record_id})
        if record is None:  # expired in between: the key is free again
            return self.begin(record_id, fingerprint)
        if record["fingerprint"] != fingerprint:
            raise RefusedByRuleError(
                "this Idempotency-Key was already used with a different request; "
                "use a new key for a new request"
            )
        if record["state"] == "done":
            return dict(record)
        taken_over = self.collection.update_one(
            {
                "_id": record_id,
                "state": "in_progress",
                "started_at": {"$lt": now - STALE_IN_PROGRESS},
            },
            {"$set": {"started_at": now}},
        )
        if taken_over.modified_count == 1:
            return None
        raise ConflictError(
            "a request with this Idempotency-Key is still being handled; retry later"
        )

    def finish(self, record_id: str, status: int, body: str, content_type: str) -> None:
        self.collection.update_one(
            {"_id": record_id},
            {
                "$set": {
                    "state": "done",
                    "status": status,
                    "body": body,
                    "content_type": content_type,
                }
            },
        )

    def abandon(self, record_id: str) -> None:
        """The request failed on our side: a retry with the key may do the work."""
        self.collection.delete_one({"_id": record_id, "state": "in_progress"})


class Businesses:
    """What handlers do with businesses: register one, read one."""

    def __init__(self, store: GatewayStore) -> None:
        self.store = store

    def register(self, name: str, timezone: str, currency: str, tax_rate_bp: int) -> dict[str, str]:
        return self.store.businesses().register(name, timezone, currency, tax_rate_bp)

    def get(self, business_id: str) -> dict[str, Any]:
        return self.store.business(business_id)


class BusinessDirectory(DependencyProvider):  # type: ignore[misc]
    """Gives workers the registered businesses."""

    store = GatewayStore()

    def get_dependency(self, worker_ctx: Any) -> Businesses:
        return Businesses(self.store)


class Tokens(DependencyProvider):  # type: ignore[misc]
    """Gives workers the employee tokens."""

    store = GatewayStore()

    def get_dependency(self, worker_ctx: Any) -> EmployeeTokens:
        return self.store.employee_tokens()
