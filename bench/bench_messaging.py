"""Benchmark of the messaging path (issue 3) against raw kombu baselines of the same run.

Measures, in one run, on one RabbitMQ and one MongoDB server:

1. baselines (``bench/raw_kombu.py``): raw kombu publish with publisher
   confirms per second (persistent ~600-byte JSON envelopes, ``mandatory``,
   to a durable topic exchange with one durable queue bound), and raw
   consume + ack per second (prefetch 100) of that pre-filled queue. They run
   in a plain Python process of their own (no eventlet), as any kombu client
   would; the same code run in this benchmark's eventlet process is reported
   for reference;
2. the outbox relay's publish rate: N events are saved into the producer's
   application before its container (and so its relay) starts; the time runs
   from ``container.start()`` until the relay's confirmed position (its
   in-memory checkpoint) reaches the last position;
3. commit-to-publish latency of an idle producer: one event saved every
   50 ms, from after ``save()`` returns to its arrival at a raw kombu consumer
   bound to ``staff.events``;
4. end-to-end latency at 100 events/s offered: from after ``save()`` returns
   in the producer to the start of the consumer's ``@subscribe`` handler
   (which then saves one small aggregate);
5. the sustained end-to-end rate: 10 writers (a service's 10 workers) save
   events, one per save, as fast as the producer can while the consumer
   applies; applied events/s over the steady window (its first quarter left
   out);
6. for reference, the store's floor (``bench/raw_store.py``): raw pymongo
   doing only the store work one event needs end to end (the producer's
   save, the relay's read, the inbox write, the consumer's transaction), in
   batches of 1 and 10: a rate the store alone cannot carry, the platform on
   it cannot either;
7. resident memory (VmRSS) of every service process, idle: the six services
   started as ``make up`` does (``nameko run``), and the benchmark's producer
   and consumer (``bench/messaging_services.py``) as ``nameko run`` too.

In 2-5 the producer (``staff``: ``StaffService`` of
``bench/messaging_services.py``) runs as a nameko container in this process,
so the benchmark can call its application's ``save()`` as a worker would;
the consumer (``payroll``) runs as a separate ``nameko run`` process, as in a
deployment, and reports when its handler received each position over RPC
(``time.monotonic()`` is one clock for every process of the machine).

Every part runs on a fresh RabbitMQ vhost (made through the management API,
deleted at the end) and fresh databases (dropped at the end). Results replace
the "## Messaging (issue 3)" section of a Markdown file (other sections are
kept).

Usage::

    python bench/bench_messaging.py [--output bench/results.md] [--quick]

Settings (environment): ``AMQP_URI`` (broker; default
``amqp://guest:guest@127.0.0.1:5672/``, its vhost is replaced by the run's),
``RABBIT_CTL_URI`` (management API; default
``http://guest:guest@127.0.0.1:15672``), ``MONGO_URI`` or ``--mongo-uri``
(default: an embedded SecantusDB on a free port, stopped at the end).
"""

# ruff: noqa: E402  (eventlet must patch the standard library before anything else imports it)
from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message="\\s*Eventlet is deprecated")

import eventlet

eventlet.monkey_patch()

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kombu
import raw_kombu
from bench_eventstore import cpu_model, fmt_ratio, ram_total, version_of, write_section
from messaging_services import StaffApplication, StaffService, new_employee
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy
from pymongo import MongoClient

from pawline.messaging.application import PawlineApplication
from pawline.messaging.relay import event_exchange
from pawline.nameko import EventSourced
from pawline.testing.embedded_store import EmbeddedStore, free_port
from pawline.testing.rabbit import DEFAULT_CTL_URI, management_request

SECTION_TITLE = "## Messaging (issue 3)"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_OUTPUT = HERE / "results.md"
VENV_BIN = Path(sys.executable).parent
DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"

SHELLS = ("booking", "billing", "staff", "notify", "status", "gateway")  # as `make up` runs them
BENCH_CONFIG = HERE / "messaging.yaml"

RELAY_TARGET = 0.70  # relay publish rate vs raw confirmed publish
IDLE_MEDIAN_TARGET = 20.0  # ms, commit -> publish, idle
E2E_P50_TARGET = 20.0  # ms, save -> handler at 100 events/s
E2E_P99_TARGET = 100.0
SUSTAINED_TARGET = 0.50  # applied events/s vs the slower raw baseline
RSS_TARGET = 120.0  # MiB per service process, idle

SAVE_CHUNK = 100  # aggregates per save() when filling the log before the relay starts
# Writers saving in a loop, one event per save, as a service's workers do under load
# (nameko runs up to 10 workers at once by default); the recorder commits what they
# queue up together (group commit).
WRITERS = 10
POLL = 0.02  # seconds between looks at a checkpoint

log = logging.getLogger("bench_messaging")


@dataclass(frozen=True)
class Plan:
    """How much of each part to run."""

    baseline_seconds: float  # publishing per baseline round
    baseline_rounds: int
    relay_events: int
    idle_samples: int
    offered_seconds: float
    sustained_seconds: float
    idle_spacing: float = 0.05
    offered_rate: float = 100.0
    rss_idle_seconds: float = 5.0


