"""The staff routes (API.md): employees, their tokens, schedules, time off,
service limitations, permissions, the time clock and timesheets.

Each handler loads the request with one of the schemas below, makes one call
to the staff service (``business_id`` from the credentials, never the
request; the business's time zone from its registration) and dumps the
reply. Who may call what:

- a business admin (API key) may call every route;
- an employee (token) needs the route's feature of the permission table
  (``feature=``); on an ``own`` route an employee acting on their own id
  needs none (clocking themselves in and out, reading their own entries);
- only the business admin issues and revokes employee tokens.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from gateway.calls import ServiceCalls
from gateway.credentials import BUSINESS_ADMIN, BUSINESS_STAFF, Principal
from gateway.errors import RefusedByRuleError
from gateway.routing import Call, route
from gateway.store import Businesses, EmployeeTokens, Tokens
from pawline.contracts.staff import (
    FEATURES,
    ROLES,
    ServiceLimitationsRequestSchema,
    TimeOffRequestSchema,
    TimeWindowSchema,
    WeeklySlotSchema,
)
from pawline.contracts.values import IsoDate, choice, email, instant, text

MAX_RANGE_DAYS = 366
NOT_FOUND = (404,)
CHANGES = (404, 409, 422)


class Body(Schema):
    class Meta:
        unknown = RAISE


# Requests.


class HireSchema(Body):
    """A new employee."""

    name = text(description="as the business calls them")
    role = choice(ROLES, description="sets what they may do by default (GET /v1/permissions)")
    email = email(optional=True)


class EmployeeChangeSchema(Body):
    """What changes; fields left out stay as they are."""

    name = text(optional=True)
    role = choice(ROLES, optional=True)
    email = email(optional=True)


class ScheduleSchema(Body):
    """Weekly hours, in the business's time zone."""

    weekly = fields.List(
        fields.Nested(WeeklySlotSchema),
        required=True,
        metadata={"description": "working periods; several a day allowed, none overlapping"},
    )
    effective_from = IsoDate(
        allow_none=True,
        load_default=None,
        metadata={"description": "first local day it applies; today if left out"},
    )


class PermissionsSchema(Body):
    """The features denied to the employee, on top of their role's defaults."""

    denied = fields.List(
        fields.String(
            validate=validate.OneOf(FEATURES, error="{input!r} is not a feature; one of {choices}")
        ),
        required=True,
        metadata={"description": "features of GET /v1/permissions"},
    )


class CorrectionSchema(Body):
    """A manager's correction of a time-clock entry, kept in its history."""

    clocked_in_at = instant(optional=True)
    clocked_out_at = instant(optional=True)
    reason = text(description="why it was corrected")


class DateRangeQuery(Schema):
    """Local dates, both included, at most a year apart."""

    class Meta:
        unknown = RAISE

    from_date = IsoDate(required=True, data_key="from", metadata={"description": "first day"})
    to_date = IsoDate(required=True, data_key="to", metadata={"description": "last day"})

    @validates_schema
    def _check_range(self, data: dict[str, Any], **kwargs: Any) -> None:
        first, last = date.fromisoformat(data["from_date"]), date.fromisoformat(data["to_date"])
        if last < first:
            raise ValidationError(f"must not be before from ({first})", "to")
        if (last - first).days >= MAX_RANGE_DAYS:
            raise ValidationError(f"must be within {MAX_RANGE_DAYS} days of from", "to")


class TimesheetQuery(DateRangeQuery):
    week_starts_on = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=6),
        metadata={"description": "first day of the overtime week: Monday = 0 ... Sunday = 6"},
    )


# Replies.


class EmployeeRefSchema(Schema):
    employee_id = fields.String(required=True)


class TokenSchema(Schema):
    token = fields.String(
        required=True,
        metadata={"description": "the employee's bearer token; shown once, stored as a hash"},
    )
    employee_id = fields.String(required=True)


class RevokedSchema(Schema):
    employee_id = fields.String(required=True)
    revoked = fields.Integer(required=True, metadata={"description": "how many tokens"})


