"""Staff through the gateway as a business meets it after `make up`: hire,
set schedules and limitations, deny a permission and see it enforced on an
employee's token, clock in and out, read a timesheet with overtime; and what
a subscriber of staff.events receives keeps EVENTS.md's contract.

Real processes (`make up`), real broker and store; HTTP with requests only.
The subscriber is a queue bound to the staff service's exchange, read through
RabbitMQ's management API."""

from __future__ import annotations

import json
import time
from typing import Any

import requests

from pawline.contracts import types_of, validate_envelope

from .conftest import devstack
from .test_gateway import BUSINESS, printed_operator_key, wait_until_ready

SUBSCRIBER = "e2e-staff-subscriber"
WEEKDAYS = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]


class Api:
    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {key}"}

    def call(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        reply = requests.request(
            method, self.base + path, headers=self.headers, timeout=15, **kwargs
        )
        assert reply.status_code == expect, f"{method} {path}: {reply.status_code} {reply.text}"
        return reply.json()


def subscribe_to_staff_events(rabbit_manager: Any, vhost: str) -> None:
    """A queue of our own bound to staff.events (every routing key). Like any
    subscriber (nameko's @event_handler does the same), it declares the
    exchange as the publisher does: the relay declares it on its first publish."""
    exchange = {"type": "topic", "durable": True, "auto_delete": False}
    rabbit_manager._put("exchanges", vhost, "staff.events", json=exchange)  # no public method
    rabbit_manager.create_queue(vhost, SUBSCRIBER, auto_delete=False, durable=False)
    rabbit_manager.create_queue_binding(vhost, "staff.events", SUBSCRIBER, "#")


def received(rabbit_manager: Any, vhost: str, wanted: set[str]) -> list[dict[str, Any]]:
    """The envelopes the subscriber got, once every wanted type arrived."""
    envelopes: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    while not wanted <= {e["type"] for e in envelopes}:
        assert time.monotonic() < deadline, f"missing {wanted - {e['type'] for e in envelopes}}"
        # the client's get_messages sends "requeue", which RabbitMQ 3.7+ refuses
        taken = {"count": 100, "ackmode": "ack_requeue_false", "encoding": "auto"}
        for message in rabbit_manager._post("queues", vhost, SUBSCRIBER, "get", json=taken):
            envelopes.append(json.loads(message["payload"]))
        time.sleep(0.3)
    return envelopes


def test_a_business_runs_its_staff_through_the_gateway(platform_env, rabbit_config, rabbit_manager):
    up = devstack("up", platform_env)
    assert up.returncode == 0, up.stdout + up.stderr
    base = f"http://127.0.0.1:{8000 + int(platform_env['PAWLINE_PORT_OFFSET'])}"
    wait_until_ready(base)
    vhost = rabbit_config["vhost"]
    subscribe_to_staff_events(rabbit_manager, vhost)

    operator = Api(base, printed_operator_key(up.stdout))
    business = operator.call("POST", "/v1/businesses", 201, json=BUSINESS)
    admin = Api(base, business["api_key"])

    manager = admin.call("POST", "/v1/employees", 201, json={"name": "Mia", "role": "Manager"})
    groomer = admin.call("POST", "/v1/employees", 201, json={"name": "Eli", "role": "Employee"})
    mia, eli = manager["employee_id"], groomer["employee_id"]
    admin.call("PUT", f"/v1/employees/{eli}/schedule", 200,
               json={"weekly": WEEKDAYS, "effective_from": "2027-03-01"})  # fmt: skip
    monday_off = {"starts_at": "2027-03-29T07:00:00Z", "ends_at": "2027-03-29T15:00:00Z"}
    admin.call("POST", f"/v1/employees/{eli}/time-off", 201, json=monday_off)
    grooming = {"service_ids": [], "category_ids": ["5d2b8a3e-0f4c-4e61-9a57-3c1d2e4f5a6b"]}
    admin.call("PUT", f"/v1/employees/{eli}/service-limitations", 200, json=grooming)
    windows = admin.call(
        "GET", f"/v1/employees/{eli}/working-windows?from=2027-03-26&to=2027-03-30", 200
    )
    # Paris springs forward on 2027-03-28; the Monday after is time off
    assert windows["windows"] == [
        {"starts_at": "2027-03-26T08:00:00Z", "ends_at": "2027-03-26T16:00:00Z"},
        {"starts_at": "2027-03-30T07:00:00Z", "ends_at": "2027-03-30T15:00:00Z"},
    ]

    # the admin denies the manager a feature; her token is refused it
    mia_api = Api(base, admin.call("POST", f"/v1/employees/{mia}/tokens", 201)["token"])
    eli_api = Api(base, admin.call("POST", f"/v1/employees/{eli}/tokens", 201)["token"])
    mia_api.call("GET", "/v1/timesheets?from=2027-03-01&to=2027-03-07", 200)
    admin.call("PUT", f"/v1/employees/{mia}/permissions", 200, json={"denied": ["reports.view"]})
    refused = mia_api.call("GET", "/v1/timesheets?from=2027-03-01&to=2027-03-07", 403)
    assert refused["error"] == "not_allowed"
    assert "'reports.view'" in refused["message"]

    # the groomer clocks in and out; the manager corrects the entry to a long
    # week of the past (the time clock records "now" only)
    for day in range(9, 14):
        entry = eli_api.call("POST", f"/v1/employees/{eli}/clock-in", 201)
        eli_api.call("POST", f"/v1/employees/{eli}/clock-out", 200)
        mia_api.call(
            "POST", f"/v1/employees/{eli}/time-entries/{entry['entry_id']}/corrections", 201,
            json={"clocked_in_at": f"2026-11-{day:02d}T08:00:00Z",
                  "clocked_out_at": f"2026-11-{day:02d}T17:30:00Z", "reason": "paper sheet"},
        )  # fmt: skip
    sheet = admin.call("GET", "/v1/timesheets?from=2026-11-09&to=2026-11-15", 200)
    by_id = {e["employee_id"]: e for e in sheet["employees"]}
    assert by_id[eli]["total_minutes"] == 5 * 570
    assert by_id[eli]["overtime_minutes"] == 5 * 570 - 40 * 60
    assert by_id[mia]["total_minutes"] == 0

    # what a subscriber got keeps the published contract
    envelopes = received(rabbit_manager, vhost, set(types_of("staff")))
    for envelope in envelopes:
        validate_envelope(envelope)
    hired = [e["data"] for e in envelopes if e["type"] == "EmployeeHired"]
    assert {h["employee_id"] for h in hired} == {mia, eli}
    (denied,) = [e["data"] for e in envelopes if e["type"] == "EmployeePermissionsChanged"]
    assert denied == {"employee_id": mia, "denied": ["reports.view"]}