FULL = Plan(
    baseline_seconds=1.0,
    baseline_rounds=5,
    relay_events=10_000,
    idle_samples=200,
    offered_seconds=10.0,
    sustained_seconds=10.0,
)
QUICK = Plan(
    baseline_seconds=0.3,
    baseline_rounds=2,
    relay_events=600,
    idle_samples=30,
    offered_seconds=2.0,
    sustained_seconds=2.0,
)


# ------------------------------------------------------------------- results


@dataclass
class Baseline:
    publish_rates: list[float]
    consume_rates: list[float]
    envelope_bytes: int

    @property
    def publish(self) -> float:
        return statistics.median(self.publish_rates)

    @property
    def consume(self) -> float:
        return statistics.median(self.consume_rates)


@dataclass
class RelayResult:
    events: int
    seconds: float  # from container.start() to the checkpoint at the last position
    first_checkpoint_after: float  # seconds from container.start() to the first checkpoint
    steady_rate: float | None  # events/s from the first checkpoint to the last
    cpu: dict[str, float]

    @property
    def rate(self) -> float:
        return self.events / self.seconds


@dataclass
class IdleResult:
    latencies_ms: list[float]
    envelope_bytes: int


@dataclass
class EndToEndResult:
    latencies_ms: list[float]
    offered_rate: float  # achieved


@dataclass
class SustainedResult:
    saved_rate: float  # events/s saved by the writers over the whole run
    applied_rate: float  # events/s applied over the steady window
    relayed_rate: float | None  # events/s the relay's checkpoint moved over the steady window
    window: float
    saved: int
    applied_in_window: int
    cpu: dict[str, float]
    store_ops: dict[str, float]  # store operations per second over the window, by kind


@dataclass
class Results:
    plain: Baseline | None = None
    green: Baseline | None = None
    relay: RelayResult | None = None
    idle: IdleResult | None = None
    e2e: EndToEndResult | None = None
    sustained: SustainedResult | None = None
    store_floor: dict[int, float] = field(default_factory=dict)  # batch -> ev/s, raw pymongo
    rss_mib: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------- helpers


def percentile(values: Sequence[float], pct: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            msg = f"timed out after {timeout:g} s waiting for {what}"
            raise TimeoutError(msg)
        time.sleep(every)


def sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def saved_position(app: PawlineApplication, *objs: Any) -> int:
    """Save and return the log position of the last event saved."""
    return int(app.save(*objs)[-1].notification.id)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class CpuMeter:
    """CPU time of some processes over a window, as % of one core."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.ticks = os.sysconf("SC_CLK_TCK")
        self._start: dict[str, float] = {}
        self._started = 0.0

    def _cpu(self, pid: int) -> float | None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / self.ticks  # utime + stime

    def start(self) -> None:
        self._started = time.monotonic()
        self._start = {n: c for n, p in self.pids.items() if (c := self._cpu(p)) is not None}

    def stop(self) -> dict[str, float]:
        elapsed = time.monotonic() - self._started
        shares = {}
        for name, before in self._start.items():
            after = self._cpu(self.pids[name])
            if after is not None and elapsed > 0:
                shares[name] = 100 * (after - before) / elapsed
        return shares


def broker_pid() -> int | None:
    """RabbitMQ's Erlang VM on this machine, if it runs here (for CPU shares only)."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):
                if (proc / "comm").read_text().strip() == "beam.smp":
                    return int(proc.name)
    return None


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    msg = f"no VmRSS for pid {pid}"
    raise RuntimeError(msg)


# ---------------------------------------------------------------- the broker


def management(path: str, method: str = "GET", body: object = None) -> Any:
    ctl_uri = os.environ.get("RABBIT_CTL_URI") or DEFAULT_CTL_URI
    return management_request(ctl_uri, path, method, body, timeout=10)


@contextlib.contextmanager
def fresh_vhost(name: str) -> Iterator[str]:
    """A new vhost with all permissions for the broker's user; yields its AMQP URI."""
    base = urllib.parse.urlsplit(os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI)
    quoted = urllib.parse.quote(name, safe="")
    management(f"/api/vhosts/{quoted}", "PUT", {})
    try:
        management(
            f"/api/permissions/{quoted}/{urllib.parse.quote(base.username or 'guest', safe='')}",
            "PUT",
            {"configure": ".*", "write": ".*", "read": ".*"},
        )
        yield urllib.parse.urlunsplit(base._replace(path=f"/{quoted}"))
    finally:
        with contextlib.suppress(urllib.error.URLError, OSError):
            management(f"/api/vhosts/{quoted}", "DELETE")


# ------------------------------------------------------------------ the run


@dataclass
class Run:
    """What the parts share: where the broker and store are, what to clean up."""

    run_id: str
    amqp_uri: str
    mongo_uri: str
    client: MongoClient[dict[str, Any]]
    logs: Path
    store_pid: int | None
    databases: list[str] = field(default_factory=list)

    def new_database(self, purpose: str) -> str:
        name = f"bench_msg_{self.run_id}_{purpose}".replace(" ", "_")
        self.databases.append(name)
        return name

    def mongo_env(self, database: str) -> dict[str, str]:
        return {"MONGO_URI": self.mongo_uri, "MONGO_DATABASE": database, "MONGO_TIMEOUT": "5"}

    def container_config(self, database: str) -> dict[str, Any]:
        return {
            "AMQP_URI": self.amqp_uri,
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
            **self.mongo_env(database),
        }

    def pids(self, **more: int | None) -> dict[str, int]:
        """This process, the store and the broker (where they run here), and ``more``."""
        pids = {"bench process": os.getpid(), "store": self.store_pid, "broker": broker_pid()}
        pids.update(more)
        return {name: pid for name, pid in pids.items() if pid is not None}

    def drop_databases(self) -> None:
        for name in self.databases:
            with contextlib.suppress(Exception):
                self.client.drop_database(name)


class ServiceProcess:
    """A ``nameko run`` process in a session of its own, its output in a log file."""

    def __init__(
        self, name: str, command: list[str], env: dict[str, str], cwd: Path, log_path: Path
    ) -> None:
        self.name = name
        self.url = f"http://{env['WEB_SERVER_ADDRESS']}"
        self.log_path = log_path
        with log_path.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.process.pid

    def answers(self, path: str) -> bool:
        if self.process.poll() is not None:
            text = self.log_path.read_text(errors="replace").strip()
            print(f"{self.name}'s log ends:\n{text[-3000:]}", file=sys.stderr)
            last = text.splitlines()[-1] if text else "(no output)"
            msg = f"{self.name} exited with {self.process.returncode}: {last}"
            raise RuntimeError(msg)
        return http_ok(self.url + path)

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM its process group; SIGKILL it if still there after ``grace``."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start_service(
    stack: contextlib.ExitStack,
    run: Run,
    name: str,
    *,
    amqp_uri: str,
    database: str,
    bench_service: str | None = None,
) -> ServiceProcess:
    """Start one service as `make up` does (or one of bench/messaging_services.py);
    stopped when ``stack`` closes."""
    env = {
        **os.environ,
        "AMQP_URI": amqp_uri,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
        **run.mongo_env(database),
    }
    if bench_service is None:
        config, cwd = f"services/{name}/config.yaml", ROOT
        target = f"{name}.service:{name.capitalize()}Service"
    else:
        config, target, cwd = str(BENCH_CONFIG), f"messaging_services:{bench_service}", HERE
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    command = [str(VENV_BIN / "nameko"), "run", "--config", config, target]
    process = ServiceProcess(name, command, env, cwd, run.logs / f"{name}.log")
    stack.callback(process.stop)
    return process