class TimeOffAddedSchema(Schema):
    employee_id = fields.String(required=True)
    time_off_id = fields.String(required=True)


class ExtraShiftAddedSchema(Schema):
    employee_id = fields.String(required=True)
    shift_id = fields.String(required=True)


class ClockedSchema(Schema):
    employee_id = fields.String(required=True)
    entry_id = fields.String(required=True)
    at = fields.String(required=True, metadata={"description": "ISO 8601, UTC"})
    worked_minutes = fields.Integer(metadata={"description": "on clocking out"})


class ScheduleViewSchema(Schema):
    timezone = fields.String(required=True)
    effective_from = fields.String(required=True)
    weekly = fields.List(fields.Nested(WeeklySlotSchema), required=True)


class WindowViewSchema(Schema):
    starts_at = fields.String(required=True)
    ends_at = fields.String(required=True)


class TimeOffViewSchema(WindowViewSchema):
    time_off_id = fields.String(required=True)
    reason = fields.String(allow_none=True)


class ShiftViewSchema(WindowViewSchema):
    shift_id = fields.String(required=True)


class OpenEntrySchema(Schema):
    entry_id = fields.String(required=True)
    at = fields.String(required=True)


class EmployeeSchema(Schema):
    """An employee as the business sees them."""

    employee_id = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    email = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    denied = fields.List(fields.String(), required=True)
    allowed = fields.List(
        fields.String(), required=True, metadata={"description": "features they may use now"}
    )
    service_ids = fields.List(fields.String(), required=True)
    category_ids = fields.List(fields.String(), required=True)
    schedules = fields.List(fields.Nested(ScheduleViewSchema), required=True)
    time_off = fields.List(fields.Nested(TimeOffViewSchema), required=True)
    extra_shifts = fields.List(fields.Nested(ShiftViewSchema), required=True)
    clocked_in = fields.Nested(
        OpenEntrySchema, allow_none=True, metadata={"description": "the open entry, if any"}
    )


class EmployeeListSchema(Schema):
    employees = fields.List(fields.Nested(EmployeeSchema), required=True)


class WorkingWindowsSchema(Schema):
    employee_id = fields.String(required=True)
    timezone = fields.String(required=True)
    windows = fields.List(
        fields.Nested(WindowViewSchema),
        required=True,
        metadata={"description": "UTC instants: weekly hours and extra shifts, less time off"},
    )


class EmployeeWindowsSchema(Schema):
    employee_id = fields.String(required=True)
    name = fields.String(required=True)
    active = fields.Boolean(required=True)
    windows = fields.List(fields.Nested(WindowViewSchema), required=True)


class RosterWindowsSchema(Schema):
    from_date = fields.String(required=True, data_key="from")
    to_date = fields.String(required=True, data_key="to")
    timezone = fields.String(required=True)
    employees = fields.List(
        fields.Nested(EmployeeWindowsSchema),
        required=True,
        metadata={"description": "active employees in hiring order"},
    )


class CorrectionViewSchema(Schema):
    corrected_at = fields.String(required=True)
    corrected_by = fields.String(required=True)
    reason = fields.String(required=True)
    clocked_in_at = fields.String(required=True)
    clocked_out_at = fields.String(allow_none=True)
    previous_in = fields.String(required=True)
    previous_out = fields.String(allow_none=True)


class EntrySchema(Schema):
    entry_id = fields.String(required=True)
    clocked_in_at = fields.String(required=True)
    clocked_out_at = fields.String(allow_none=True)
    history = fields.List(fields.Nested(CorrectionViewSchema), required=True)


class EntriesSchema(Schema):
    employee_id = fields.String(required=True)
    entries = fields.List(fields.Nested(EntrySchema), required=True)


class WeekSchema(Schema):
    week_starts_on = fields.String(required=True)
    total_minutes = fields.Integer(required=True)
    regular_minutes = fields.Integer(required=True)
    overtime_minutes = fields.Integer(required=True)


