"""Benchmark of the gateway (issue 4) against a bare nameko ``@http`` hello world.

Measures, in one run on this machine, requests per second and p99 latency of:

1. baseline: ``GET /hello`` of ``HelloService`` below, a nameko service with
   one ``@http`` entrypoint returning a short string (no checks, no I/O);
2. the gateway's ``GET /health/ready`` (the broker, its store, and an RPC
   ``ping`` of the one service it is told it needs, ``booking``);
3. the gateway's ``GET /v1/business`` with a business's API key (credentials
   and the business's document, looked up in the store together at most once
   per 10 s per key, rate limit, one worker, the business dumped by its
   schema);
4. for reference, the gateway's ``GET /health/live`` (the frame alone).

Each service runs as ``nameko run`` in its own process, as ``make up`` runs
them, on a fresh RabbitMQ vhost and an embedded SecantusDB started for the
run. Load comes from ``wrk`` (Debian package; installed with apt-get if
missing and allowed), a separate process: one thread, ``--connections``
keep-alive connections. Each figure gets a warm-up, then timed rounds
interleaved across figures (every other round in reverse order); a figure is
its median round. Results replace the "## Gateway (issue 4)" section of the
output file.

Usage::

    python bench/bench_gateway.py [--output bench/results.md] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nameko.web.handlers import http

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SECTION_TITLE = "## Gateway (issue 4)"
TARGET_RATIO = 0.60
DEFAULT_AMQP_URI = "pyamqp://guest:guest@127.0.0.1:5672/"
DEFAULT_CTL_URI = "http://guest:guest@127.0.0.1:15672"
OPERATOR_KEY = "bench-operator-" + uuid.uuid4().hex
QUIET_LOGGING = {"version": 1, "root": {"level": "WARNING"}}


class HelloService:
    """The baseline: nameko's ``@http`` and nothing else."""

    name = "hello"

    @http("GET", "/hello")
    def hello(self, request: object) -> str:
        return "hello"


# ----------------------------------------------------------------- processes


@dataclass
class Figure:
    name: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    rates: list[float] = field(default_factory=list)
    p99s_ms: list[float] = field(default_factory=list)
    bad_answers: int = 0

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)

    @property
    def p99_ms(self) -> float:
        return statistics.median(self.p99s_ms)

    @property
    def spread(self) -> float:
        return (max(self.rates) - min(self.rates)) / 2 / self.rate if self.rate else 0.0


def free_port() -> int:
    from pawline.testing.embedded_store import free_port as pick  # noqa: PLC0415

    return pick()


@contextlib.contextmanager
def run_vhost() -> Iterator[str]:
    """A vhost of the run's own (the platform may be up on '/'); its AMQP URI."""
    from pawline.testing.rabbit import management_request  # noqa: PLC0415

    ctl = os.environ.get("RABBIT_CTL_URI") or DEFAULT_CTL_URI
    base = urllib.parse.urlsplit(os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI)
    name = f"bench_gateway_{uuid.uuid4().hex[:8]}"
    user = urllib.parse.quote(base.username or "guest", safe="")
    management_request(ctl, f"/api/vhosts/{name}", "PUT", {})
    try:
        all_rights = {"configure": ".*", "write": ".*", "read": ".*"}
        management_request(ctl, f"/api/permissions/{name}/{user}", "PUT", all_rights)
        yield urllib.parse.urlunsplit(base._replace(path=f"/{name}"))
    finally:
        with contextlib.suppress(urllib.error.URLError, OSError):
            management_request(ctl, f"/api/vhosts/{name}", "DELETE")


@contextlib.contextmanager
def nameko_process(
    target: str, config: Path, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(VENV_BIN / "nameko"), "run", "--config", str(config), target],
            cwd=ROOT / "bench" if target.startswith("bench_gateway") else ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 5) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, OSError) as e:
        return 0, str(e)


