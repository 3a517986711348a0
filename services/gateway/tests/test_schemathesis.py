"""schemathesis against the running gateway's /openapi.json: no 5xx, and
every answer as documented (status, headers, content type, schema).

The gateway runs in this process (nameko's container, real broker and
store) with the real staff service beside it; schemathesis runs as a CLI
child process, waited on through eventlet's green subprocess so the gateway
keeps serving meanwhile. Twice: with the operator key (the operator's
routes), and with a business's API key (the business's routes, the staff
service doing the work)."""

from __future__ import annotations

import sys
from pathlib import Path

from eventlet.green import subprocess

from .conftest import OPERATOR_KEY, register

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CONFIG = Path(__file__).with_name("schemathesis.toml")
BUDGET = 80  # seconds: each run stays well under two minutes
UNLIMITED = {"RATE_LIMIT_PER_CALLER": "100000/second", "RATE_LIMIT_PER_ADDRESS": "100000/second"}


def test_schemathesis_with_the_operator_key(start_gateway, staff, web_config_port, tmp_path):
    start_gateway(**UNLIMITED)
    run_schemathesis(web_config_port, OPERATOR_KEY, tmp_path)


def test_schemathesis_with_a_business_key(
    start_gateway, staff, web_config_port, http_session, tmp_path
):
    start_gateway(**UNLIMITED)
    business = register(http_session)
    run_schemathesis(web_config_port, business["api_key"], tmp_path)


def run_schemathesis(web_config_port: int, key: str, tmp_path: Path) -> None:
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        f"http://127.0.0.1:{web_config_port}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {key}",
        "--max-examples",
        "15",
        "--workers",
        "1",
        "--max-time",
        "40",
        # dates are documented as format "date" with a pattern for 1900-2999:
        # hypothesis makes dates of any year and filters, which its health
        # check reports as filtering too much; the filter is the point
        "--suppress-health-check",
        "filter_too_much",
        "--request-timeout",
        "10",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
        "--no-color",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path
    )
    try:
        output, _ = process.communicate(timeout=BUDGET)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"schemathesis ran over {BUDGET} s:\n{output[-5000:]}") from None
    assert process.returncode == 0, output[-8000:]
    assert "No issues found" in output or "passed" in output, output[-3000:]