class SheetEntrySchema(Schema):
    entry_id = fields.String(required=True)
    clocked_in_at = fields.String(required=True)
    clocked_out_at = fields.String(required=True)
    worked_minutes = fields.Integer(required=True)
    minutes_in_period = fields.Integer(
        required=True, metadata={"description": "of those, the minutes inside the period"}
    )


class EmployeeSheetSchema(Schema):
    employee_id = fields.String(required=True)
    name = fields.String(required=True)
    total_minutes = fields.Integer(required=True)
    regular_minutes = fields.Integer(required=True)
    overtime_minutes = fields.Integer(
        required=True, metadata={"description": "over 40 hours in a week"}
    )
    regular_hours = fields.String(
        required=True, metadata={"description": "decimal hours, e.g. 7.50"}
    )
    overtime_hours = fields.String(
        required=True, metadata={"description": "decimal hours, e.g. 7.50"}
    )
    weeks = fields.List(fields.Nested(WeekSchema), required=True)
    entries = fields.List(fields.Nested(SheetEntrySchema), required=True)
    open_entries = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "entries not clocked out yet (not counted)"},
    )


class TimesheetSchema(Schema):
    from_date = fields.String(required=True, data_key="from", attribute="from")
    to_date = fields.String(required=True, data_key="to", attribute="to")
    timezone = fields.String(required=True)
    week_starts_on = fields.Integer(required=True)
    employees = fields.List(fields.Nested(EmployeeSheetSchema), required=True)


class PermissionTableSchema(Schema):
    features = fields.List(fields.String(), required=True)
    roles = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "per role, the features it has by default"},
    )


def who(principal: Principal | None) -> str:
    """Who did it, as the time clock's history names them."""
    if principal is not None and principal.kind == "employee" and principal.employee_id:
        return principal.employee_id
    return "admin"


