"""Run Pawline on one machine: what `make up`, `make down` and `make test` do.

    python devstack/devstack.py broker   # make sure RabbitMQ answers (install/start it if we may)
    python devstack/devstack.py up       # store + every service, in the background
    python devstack/devstack.py status   # what runs where
    python devstack/devstack.py down     # stop what `up` started
    python devstack/devstack.py test     # broker, a throwaway store, every suite

Settings (environment, with local defaults):
  AMQP_URI          pyamqp://guest:guest@127.0.0.1:5672/
  RABBIT_CTL_URI    http://guest:guest@127.0.0.1:15672  (management API; test vhosts)
  MONGO_URI         unset: start the embedded SecantusDB (port 27017 for `up`, a
                    free port for `test`); set: use that MongoDB and start none
  PAWLINE_VAR       var/  (data, logs and pid files of `up`)
  PAWLINE_PORT_OFFSET  0  (added to every port `up` listens on)
  PAWLINE_ADMIN_KEY unset: `up` generates one, keeps it in var/admin-key and
                    prints it (the gateway's platform operator key)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from pawline.testing import rabbit
from pawline.testing.embedded_store import (
    EmbeddedStore,
    EmbeddedStoreError,
    embedded_uri,
    free_port,
)

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_AMQP_URI = "pyamqp://guest:guest@127.0.0.1:5672/"
DEFAULT_CTL_URI = rabbit.DEFAULT_CTL_URI
STORE_PORT = 27017
# service -> port of its HTTP entrypoints (/health, later /metrics); API.md
SERVICES = {
    "booking": 9101,
    "billing": 9102,
    "staff": 9103,
    "notify": 9104,
    "status": 9105,
    "gateway": 8000,
}
SUITE_TIMEOUT = 900  # seconds per pytest process; pytest-timeout alone can hang


class DevstackError(Exception):
    """Something the user must fix; the message says what."""


def say(message: str) -> None:
    print(f"devstack: {message}", flush=True)


# --- the broker ---------------------------------------------------------------


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI


def ctl_uri() -> str:
    return os.environ.get("RABBIT_CTL_URI") or DEFAULT_CTL_URI


def host_port(uri: str, default_port: int) -> tuple[str, int]:
    parsed = urllib.parse.urlsplit(uri)
    return parsed.hostname or "127.0.0.1", parsed.port or default_port


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(check: object, what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.5)
    raise DevstackError(f"{what} did not come up within {seconds:g} s")


def is_local(host: str) -> bool:
    return host in {"127.0.0.1", "localhost", "::1"}


def management_request(path: str, method: str = "GET", body: object = None) -> object:
    return rabbit.management_request(ctl_uri(), path, method, body)


def management_answers() -> bool:
    try:
        management_request("/api/overview")
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return True


def ensure_broker() -> None:
    """Make sure RabbitMQ answers at AMQP_URI, with its management API."""
    host, port = host_port(amqp_uri(), 5672)
    if not answers(host, port):
        if not is_local(host):
            raise DevstackError(
                f"RabbitMQ does not answer at {host}:{port} (AMQP_URI); start it there, "
                "or unset AMQP_URI to use a local one"
            )
        start_local_rabbitmq()
        wait_until(lambda: answers(host, port), f"RabbitMQ at {host}:{port}", 90)
    if not management_answers():
        if not (is_local(host) and shutil.which("rabbitmq-plugins")):
            raise DevstackError(
                f"RabbitMQ's management API does not answer at {ctl_uri()} (RABBIT_CTL_URI); "
                "nameko's test fixtures need it: run `rabbitmq-plugins enable rabbitmq_management`"
            )
        say("enabling RabbitMQ's management plugin (nameko's test fixtures use it)")
        run(["rabbitmq-plugins", "enable", "rabbitmq_management"])
        wait_until(management_answers, "RabbitMQ's management API", 60)
    say(f"RabbitMQ answers at {host}:{port}")


def start_local_rabbitmq() -> None:
    if not shutil.which("rabbitmq-server"):
        install_rabbitmq()
    say("starting rabbitmq-server")
    run(["rabbitmq-server", "-detached"])


def install_rabbitmq() -> None:
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise DevstackError(
            "RabbitMQ is not running and cannot be installed here (needs apt-get as root). "
            "Install it (Debian/Ubuntu: apt-get install rabbitmq-server; macOS: brew install "
            "rabbitmq) and start it, or point AMQP_URI at a running broker."
        )
    say("installing rabbitmq-server from the system's packages")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run([apt, "update", "-q"], env=env)
    run([apt, "install", "-y", "-q", "rabbitmq-server"], env=env)


def ensure_promtool() -> None:
    """The metrics tests lint /metrics with promtool (Debian package prometheus)."""
    if shutil.which("promtool"):
        return
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        say("promtool is missing and cannot be installed here: the metrics tests will say so")
        return
    say("installing promtool (Debian package prometheus; its server is not started)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run([apt, "update", "-q"], env=env)
    run([apt, "install", "-y", "-q", "--no-install-recommends", "prometheus"], env=env)


def run(command: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, env=env, check=False)  # noqa: S603
    if result.returncode != 0:
        raise DevstackError(f"`{' '.join(command)}` failed with exit code {result.returncode}")


def leftover_test_vhosts() -> set[str]:
    """nameko's per-test vhosts that nobody is connected to now."""
    with contextlib.suppress(urllib.error.URLError, OSError, ValueError):
        connections = management_request("/api/connections") or []
        in_use = {c.get("vhost") for c in connections}  # type: ignore[union-attr]
        return {
            v["name"]
            for v in management_request("/api/vhosts") or []  # type: ignore[union-attr]
            if v["name"].startswith("nameko_test_") and v["name"] not in in_use
        }
    return set()


