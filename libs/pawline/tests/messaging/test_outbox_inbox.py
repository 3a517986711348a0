"""The write path end to end, on real RabbitMQ and the real store: a producer's
relay publishes its public events, a consumer applies each once, in order."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import kombu
import pytest
from nameko.events import event_handler
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter
from nameko.testing.utils import get_extension
from prometheus_client import REGISTRY

from pawline.contracts import ContractError
from pawline.messaging.inbox import dead_letter_queue, inbox_queue
from pawline.messaging.relay import archive_queue, event_exchange
from pawline.nameko import EventSourced

from .conftest import wait_for
from .kit_services import (
    BUSINESS,
    POISONED,
    Employee,
    PayrollService,
    StaffApplication,
    StaffService,
)


@pytest.fixture
def staff(container_factory, service_config):
    config = service_config()
    container = container_factory(StaffService, config)
    container.start()
    return config


@pytest.fixture
def payroll(container_factory, service_config):
    def start() -> dict[str, Any]:
        config = service_config()
        container_factory(PayrollService, config).start()
        return config

    return start


def applied(config: dict[str, Any]) -> list[dict[str, Any]]:
    with ServiceRpcProxy("payroll", config) as proxy:
        return proxy.applied()


def test_a_plain_nameko_event_handler_receives_our_events(container_factory, staff):
    received: list[dict[str, Any]] = []

    class Listener:
        name = "listener"

        @event_handler("staff", "EmployeeHired")
        def on_hired(self, envelope: dict[str, Any]) -> None:
            received.append(envelope)

    listener = container_factory(Listener, staff)
    listener.start()
    with (
        entrypoint_waiter(listener, "on_hired", timeout=15),
        ServiceRpcProxy("staff", staff) as proxy,
    ):
        employee_id = proxy.hire("Ada", nickname="Addie")

    envelope = received[0]
    assert envelope["type"] == "EmployeeHired"
    assert envelope["source"] == "staff"
    assert envelope["business_id"] == BUSINESS
    assert envelope["stream_id"] == employee_id
    assert envelope["stream_version"] == 1
    assert envelope["data"] == {
        "employee_id": employee_id, "name": "Ada", "role": "Employee", "email": None,
    }  # fmt: skip
    assert envelope["position"] == 1
    assert envelope["previous_position"] is None
    uuid.UUID(envelope["correlation_id"])


def test_each_event_is_applied_once_and_in_order(staff, payroll):
    payroll_config = payroll()
    with ServiceRpcProxy("staff", staff) as proxy:
        ids = [
            proxy.hire(f"employee {i}", nickname=f"e{i}" if i % 3 == 0 else None) for i in range(20)
        ]
        for employee_id in ids[:5]:
            proxy.clock_in(employee_id)

    ledger = wait_for(
        lambda: len(applied(payroll_config)) >= 25 and applied(payroll_config), what="25 applied"
    )
    assert [e["employee_id"] for e in ledger[:20]] == ids
    assert [e["type"] for e in ledger] == ["EmployeeHired"] * 20 + ["ClockedIn"] * 5
    positions = [e["position"] for e in ledger]
    assert positions == sorted(positions)
    assert len(set(positions)) == 25


def test_a_new_subscriber_replays_history_from_the_producer_log(staff, payroll):
    with ServiceRpcProxy("staff", staff) as proxy:
        ids = proxy.hire_many(30)  # published before payroll's queue exists
    payroll_config = payroll()
    ledger = wait_for(
        lambda: len(applied(payroll_config)) >= 30 and applied(payroll_config), what="replay"
    )
    assert [e["employee_id"] for e in ledger] == ids


def publish_raw(config: dict[str, Any], queue_name: str, body: bytes | str, **headers: Any) -> None:
    with kombu.Connection(config["AMQP_URI"]) as connection:
        producer = kombu.Producer(connection.default_channel)
        producer.publish(
            body, exchange="", routing_key=queue_name, content_type="application/json",
            content_encoding="utf-8", headers=headers, retry=True,
        )  # fmt: skip


def dead_letters(config: dict[str, Any], service: str, count: int) -> list[Any]:
    messages: list[Any] = []
    with kombu.Connection(config["AMQP_URI"]) as connection:
        queue = dead_letter_queue(service)(connection.default_channel)
        queue.declare()

        def fetch() -> bool:
            message = queue.get(no_ack=True)
            if message is not None:
                messages.append(message)
            return len(messages) >= count

        wait_for(fetch, what=f"{count} dead letters of {service}")
    return messages


def test_the_same_message_delivered_twice_is_applied_once(staff, payroll):
    payroll_config = payroll()
    hire_and_wait(staff, payroll_config, "Ada")
    envelope = first_envelope(staff)
    for _ in range(3):
        publish_raw(payroll_config, "payroll.inbox.staff", json.dumps(envelope))
    with ServiceRpcProxy("staff", staff) as proxy:
        proxy.hire("Grace")
    ledger = wait_for(
        lambda: len(applied(payroll_config)) >= 2 and applied(payroll_config), what="second"
    )
    assert [e["position"] for e in ledger] == [1, 2]


class LogLines(logging.Handler):
    """What one logger says, from any thread (nameko workers included)."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []
        self.logger = logging.getLogger(name)
        self.level_before = self.logger.level
        self.logger.setLevel(logging.INFO)
        self.logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def close(self) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self.level_before)
        super().close()


