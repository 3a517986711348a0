"""Rate limits of the gateway (the ``limits`` library): per caller for
authenticated routes, per client address for public routes and for failed
authentication (which slows down guessing keys).

Limits are strings in ``limits``' notation, several joined by ``;``, from the
container's config (``RATE_LIMIT_PER_CALLER``, ``RATE_LIMIT_PER_ADDRESS``).
``RATE_LIMIT_STORAGE`` is ``memory://`` (each gateway replica counts on its
own) or a shared storage URI such as ``mongodb://…`` for all replicas.

The strategy is ``limits``' sliding window counter: two counters per key and
limit, weighted, so a hit costs the same whatever the limit. (The moving
window keeps one timestamp per request in the window, up to the limit per
key, and its in-memory storage prepends each hit to that list.)

``memory://`` is served by ``GreenMemoryStorage``, a ``limits`` storage (its
documented extension point) made for one eventlet process: limits' own
``MemoryStorage`` starts a ``threading.Timer`` every 10 ms while hits come
in and takes a lock per key, which under eventlet are green threads and
green locks; measured under wrk, that machinery cost the gateway 10% of its
authenticated request rate. Here counters expire when read and are swept at
most once a second, with no thread and no lock: a green process runs one
greenlet at a time and nothing here yields.
"""

from __future__ import annotations

import math
import time
from typing import Any

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.storage.base import SlidingWindowCounterSupport, TimestampedSlidingWindow
from limits.strategies import SlidingWindowCounterRateLimiter
from nameko.extensions import SharedExtension

from gateway.errors import RateLimitedError

DEFAULT_PER_CALLER = "50/second;1000/minute"
DEFAULT_PER_ADDRESS = "10/second;200/minute"


def parse_limits(text: str, setting: str) -> list[RateLimitItem]:
    try:
        return list(parse_many(text))
    except ValueError as e:
        msg = f"{setting} must look like '10/second;200/minute', got {text!r}"
        raise ValueError(msg) from e


class GreenMemoryStorage(Storage, SlidingWindowCounterSupport, TimestampedSlidingWindow):  # type: ignore[misc]
    """Counters with expiry times in two dicts, for one green process."""

    STORAGE_SCHEME = ["green-memory"]  # noqa: RUF012  (limits' registry reads the class attribute)
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        self.counts: dict[str, int] = {}
        self.expirations: dict[str, float] = {}
        self.next_sweep = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        return self._incr(key, expiry, amount, time.time())

    def _incr(self, key: str, expiry: float, amount: int, now: float) -> int:
        if now >= self.next_sweep:
            self.sweep(now)
        if self.expirations.get(key, 0.0) <= now:
            self.counts[key] = 0
            self.expirations[key] = now + expiry
        self.counts[key] += amount
        return self.counts[key]

    def decr(self, key: str, amount: int = 1) -> int:
        if self.get(key) == 0:
            return 0
        self.counts[key] = max(0, self.counts[key] - amount)
        return self.counts[key]

    def get(self, key: str) -> int:
        return self._count(key, time.time())

    def _count(self, key: str, now: float) -> int:
        if self.expirations.get(key, 0.0) <= now:
            return 0
        return self.counts.get(key, 0)

    def get_expiry(self, key: str) -> float:
        return self.expirations.get(key, time.time())

    def check(self) -> bool:
        return True

    def reset(self) -> int:
        count = len(self.counts)
        self.counts.clear()
        self.expirations.clear()
        return count

    def clear(self, key: str) -> None:
        self.counts.pop(key, None)
        self.expirations.pop(key, None)

    def sweep(self, now: float) -> None:
        """Forget expired counters (keys of callers gone quiet)."""
        for key in [k for k, expires in self.expirations.items() if expires <= now]:
            self.clear(key)
        self.next_sweep = now + self.SWEEP_SECONDS

    def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        now = time.time()  # one reading: the counts and the counter hit are of one window
        (previous, previous_ttl, current, _), current_key = self._window(key, expiry, now)
        # the previous window counts for the share of it still inside the sliding window
        if math.floor(previous * previous_ttl / expiry + current) + amount > limit:
            return False
        self._incr(current_key, 2 * expiry, amount, now)
        return True

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        """(previous window's count, its time left in the sliding window,
        current window's count, the current counter's time to live)."""
        return self._window(key, expiry, time.time())[0]

    def _window(
        self, key: str, expiry: int, now: float
    ) -> tuple[tuple[int, float, int, float], str]:
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        previous, current = self._count(previous_key, now), self._count(current_key, now)
        left = expiry - now % expiry
        return (previous, (left if previous else 0.0), current, left + expiry), current_key

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        for window_key in self.sliding_window_keys(key, expiry, time.time()):
            self.clear(window_key)


class RateLimits(SharedExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.per_caller: list[RateLimitItem] = []
        self.per_address: list[RateLimitItem] = []
        self.limiter: Any = None

    def setup(self) -> None:
        config = self.container.config
        self.per_caller = parse_limits(
            str(config.get("RATE_LIMIT_PER_CALLER") or DEFAULT_PER_CALLER), "RATE_LIMIT_PER_CALLER"
        )
        self.per_address = parse_limits(
            str(config.get("RATE_LIMIT_PER_ADDRESS") or DEFAULT_PER_ADDRESS),
            "RATE_LIMIT_PER_ADDRESS",
        )
        uri = str(config.get("RATE_LIMIT_STORAGE") or "memory://")
        storage = GreenMemoryStorage() if uri == "memory://" else storage_from_string(uri)
        self.limiter = SlidingWindowCounterRateLimiter(storage)

    def charge_caller(self, caller_id: str) -> None:
        self._charge(self.per_caller, "caller", caller_id, "for this key")

    def charge_address(self, address: str) -> None:
        self._charge(self.per_address, "address", address, "from this address")

    def _charge(self, items: list[RateLimitItem], scope: str, who: str, whence: str) -> None:
        for item in items:
            if not self.limiter.hit(item, scope, who):
                stats = self.limiter.get_window_stats(item, scope, who)
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                raise RateLimitedError(
                    f"too many requests {whence}: at most {item}; retry in {retry_after} s",
                    retry_after,
                )
