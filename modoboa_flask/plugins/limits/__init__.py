"""Limits and resellers: per-administrator and per-domain object limits with reseller pools.

Built only on the plugin hooks: parameters, CanCreateObject, AccountCreated/DomainCreated,
UserCanSetRole, AccountDeleted/RoleChanged/AccountModified, and the Resources tabs of the
account and domain forms. Other plugins add limits through GetExtraLimitTemplates.
"""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select

from ... import params
from ...extensions import db
from ...models import Domain, User
from .. import Plugin
from . import receivers, services
from .definitions import DOMAIN_LIMITS, USER_LIMITS, LimitTemplate

__all__ = ["LimitTemplate", "plugin"]
__version__ = "1.0.0"

# Templates only (the Resources tab fragments): no routes.
bp = Blueprint("limits", __name__, template_folder="templates")


def _limit_ok(value):
    if value < -1:
        raise params.ParamError("Invalid limit")


def _params() -> list[params.Param]:
    help_text = "0 to deny any creation, -1 to allow unlimited creations"
    found = [
        params.Param("limits", "enable_admin_limits", "bool", True, "Enable per-admin limits",
                     "Enable or disable per-admin limits", order=10),
    ]  # fmt: skip
    for index, tpl in enumerate(USER_LIMITS, start=1):
        found.append(
            params.Param("limits", f"deflt_user_{tpl.name}_limit", "int", 0,
                         f"{tpl.label} (default)", help_text, validator=_limit_ok,
                         visible_if=("enable_admin_limits", True), order=10 + index)
        )  # fmt: skip
    found.append(
        params.Param("limits", "enable_domain_limits", "bool", False, "Enable per-domain limits",
                     "Enable or disable per-domain limits", order=50)
    )  # fmt: skip
    for index, tpl in enumerate(DOMAIN_LIMITS, start=1):
        found.append(
            params.Param("limits", f"deflt_domain_{tpl.name}_limit", "int", 0,
                         f"{tpl.label} (default)", help_text, validator=_limit_ok,
                         visible_if=("enable_domain_limits", True), order=50 + index)
        )  # fmt: skip
    return found


def load(app) -> None:
    """Register the Limits parameters, the tab templates and the receivers on *app*."""
    params.register(*_params(), label="Limits", app=app)
    app.register_blueprint(bp)
    receivers.connect(app)


def load_initial_data() -> list[str]:
    """Give every existing account and domain its limit rows (defaults; idempotent)."""
    done = 0
    for account in db.session.scalars(select(User)):
        before = len(services.user_rows(account))
        services.create_user_limits(account, None)
        done += before == 0
    for domain in db.session.scalars(select(Domain)):
        services.create_domain_limits(domain)
    db.session.flush()
    return [f"Created limits for {done} account(s)"] if done else []


plugin = Plugin(
    name="limits",
    label="Limits",
    version=__version__,
    description="Per-administrator and per-domain limits, reseller resource pools",
    load=load,
    load_initial_data=load_initial_data,
)