def hire_and_wait(staff_config: dict[str, Any], payroll_config: dict[str, Any], name: str) -> None:
    with ServiceRpcProxy("staff", staff_config) as proxy:
        proxy.hire(name)
    wait_for(lambda: applied(payroll_config), what=f"{name}'s hiring applied")


def first_envelope(staff_config: dict[str, Any]) -> dict[str, Any]:
    with ServiceRpcProxy("staff", staff_config) as proxy:
        return proxy.get_notifications(0, 10)["notifications"][0]


def test_unreadable_messages_are_dead_lettered_and_the_service_goes_on(staff, payroll):
    payroll_config = payroll()
    hire_and_wait(staff, payroll_config, "Ada")
    good = first_envelope(staff)
    unknown = {**good, "type": "EmployeeTeleported", "position": 99}
    invalid = {**good, "position": 98, "data": {**good["data"], "role": "Overlord"}}
    for body in ("{not json", json.dumps(unknown), json.dumps(invalid), json.dumps([1, 2])):
        publish_raw(payroll_config, "payroll.inbox.staff", body)

    letters = dead_letters(payroll_config, "payroll", 4)
    reasons = sorted(m.headers["x-pawline-reason"] for m in letters)
    assert reasons == ["invalid", "unknown_type", "unreadable", "unreadable"]
    errors = " ".join(m.headers["x-pawline-error"] for m in letters)
    assert "EmployeeTeleported" in errors
    assert "role" in errors
    counted = REGISTRY.get_sample_value(
        "pawline_events_dead_lettered_total",
        {"service": "payroll", "reason": "unknown_type", "type": "EmployeeTeleported"},
    )
    assert counted is not None
    assert counted >= 1

    with ServiceRpcProxy("staff", staff) as proxy:
        proxy.hire("Grace")
    wait_for(lambda: len(applied(payroll_config)) == 2, what="the next good event")


def hire_and_poison(staff_config: dict[str, Any]) -> str:
    """Hire someone payroll's ClockedIn handler always fails for, and clock them in."""
    with ServiceRpcProxy("staff", staff_config) as proxy:
        poisoned = proxy.hire("Mallory")
        POISONED.add(poisoned)
        proxy.clock_in(poisoned)
    return poisoned


def test_a_handler_that_always_fails_is_parked_and_the_rest_applied(staff, payroll):
    payroll_config = payroll()
    poisoned = hire_and_poison(staff)
    with ServiceRpcProxy("staff", staff) as proxy:
        after = proxy.hire_many(500, "after")
    try:
        ledger = wait_for(lambda: len(applied(payroll_config)) >= 501 and applied(payroll_config),
                          timeout=120, what="the 500 events after the poisoned one")  # fmt: skip
        letters = dead_letters(payroll_config, "payroll", 1)
    finally:
        POISONED.discard(poisoned)
    assert [e["employee_id"] for e in ledger] == [poisoned, *after]
    assert letters[0].headers["x-pawline-reason"] == "handler_failed"
    assert "cannot pay" in letters[0].headers["x-pawline-error"]
    assert json.loads(letters[0].body)["type"] == "ClockedIn"


def test_get_notifications_refuses_bad_arguments_by_name(staff):
    with ServiceRpcProxy("staff", staff) as proxy:
        for after, limit, word in ((-1, 10, "after"), (0, 0, "limit"), ("x", 10, "after")):
            with pytest.raises(Exception, match=word) as raised:
                proxy.get_notifications(after, limit)
            assert raised.value.exc_type == "BadRequestError"


