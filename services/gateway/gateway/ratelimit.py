"""Rate limits of the gateway (the ``limits`` library): per caller for
authenticated routes, per client address for public routes and for failed
authentication (which slows down guessing keys).

Limits are strings in ``limits``' notation, several joined by ``;``, from the
container's config (``RATE_LIMIT_PER_CALLER``, ``RATE_LIMIT_PER_ADDRESS``).
``RATE_LIMIT_STORAGE`` is ``memory://`` (each gateway replica counts on its
own) or a shared storage URI such as ``mongodb://…`` for all replicas.
"""

from __future__ import annotations

import math
import time
from typing import Any

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
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
        storage = storage_from_string(str(config.get("RATE_LIMIT_STORAGE") or "memory://"))
        self.limiter = MovingWindowRateLimiter(storage)

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
