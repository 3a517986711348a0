"""Benchmark of the MongoDB event store (issue 2) against baselines of the same run.

Measures, against one MongoDB server:

1. baseline: raw pymongo ``insert_one`` per second of a document shaped like a
   stored event, into a fresh collection with the same unique index on
   ``(originator_id, originator_version)``, one thread, write concern majority;
2. ``MongoApplicationRecorder.insert_events([one event])`` per second;
3. events per second of ``insert_events`` with 10 events of one new originator;
4. events per second of 4 writer threads doing 10-event batches on one recorder;
5. figures 2-4 for the library's own SQLite (temp file) and PostgreSQL recorders.

Every figure is measured the same way: a warm-up that also calibrates how many
operations fill the wanted time, then a fixed number of operations per round,
timed, over a few rounds interleaved across figures; the figure is the median
round. Results replace the "## Event store (issue 2)" section of a Markdown
file (other sections are kept).

Usage::

    python bench/bench_eventstore.py [--mongo-uri URI] [--output bench/results.md] [--quick]

Without ``--mongo-uri`` (or ``MONGO_URI``), an embedded SecantusDB server
(``secantusd-py``) is started on a free port with a temporary storage dir and
stopped at the end. PostgreSQL settings come from ``POSTGRES_HOST``,
``POSTGRES_PORT``, ``POSTGRES_USER``, ``POSTGRES_PASSWORD`` and
``POSTGRES_DBNAME`` (default ``127.0.0.1:5432``, user ``postgres``, database
``test``); a dedicated schema is created and dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import math
import os
import platform
import re
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import psycopg
from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from psycopg import sql
from pymongo import MongoClient
from pymongo.write_concern import WriteConcern

from pawline.eventstore.mongo import MongoApplicationRecorder, MongoDatastore
from pawline.testing.embedded_store import EmbeddedStore, free_port

SECTION_TITLE = "## Event store (issue 2)"
FILE_HEADER = (
    "# Benchmark results\n\n"
    "Figures are ratios to baselines measured in the same run on the same machine "
    "(absolute rates depend on the machine; the ratios are what the targets are about).\n"
)
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.md"

TOPIC = "booking.domain:Booking.Confirmed"
STATE = (
    b'{"booking_id":"6a1f0c2e-9b1d-4c55-8f3e-2d7a9e4b1c60","dog":"Rex",'
    b'"slot":"2025-06-01T09:00:00Z","walker":17}'
)  # ~100 bytes, like a small event
BATCH = 10
WRITERS = 4
SINGLE_TARGET = 0.40  # ours single-event inserts vs raw insert_one
BATCH_TARGET = 1.00  # ours 10-event batches, per event, vs raw insert_one

RETRY_NOTE = (
    "retryable writes off for both clients (`retryWrites=false`): the embedded "
    "SecantusDB keeps a record of every retryable write (for 30 min, up to 10,000) "
    "and scans or sorts them all on each one, so its write rate decays from ~1,000/s "
    "to < 100/s as a run goes on and each figure would depend on what ran before it"
)
SQLITE_SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}

T = TypeVar("T")


@dataclass(frozen=True)
class Plan:
    """How long to warm up and time each figure."""

    warmup_seconds: float
    round_seconds: float
    rounds: int
    min_ops: int


FULL = Plan(warmup_seconds=0.6, round_seconds=0.6, rounds=6, min_ops=50)
QUICK = Plan(warmup_seconds=0.1, round_seconds=0.15, rounds=2, min_ops=10)


@dataclass
class Figure(Generic[T]):
    """One measured figure: an operation, repeated; ``events_per_op`` events each."""

    name: str
    operation: Callable[[T], object]
    make_item: Callable[[], T]
    events_per_op: int = 1
    threads: int = 1
    ops_per_round: int = 0  # set by the warm-up calibration
    rates: list[float] = field(default_factory=list)  # events/s, one per round
    seconds: list[float] = field(default_factory=list)
    error: str = ""

    @property
    def rate(self) -> float | None:
        return statistics.median(self.rates) if self.rates and not self.error else None

    @property
    def spread(self) -> float:
        """Half the range of the rounds, relative to the median."""
        rate = self.rate
        if not rate or len(self.rates) < 2:
            return 0.0
        return (max(self.rates) - min(self.rates)) / 2 / rate

    def run(self, count: int) -> float:
        """Run ``count`` operations (items made beforehand, untimed); return seconds."""
        per_thread = [
            [self.make_item() for _ in range(count // self.threads)] for _ in range(self.threads)
        ]
        if self.threads == 1:
            started = time.perf_counter()
            for item in per_thread[0]:
                self.operation(item)
            return time.perf_counter() - started

        barrier = threading.Barrier(self.threads + 1)
        errors: list[BaseException] = []

        def writer(items: list[T]) -> None:
            barrier.wait()
            try:
                for item in items:
                    self.operation(item)
            except BaseException as e:  # reported by the main thread
                errors.append(e)

        workers = [
            threading.Thread(target=writer, args=(items,), daemon=True) for items in per_thread
        ]
        for worker in workers:
            worker.start()
        barrier.wait()
        started = time.perf_counter()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        if errors:
            raise errors[0]
        return elapsed

    def warm_up(self, plan: Plan) -> None:
        """Run for ``plan.warmup_seconds``; size the rounds from the last chunk's rate.

        The chunks double, so the last one is half the warm-up and the least
        disturbed by first-use costs (connections, caches, new files).
        """
        chunk = max(self.threads, 4)
        elapsed = last = 0.0
        while elapsed < plan.warmup_seconds:
            last = self.run(chunk)
            elapsed += last
            chunk *= 2
        ops = math.ceil(chunk / 2 / last * plan.round_seconds)
        ops = max(ops, plan.min_ops)
        self.ops_per_round = math.ceil(ops / self.threads) * self.threads

    def measure_round(self) -> None:
        elapsed = self.run(self.ops_per_round)
        self.seconds.append(elapsed)
        self.rates.append(self.ops_per_round * self.events_per_op / elapsed)


# ---------------------------------------------------------------- workloads


def new_event(originator_id: uuid.UUID | None = None, version: int = 1) -> StoredEvent:
    return StoredEvent(
        originator_id=originator_id or uuid.uuid4(),
        originator_version=version,
        topic=TOPIC,
        state=STATE,
    )


def new_batch() -> list[StoredEvent]:
    originator_id = uuid.uuid4()
    return [new_event(originator_id, version) for version in range(1, BATCH + 1)]


def new_doc() -> dict[str, Any]:
    return {
        "originator_id": uuid.uuid4(),
        "originator_version": 1,
        "topic": TOPIC,
        "state": STATE,
    }


@dataclass(frozen=True)
class RecorderWorkload:
    key: str
    title: str
    make_item: Callable[[], list[StoredEvent]]
    events_per_op: int = 1
    threads: int = 1


RECORDER_WORKLOADS = (
    RecorderWorkload(
        "single", "single-event inserts (insert_events with 1 event)", lambda: [new_event()]
    ),
    RecorderWorkload("batch", f"{BATCH}-event batches (events/s)", new_batch, BATCH),
    RecorderWorkload(
        "writers",
        f"{WRITERS} writer threads x {BATCH}-event batches (events/s)",
        new_batch,
        BATCH,
        WRITERS,
    ),
)


def recorder_figures(
    label: str, make_recorder: Callable[[str], ApplicationRecorder] | None, error: str = ""
) -> list[Figure[list[StoredEvent]]]:
    """The recorder figures of one backend, each on its own fresh table/collection.

    ``make_recorder(key)`` gives a recorder on a fresh, empty table/collection;
    without one, the figures are marked unavailable with ``error``.
    """
    figures = []
    for w in RECORDER_WORKLOADS:
        operation = make_recorder(w.key).insert_events if make_recorder else _unavailable
        figures.append(
            Figure(
                f"{label}: {w.title}",
                operation,
                w.make_item,
                w.events_per_op,
                w.threads,
                error=error,
            )
        )
    return figures


def _unavailable(stored_events: Sequence[StoredEvent]) -> None:
    raise NotImplementedError


# ----------------------------------------------------------------- servers


@contextlib.contextmanager
def embedded_mongo() -> Iterator[str]:
    """The embedded store as `make up` runs it (SecantusDB, sync on commit,
    no retryable writes; see pawline.testing.embedded_store), on a free port
    with a temp storage dir; always stopped."""
    with tempfile.TemporaryDirectory(prefix="bench-secantus-") as tmp:
        store = EmbeddedStore(free_port(), Path(tmp) / "data", Path(tmp) / "secantusd.log")
        with store:
            yield store.uri


@dataclass(frozen=True)
class PgSettings:
    host: str
    port: int
    user: str
    password: str
    dbname: str

    @classmethod
    def from_env(cls) -> PgSettings:
        """The library's own variable names; defaults for the local dev server."""
        env = os.environ.get
        return cls(
            host=env("POSTGRES_HOST", "127.0.0.1"),
            port=int(env("POSTGRES_PORT", "5432")),
            user=env("POSTGRES_USER", "postgres"),
            password=env("POSTGRES_PASSWORD", ""),
            dbname=env("POSTGRES_DBNAME", "test"),
        )

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=self.dbname,
            autocommit=True,
            connect_timeout=5,
        )