def test_exchange_is_declared_like_nameko_does():
    exchange = event_exchange("staff")
    assert (exchange.name, exchange.type, exchange.durable, exchange.auto_delete) == (
        "staff.events", "topic", True, False,
    )  # fmt: skip
    assert inbox_queue("payroll", "staff").routing_key == "#"


def test_parked_entries_are_replayed_once_their_handler_is_fixed(staff, payroll):
    payroll_config = payroll()
    poisoned = hire_and_poison(staff)
    try:
        with ServiceRpcProxy("staff", staff) as proxy:
            after = proxy.hire("Grace")
        wait_for(lambda: len(applied(payroll_config)) >= 2, what="the event after")
        dead_letters(payroll_config, "payroll", 1)
    finally:
        POISONED.discard(poisoned)  # the fix

    with ServiceRpcProxy("payroll", payroll_config) as proxy:
        result = proxy.replay_parked("staff")
        assert [(r["source"], r["position"]) for r in result["replayed"]] == [("staff", 2)]
        assert result["still_parked"] == []
        assert proxy.replay_parked() == {"replayed": [], "still_parked": []}  # never twice
    ledger = applied(payroll_config)
    assert [(e["type"], e["employee_id"]) for e in ledger] == [
        ("EmployeeHired", poisoned), ("EmployeeHired", after), ("ClockedIn", poisoned),
    ]  # fmt: skip


def test_a_service_without_subscriptions_says_it_has_nothing_parked(staff):
    with (
        ServiceRpcProxy("staff", staff) as proxy,
        pytest.raises(Exception, match="subscribes to no"),
    ):
        proxy.replay_parked()


def test_an_event_that_breaks_its_contract_is_refused_at_the_source(mongo_uri, mongo_database):
    app = StaffApplication(env={"MONGO_URI": mongo_uri, "MONGO_DATABASE": mongo_database})
    with pytest.raises(ContractError, match=r"EmployeeHired.*role"):
        app.save(Employee(BUSINESS, "Ada", "Overlord"))
    assert app.recorder.max_notification_id() is None  # nothing reached the log
    app.close()


def test_an_unroutable_publish_is_counted_and_retried_not_dropped(
    container_factory, service_config
):
    config = service_config()
    staff = container_factory(StaffService, config)
    staff.start()
    relay = get_extension(staff, EventSourced).relay
    app = get_extension(staff, EventSourced).app
    employee = Employee(BUSINESS, "Ada", "Employee")
    app.save(employee)
    wait_for(lambda: relay.checkpoint()[0] == 1, what="the first publish")
    before = (
        REGISTRY.get_sample_value(
            "pawline_publish_failures_total", {"service": "staff", "reason": "unroutable"}
        )
        or 0.0
    )

    with kombu.Connection(config["AMQP_URI"]) as connection:  # ops deleted the only binding
        archive_queue("staff")(connection.default_channel).delete()
    app.save(Employee(BUSINESS, "Grace", "Employee"))

    wait_for(lambda: relay.checkpoint()[0] == 2, what="the retried publish")
    after = REGISTRY.get_sample_value(
        "pawline_publish_failures_total", {"service": "staff", "reason": "unroutable"}
    )
    assert after == before + 1  # returned once, then published again, now routed
    with kombu.Connection(config["AMQP_URI"]) as connection:
        queue = archive_queue("staff")(connection.default_channel)
        message = queue.get(no_ack=True)
        assert message is not None
        assert message.payload["data"]["name"] == "Grace"
        assert queue.get(no_ack=True) is None


def test_handlers_of_one_batch_changing_one_aggregate_are_each_applied_once(staff, payroll):
    conflicts = LogLines("pawline.messaging.inbox")
    with ServiceRpcProxy("staff", staff) as proxy:
        employee_id = proxy.hire("Ada")
        for _ in range(5):
            proxy.clock_in(employee_id)
    # Started after: payroll replays all six at once, so they form one batch,
    # whose handlers all change the same Attendance aggregate.
    payroll_config = payroll()
    with ServiceRpcProxy("payroll", payroll_config) as proxy:
        counted = wait_for(
            lambda: len(positions := proxy.attendance(employee_id)) >= 5 and positions,
            what="five clock-ins counted",
        )
    assert counted == [2, 3, 4, 5, 6]
    assert [e["position"] for e in applied(payroll_config)] == [1, 2, 3, 4, 5, 6]
    conflicts.close()
    assert len([m for m in conflicts.messages if "one at a time" in m]) == 1  # then singly