@contextlib.contextmanager
def producer_container(run: Run, database: str) -> Iterator[ServiceContainer]:
    """The producer (staff, with its relay) as a nameko container in this process."""
    container = ServiceContainer(StaffService, run.container_config(database))
    container.start()
    try:
        yield container
    finally:
        try:
            with eventlet.Timeout(30):
                container.stop()
        except eventlet.Timeout:
            log.warning("the producer container did not stop within 30 s; killing it")
            container.kill()
        application_of(container).close()  # its Mongo client, while the hub still runs


def application_of(container: ServiceContainer) -> PawlineApplication:
    provider = next(d for d in container.dependencies if isinstance(d, EventSourced))
    assert provider.app is not None
    return provider.app


def store_opcounters(run: Run) -> dict[str, int]:
    """The store's operation counts since it started (``serverStatus``)."""
    counters = run.client.admin.command("serverStatus").get("opcounters", {})
    return {k: int(v) for k, v in counters.items() if isinstance(v, int | float)}


def relay_position(container: ServiceContainer) -> int:
    """How far the producer's relay has had the broker confirm (its in-memory
    checkpoint: the stored one is written every half second)."""
    provider = next(d for d in container.dependencies if isinstance(d, EventSourced))
    assert provider.relay is not None
    return provider.relay.confirmed_position


# --------------------------------------------------------------------- parts


