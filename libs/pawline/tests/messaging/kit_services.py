"""Two small test-only services built on the kit, as real services would be.

``staff`` (producer): hires employees and clocks them in; an internal event
(a nickname) sits between public ones in its log. ``payroll`` (consumer):
subscribes to staff's EmployeeHired and ClockedIn and records one Payment
per event applied, so a duplicate application would show.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from nameko.rpc import rpc

from pawline.messaging.application import PawlineApplication, Published
from pawline.messaging.inbox import subscribe
from pawline.nameko import EventSourced, EventSourcedService

log = logging.getLogger("kit_services")

BUSINESS = "7b0c3f1e-5a43-4c8e-9a57-0d6c1f2e8a90"


class Employee(Aggregate):
    @event("Hired")
    def __init__(self, business_id: str, name: str, role: str) -> None:
        self.business_id = business_id
        self.name = name
        self.role = role

    @event("NicknameSet")
    def set_nickname(self, nickname: str) -> None:
        self.nickname = nickname

    @event("ClockedIn")
    def clock_in(self, entry_id: str, at: datetime) -> None:
        self.clocked_in_at = at


class StaffApplication(PawlineApplication):
    source = "staff"
    published: ClassVar[dict[type, Published]] = {
        Employee.Hired: Published("EmployeeHired", id_field="employee_id"),
        Employee.ClockedIn: Published("ClockedIn", id_field="employee_id"),
    }


class StaffService(EventSourcedService):
    name = "staff"
    app = EventSourced(StaffApplication)

    @rpc
    def hire(self, name: str, nickname: str | None = None, role: str = "Employee") -> str:
        employee = Employee(BUSINESS, name, role)
        if nickname:
            employee.set_nickname(nickname)  # internal: not published
        self.app.save(employee)
        log.info("hired %s", employee.id)
        return str(employee.id)

    @rpc
    def hire_many(self, count: int, prefix: str = "employee") -> list[str]:
        return [self.hire(f"{prefix} {i}") for i in range(count)]

    @rpc
    def clock_in(self, employee_id: str) -> None:
        employee = self.app.repository.get(uuid.UUID(employee_id))
        employee.clock_in(str(uuid.uuid4()), datetime.now(UTC))
        self.app.save(employee)


class Payment(Aggregate):
    """One per event payroll applied: a duplicate application would show as two."""

    @event("Recorded")
    def __init__(self, business_id: str, event_type: str, position: int, employee_id: str) -> None:
        self.business_id = business_id
        self.event_type = event_type
        self.position = position
        self.employee_id = employee_id


class Attendance(Aggregate):
    """Every clock-in of one employee: handlers of one batch share it."""

    @staticmethod
    def create_id(business_id: str, employee_id: str) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"attendance/{employee_id}")

    @event("Opened")
    def __init__(self, business_id: str, employee_id: str) -> None:
        self.business_id = business_id
        self.employee_id = employee_id
        self.positions: list[int] = []

    @event("ClockInCounted")
    def count(self, position: int) -> None:
        self.positions.append(position)


class PayrollApplication(PawlineApplication):
    source = "payroll"

    def applied(self) -> list[dict[str, Any]]:
        """What payroll applied, in the order it did, read from its own log."""
        records = self.recorder.select_notifications(start=None, limit=10_000)
        events = [self.mapper.to_domain_event(n) for n in records]
        return [
            {"type": e.event_type, "position": e.position, "employee_id": e.employee_id}
            for e in events
            if isinstance(e, Payment.Recorded)
        ]


class PayrollService(EventSourcedService):
    name = "payroll"
    app = EventSourced(PayrollApplication, relay=False)

    @subscribe("staff", "EmployeeHired")
    def on_employee_hired(self, envelope: dict[str, Any]) -> None:
        self._record(envelope)

    @subscribe("staff", "ClockedIn")
    def on_clocked_in(self, envelope: dict[str, Any]) -> None:
        employee_id = envelope["data"]["employee_id"]
        if employee_id in self.poisoned():
            msg = f"cannot pay {employee_id}"
            raise RuntimeError(msg)
        self._record(envelope)
        try:
            attendance = self.app.repository.get(Attendance.create_id(BUSINESS, employee_id))
        except AggregateNotFoundError:
            attendance = Attendance(BUSINESS, employee_id)
        attendance.count(envelope["position"])
        self.app.save(attendance)

    def _record(self, envelope: dict[str, Any]) -> None:
        log.info("recording %s at %s", envelope["type"], envelope["position"])
        payment = Payment(
            envelope["business_id"], envelope["type"], envelope["position"],
            envelope["data"]["employee_id"],
        )  # fmt: skip
        self.app.save(payment)

    def poisoned(self) -> set[str]:
        return POISONED

    @rpc
    def attendance(self, employee_id: str) -> list[int]:
        try:
            return self.app.repository.get(Attendance.create_id(BUSINESS, employee_id)).positions
        except AggregateNotFoundError:
            return []

    @rpc
    def applied(self) -> list[dict[str, Any]]:
        return self.app.applied()


POISONED: set[str] = set()
