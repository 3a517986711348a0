"""Unit tests of the permission table and the time-clock rules (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff.errors import StaffInvalidInputError, StaffRefusedError, UnknownFeatureError
from staff.permissions import (
    FEATURES,
    ROLE_DEFAULTS,
    ROLES,
    allowed_features,
    deny_list,
    is_allowed,
)
from staff.timeclock import check_clock_in, check_clock_out, check_correction
from staff.timesheet import TimeEntry

REQUIRED = {
    "tickets.void", "tickets.refund", "tickets.reopen", "clients.delete", "schedules.edit",
    "timeclock.edit", "reports.view", "billing.card", "settings.edit", "status.post",
}  # fmt: skip


def test_the_table_has_every_required_feature_and_admins_have_them_all():
    assert set(FEATURES) >= REQUIRED
    assert all(is_allowed("Admin", [], feature) for feature in FEATURES)


def test_role_defaults_nest_employee_inside_manager_inside_admin():
    assert ROLE_DEFAULTS["Employee"] < ROLE_DEFAULTS["Manager"] < ROLE_DEFAULTS["Admin"]
    assert is_allowed("Manager", [], "tickets.refund")
    assert not is_allowed("Manager", [], "settings.edit")
    assert is_allowed("Employee", [], "tickets.reopen")
    assert not is_allowed("Employee", [], "tickets.void")


def test_a_denied_feature_is_refused_even_to_an_admin():
    assert not is_allowed("Admin", ["tickets.refund"], "tickets.refund")
    assert is_allowed("Admin", ["tickets.refund"], "tickets.void")


def test_an_unknown_feature_is_an_error_naming_it():
    with pytest.raises(UnknownFeatureError, match=r"'tickets\.burn'") as refused:
        is_allowed("Admin", [], "tickets.burn")
    assert list(refused.value.fields) == ["feature"]
    with pytest.raises(UnknownFeatureError) as refused:
        deny_list(["tickets.void", "nope"])
    assert list(refused.value.fields) == ["denied.1"]
    with pytest.raises(StaffInvalidInputError, match="role"):
        is_allowed("Owner", [], "tickets.void")


def test_a_deny_list_is_kept_once_each_in_table_order():
    assert deny_list(["status.post", "tickets.void", "status.post"]) == [
        "tickets.void",
        "status.post",
    ]


@given(st.sampled_from(ROLES), st.sets(st.sampled_from(FEATURES)), st.sampled_from(FEATURES))
def test_a_deny_list_only_takes_away(role, denied, feature):
    allowed = is_allowed(role, denied, feature)
    assert allowed == (feature in ROLE_DEFAULTS[role] and feature not in denied)
    assert allowed == (feature in allowed_features(role, denied))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


OPEN = TimeEntry("open", at("2026-11-21T08:00"))
CLOSED = TimeEntry("closed", at("2026-11-20T08:00"), at("2026-11-20T16:00"))


def test_clocking_in_twice_is_refused_saying_since_when():
    with pytest.raises(StaffRefusedError, match="already clocked in since 2026-11-21T08:00:00Z"):
        check_clock_in("Ada", True, [OPEN], at("2026-11-21T09:00"))


def test_a_deactivated_employee_cannot_clock_in():
    with pytest.raises(StaffRefusedError, match="deactivated"):
        check_clock_in("Ada", False, [], at("2026-11-21T09:00"))


def test_clocking_in_inside_an_earlier_entry_is_refused():
    with pytest.raises(StaffRefusedError, match="closed"):
        check_clock_in("Ada", True, [CLOSED], at("2026-11-20T10:00"))
    check_clock_in("Ada", True, [CLOSED], at("2026-11-20T16:00"))  # right after: fine


def test_clocking_out_without_clocking_in_is_refused():
    with pytest.raises(StaffRefusedError, match="not clocked in"):
        check_clock_out("Ada", [CLOSED], at("2026-11-21T09:00"))


def test_clocking_out_gives_the_entry_and_its_worked_minutes():
    assert check_clock_out("Ada", [CLOSED, OPEN], at("2026-11-21T16:30:59")) == ("open", 510)


def test_a_correction_needs_a_reason_and_may_not_overlap_or_turn_an_entry_backwards():
    entries = {"open": OPEN, "closed": CLOSED}
    with pytest.raises(StaffInvalidInputError) as refused:
        check_correction(entries, "closed", at("2026-11-20T09:00"), None, " ")
    assert list(refused.value.fields) == ["reason"]
    with pytest.raises(StaffRefusedError, match="overlap entry open"):
        check_correction(entries, "closed", None, at("2026-11-21T09:00"), "forgot")
    with pytest.raises(StaffRefusedError, match="not after"):
        check_correction(entries, "closed", at("2026-11-20T17:00"), None, "typo")
    with pytest.raises(StaffInvalidInputError) as refused:
        check_correction(entries, "missing", at("2026-11-20T09:00"), None, "typo")
    assert list(refused.value.fields) == ["entry_id"]
    assert check_correction(entries, "closed", at("2026-11-20T09:00"), None, "late bus") == (
        at("2026-11-20T09:00"),
        at("2026-11-20T16:00"),
    )
