"""The two services of the messaging benchmark, built on the kit as real ones are.

``staff`` (producer): hires employees; each hire saves one ``Employee`` whose
``Hired`` event is published as staff's ``EmployeeHired``. Its container runs
the outbox relay.

``payroll`` (consumer): ``@subscribe("staff", "EmployeeHired")``; its handler
notes when it received each position (``time.monotonic()``, which all
processes of the machine share) and saves one small ``Payment`` aggregate,
committed with the inbox entry's tracking record. ``receipts(after)`` answers
those times over RPC, so a benchmark running the consumer as a separate
``nameko run`` process can read them.

Copied, trimmed, from the kit's test services (``libs/pawline/tests``), which
the benchmark does not import.

Run them as the platform runs its services::

    cd bench && nameko run --config messaging.yaml messaging_services:StaffService
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate, event
from nameko.rpc import rpc

from pawline.messaging.application import PawlineApplication, Published
from pawline.messaging.inbox import subscribe
from pawline.nameko import EventSourced, EventSourcedService

BUSINESS = "7b0c3f1e-5a43-4c8e-9a57-0d6c1f2e8a90"

# position -> time.monotonic() when the handler received it (this process only)
RECEIPTS: dict[int, float] = {}


class Employee(Aggregate):
    @event("Hired")
    def __init__(self, business_id: str, name: str, role: str) -> None:
        self.business_id = business_id
        self.name = name
        self.role = role


def new_employee(number: int) -> Employee:
    return Employee(BUSINESS, f"Employee number {number}", "Employee")


class StaffApplication(PawlineApplication):
    source = "staff"
    published: ClassVar[dict[type, Published]] = {
        Employee.Hired: Published("EmployeeHired", id_field="employee_id"),
    }


class StaffService(EventSourcedService):
    name = "staff"
    app = EventSourced(StaffApplication)

    @rpc
    def hire(self, name: str, role: str = "Employee") -> str:
        employee = Employee(BUSINESS, name, role)
        self.app.save(employee)
        return str(employee.id)


class Payment(Aggregate):
    """One per event payroll applied."""

    @event("Recorded")
    def __init__(self, business_id: str, event_type: str, position: int, employee_id: str) -> None:
        self.business_id = business_id
        self.event_type = event_type
        self.position = position
        self.employee_id = employee_id


class PayrollApplication(PawlineApplication):
    source = "payroll"


class PayrollService(EventSourcedService):
    name = "payroll"
    app = EventSourced(PayrollApplication, relay=False)

    @subscribe("staff", "EmployeeHired")
    def on_employee_hired(self, envelope: dict[str, Any]) -> None:
        RECEIPTS[envelope["position"]] = time.monotonic()
        payment = Payment(
            envelope["business_id"], envelope["type"], envelope["position"],
            envelope["data"]["employee_id"],
        )  # fmt: skip
        self.app.save(payment)

    @rpc
    def receipts(self, after: int = 0) -> dict[str, float]:
        """When the handler received each position after ``after`` (monotonic clock)."""
        return {str(p): t for p, t in list(RECEIPTS.items()) if p > after}
