"""The gateway's in-process rate-limit storage decides as limits' own
MemoryStorage does, without its timer threads and locks."""

from __future__ import annotations

import random
import time

import pytest
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from gateway.ratelimit import GreenMemoryStorage


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(1_800_000_000.0)
    monkeypatch.setattr(time, "time", clock)
    return clock


def test_it_refuses_exactly_what_limits_memory_storage_refuses(clock):
    ours = SlidingWindowCounterRateLimiter(GreenMemoryStorage())
    theirs_storage = MemoryStorage()
    theirs = SlidingWindowCounterRateLimiter(theirs_storage)
    try:
        chance = random.Random(7)
        items = [parse("5/second"), parse("20/minute")]
        decisions = []
        for _ in range(3000):
            clock.now += chance.choice([0.0, 0.001, 0.05, 0.2, 1.0, 7.5])
            who = chance.choice(["a", "b", "c"])
            for item in items:
                got = ours.hit(item, "caller", who)
                assert got == theirs.hit(item, "caller", who), (clock.now, who, item)
                decisions.append(got)
                stats = ours.get_window_stats(item, "caller", who)
                expected = theirs.get_window_stats(item, "caller", who)
                assert stats.remaining == expected.remaining
                assert stats.reset_time == pytest.approx(expected.reset_time, abs=1e-6)
        assert True in decisions
        assert False in decisions  # both sides of the limit were reached
    finally:
        theirs_storage.timer.cancel()


def test_quiet_callers_are_forgotten(clock):
    storage = GreenMemoryStorage()
    limiter = SlidingWindowCounterRateLimiter(storage)
    item = parse("2/second")
    for who in ("a", "b", "c"):
        assert limiter.hit(item, "caller", who)
    assert len(storage.counts) == 3
    clock.now += 10
    assert limiter.hit(item, "caller", "d")  # a write sweeps what expired
    assert list(storage.counts) == [
        storage.sliding_window_keys(item.key_for("caller", "d"), 1, clock.now)[1]
    ]


def test_it_is_a_limits_storage_by_its_scheme():
    assert isinstance(storage_from_string("green-memory://"), GreenMemoryStorage)