class StaffRoutes:
    """The staff routes, mixed into the gateway service."""

    services: ServiceCalls
    businesses: Businesses
    tokens = Tokens()

    def staff(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.services.call("staff", method, *args, **kwargs)

    def timezone(self, call: Call) -> str:
        return str(self.businesses.get(call.business_id)["timezone"])

    # Employees.

    @route(
        "POST",
        "/v1/employees",
        access=BUSINESS_STAFF,
        feature="settings.edit",
        body=HireSchema,
        reply=EmployeeRefSchema,
        status=201,
        errors=CHANGES,
    )
    def hire_employee(self, call: Call) -> Any:
        """Hire an employee."""
        body = call.body
        return self.staff("hire", call.business_id, body["name"], body["role"], body.get("email"))

    @route("GET", "/v1/employees", access=BUSINESS_STAFF, reply=EmployeeListSchema)
    def list_employees(self, call: Call) -> Any:
        """The business's active employees, in hiring order."""
        return {"employees": self.staff("list_employees", call.business_id)}

    @route(
        "GET", "/v1/employees/<id>", access=BUSINESS_STAFF, reply=EmployeeSchema, errors=NOT_FOUND
    )
    def get_employee(self, call: Call) -> Any:
        """One employee: role, permissions, schedules, time off, limitations."""
        return self.staff("get_employee", call.business_id, call.path["id"])

    @route(
        "PATCH",
        "/v1/employees/<id>",
        access=BUSINESS_STAFF,
        feature="settings.edit",
        body=EmployeeChangeSchema,
        reply=EmployeeRefSchema,
        errors=CHANGES,
    )
    def change_employee(self, call: Call) -> Any:
        """Change an employee's name, role or email."""
        return self.staff("update_employee", call.business_id, call.path["id"], **call.body)

    @route(
        "POST",
        "/v1/employees/<id>/deactivate",
        access=BUSINESS_STAFF,
        feature="settings.edit",
        reply=EmployeeRefSchema,
        errors=CHANGES,
    )
    def deactivate_employee(self, call: Call) -> Any:
        """Deactivate: history stays; no clocking in, nothing to book, tokens stop working."""
        return self.staff("deactivate_employee", call.business_id, call.path["id"])

    # Tokens.

    @route(
        "POST",
        "/v1/employees/<id>/tokens",
        access=BUSINESS_ADMIN,
        reply=TokenSchema,
        status=201,
        errors=CHANGES,
    )
    def issue_token(self, call: Call) -> Any:
        """Issue a token for an active employee (business admin only).

        The employee calls the API with it as ``Authorization: Bearer <token>``;
        each request is checked against their permissions.
        """
        employee = self.staff("get_employee", call.business_id, call.path["id"])
        if not employee["active"]:
            raise RefusedByRuleError(f"employee {employee['employee_id']} is deactivated")
        tokens: EmployeeTokens = self.tokens  # type: ignore[assignment]
        return tokens.issue(call.business_id, employee["employee_id"])

    @route(
        "DELETE",
        "/v1/employees/<id>/tokens",
        access=BUSINESS_ADMIN,
        reply=RevokedSchema,
        errors=NOT_FOUND,
    )
    def revoke_tokens(self, call: Call) -> Any:
        """Revoke every token of the employee (business admin only)."""
        employee = self.staff("get_employee", call.business_id, call.path["id"])
        tokens: EmployeeTokens = self.tokens  # type: ignore[assignment]
        revoked = tokens.revoke(call.business_id, employee["employee_id"])
        return {"employee_id": employee["employee_id"], "revoked": revoked}

    # Schedules and what an employee may perform.

    @route(
        "PUT",
        "/v1/employees/<id>/schedule",
        access=BUSINESS_STAFF,
        feature="schedules.edit",
        body=ScheduleSchema,
        reply=EmployeeRefSchema,
        errors=CHANGES,
    )
    def set_schedule(self, call: Call) -> Any:
        """Set weekly hours from a day on (the days before keep their schedule)."""
        body = call.body
        return self.staff(
            "set_schedule",
            call.business_id,
            call.path["id"],
            self.timezone(call),
            body["weekly"],
            body["effective_from"],
        )

    @route(
        "POST",
        "/v1/employees/<id>/time-off",
        access=BUSINESS_STAFF,
        feature="schedules.edit",
        body=TimeOffRequestSchema,
        reply=TimeOffAddedSchema,
        status=201,
        errors=CHANGES,
    )
    def add_time_off(self, call: Call) -> Any:
        """Time off between two instants: removed from the working windows."""
        body = call.body
        return self.staff(
            "add_time_off",
            call.business_id,
            call.path["id"],
            body["starts_at"],
            body["ends_at"],
            body.get("reason"),
        )

    @route(
        "POST",
        "/v1/employees/<id>/extra-shifts",
        access=BUSINESS_STAFF,
        feature="schedules.edit",
        body=TimeWindowSchema,
        reply=ExtraShiftAddedSchema,
        status=201,
        errors=CHANGES,
    )
    def add_extra_shift(self, call: Call) -> Any:
        """A shift outside the weekly hours."""
        body = call.body
        return self.staff(
            "add_extra_shift", call.business_id, call.path["id"], body["starts_at"], body["ends_at"]
        )

    @route(
        "GET",
        "/v1/employees/<id>/working-windows",
        access=BUSINESS_STAFF,
        query=DateRangeQuery,
        reply=WorkingWindowsSchema,
        errors=NOT_FOUND,
    )
    def working_windows(self, call: Call) -> Any:
        """When the employee works over local days ``from``..``to``, as UTC instants."""
        timezone = self.timezone(call)
        windows = self.staff(
            "working_windows",
            call.business_id,
            call.path["id"],
            call.query["from_date"],
            call.query["to_date"],
            timezone,
        )
        return {"employee_id": call.path["id"], "timezone": timezone, "windows": windows}

    @route(
        "GET",
        "/v1/working-windows",
        access=BUSINESS_STAFF,
        query=DateRangeQuery,
        reply=RosterWindowsSchema,
    )
    def roster_windows(self, call: Call) -> Any:
        """When each employee works over local days ``from``..``to``, as UTC instants."""
        query = call.query
        timezone = self.timezone(call)
        return self.staff(
            "roster_windows", call.business_id, query["from_date"], query["to_date"], timezone
        )

    @route(
        "PUT",
        "/v1/employees/<id>/service-limitations",
        access=BUSINESS_STAFF,
        feature="schedules.edit",
        body=ServiceLimitationsRequestSchema,
        reply=EmployeeRefSchema,
        errors=CHANGES,
    )
    def set_service_limitations(self, call: Call) -> Any:
        """The services and categories the employee may perform (both empty: all)."""
        body = call.body
        return self.staff(
            "set_service_limitations",
            call.business_id,
            call.path["id"],
            body["service_ids"],
            body["category_ids"],
        )

    @route(
        "PUT",
        "/v1/employees/<id>/permissions",
        access=BUSINESS_STAFF,
        feature="settings.edit",
        body=PermissionsSchema,
        reply=EmployeeRefSchema,
        errors=CHANGES,
    )
    def set_permissions(self, call: Call) -> Any:
        """Deny features to the employee (a deny list never grants what the role lacks)."""
        return self.staff("set_permissions", call.business_id, call.path["id"], call.body["denied"])

    @route("GET", "/v1/permissions", access=BUSINESS_STAFF, reply=PermissionTableSchema)
    def permission_table(self, call: Call) -> Any:
        """The features, and which each role has by default."""
        return self.staff("permission_table")

    # The time clock.

    @route(
        "POST",
        "/v1/employees/<id>/clock-in",
        access=BUSINESS_STAFF,
        feature="timeclock.edit",
        own=True,
        reply=ClockedSchema,
        status=201,
        errors=CHANGES,
    )
    def clock_in(self, call: Call) -> Any:
        """Clock in now. Employees clock themselves; others need timeclock.edit."""
        return self.staff("clock_in", call.business_id, call.path["id"])

    @route(
        "POST",
        "/v1/employees/<id>/clock-out",
        access=BUSINESS_STAFF,
        feature="timeclock.edit",
        own=True,
        reply=ClockedSchema,
        errors=CHANGES,
    )
    def clock_out(self, call: Call) -> Any:
        """Clock out now, closing the open entry."""
        return self.staff("clock_out", call.business_id, call.path["id"])

    @route(
        "GET",
        "/v1/employees/<id>/time-entries",
        access=BUSINESS_STAFF,
        feature="timeclock.edit",
        own=True,
        reply=EntriesSchema,
        errors=NOT_FOUND,
    )
    def time_entries(self, call: Call) -> Any:
        """Every time-clock entry, with its corrections."""
        entries = self.staff("time_entries", call.business_id, call.path["id"])
        return {"employee_id": call.path["id"], "entries": entries}

    @route(
        "POST",
        "/v1/employees/<id>/time-entries/<entry_id>/corrections",
        access=BUSINESS_STAFF,
        feature="timeclock.edit",
        body=CorrectionSchema,
        reply=EmployeeRefSchema,
        status=201,
        errors=CHANGES,
    )
    def correct_entry(self, call: Call) -> Any:
        """Correct an entry's times, with a reason; the entry keeps its history."""
        return self.staff(
            "correct_entry",
            call.business_id,
            call.path["id"],
            entry_id=call.path["entry_id"],
            corrected_by=who(call.principal),
            **call.body,
        )

    @route(
        "GET",
        "/v1/timesheets",
        access=BUSINESS_STAFF,
        feature="reports.view",
        query=TimesheetQuery,
        reply=TimesheetSchema,
    )
    def timesheets(self, call: Call) -> Any:
        """Hours per employee over a pay period: regular, and overtime past 40 a week."""
        query = call.query
        return self.staff(
            "timesheet",
            call.business_id,
            query["from_date"],
            query["to_date"],
            self.timezone(call),
            query["week_starts_on"],
        )
