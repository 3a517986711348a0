"""The permission table: which features each role may use, less an employee's deny list.

Features are fixed (a new one is a code change here, and the gateway checks
it by name). Role defaults, as in the seed's green/red grid:

================  =====  =======  ========
feature           Admin  Manager  Employee
================  =====  =======  ========
tickets.void      yes    yes      no
tickets.refund    yes    yes      no
tickets.reopen    yes    yes      yes
clients.delete    yes    no       no
schedules.edit    yes    yes      no
timeclock.edit    yes    yes      no
reports.view      yes    yes      no
billing.card      yes    no       no
settings.edit     yes    no       no
status.post       yes    yes      no
================  =====  =======  ========

A deny list only takes away (a red button): it never grants what the role
does not have. Why these defaults: a Manager runs the floor (voids, refunds,
schedules, corrects the time clock, reads reports) but does not delete
client history, touch the business's card or change its settings; an
Employee works tickets (reopening one they closed by mistake) and nothing
else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from pawline.contracts.staff import FEATURES, ROLES
from staff.errors import StaffInvalidInputError, UnknownFeatureError

__all__ = ["FEATURES", "ROLES", "allowed_features", "check_feature", "deny_list", "is_allowed"]

ROLE_DEFAULTS: Final[dict[str, frozenset[str]]] = {
    "Admin": frozenset(FEATURES),
    "Manager": frozenset(FEATURES) - {"clients.delete", "billing.card", "settings.edit"},
    "Employee": frozenset({"tickets.reopen"}),
}


def check_feature(feature: str, field: str = "feature") -> str:
    """The feature, or UnknownFeatureError naming it."""
    if feature not in FEATURES:
        raise UnknownFeatureError.naming(feature, field)
    return feature


def check_role(role: str, field: str = "role") -> str:
    if role not in ROLES:
        raise StaffInvalidInputError.of_field(field, f"unknown role {role!r}: one of {ROLES}")
    return role


def deny_list(denied: Iterable[str]) -> list[str]:
    """The deny list as stored: known features only, each once, in table order."""
    names = list(denied)
    for index, feature in enumerate(names):
        check_feature(feature, f"denied.{index}")
    return [feature for feature in FEATURES if feature in names]


def is_allowed(role: str, denied: Iterable[str], feature: str) -> bool:
    """Whether an employee of ``role`` with ``denied`` features may use ``feature``."""
    check_feature(feature)
    check_role(role)
    return feature in ROLE_DEFAULTS[role] and feature not in set(denied)


def allowed_features(role: str, denied: Iterable[str]) -> list[str]:
    """Every feature the employee may use, in table order."""
    check_role(role)
    refused = set(denied)
    return [f for f in FEATURES if f in ROLE_DEFAULTS[role] and f not in refused]
