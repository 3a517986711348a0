"""`make up` / `make down` as a new user runs them: one copy of everything,
data kept across restarts, a clear refusal when a port is taken."""

from __future__ import annotations

import socket

import pymongo
import requests

from .conftest import alive, devstack, listening, pids


def test_up_twice_keeps_one_copy_and_down_then_up_keeps_data(platform_env):
    offset = int(platform_env["PAWLINE_PORT_OFFSET"])
    first = devstack("up", platform_env)
    assert first.returncode == 0, first.stdout + first.stderr
    for service, port in [("booking", 9101), ("status", 9105), ("gateway", 8000)]:
        assert f"http://127.0.0.1:{port + offset}/health/live" in first.stdout
        reply = requests.get(f"http://127.0.0.1:{port + offset}/health/live", timeout=5)
        assert reply.json() == {"service": service, "status": "ok"}
    started = pids(platform_env)
    assert set(started) == {"store", "booking", "billing", "staff", "notify", "status", "gateway"}

    store_uri = f"mongodb://127.0.0.1:{27017 + offset}/?retryWrites=false"
    client: pymongo.MongoClient = pymongo.MongoClient(store_uri, serverSelectionTimeoutMS=5000)
    client.booking.kept.insert_one({"_id": "across restarts"})
    client.close()

    second = devstack("up", platform_env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already running" in second.stdout
    assert pids(platform_env) == started  # no second copy

    stopped = devstack("down", platform_env)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert pids(platform_env) == {}
    assert not any(alive(pid) for pid in started.values())
    assert not listening(9101 + offset)
    assert not listening(27017 + offset)

    again = devstack("up", platform_env)
    assert again.returncode == 0, again.stdout + again.stderr
    client = pymongo.MongoClient(store_uri, serverSelectionTimeoutMS=5000)
    assert client.booking.kept.find_one({"_id": "across restarts"}) is not None
    client.close()


def test_up_refuses_a_port_taken_by_something_else(platform_env):
    offset = int(platform_env["PAWLINE_PORT_OFFSET"])
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 27017 + offset))
        squatter.listen()
        result = devstack("up", platform_env)
    assert result.returncode == 2
    assert f"port {27017 + offset} is taken by something else" in result.stderr
