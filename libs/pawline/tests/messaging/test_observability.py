"""Every service answers /metrics (valid for promtool), /health/ready, and logs
JSON lines that carry the correlation and causation ids across services."""

from __future__ import annotations

import io
import json
import logging
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
from nameko.standalone.rpc import ServiceRpcProxy
from prometheus_client.parser import text_string_to_metric_families
from pythonjsonlogger.json import JsonFormatter

from pawline.logging import MessageContextFilter
from pawline.testing.embedded_store import EmbeddedStore, free_port

from .conftest import wait_for
from .kit_services import PayrollService, StaffService


def start(container_factory: Any, service_cls: type, config: dict[str, Any]) -> str:
    port = free_port()
    container = container_factory(
        service_cls, {**config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    )
    container.start()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def platform(container_factory, service_config):
    staff_config, payroll_config = service_config(), service_config()
    staff_url = start(container_factory, StaffService, staff_config)
    payroll_url = start(container_factory, PayrollService, payroll_config)
    return staff_config, staff_url, payroll_config, payroll_url


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail(
            "promtool is not installed: `make test` installs it (Debian package prometheus);"
            " or run apt-get install prometheus"
        )
    return found


def sample(url: str, name: str, **labels: str) -> float:
    """A sample's value in a service's /metrics (0 if absent)."""
    text = requests.get(f"{url}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def test_metrics_pass_promtool_and_count_the_flow(platform):
    staff_config, staff_url, payroll_config, payroll_url = platform
    # Counters are process-wide: earlier tests may have counted too.
    published = sample(
        staff_url, "pawline_events_published_total", service="staff", type="EmployeeHired"
    )
    applied = sample(
        payroll_url, "pawline_events_applied_total", service="payroll", type="EmployeeHired"
    )
    handled = sample(payroll_url, "pawline_handler_seconds_count", service="payroll")
    with ServiceRpcProxy("staff", staff_config) as proxy:
        proxy.hire_many(3)
    with ServiceRpcProxy("payroll", payroll_config) as proxy:
        wait_for(lambda: len(proxy.applied()) == 3, what="3 applied")

    for url in (staff_url, payroll_url):
        text = requests.get(f"{url}/metrics", timeout=5).text
        check = subprocess.run(
            [promtool(), "check", "metrics"],
            input=text,
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr

    published_now = sample(
        staff_url, "pawline_events_published_total", service="staff", type="EmployeeHired"
    )
    assert published_now == published + 3
    assert sample(staff_url, "pawline_lease_held", service="staff", lease="relay") == 1
    appended = sample(
        staff_url, "pawline_events_appended_total", service="staff", type="EmployeeHired"
    )
    assert appended >= 3
    assert sample(staff_url, "pawline_relay_lag_seconds", service="staff") >= 0
    assert sample(staff_url, "staff_rpc_requests_total", method_name="hire_many") == 1
    applied_now = sample(
        payroll_url, "pawline_events_applied_total", service="payroll", type="EmployeeHired"
    )
    assert applied_now == applied + 3
    assert sample(payroll_url, "pawline_handler_seconds_count", service="payroll") == handled + 3
    text = requests.get(f"{payroll_url}/metrics", timeout=5).text
    assert 'pawline_inbox_lag_seconds{service="payroll",source="staff"}' in text


def test_ready_when_broker_store_relay_and_processor_run(platform):
    _, staff_url, _, payroll_url = platform
    staff = requests.get(f"{staff_url}/health/ready", timeout=10)
    assert staff.status_code == 200, staff.text
    assert staff.json()["checks"] == {"broker": "ok", "store": "ok", "relay": "ok"}
    payroll = wait_for(
        lambda: (r := requests.get(f"{payroll_url}/health/ready", timeout=10)).ok and r,
        what="payroll ready",
    )
    assert payroll.json()["checks"] == {
        "broker": "ok", "store": "ok", "processor": "ok", "inbox.staff": "ok",
    }  # fmt: skip


def test_not_ready_while_the_store_is_down(container_factory, rabbit_config, tmp_path: Path):
    store = EmbeddedStore(free_port(), tmp_path / "data", tmp_path / "store.log")
    with store:
        config = {
            **rabbit_config,
            "MONGO_URI": store.uri,
            "MONGO_DATABASE": "staff",
            "MONGO_TIMEOUT": 1,
        }
        url = start(container_factory, StaffService, config)
        assert requests.get(f"{url}/health/ready", timeout=10).status_code == 200
        store.kill()
        down = requests.get(f"{url}/health/ready", timeout=10)
        assert down.status_code == 503
        assert down.json()["checks"]["store"].startswith("does not answer")
        assert down.json()["checks"]["broker"] == "ok"
        assert requests.get(f"{url}/health/live", timeout=10).status_code == 200
        store.start()
        wait_for(lambda: requests.get(f"{url}/health/ready", timeout=10).ok, what="ready again")


@pytest.fixture
def json_log() -> Any:
    """What the services log, as their config.yaml formats it: JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MessageContextFilter())
    handler.setFormatter(
        JsonFormatter("%(levelname)s %(name)s %(message)s %(correlation_id)s %(causation_id)s")
    )
    logger = logging.getLogger("kit_services")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_log_lines_carry_the_correlation_id_across_services(platform, json_log):
    staff_config, _, payroll_config, _ = platform
    correlation = "5f2a7c1e-0b9d-4e3f-8a6b-1c2d3e4f5a6b"
    with ServiceRpcProxy(
        "staff", staff_config, context_data={"correlation_id": correlation}
    ) as proxy:
        employee_id = proxy.hire("Ada")
    with ServiceRpcProxy("payroll", payroll_config) as proxy:
        wait_for(proxy.applied, what="applied")
    with ServiceRpcProxy("staff", staff_config) as proxy:
        envelope = proxy.get_notifications(0, 10)["notifications"][0]

    lines = json_log()
    hired = next(line for line in lines if line["message"] == f"hired {employee_id}")
    assert (hired["correlation_id"], hired["causation_id"]) == (correlation, None)
    recording = next(
        line for line in lines if line["message"].startswith("recording EmployeeHired")
    )
    assert (recording["correlation_id"], recording["causation_id"]) == (correlation, envelope["id"])
    assert envelope["correlation_id"] == correlation