def delete_test_vhosts(seen_before: set[str]) -> None:
    """Killed test runs leave nameko's per-test vhosts behind: remove those
    that were already left over when this run began and still are. A vhost
    lives for one test: one seen twice, minutes apart, with nobody connected,
    is nobody's (another test run on this machine keeps its own)."""
    for name in seen_before & leftover_test_vhosts():
        with contextlib.suppress(urllib.error.URLError, OSError, ValueError):
            management_request(f"/api/vhosts/{urllib.parse.quote(name, safe='')}", "DELETE")


# --- the store ----------------------------------------------------------------


STORE_DISCARDED = "PAWLINE_TEST_STORE_DISCARDED"


@contextlib.contextmanager
def throwaway_store() -> Iterator[str]:
    """MONGO_URI if set, else an embedded store on a free port for this run."""
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    with tempfile.TemporaryDirectory(prefix="pawline-store-") as data:
        store = EmbeddedStore(free_port(), Path(data) / "data", Path(data) / "store.log")
        with store:
            say(f"embedded store (SecantusDB) for this run at {store.uri}")
            yield store.uri


# --- the platform (`up` / `down`) -----------------------------------------------


def var_dir() -> Path:
    return Path(os.environ.get("PAWLINE_VAR") or ROOT / "var").resolve()


def port_offset() -> int:
    return int(os.environ.get("PAWLINE_PORT_OFFSET") or 0)


def pid_file(name: str) -> Path:
    return var_dir() / "run" / f"{name}.pid"