def run_plain(script: str, *args: str) -> dict[str, Any]:
    """Run one of bench/'s raw baselines in a plain Python process of its own;
    the JSON object it prints last."""
    done = subprocess.run(
        [sys.executable, str(HERE / script), *args],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        msg = f"{script} failed ({done.returncode}): {done.stderr[-2000:]}"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure_baselines(run: Run, plan: Plan) -> tuple[Baseline, Baseline]:
    """Raw kombu in a plain process (the baseline), then in this eventlet process."""
    args = ["--seconds", str(plan.baseline_seconds), "--rounds", str(plan.baseline_rounds)]
    print("  raw kombu, plain process", flush=True)
    plain = Baseline(**_baseline_fields(run_plain("raw_kombu.py", "--uri", run.amqp_uri, *args)))
    print("  raw kombu, in this eventlet process", flush=True)
    green = Baseline(
        **_baseline_fields(
            raw_kombu.measure(run.amqp_uri, plan.baseline_seconds, plan.baseline_rounds)
        )
    )
    for name, b in (("plain", plain), ("eventlet", green)):
        print(
            f"    {name}: publish {b.publish:,.0f} msg/s, consume {b.consume:,.0f} msg/s",
            flush=True,
        )
    return plain, green


def _baseline_fields(measured: dict[str, Any]) -> dict[str, Any]:
    return {k: measured[k] for k in ("publish_rates", "consume_rates", "envelope_bytes")}


def measure_relay_and_idle(run: Run, plan: Plan, results: Results) -> None:
    """Part 2 (relay publish rate), then part 3 (idle commit-to-publish latency)
    on the same producer once it has caught up."""
    database = run.new_database("staff_relay")
    app = StaffApplication(env=run.mongo_env(database))
    try:
        last = 0
        for start in range(0, plan.relay_events, SAVE_CHUNK):
            stop = min(plan.relay_events, start + SAVE_CHUNK)
            last = saved_position(app, *(new_employee(i) for i in range(start, stop)))
    finally:
        app.close()
    print(f"  {plan.relay_events} events saved (last position {last}); starting the producer")

    cpu = CpuMeter(run.pids())
    first: tuple[float, int] | None = None
    cpu.start()
    started = time.monotonic()
    with producer_container(run, database) as container:
        while True:
            position = relay_position(container)
            now = time.monotonic()
            if position and first is None:
                first = (now, position)
            if position >= last:
                break
            if now - started > 120 + plan.relay_events / 50:
                msg = f"the relay reached only position {position} of {last}"
                raise TimeoutError(msg)
            time.sleep(POLL)
        assert first is not None
        results.relay = RelayResult(
            events=plan.relay_events,
            seconds=now - started,
            first_checkpoint_after=first[0] - started,
            steady_rate=(last - first[1]) / (now - first[0]) if now > first[0] else None,
            cpu=cpu.stop(),
        )
        print(f"    relay: {results.relay.rate:,.0f} ev/s ({results.relay.seconds:.2f} s)")
        try:
            results.idle = measure_idle_latency(run, plan, application_of(container))
        except Exception as e:
            fail(results, "idle", e)


class Tap:
    """A raw kombu consumer of ``staff.events`` (every key): when each position arrived."""

    def __init__(self, amqp_uri: str) -> None:
        self.arrived: dict[int, float] = {}
        self.sizes: list[int] = []
        self.connection = kombu.Connection(amqp_uri)
        channel = self.connection.channel()
        channel.basic_qos(0, raw_kombu.PREFETCH, False)
        exchange = event_exchange("staff")
        exchange(channel).declare()
        queue = kombu.Queue(
            f"bench.tap.{uuid.uuid4().hex[:8]}", exchange=exchange, routing_key="#",
            exclusive=True, auto_delete=True,
        )(channel)  # fmt: skip
        queue.declare()
        self.consumer = kombu.Consumer(
            channel, queues=[queue], on_message=self.on_message, auto_declare=False
        )
        self.consumer.consume()
        self._stopped = False
        self._thread = eventlet.spawn(self._drain)

    def on_message(self, message: Any) -> None:
        arrived = time.monotonic()
        body = json.loads(message.body)
        self.arrived[body["position"]] = arrived
        self.sizes.append(len(message.body))
        message.ack()

    def _drain(self) -> None:
        while not self._stopped:
            with contextlib.suppress(TimeoutError):
                self.connection.drain_events(timeout=0.2)

    def close(self) -> None:
        self._stopped = True
        self._thread.wait()
        self.connection.release()


def measure_idle_latency(run: Run, plan: Plan, app: PawlineApplication) -> IdleResult:
    tap = Tap(run.amqp_uri)
    try:
        time.sleep(1.0)  # idle: the relay has caught up and waits
        saved: dict[int, float] = {}
        moment = time.monotonic()
        for i in range(plan.idle_samples):
            sleep_until(moment)
            position = saved_position(app, new_employee(i))
            saved[position] = time.monotonic()
            moment += plan.idle_spacing
        wait_until(lambda: all(p in tap.arrived for p in saved), 30, "the idle events at the tap")
        latencies = [1000 * (tap.arrived[p] - t) for p, t in saved.items()]
        envelope_bytes = round(statistics.median(tap.sizes))
    finally:
        tap.close()
    print(
        f"    idle commit->publish: median {statistics.median(latencies):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms",
        flush=True,
    )
    return IdleResult(latencies, envelope_bytes)


def receipts(rpc: Any, after: int) -> dict[int, float]:
    return {int(p): t for p, t in rpc.payroll.receipts(after).items()}


def offer(app: PawlineApplication, rate: float, count: int) -> tuple[dict[int, float], float]:
    """Save ``count`` events at ``rate``/s (on a fixed schedule); their positions
    and when each save returned, and the rate achieved."""
    saved: dict[int, float] = {}
    started = moment = time.monotonic()
    for i in range(count):
        sleep_until(moment)
        position = saved_position(app, new_employee(i))
        saved[position] = time.monotonic()
        moment += 1 / rate
    return saved, count / (time.monotonic() - started)


def wait_applied(rpc: Any, positions: Sequence[int], timeout: float) -> dict[int, float]:
    after = min(positions) - 1
    got: dict[int, float] = {}

    def all_in() -> bool:
        got.update(receipts(rpc, after))
        return all(p in got for p in positions)

    wait_until(all_in, timeout, f"the consumer to apply {len(positions)} events", every=0.25)
    return got


def measure_end_to_end(run: Run, plan: Plan, results: Results) -> None:
    """Parts 4 (latency at 100 events/s) and 5 (sustained rate): producer in
    this process, consumer as a `nameko run` process."""
    producer_db = run.new_database("staff_e2e")
    consumer_db = run.new_database("payroll_e2e")
    with contextlib.ExitStack() as stack:
        container = stack.enter_context(producer_container(run, producer_db))
        app = application_of(container)
        consumer = start_service(
            stack, run, "payroll", amqp_uri=run.amqp_uri, database=consumer_db,
            bench_service="PayrollService",
        )  # fmt: skip
        wait_until(lambda: consumer.answers("/health/ready"), 90, "payroll /health/ready", 0.25)
        rpc = stack.enter_context(ClusterRpcProxy({"AMQP_URI": run.amqp_uri}, timeout=60))

        saved, _ = offer(app, plan.offered_rate, 20)  # warm-up, not counted
        wait_applied(rpc, list(saved), 60)

        count = round(plan.offered_rate * plan.offered_seconds)
        saved, achieved = offer(app, plan.offered_rate, count)
        got = wait_applied(rpc, list(saved), 60 + count / 10)
        latencies = [1000 * (got[p] - t) for p, t in saved.items()]
        results.e2e = EndToEndResult(latencies, achieved)
        print(
            f"    save->handler at {achieved:.0f} ev/s: p50 {statistics.median(latencies):.1f} ms,"
            f" p99 {percentile(latencies, 99):.1f} ms",
            flush=True,
        )
        try:
            results.sustained = measure_sustained(
                run, plan, container, rpc, consumer.pid, after=max(saved)
            )
        except Exception as e:
            fail(results, "sustained", e)


def measure_sustained(
    run: Run,
    plan: Plan,
    container: ServiceContainer,
    rpc: Any,
    consumer_pid: int,
    after: int,
) -> SustainedResult:
    saved: list[tuple[int, float]] = []
    started = time.monotonic()
    deadline = started + plan.sustained_seconds
    window_start = started + plan.sustained_seconds / 4
    cpu = CpuMeter(run.pids(consumer=consumer_pid))
    checkpoints: list[int] = []
    opcounters: list[dict[str, int]] = []
    app = application_of(container)

    def writer() -> None:
        i = 0
        while time.monotonic() < deadline:
            saved.append((saved_position(app, new_employee(i)), time.monotonic()))
            i += 1

    def sampler() -> None:
        sleep_until(window_start)
        cpu.start()
        opcounters.append(store_opcounters(run))
        checkpoints.append(relay_position(container))
        sleep_until(deadline)
        checkpoints.append(relay_position(container))
        opcounters.append(store_opcounters(run))

    threads = [eventlet.spawn(writer) for _ in range(WRITERS)]
    sampling = eventlet.spawn(sampler)
    for thread in threads:
        thread.wait()
    sampling.wait()
    shares = cpu.stop()
    window_end = deadline
    window = window_end - window_start
    got = receipts(rpc, after)
    applied = sum(1 for t in got.values() if window_start <= t < window_end)
    result = SustainedResult(
        saved_rate=len(saved) / (time.monotonic() - started),
        applied_rate=applied / window,
        relayed_rate=(checkpoints[1] - checkpoints[0]) / window if len(checkpoints) == 2 else None,
        window=window,
        saved=len(saved),
        applied_in_window=applied,
        cpu=shares,
        store_ops={
            kind: (opcounters[1].get(kind, 0) - count) / window
            for kind, count in opcounters[0].items()
        },
    )
    print(
        f"    sustained: saved {result.saved_rate:,.0f} ev/s, relayed "
        f"{result.relayed_rate or 0:,.0f} ev/s, applied {result.applied_rate:,.0f} ev/s "
        f"(window {window:.1f} s); CPU {fmt_cpu(shares)}",
        flush=True,
    )
    return result


def measure_memory(run: Run, plan: Plan, results: Results) -> None:
    """Part 6: every service as its own `nameko run` process, idle."""
    with contextlib.ExitStack() as stack:
        # The bench's own staff and payroll get a vhost of their own: the
        # platform's staff already answers as `staff` on the run's vhost.
        pair_uri = stack.enter_context(fresh_vhost(f"bench_messaging_{run.run_id}_pair"))
        processes = [
            start_service(stack, run, name, amqp_uri=run.amqp_uri, database=run.new_database(name))
            for name in SHELLS
        ]
        processes += [
            start_service(
                stack,
                run,
                name,
                amqp_uri=pair_uri,
                database=run.new_database(f"{name}_pair"),
                bench_service=cls,
            )
            for name, cls in (("bench staff", "StaffService"), ("bench payroll", "PayrollService"))
        ]
        for process in processes:
            wait_until(
                lambda p=process: p.answers("/health/live"), 120, f"{process.name} /health/live"
            )
        time.sleep(plan.rss_idle_seconds)
        for process in processes:
            results.rss_mib[process.name] = rss_mib(process.pid)
        print(
            "    RSS: " + ", ".join(f"{n} {m:.0f} MiB" for n, m in results.rss_mib.items()),
            flush=True,
        )


def fail(results: Results, part: str, error: BaseException) -> None:
    traceback.print_exception(error, file=sys.stderr)
    first_line = (str(error).strip().splitlines() or [""])[0]
    results.errors[part] = f"{type(error).__name__}: {first_line}"
    print(f"  {part} failed: {results.errors[part]}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------- reporting


def fmt_rate(rate: float | None, unit: str = "ev/s") -> str:
    return "n/a" if rate is None else f"{rate:,.0f} {unit}"


def fmt_ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def fmt_cpu(shares: dict[str, float]) -> str:
    return ", ".join(f"{name} {share:.0f}%" for name, share in shares.items())


def busiest(shares: dict[str, float]) -> str:
    """Which process was busiest, and whether it was near one core (its ceiling
    for a Python process)."""
    if not shares:
        return "no CPU figures"
    name, share = max(shares.items(), key=lambda item: item[1])
    if share >= 80:
        return f"the busiest, {name}, was near one full core ({share:.0f}%)"
    return f"no process near a full core (busiest: {name}, {share:.0f}%)"


def spread(rates: Sequence[float]) -> str:
    if len(rates) < 2:
        return ""
    return f" ± {(max(rates) - min(rates)) / 2 / statistics.median(rates):.0%}"


def met(ok: bool | None) -> str:
    return "n/a" if ok is None else ("yes" if ok else "**no**")


@dataclass
class About:
    when: str
    load_before: str
    load_after: str
    broker: str
    store: str
    quick: bool


def render(about: About, plan: Plan, r: Results) -> str:
    plain, green = r.plain, r.green
    publish_base = plain.publish if plain else None
    slower_base = min(plain.publish, plain.consume) if plain else None
    machine = (
        f"{cpu_model()}, {os.cpu_count()} cores, {ram_total()} RAM; load average "
        f"{about.load_before} at the start, {about.load_after} at the end"
    )
    versions = ", ".join(
        f"{n} {version_of(n)}" for n in ("nameko", "kombu", "amqp", "eventlet", "pymongo")
    )
    lines = [
        SECTION_TITLE,
        "",
        f"- Date: {about.when}"
        + (" — **--quick smoke run, not a real measurement**" if about.quick else ""),
        f"- Machine: {machine}",
        f"- Python {platform.python_version()}; {versions}",
        f"- Broker: {about.broker}, a fresh vhost for the run; store: {about.store}",
        "- Baselines (`bench/raw_kombu.py`) run in a plain Python process of their own "
        "(no eventlet), as any kombu client would: publish, one message at a time, each "
        "confirmed (`confirm_publish`), persistent JSON, `mandatory`, to a durable topic "
        "exchange with one durable queue bound; then consume + ack (prefetch 100, JSON "
        "decoded) exactly what was published. "
        f"{plan.baseline_rounds} round(s) of {plan.baseline_seconds:g} s of publishing after "
        "a short warm-up; the figure is the median round (± half the spread).",
    ]
    if plain:
        lines.append(
            f"- Baseline publish: **{fmt_rate(plain.publish, 'msg/s')}**"
            f"{spread(plain.publish_rates)}; consume + ack: **{fmt_rate(plain.consume, 'msg/s')}**"
            f"{spread(plain.consume_rates)} (envelope {plain.envelope_bytes} bytes)"
        )
    if green:
        lines.append(
            f"- For reference, the same code in the benchmark's eventlet process: publish "
            f"{fmt_rate(green.publish, 'msg/s')}{spread(green.publish_rates)}, consume + ack "
            f"{fmt_rate(green.consume, 'msg/s')}{spread(green.consume_rates)}"
        )
    lines += [
        "- Producer: `staff` of `bench/messaging_services.py` (one `Employee` per save, "
        "published as `EmployeeHired`), a nameko container in the benchmark's eventlet "
        "process so that it can call `save()` as a worker does. Consumer: `payroll`, "
        '`@subscribe("staff", "EmployeeHired")`, its handler saves one small `Payment`; '
        "a separate `nameko run` process, as deployed; its handler notes `time.monotonic()` "
        "(one clock for the machine) on entry, read back over RPC.",
        "",
        "| figure | ours | baseline | ratio | target | met? |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    relay = r.relay
    relay_rate = relay.rate if relay else None
    lines.append(
        f"| relay publish rate ({plan.relay_events:,} events saved before the producer starts; "
        f"until its checkpoint reaches the last) | {fmt_rate(relay_rate)} | "
        f"{fmt_rate(publish_base, 'msg/s')} | {fmt_ratio(relay_rate, publish_base)} | "
        f"≥ {RELAY_TARGET:.0%} | "
        f"{met(None if relay_rate is None or not publish_base else relay_rate / publish_base >= RELAY_TARGET)} |"  # noqa: E501
    )
    idle = r.idle.latencies_ms if r.idle else None
    idle_median = statistics.median(idle) if idle else None
    samples = f"{len(idle)} events, one per {plan.idle_spacing * 1000:.0f} ms" if idle else "n/a"
    lines += [
        f"| commit → publish latency, idle producer, median ({samples}) | {fmt_ms(idle_median)} "
        f"| — | — | ≤ {IDLE_MEDIAN_TARGET:g} ms | "
        f"{met(None if idle_median is None else idle_median <= IDLE_MEDIAN_TARGET)} |",
        f"| commit → publish latency, idle producer, p99 | "
        f"{fmt_ms(percentile(idle, 99) if idle else None)} | — | — | — | — |",
    ]
    e2e = r.e2e.latencies_ms if r.e2e else None
    p50 = statistics.median(e2e) if e2e else None
    p99 = percentile(e2e, 99) if e2e else None
    offered = (
        f"{r.e2e.offered_rate:.0f} events/s offered for {plan.offered_seconds:g} s"
        if r.e2e
        else "n/a"
    )
    lines += [
        f"| save → consumer handler latency, p50 ({offered}) | {fmt_ms(p50)} | — | — | "
        f"≤ {E2E_P50_TARGET:g} ms | {met(None if p50 is None else p50 <= E2E_P50_TARGET)} |",
        f"| save → consumer handler latency, p99 | {fmt_ms(p99)} | — | — | "
        f"≤ {E2E_P99_TARGET:g} ms | {met(None if p99 is None else p99 <= E2E_P99_TARGET)} |",
    ]
    s = r.sustained
    applied = s.applied_rate if s else None
    writers = "one writer" if WRITERS == 1 else f"{WRITERS} concurrent writers, one event per save"
    lines.append(
        f"| sustained end-to-end: events applied by the consumer per s ({writers} saving "
        f"as fast as possible for {plan.sustained_seconds:g} s; steady window "
        f"{s.window if s else 0:.1f} s) | {fmt_rate(applied)} | "
        f"{fmt_rate(slower_base, 'msg/s')} (slower baseline) | {fmt_ratio(applied, slower_base)} "
        f"| ≥ {SUSTAINED_TARGET:.0%} | "
        f"{met(None if applied is None or not slower_base else applied / slower_base >= SUSTAINED_TARGET)} |"  # noqa: E501
    )
    for batch, floor in sorted(r.store_floor.items()):
        lines.append(
            f"| for reference: the store alone, raw pymongo doing one event's store work end "
            f"to end in batches of {batch} (`bench/raw_store.py`) | {fmt_rate(floor)} | "
            f"{fmt_rate(slower_base, 'msg/s')} (slower baseline) | "
            f"{fmt_ratio(floor, slower_base)} | — | — |"
        )
    names = [*SHELLS, "bench staff", "bench payroll"]
    for name in names:
        mib = r.rss_mib.get(name)
        what = {
            "bench staff": "bench producer `staff` (relay)",
            "bench payroll": "bench consumer `payroll` (inbox + processor)",
        }.get(name, f"`{name}`")
        lines.append(
            f"| resident memory, idle: {what} | {'n/a' if mib is None else f'{mib:.0f} MiB'} "
            f"| — | — | ≤ {RSS_TARGET:g} MiB | "
            f"{met(None if mib is None else mib <= RSS_TARGET)} |"
        )
    lines += ["", *notes(plan, r)]
    return "\n".join(lines) + "\n"


def notes(plan: Plan, r: Results) -> list[str]:
    out: list[str] = []
    if r.relay:
        steady = fmt_rate(r.relay.steady_rate)
        out.append(
            f"- Relay: {r.relay.events:,} events in {r.relay.seconds:.2f} s from "
            f"`container.start()`; first checkpoint after {r.relay.first_checkpoint_after:.2f} s; "
            f"{steady} from the first checkpoint to the last. CPU while relaying (% of one "
            f"core): {fmt_cpu(r.relay.cpu)}; {busiest(r.relay.cpu)}."
        )
    if r.idle:
        out.append(
            f"- Idle latency: envelopes as relayed are {r.idle.envelope_bytes} bytes (median); "
            f"max {max(r.idle.latencies_ms):.1f} ms."
        )
    if r.e2e:
        lat = r.e2e.latencies_ms  # in the order saved
        tenth = max(1, len(lat) // 10)
        out.append(
            f"- Save → handler at 100/s: {len(lat)} events (after 20 for warm-up); "
            f"p90 {percentile(lat, 90):.1f} ms, max {max(lat):.1f} ms; median of the first "
            f"tenth saved {statistics.median(lat[:tenth]):.1f} ms, of the last tenth "
            f"{statistics.median(lat[-tenth:]):.1f} ms."
        )
    if r.sustained:
        s = r.sustained
        out.append(
            f"- Sustained: the producer saved {s.saved:,} events ({fmt_rate(s.saved_rate)}); "
            f"over the steady window the relay's checkpoint moved at "
            f"{fmt_rate(s.relayed_rate)} and the consumer applied {s.applied_in_window:,} "
            f"({fmt_rate(s.applied_rate)}). CPU over the window (% of one core): "
            f"{fmt_cpu(s.cpu)}; {busiest(s.cpu)}. The store served "
            f"{sum(s.store_ops.values()):,.0f} operations/s ("
            + ", ".join(f"{kind} {rate:,.0f}" for kind, rate in s.store_ops.items() if rate >= 1)
            + ")."
        )
        store_share = s.cpu.get("store")
        if store_share and s.applied_rate:
            per_event = 10 * store_share / s.applied_rate  # ms of store CPU per applied event
            ops = sum(s.store_ops.values()) / s.applied_rate
            out.append(
                f"- What bounds the sustained rate: the store spent {per_event:.1f} ms of CPU "
                f"per event carried end to end ({ops:.2f} operations: "
                f"the producer's save, the relay's read, the consumer's inbox "
                f"write and its handler's transaction), so one core of it carries at most "
                f"{1000 / per_event:,.0f} ev/s, and the whole machine has 2 cores for the "
                "store, the broker and both services."
            )
        floor = r.store_floor.get(10)
        if floor and s.applied_rate:
            line = (
                f"- The store alone, doing the same store work with raw pymongo in batches of "
                f"10 (no services, no broker), carried {fmt_rate(floor)}: the platform's "
                f"sustained rate is {s.applied_rate / floor:.0%} of that."
            )
            slower = min(r.plain.publish, r.plain.consume) if r.plain else None
            if slower and floor < SUSTAINED_TARGET * slower:
                line += (
                    f" The store alone stays under {SUSTAINED_TARGET:.0%} of the slower broker "
                    "baseline, so no code on this store can meet that target: it wants a "
                    "faster store (a real MongoDB: `MONGO_URI=... make bench`)."
                )
            out.append(line)
    if r.rss_mib:
        out.append(
            "- Memory: VmRSS from `/proc/<pid>/status` (MiB) of each `nameko run` process, "
            f"{plan.rss_idle_seconds:g} s after all answered `/health/live`; the six services "
            "started as `make up` does (own database each, one vhost), the bench pair on a "
            "vhost of its own."
        )
    out += [f"- **{part} failed**: {error}" for part, error in r.errors.items()]
    return out


# ---------------------------------------------------------------------- run


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def benchmark(
    mongo_uri: str | None, plan: Plan, quick: bool, output: Path, only: Sequence[str] = ()
) -> None:
    run_id = uuid.uuid4().hex[:8]
    results = Results()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-messaging-")))
        store_pid = None
        if mongo_uri is None:
            store = EmbeddedStore(free_port(), tmp / "store", tmp / "secantusd.log")
            store_pid = store.start()
            stack.callback(store.stop)
            mongo_uri = store.uri
            store_about = (
                f"embedded SecantusDB {version_of('SecantusDB')} started as `make up` does "
                "(temp dir on the local disk, sync on commit)"
            )
        else:
            store_about = "MONGO_URI"
        client: MongoClient[dict[str, Any]] = MongoClient(mongo_uri)
        stack.callback(client.close)
        amqp_uri = stack.enter_context(fresh_vhost(f"bench_messaging_{run_id}"))
        overview = management("/api/overview")
        broker_about = f"RabbitMQ {overview.get('rabbitmq_version', '?')} on this machine"
        run = Run(run_id, amqp_uri, mongo_uri, client, tmp / "logs", store_pid)
        run.logs.mkdir()
        stack.callback(run.drop_databases)
        about = About(
            when=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            load_before=load(),
            load_after="",
            broker=broker_about,
            store=store_about,
            quick=quick,
        )
        parts: list[tuple[str, Callable[[], None]]] = [
            ("baselines", lambda: _set_baselines(run, plan, results)),
            ("relay", lambda: measure_relay_and_idle(run, plan, results)),
            ("end to end", lambda: measure_end_to_end(run, plan, results)),
            ("memory", lambda: measure_memory(run, plan, results)),
        ]
        for part, measure in parts:
            if only and part not in only:
                continue
            print(f"{part}:", flush=True)
            started = time.monotonic()
            try:
                measure()
            except Exception as e:
                fail(results, part, e)
            print(f"  ({time.monotonic() - started:.1f} s)", flush=True)
        about.load_after = load()
        section = render(about, plan, results)
    write_section(output, section, SECTION_TITLE)
    print(f"\nWrote {output}\n\n{section}")


def _set_baselines(run: Run, plan: Plan, results: Results) -> None:
    results.plain, results.green = measure_baselines(run, plan)
    results.store_floor = measure_store_floor(run, plan)


def measure_store_floor(run: Run, plan: Plan) -> dict[int, float]:
    """What the store alone carries (``bench/raw_store.py``, a plain process)."""
    floor = {}
    for batch in (1, 10):
        measured = run_plain(
            "raw_store.py", "--uri", run.mongo_uri,
            "--batch", str(batch), "--seconds", str(plan.baseline_seconds * 3),
        )  # fmt: skip
        floor[batch] = float(measured["rate"])
        print(f"    store alone, batches of {batch}: {floor[batch]:,.0f} ev/s", flush=True)
    return floor


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--mongo-uri",
        default=os.environ.get("MONGO_URI"),
        help="MongoDB to use (default: start an embedded SecantusDB)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"Markdown file to update (default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke test (< 60 s)")
    parser.add_argument(
        "--only",
        action="append",
        choices=["baselines", "relay", "end to end", "memory"],
        help="run only this part (repeatable; results.md is then not a full run: use --output)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Let SIGTERM unwind like Ctrl-C, so every process, vhost and database is cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    benchmark(
        args.mongo_uri, QUICK if args.quick else FULL, args.quick, args.output, args.only or ()
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
