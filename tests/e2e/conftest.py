"""What the end-to-end tests share: `make up` / `make down` as a new user
runs them (real processes, real broker and store), on ports of their own
(PAWLINE_PORT_OFFSET), a vhost of their own and a var/ directory of their
own, so a platform already up on this machine is left alone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    env.pop("PAWLINE_ADMIN_KEY", None)  # `up` generates the operator key, as for a new user
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
