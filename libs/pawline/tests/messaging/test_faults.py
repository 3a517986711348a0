"""Failure modes of the write path, on real RabbitMQ and the real store.

(a) RabbitMQ restarted while 1,000 events flow: each applied exactly once.
(d) Two writers race on one stream: one wins, the other gets a conflict.
(e) The store stopped: commands fail within the timeout with a clear error;
    after it is back the relay drains everything.
(f) The relay dies between publish and checkpoint: a standby takes the lease
    within 10 s and publishes again from the checkpoint; the duplicates are
    dropped downstream, nothing is applied twice, nothing is lost.
(b), (c), (g) and (h) are in test_outbox_inbox.py.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import eventlet
import pytest
from eventsourcing.persistence import IntegrityError
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.utils import get_extension

from pawline.messaging import metrics
from pawline.nameko import EventSourced
from pawline.testing.embedded_store import EmbeddedStore, free_port

from .conftest import wait_for
from .kit_services import BUSINESS, Employee, PayrollService, StaffApplication, StaffService


def app_of(container: Any) -> Any:
    return get_extension(container, EventSourced).app


def hire_directly(container: Any, names: list[str]) -> list[str]:
    """Write straight into the service's application: no broker involved."""
    app = app_of(container)
    ids = []
    for name in names:
        employee = Employee(BUSINESS, name, "Employee")
        app.save(employee)
        ids.append(str(employee.id))
    return ids


def applied_ids(payroll: Any) -> list[str]:
    return [e["employee_id"] for e in app_of(payroll).applied()]


def duplicates_dropped(service: str) -> float:
    total = 0.0
    for family in metrics.DUPLICATES.collect():
        total += sum(s.value for s in family.samples if s.labels.get("service") == service
                     and s.name.endswith("_total"))  # fmt: skip
    return total


def rabbitmqctl(*args: str) -> None:
    command = shutil.which("rabbitmqctl")
    if command is None:
        pytest.fail("rabbitmqctl is needed to restart the broker (it comes with rabbitmq-server)")
    subprocess.run([command, *args], check=True, capture_output=True, timeout=120)


def test_a_broker_restart_while_1000_events_flow_loses_and_repeats_nothing(
    container_factory, service_config
):
    staff = container_factory(StaffService, service_config())
    payroll = container_factory(PayrollService, service_config())
    staff.start()
    payroll.start()

    written: list[str] = []

    def write() -> None:
        for batch in range(20):
            written.extend(hire_directly(staff, [f"e{batch}-{i}" for i in range(50)]))
            eventlet.sleep(0.05)

    writer = eventlet.spawn(write)
    wait_for(lambda: len(applied_ids(payroll)) >= 100, what="the flow to start")
    rabbitmqctl("stop_app")
    eventlet.sleep(2)
    rabbitmqctl("start_app")
    writer.wait()
    assert len(written) == 1000

    applied = wait_for(
        lambda: (ids := applied_ids(payroll)) and len(ids) >= 1000 and ids,
        timeout=240, what="1000 events applied after the broker restart",
    )  # fmt: skip
    assert applied == written  # each once, in order


def test_two_writers_racing_on_one_stream_one_gets_a_conflict(mongo_uri, mongo_database):
    env = {"MONGO_URI": mongo_uri, "MONGO_DATABASE": mongo_database}
    first, second = StaffApplication(env=env), StaffApplication(env=env)
    employee = Employee(BUSINESS, "Ada", "Employee")
    first.save(employee)

    mine = first.repository.get(employee.id)
    theirs = second.repository.get(employee.id)
    mine.set_nickname("Addie")
    theirs.set_nickname("Countess")
    first.save(mine)
    with pytest.raises(IntegrityError):
        second.save(theirs)
    assert second.repository.get(employee.id).nickname == "Addie"
    first.close()
    second.close()


def test_with_the_store_stopped_commands_fail_in_time_and_the_relay_drains_after(
    container_factory, rabbit_config, tmp_path: Path
):
    store = EmbeddedStore(free_port(), tmp_path / "data", tmp_path / "store.log")
    store.start()
    try:

        def config(database: str) -> dict[str, Any]:
            return {**rabbit_config, "MONGO_URI": store.uri, "MONGO_DATABASE": database,
                    "MONGO_TIMEOUT": 1}  # fmt: skip

        staff = container_factory(StaffService, config("staff"))
        payroll = container_factory(PayrollService, config("payroll"))
        staff.start()
        payroll.start()
        written = hire_directly(staff, [f"before {i}" for i in range(200)])
        store.kill()  # most likely while the relay is still publishing those

        with ServiceRpcProxy("staff", rabbit_config) as proxy:
            started = time.monotonic()
            with pytest.raises(RemoteError, match=r"OperationalError.*did not answer within 1 s"):
                proxy.hire("during")
            assert time.monotonic() - started < 1 + 10  # not pymongo's two minutes

        store.start()
        applied = wait_for(
            lambda: (ids := applied_ids(payroll)) and len(ids) >= 200 and ids,
            timeout=120, what="the 200 events applied once the store is back",
        )  # fmt: skip
        assert applied == written
    finally:
        store.stop()


def test_a_relay_dying_between_publish_and_checkpoint_loses_and_repeats_nothing(
    container_factory, service_config
):
    staff_config = service_config()
    crashing = container_factory(StaffService, staff_config)
    payroll = container_factory(PayrollService, service_config())
    crashing.start()
    payroll.start()
    relay = get_extension(crashing, EventSourced).relay
    assert relay is not None
    wait_for(lambda: relay.lease.held, what="the first replica's lease")
    # another replica on the same store, running beside it as deployed: it
    # waits for the lease
    standby = container_factory(StaffService, staff_config)
    standby.start()
    standby_relay = get_extension(standby, EventSourced).relay

    crashed_at: list[float] = []
    save_checkpoint = relay._save_checkpoint

    class RelayDiedError(BaseException):
        """Not an Exception: the relay must not survive it, as a killed process would not."""

    def die_before_checkpointing(position: int, previous_public: int | None) -> None:
        if not crashed_at:  # its first batch is published, its checkpoint never written
            crashed_at.append(time.monotonic())
            relay.lease.release = lambda: None  # a dead process releases nothing
            raise RelayDiedError
        save_checkpoint(position, previous_public)

    relay._save_checkpoint = die_before_checkpointing
    written = hire_directly(crashing, [f"employee {i}" for i in range(50)])
    wait_for(lambda: crashed_at, what="the relay to die")
    assert not standby_relay.lease.held

    taken_over = wait_for(
        lambda: standby_relay.checkpoint()[0] >= 1 and time.monotonic(), what="the takeover"
    )
    assert taken_over - crashed_at[0] < 10  # the lease moves within 10 s

    applied = wait_for(
        lambda: (ids := applied_ids(payroll)) and len(ids) >= 50 and ids, what="50 applied"
    )
    assert applied == written
    wait_for(lambda: duplicates_dropped("payroll") >= 1, what="the republished batch dropped")
    eventlet.sleep(1)
    assert applied_ids(payroll) == written