def wait_for(url: str, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while get(url)[0] != 200:
        if time.monotonic() > deadline:
            msg = f"{what} did not answer 200 at {url} within {seconds:g} s"
            raise RuntimeError(msg)
        time.sleep(0.5)


def register_business(gateway: str) -> str:
    body = json.dumps(
        {"name": "Bench Paws", "timezone": "Europe/Paris", "currency": "EUR", "tax_rate_bp": 2000}
    ).encode()
    request = urllib.request.Request(
        f"{gateway}/v1/businesses",
        data=body,
        headers={"Authorization": f"Bearer {OPERATOR_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return str(json.loads(reply.read())["api_key"])


# ---------------------------------------------------------------------- wrk


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        msg = "wrk is missing: install it (Debian/Ubuntu: apt-get install wrk)"
        raise RuntimeError(msg)
    print("installing wrk (Debian package)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([apt, "update", "-q"], env=env, check=True)
    subprocess.run([apt, "install", "-y", "-q", "wrk"], env=env, check=True)
    return shutil.which("wrk") or "wrk"


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(wrk: str, figure: Figure, seconds: float, connections: int) -> tuple[float, float, int]:
    """(requests/s, p99 in ms, answers other than 2xx/3xx) of one run."""
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s"]
    for name, value in figure.headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, figure.url], capture_output=True, text=True, check=True
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if rate is None or p99 is None:
        msg = f"could not read wrk's output:\n{output}"
        raise RuntimeError(msg)
    return (
        float(rate.group(1)),
        float(p99.group(1)) * UNITS_MS[p99.group(2)],
        int(bad.group(1)) if bad else 0,
    )


@dataclass(frozen=True)
class Plan:
    warmup: float
    round_seconds: float
    rounds: int
    connections: int


def measure(wrk: str, figures: Sequence[Figure], plan: Plan) -> None:
    for figure in figures:
        print(f"  warming up {figure.name}", flush=True)
        run_wrk(wrk, figure, plan.warmup, plan.connections)
    for round_number in range(plan.rounds):
        order = figures if round_number % 2 == 0 else list(reversed(figures))
        for figure in order:
            rate, p99, bad = run_wrk(wrk, figure, plan.round_seconds, plan.connections)
            figure.rates.append(rate)
            figure.p99s_ms.append(p99)
            figure.bad_answers += bad
        print(f"  round {round_number + 1}/{plan.rounds} done", flush=True)


# ------------------------------------------------------------------- report


def render(
    baseline: Figure, figures: Sequence[Figure], reference: Figure, plan: Plan, about: str
) -> str:
    def row(figure: Figure, target: bool) -> str:
        ratio = figure.rate / baseline.rate if baseline.rate else 0.0
        met = ("yes" if ratio >= TARGET_RATIO else "no") if target else "—"
        goal = f"≥ {TARGET_RATIO:.0%}" if target else "—"
        return (
            f"| {figure.name} | {figure.rate:,.0f} req/s ± {figure.spread:.0%} | "
            f"{figure.p99_ms:.1f} ms | {ratio:.0%} | {goal} | {met} | {figure.bad_answers} |"
        )

    lines = [
        SECTION_TITLE,
        "",
        about,
        f"- Method: `wrk -t1 -c{plan.connections} --latency` in a process of its own, per "
        f"figure a {plan.warmup:g} s warm-up, then {plan.rounds} round(s) of "
        f"{plan.round_seconds:g} s interleaved across figures (every other round in "
        "reverse order); a figure is its median round (± half the spread of the rounds), "
        "p99 the median of the rounds' p99.",
        f"- Baseline: `GET /hello` of a bare nameko `@http` service (`HelloService` in "
        f"`bench/bench_gateway.py`): **{baseline.rate:,.0f} req/s** ± {baseline.spread:.0%}, "
        f"p99 {baseline.p99_ms:.1f} ms",
        "",
        "| figure | gateway | p99 | ratio to baseline | target | met? | non-2xx |",
        "|---|---:|---:|---:|---:|:---:|---:|",
        *(row(f, target=True) for f in figures),
        row(reference, target=False),
        "",
    ]
    return "\n".join(lines)


def machine() -> str:
    from bench_eventstore import cpu_model, ram_total, version_of  # noqa: PLC0415

    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    first = (wrk_version.stdout or wrk_version.stderr).splitlines()[:1]
    return "\n".join(
        [
            f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
            f"- Machine: {cpu_model()}, {os.cpu_count()} cores, {ram_total()} RAM; "
            f"load average {load} at the start, {{end_load}} at the end",
            f"- Python {sys.version.split()[0]}; nameko {version_of('nameko')}, "
            f"eventlet {version_of('eventlet')}, Werkzeug {version_of('Werkzeug')}, "
            f"pymongo {version_of('pymongo')}, limits {version_of('limits')}; "
            f"{first[0] if first else 'wrk'}",
            "- Gateway: `nameko run` of `gateway.service:GatewayService` (config.yaml, log "
            "level WARNING, rate limits raised out of the way), store: embedded SecantusDB "
            "started for the run, broker: RabbitMQ on this machine, a fresh vhost; `booking` "
            "runs beside it for the readiness ping",
        ]
    )


def benchmark(plan: Plan, output: Path) -> None:
    from bench_eventstore import embedded_mongo, write_section  # noqa: PLC0415

    wrk = ensure_wrk()
    about = machine()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-gateway-")))
        store_uri = stack.enter_context(embedded_mongo())
        amqp_uri = stack.enter_context(run_vhost())
        hello_config = tmp / "hello.yaml"
        hello_port, gateway_port, booking_port = free_port(), free_port(), free_port()
        hello_config.write_text(
            json.dumps(
                {
                    "AMQP_URI": amqp_uri,
                    "WEB_SERVER_ADDRESS": f"127.0.0.1:{hello_port}",
                    "LOGGING": QUIET_LOGGING,
                }
            )
        )
        common = {"AMQP_URI": amqp_uri, "MONGO_URI": store_uri, "LOG_LEVEL": "WARNING"}
        stack.enter_context(
            nameko_process("bench_gateway:HelloService", hello_config, {}, tmp / "hello.log")
        )
        stack.enter_context(
            nameko_process(
                "booking.service:BookingService",
                ROOT / "services/booking/config.yaml",
                {**common, "WEB_SERVER_ADDRESS": f"127.0.0.1:{booking_port}"},
                tmp / "booking.log",
            )
        )
        stack.enter_context(
            nameko_process(
                "gateway.service:GatewayService",
                ROOT / "services/gateway/config.yaml",
                {
                    **common,
                    "WEB_SERVER_ADDRESS": f"127.0.0.1:{gateway_port}",
                    "PAWLINE_ADMIN_KEY": OPERATOR_KEY,
                    "GATEWAY_NEEDS": "booking",
                    "RATE_LIMIT_PER_CALLER": "1000000/second",
                    "RATE_LIMIT_PER_ADDRESS": "1000000/second",
                },
                tmp / "gateway.log",
            )
        )
        hello = f"http://127.0.0.1:{hello_port}"
        gateway = f"http://127.0.0.1:{gateway_port}"
        wait_for(f"{hello}/hello", "the hello-world service")
        wait_for(f"{gateway}/health/ready", "the gateway (ready)")
        api_key = register_business(gateway)
        baseline = Figure("hello world", f"{hello}/hello")
        ready = Figure("`GET /health/ready`", f"{gateway}/health/ready")
        read = Figure(
            "`GET /v1/business` (API key)",
            f"{gateway}/v1/business",
            {"Authorization": f"Bearer {api_key}"},
        )
        live = Figure(
            "`GET /health/live` (the frame alone, for reference)", f"{gateway}/health/live"
        )
        measure(wrk, [baseline, ready, read, live], plan)
        for log in sorted(tmp.glob("*.log")):
            text = log.read_text(errors="replace")
            if "Traceback" in text:
                print(f"{log.name} logged errors:\n{text[-3000:]}", flush=True)
    end_load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    about = about.replace("{end_load}", end_load)
    section = render(baseline, [ready, read], live, plan, about) + (
        "\nThe authenticated read checks the key, charges the caller's rate limit, runs "
        "one worker and dumps the business with its schema. The key and its business's "
        "document are looked up in the store together, at most once per 10 s per key "
        "(the gateway's documented cache), so no request waits on the store. "
        "`/health/ready` makes its checks at most once a second.\n"
    )
    print(section)
    write_section(output, section, SECTION_TITLE)
    print(f"wrote {SECTION_TITLE!r} to {output}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.md")
    parser.add_argument("--quick", action="store_true", help="short rounds, to try it out")
    parser.add_argument("--connections", type=int, default=10)
    args = parser.parse_args(argv)
    plan = (
        Plan(warmup=1, round_seconds=2, rounds=1, connections=args.connections)
        if args.quick
        else Plan(warmup=2, round_seconds=5, rounds=5, connections=args.connections)
    )
    benchmark(plan, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
