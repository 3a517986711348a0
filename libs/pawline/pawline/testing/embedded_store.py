"""The embedded MongoDB-compatible server (SecantusDB) as a child process.

Used by ``make up`` / ``make test`` (devstack) and by tests that stop and
restart the store on purpose. Production points ``MONGO_URI`` at a real
MongoDB replica set instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import pymongo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def embedded_uri(port: int) -> str:
    # SecantusDB 0.7 keeps a record of every retryable write and scans them
    # all on each write (sorting past 10,000): writes slow from ~1,000/s to
    # under 100/s as they pile up. Our recorder bounds and retries its own
    # writes, so the embedded store is used without them. A real MongoDB
    # keeps the driver's default.
    return f"mongodb://127.0.0.1:{port}/?retryWrites=false"


def store_answers(uri: str, timeout: float = 1.0) -> bool:
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
        uri, serverSelectionTimeoutMS=int(timeout * 1000)
    )
    try:
        client.admin.command("ping")
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()
    return True


class EmbeddedStoreError(RuntimeError):
    pass


class EmbeddedStore:
    """A SecantusDB server on 127.0.0.1:``port`` keeping its data in ``data_dir``
    (kept across restarts)."""

    START_TIMEOUT = 60.0

    def __init__(self, port: int, data_dir: Path, log_path: Path) -> None:
        self.port = port
        self.data_dir = data_dir
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return embedded_uri(self.port)

    @staticmethod
    def executable() -> str:
        beside = Path(sys.executable).parent / "secantusd-py"
        found = str(beside) if beside.exists() else shutil.which("secantusd-py")
        if not found:
            msg = "secantusd-py not found: install the dev requirements (make venv)"
            raise EmbeddedStoreError(msg)
        return found

    def start(self) -> int:
        """Start the server and wait until it answers; return its pid."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [
            self.executable(),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--storage-path", str(self.data_dir),
            "--log-level", "WARNING",
            # An acknowledged write must survive a crash, as on a MongoDB
            # replica set; without this a kill -9 loses the last commits.
            "--sync-on-commit",
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + self.START_TIMEOUT
        while not store_answers(self.uri):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                msg = f"the embedded store did not start on port {self.port}; see {self.log_path}"
                raise EmbeddedStoreError(msg)
            time.sleep(0.2)
        return self.process.pid

    def stop(self, grace: float = 15.0) -> None:
        """Stop it cleanly (SIGTERM), or kill it after ``grace`` seconds."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def kill(self) -> None:
        """Kill it at once, as a crash would."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.stop()