def running_pid(name: str) -> int | None:
    """The pid `up` recorded for `name`, if that process is still alive."""
    path = pid_file(name)
    try:
        pid = int(path.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def spawn(name: str, command: list[str], env: dict[str, str]) -> int:
    log_path = var_dir() / "log" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    pid_file(name).parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pid_file(name).write_text(str(process.pid))
    return process.pid


def stop_processes(processes: dict[str, int], grace: float = 15) -> None:
    """SIGTERM every process group at once, then SIGKILL what is left after `grace`."""
    for pid in processes.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    left = dict(processes)
    while left and time.monotonic() < deadline:
        left = {name: pid for name, pid in left.items() if alive(pid)}
        time.sleep(0.2)
    for name, pid in left.items():
        say(f"{name} did not stop within {grace:g} s; killing it")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def store_uri_for_up() -> str:
    return os.environ.get("MONGO_URI") or embedded_uri(STORE_PORT + port_offset())


def up() -> None:
    ensure_broker()
    uri = store_uri_for_up()
    if not os.environ.get("MONGO_URI"):
        if running_pid("store"):
            say(f"embedded store already running at {uri}")
        else:
            port = STORE_PORT + port_offset()
            if answers("127.0.0.1", port):
                raise DevstackError(
                    f"port {port} is taken by something else; stop it, or set MONGO_URI to "
                    "use it as the store, or PAWLINE_PORT_OFFSET to move our ports"
                )
            store = EmbeddedStore(port, var_dir() / "mongo", var_dir() / "log" / "store.log")
            pid = store.start()
            pid_file("store").parent.mkdir(parents=True, exist_ok=True)
            pid_file("store").write_text(str(pid))
            say(f"started the embedded store at {uri} (data in {var_dir() / 'mongo'})")
    operator_key = admin_key()
    for service, port in SERVICES.items():
        if running_pid(service):
            say(f"{service} already running")
            continue
        env = {
            **os.environ,
            "AMQP_URI": amqp_uri(),
            "MONGO_URI": uri,
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{port + port_offset()}",
            "PAWLINE_ADMIN_KEY": operator_key,
        }
        command = [
            str(VENV_BIN / "nameko"),
            "run",
            "--config",
            f"services/{service}/config.yaml",
            f"{service}.service:{service.capitalize()}Service",
        ]
        spawn(service, command, env)
    for service, port in SERVICES.items():
        url = f"http://127.0.0.1:{port + port_offset()}/health/live"
        wait_until(lambda url=url: http_ok(url), f"{service} ({url})", 60)
    status()
    gateway = f"http://127.0.0.1:{SERVICES['gateway'] + port_offset()}"
    kept = "from the environment" if os.environ.get("PAWLINE_ADMIN_KEY") else admin_key_file()
    print(f"Platform operator key (PAWLINE_ADMIN_KEY, {kept}):")
    print(f"  {operator_key}")
    print(
        f"Register a business: POST {gateway}/v1/businesses with "
        f"'Authorization: Bearer <operator key>'; the API is described at {gateway}/docs"
    )


def admin_key_file() -> Path:
    return var_dir() / "admin-key"


def admin_key() -> str:
    """The platform operator's key: PAWLINE_ADMIN_KEY if set, else the one
    generated by the first `up` on this machine (kept in var/, owner-only)."""
    if os.environ.get("PAWLINE_ADMIN_KEY"):
        return os.environ["PAWLINE_ADMIN_KEY"]
    path = admin_key_file()
    if path.exists():
        return path.read_text().strip()
    key = "pwl_op_" + secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(key + "\n")
    return key


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def status() -> None:
    host, port = host_port(amqp_uri(), 5672)
    rows = [("broker", f"amqp://{host}:{port}", "external")]
    store_pid = running_pid("store")
    rows.append(
        (
            "store",
            store_uri_for_up(),
            f"pid {store_pid}"
            if store_pid
            else "external"
            if os.environ.get("MONGO_URI")
            else "stopped",
        )
    )
    for service, service_port in SERVICES.items():
        pid = running_pid(service)
        url = f"http://127.0.0.1:{service_port + port_offset()}/health/live"
        rows.append((service, url, f"pid {pid}" if pid else "stopped"))
    width = max(len(r[1]) for r in rows)
    print("Pawline on this machine:")
    for name, where, state in rows:
        print(f"  {name:<8} {where:<{width}}  {state}")
    print(f"Logs: {var_dir() / 'log'} (make logs); stop it all with make down.")


def down() -> None:
    """Stop the services first, then the store they write to."""
    for group in (list(SERVICES), ["store"]):
        running = {name: pid for name in group if (pid := running_pid(name))}
        if running:
            say("stopping " + ", ".join(f"{n} (pid {p})" for n, p in running.items()))
            stop_processes(running)
        for name in group:
            pid_file(name).unlink(missing_ok=True)
    say("stopped")


# --- the suites (`test`) -------------------------------------------------------


def suites() -> list[Path]:
    """Each package's tests run in a pytest process of their own (eventlet and
    pytest-xdist do not mix; one patched process per package keeps them apart)."""
    found = [ROOT / "libs" / "pawline" / "tests"]
    found += sorted(p / "tests" for p in (ROOT / "services").iterdir() if (p / "tests").is_dir())
    found.append(ROOT / "tests")
    return found


def test(extra_args: list[str]) -> int:
    ensure_broker()
    ensure_promtool()
    left_over = leftover_test_vhosts()
    reports = var_dir() / "test-reports"
    shutil.rmtree(reports, ignore_errors=True)
    reports.mkdir(parents=True)
    failed_suites = []
    discarded = not os.environ.get("MONGO_URI")
    with throwaway_store() as uri:
        env = {**os.environ, "MONGO_URI": uri, "AMQP_URI": amqp_uri()}
        if discarded:
            # the run's own store is deleted afterwards: tests need not drop
            # their databases (pawline.testing.pytest_plugin)
            env[STORE_DISCARDED] = "1"
        for suite in suites():
            name = suite.relative_to(ROOT).as_posix().replace("/", ".")
            say(f"running {suite.relative_to(ROOT)}")
            command = [
                "timeout",
                "--kill-after=30",
                str(SUITE_TIMEOUT),
                str(VENV_BIN / "pytest"),
                str(suite),
                "--amqp-uri",
                amqp_uri(),
                "--rabbit-ctl-uri",
                ctl_uri(),
                f"--junitxml={reports / name}.xml",
                *extra_args,
            ]
            code = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode  # noqa: S603
            if code != 0:
                failed_suites.append(f"{suite.relative_to(ROOT)} (exit {code})")
    delete_test_vhosts(left_over)
    passed, failed, skipped = count_results(reports)
    if failed_suites:
        say("failed: " + ", ".join(failed_suites))
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed_suites or failed or not passed else 0


def count_results(reports: Path) -> tuple[int, int, int]:
    passed = failed = skipped = 0
    for report in reports.glob("*.xml"):
        for suite in ET.parse(report).getroot().iter("testsuite"):  # noqa: S314 (our own file)
            tests, skips = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            passed += tests - skips - bad
            failed += bad
            skipped += skips
    return passed, failed, skipped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["broker", "up", "down", "status", "test"])
    args, rest = parser.parse_known_args()
    try:
        if args.command == "test":
            return test(rest)
        {"broker": ensure_broker, "up": up, "down": down, "status": status}[args.command]()
    except (DevstackError, EmbeddedStoreError) as e:
        print(f"devstack: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