@contextlib.contextmanager
def postgres_schema(pg: PgSettings, name: str) -> Iterator[tuple[str, str]]:
    """A dedicated schema for the run, dropped afterwards.

    Yields the server's version and durability settings.
    """
    with pg.connect() as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        settings = [
            str(conn.execute(f"SHOW {setting}").fetchone()[0])  # type: ignore[index]
            for setting in ("server_version", "fsync", "synchronous_commit")
        ]
    try:
        yield settings[0], f"fsync={settings[1]}, synchronous_commit={settings[2]}"
    finally:
        with pg.connect() as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


# --------------------------------------------------------------- reporting


@dataclass
class Machine:
    when: str
    cpu: str
    cores: int
    ram: str
    python: str
    versions: str
    mongo_server: str
    clients: str = ""
    others: str = ""
    load: str = ""


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def ram_total() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def version_of(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def uri_hosts(uri: str) -> str:
    """The hosts of a MongoDB URI, never its credentials (no DNS lookup)."""
    rest = uri.split("://", 1)[-1]
    hosts = re.split(r"[/?]", rest, maxsplit=1)[0]
    return hosts.rsplit("@", 1)[-1]


def mongo_clients(embedded: bool, *clients: MongoClient[dict[str, Any]]) -> str:
    """How the baseline's and the recorder's clients write, as far as it matters here."""
    retry = {c.options.retry_writes for c in clients}
    if retry == {False}:
        how = RETRY_NOTE if embedded else "retryable writes off for both clients (in the URI)"
    elif retry == {True}:
        how = "retryable writes on for both clients (driver default)"
    else:
        how = "retryable writes differ between the clients"
    return f"write concern majority, one client for the baseline and one for the recorder; {how}"


def fmt_rate(rate: float | None, unit: str = "ev/s") -> str:
    return "n/a" if rate is None else f"{rate:,.0f} {unit}"


def fmt_ratio(rate: float | None, baseline: float | None) -> str:
    return "n/a" if rate is None or not baseline else f"{rate / baseline:.0%}"


def render(
    machine: Machine,
    baseline: Figure[Any],
    baseline_mt: Figure[Any],
    by_backend: dict[str, list[Figure[Any]]],
    plan: Plan,
    quick: bool,
) -> str:
    base = baseline.rate
    mongo = by_backend["Mongo (ours)"]
    targets: list[tuple[float | None, str]] = [
        (SINGLE_TARGET, f"≥ {SINGLE_TARGET:.0%}"),
        (BATCH_TARGET, f"≥ {BATCH_TARGET:.0%}"),
        (None, "—"),
    ]
    figure_names = [w.title for w in RECORDER_WORKLOADS]
    lines = [
        SECTION_TITLE,
        "",
        f"- Date: {machine.when}"
        + (" — **--quick smoke run, not a real measurement**" if quick else ""),
        f"- Machine: {machine.cpu}, {machine.cores} cores, {machine.ram} RAM; "
        f"load average at start {machine.load}",
        f"- Python {machine.python}; {machine.versions}",
        f"- Mongo server: {machine.mongo_server}",
        f"- Mongo clients: {machine.clients}",
        f"- SQL recorders: {machine.others}",
        f"- Method: per figure a {plan.warmup_seconds:g} s warm-up (which also sizes the "
        f"rounds), then {plan.rounds} timed round(s) of a fixed number of operations "
        f"(~{plan.round_seconds:g} s each), rounds interleaved across figures; the figure is "
        "the median round (± is half the spread of the rounds); every other round runs the "
        "figures in reverse order. Event: new originator "
        f"(uuid4), topic of {len(TOPIC)} chars, state of {len(STATE)} bytes. "
        "Each backend gets a fresh database/schema/file, dropped afterwards.",
        f"- Baseline: raw pymongo `insert_one`, 1 thread, write concern majority, fresh "
        "collection with the unique (originator_id, originator_version) index: "
        f"**{fmt_rate(base, 'docs/s')}**{fmt_spread(baseline)}",
        "",
        "| figure | ours | baseline | ratio | target | met? |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for name, fig, (target, target_text) in zip(figure_names, mongo, targets, strict=True):
        rate = fig.rate
        met = "—"
        if target is not None:
            met = (
                "n/a"
                if rate is None or not base
                else ("yes" if rate / base >= target else "**no**")
            )
        lines.append(
            f"| {name} | {fmt_rate(rate)}{fmt_spread(fig)} | {fmt_rate(base, 'docs/s')} | "
            f"{fmt_ratio(rate, base)} | {target_text} | {met} |"
        )
    lines += [
        "",
        f"For reference, raw `insert_one` with {WRITERS} threads on one client: "
        f"{fmt_rate(baseline_mt.rate, 'docs/s')}{fmt_spread(baseline_mt)} "
        f"({fmt_ratio(baseline_mt.rate, base)} of the baseline). The {WRITERS} writers share "
        "one recorder, as an application's threads do.",
        "",
        "Recorders side by side (ratio to the Mongo raw `insert_one` baseline above):",
        "",
        "| figure | " + " | ".join(by_backend) + " |",
        "|---|" + "---:|" * len(by_backend),
    ]
    for i, name in enumerate(figure_names):
        cells = []
        for figures in by_backend.values():
            fig = figures[i]
            cell = f"{fmt_rate(fig.rate)} ({fmt_ratio(fig.rate, base)})"
            cells.append(f"n/a ({fig.error})" if fig.error else cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    ops = "; ".join(
        f"{fig.name}: {fig.ops_per_round} ops/round, {sum(fig.seconds):.1f} s timed in all"
        for fig in [baseline, baseline_mt, *(f for fs in by_backend.values() for f in fs)]
        if not fig.error
    )
    lines += ["", f"<details><summary>Operations timed</summary>\n\n{ops}\n\n</details>"]
    return "\n".join(lines) + "\n"


def fmt_spread(fig: Figure[Any]) -> str:
    return f" ± {fig.spread:.0%}" if fig.spread else ""


def write_section(path: Path, section: str, title: str = SECTION_TITLE) -> None:
    """Replace the section headed ``title`` of ``path`` (up to the next '## '),
    or add it; each benchmark writes its own section of the same file."""
    text = path.read_text() if path.exists() else FILE_HEADER
    heading = re.compile(rf"^{re.escape(title)}[ \t]*$", re.MULTILINE)
    found = heading.search(text)
    if found is None:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        following = re.compile(r"^## ", re.MULTILINE).search(text, found.end())
        end = following.start() if following else len(text)
        rest = text[end:]
        text = text[: found.start()] + section + ("\n" + rest if rest else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# --------------------------------------------------------------------- run


def run_rounds(figures: Sequence[Figure[Any]], plan: Plan) -> None:
    """Warm up every figure, then time the rounds, interleaving the figures.

    Odd rounds go in reverse order, so a slow drift of the machine or the
    server weighs the same on every figure.
    """
    for fig in figures:
        if fig.error:
            continue
        print(f"  warming up {fig.name}", flush=True)
        try:
            fig.warm_up(plan)
        except Exception as e:
            fig.error = f"{type(e).__name__}: {e}"
            print(f"    failed: {fig.error}", file=sys.stderr)
    for round_no in range(1, plan.rounds + 1):
        for fig in figures if round_no % 2 else reversed(figures):
            if fig.error:
                continue
            fig.measure_round()
            print(
                f"  round {round_no}: {fig.name}: {fig.rates[-1]:,.0f} ev/s "
                f"({fig.ops_per_round} ops in {fig.seconds[-1]:.2f} s)",
                flush=True,
            )


def benchmark(uri: str, embedded: bool, plan: Plan, quick: bool, output: Path) -> None:
    run_id = uuid.uuid4().hex[:8]
    database = f"bench_eventstore_{run_id}"
    schema = f"bench_eventstore_{run_id}"
    pg = PgSettings.from_env()

    with contextlib.ExitStack() as stack:
        client: MongoClient[dict[str, Any]] = MongoClient(
            uri, uuidRepresentation="standard", serverSelectionTimeoutMS=10_000
        )
        stack.callback(client.close)
        stack.callback(client.drop_database, database)
        server_version = client.admin.command("buildInfo").get("version", "?")
        raw_db = client.get_database(database, write_concern=WriteConcern("majority"))

        def raw_collection(name: str) -> Any:
            coll = raw_db[name]
            coll.create_index(
                [("originator_id", 1), ("originator_version", 1)],
                unique=True,
                name="originator_id_version",
            )
            return coll

        baseline: Figure[dict[str, Any]] = Figure(
            "raw insert_one", raw_collection("raw_single").insert_one, new_doc
        )
        baseline_mt: Figure[dict[str, Any]] = Figure(
            f"raw insert_one x {WRITERS} threads",
            raw_collection("raw_threads").insert_one,
            new_doc,
            threads=WRITERS,
        )

        datastore = MongoDatastore(uri, database)  # default MONGO_TIMEOUT, as deployed
        stack.callback(datastore.close)

        def mongo_recorder(name: str) -> ApplicationRecorder:
            recorder = MongoApplicationRecorder(datastore, f"ours_{name}")
            recorder.create_table()
            return recorder

        mongo_figures = recorder_figures("mongo", mongo_recorder)

        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-sqlite-")))

        sqlite_sync: list[str] = []

        def sqlite_recorder(name: str) -> ApplicationRecorder:
            store = SQLiteDatastore(str(tmp / f"{name}.db"), pool_size=WRITERS + 1)
            stack.callback(store.close)
            recorder = SQLiteApplicationRecorder(store)
            recorder.create_table()
            with store.transaction(commit=False) as cursor:
                cursor.execute("PRAGMA synchronous")
                level = int(cursor.fetchone()[0])
            sqlite_sync.append(SQLITE_SYNCHRONOUS.get(level, str(level)))
            return recorder

        sqlite_figures = recorder_figures("sqlite", sqlite_recorder)

        def pg_recorder(name: str) -> ApplicationRecorder:
            store = PostgresDatastore(
                dbname=pg.dbname,
                host=pg.host,
                port=pg.port,
                user=pg.user,
                password=pg.password,
                schema=schema,
                pool_size=WRITERS + 1,
            )
            stack.callback(store.close)
            recorder = PostgresApplicationRecorder(store, events_table_name=f"events_{name}")
            recorder.create_table()
            return recorder

        try:
            pg_version, pg_durability = stack.enter_context(postgres_schema(pg, schema))
            pg_figures = recorder_figures("postgres", pg_recorder)
            pg_about = (
                f"PostgreSQL {pg_version} at {pg.host}:{pg.port}, dedicated schema, {pg_durability}"
            )
        except psycopg.Error as e:
            print(f"PostgreSQL unavailable, skipping it: {e}", file=sys.stderr)
            pg_version = "unavailable"
            pg_figures = recorder_figures("postgres", None, "PostgreSQL unavailable")
            pg_about = f"PostgreSQL at {pg.host}:{pg.port} unavailable"

        by_backend = {
            "Mongo (ours)": mongo_figures,
            f"SQLite {sqlite3.sqlite_version} (file, WAL)": sqlite_figures,
            f"PostgreSQL {pg_version.split(maxsplit=1)[0].rstrip(',')}": pg_figures,
        }
        machine = Machine(
            when=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            cpu=cpu_model(),
            cores=os.cpu_count() or 0,
            ram=ram_total(),
            python=platform.python_version(),
            versions=", ".join(
                f"{name} {version_of(name)}"
                for name in ("pymongo", "eventsourcing", "SecantusDB", "psycopg")
            ),
            mongo_server=(
                f"embedded SecantusDB {version_of('SecantusDB')} (started by the benchmark as "
                f"`make up` does: storage in a temp dir on the local disk, sync on commit; "
                f"reports version {server_version})"
                if embedded
                else f"{uri_hosts(uri)} (reports version {server_version})"
            ),
            clients=mongo_clients(embedded, client, datastore.client),
            others=f"SQLite {sqlite3.sqlite_version}, temp file on the local disk, WAL, "
            f"synchronous={'/'.join(sorted(set(sqlite_sync)))}; {pg_about}",
            load=" / ".join(f"{x:.2f}" for x in os.getloadavg()),
        )

        figures: list[Figure[Any]] = [
            baseline,
            baseline_mt,
            *mongo_figures,
            *sqlite_figures,
            *pg_figures,
        ]
        print(f"Benchmarking against {machine.mongo_server}", flush=True)
        run_rounds(figures, plan)
        section = render(machine, baseline, baseline_mt, by_backend, plan, quick)

    write_section(output, section)
    print(f"\nWrote {output}\n\n{section}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--mongo-uri",
        default=os.environ.get("MONGO_URI"),
        help="MongoDB to measure (default: start an embedded SecantusDB)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"Markdown file to update (default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--quick", action="store_true", help="few operations, for a smoke test (< 30 s)"
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL

    # Let SIGTERM unwind like Ctrl-C, so the embedded server is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    with contextlib.ExitStack() as stack:
        uri = args.mongo_uri or stack.enter_context(embedded_mongo())
        benchmark(uri, embedded=not args.mongo_uri, plan=plan, quick=args.quick, output=args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
