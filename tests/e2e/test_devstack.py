"""`make up` / `make down` as a new user runs them: real processes, real broker
and store. Runs on ports of its own (PAWLINE_PORT_OFFSET), a vhost of its own
and a var/ directory of its own, so a platform already up on this machine is
left alone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PORTS = [8000, 9101, 9102, 9103, 9104, 9105, 27017]


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except OSError:
        return False
    return True


def free_offset() -> int:
    for offset in range(20000, 30000, 137):
        if all(port_is_free(p + offset) for p in PORTS):
            return offset
    pytest.fail("no free set of ports for the platform")


@pytest.fixture
def platform_env(rabbit_config: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "PAWLINE_VAR": str(tmp_path / "var"),
        "PAWLINE_PORT_OFFSET": str(free_offset()),
    }
    env.pop("MONGO_URI", None)  # `up` runs its own store, keeping data in var/
    yield env
    devstack("down", env)


def devstack(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "devstack/devstack.py", command],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip


def pids(env: dict[str, str]) -> dict[str, str]:
    run_dir = Path(env["PAWLINE_VAR"]) / "run"
    return {p.stem: p.read_text() for p in run_dir.glob("*.pid")}


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
