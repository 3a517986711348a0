"""The gateway as a new user meets it after `make up`: register a business
with the printed operator key, then use the business's API key. Real
processes, real broker and store, HTTP with requests only."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import requests

from .conftest import devstack

BUSINESS = {
    "name": "Happy Paws",
    "timezone": "Europe/Paris",
    "currency": "EUR",
    "tax_rate_bp": 2000,
}


def printed_operator_key(stdout: str) -> str:
    found = re.search(r"Platform operator key \(PAWLINE_ADMIN_KEY, [^)]*\):\n\s+(\S+)", stdout)
    assert found, stdout
    return found.group(1)


def wait_until_ready(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        reply = requests.get(f"{base}/health/ready", timeout=10)
        if reply.status_code == 200:
            return
        assert time.monotonic() < deadline, reply.text
        time.sleep(1)


def test_a_new_user_registers_a_business_and_uses_its_api_key(platform_env):
    up = devstack("up", platform_env)
    assert up.returncode == 0, up.stdout + up.stderr
    operator_key = printed_operator_key(up.stdout)
    kept = Path(platform_env["PAWLINE_VAR"]) / "admin-key"
    assert kept.read_text().strip() == operator_key
    assert kept.stat().st_mode & 0o077 == 0  # only its owner reads it
    base = f"http://127.0.0.1:{8000 + int(platform_env['PAWLINE_PORT_OFFSET'])}"
    wait_until_ready(base)

    operator = {"Authorization": f"Bearer {operator_key}"}
    key = str(uuid.uuid4())
    registered = requests.post(
        f"{base}/v1/businesses",
        json=BUSINESS,
        headers={**operator, "Idempotency-Key": key, "X-Request-Id": "e2e-register"},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    assert registered.headers["X-Request-Id"] == "e2e-register"
    business = registered.json()
    retried = requests.post(
        f"{base}/v1/businesses", json=BUSINESS, headers={**operator, "Idempotency-Key": key},
        timeout=10,
    )  # fmt: skip
    assert retried.json() == business

    own = requests.get(
        f"{base}/v1/business",
        headers={"Authorization": f"Bearer {business['api_key']}"},
        timeout=10,
    )
    assert own.status_code == 200, own.text
    assert own.json()["business_id"] == business["business_id"]
    assert own.json()["name"] == "Happy Paws"

    other = requests.post(
        f"{base}/v1/businesses", json={**BUSINESS, "name": "Other Kennel"}, headers=operator,
        timeout=10,
    ).json()  # fmt: skip
    theirs = requests.get(
        f"{base}/v1/business", headers={"Authorization": f"Bearer {other['api_key']}"}, timeout=10
    )
    assert theirs.json()["business_id"] == other["business_id"]
    assert business["business_id"] not in theirs.text

    refused = requests.post(
        f"{base}/v1/businesses",
        json=BUSINESS,
        headers={"Authorization": f"Bearer {business['api_key']}"},
        timeout=10,
    )
    assert refused.status_code == 403
    assert refused.json()["error"] == "not_allowed"

    document = requests.get(f"{base}/openapi.json", timeout=10).json()
    assert "/v1/businesses" in document["paths"]

    # a second `up` starts nothing and prints the same key; the data stays
    again = devstack("up", platform_env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert printed_operator_key(again.stdout) == operator_key
