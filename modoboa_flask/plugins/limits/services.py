"""Limits: rows, usage, the creation check and the reseller pools (reference §3)."""

from __future__ import annotations

from sqlalchemy import select

from ... import audit, params
from ...bounds import problem
from ...exceptions import BadRequest, LimitReached, PermissionDenied
from ...extensions import db
from ...imports.bulk import insert_rows
from ...models import (
    DOMAINADMINS,
    RESELLERS,
    SIMPLEUSERS,
    Domain,
    DomainObjectLimit,
    User,
    UserObjectLimit,
)
from ...permissions import can_manage_account, has_perm, is_domain_admin_of
from .definitions import LimitTemplate, domain_templates, template, user_templates

UNLIMITED = -1


def default_max(tpl: LimitTemplate) -> int:
    """The `deflt_<level>_<name>_limit` parameter (the template's default for extras)."""
    try:
        return params.get(f"limits.deflt_{tpl.level}_{tpl.name}_limit")
    except KeyError:
        return tpl.default


def user_rows(user) -> dict[str, UserObjectLimit]:
    """The limit rows of *user* by name."""
    rows = db.session.scalars(select(UserObjectLimit).where(UserObjectLimit.user_id == user.id))
    return {row.name: row for row in rows}


def domain_rows(domain) -> dict[str, DomainObjectLimit]:
    """The limit rows of *domain* by name."""
    rows = db.session.scalars(
        select(DomainObjectLimit).where(DomainObjectLimit.domain_id == domain.id)
    )
    return {row.name: row for row in rows}


def create_user_limits(account, creator=None) -> None:
    """Give a new account (or each of a list of accounts) one row per user template.

    Defaults apply when the creator is the system or a super admin; otherwise the row
    starts at 0 and the (reseller) creator hands resources out of its own pool. A list is
    handled set-wise (one SELECT, one multi-row INSERT): the batched CSV import sends one.
    """
    accounts = account if isinstance(account, list) else [account]
    if not accounts:
        return
    from_defaults = creator is None or creator.is_superuser
    if any(a.id is None for a in accounts):
        db.session.flush()
    ids = [a.id for a in accounts]
    have = set(
        db.session.execute(
            select(UserObjectLimit.user_id, UserObjectLimit.name).where(
                UserObjectLimit.user_id.in_(ids)
            )
        ).all()
    )
    maxima = {tpl.name: default_max(tpl) if from_defaults else 0 for tpl in user_templates()}
    rows = [
        {"user_id": user_id, "name": name, "max_value": maximum}
        for user_id in ids
        for name, maximum in maxima.items()
        if (user_id, name) not in have
    ]
    if rows:
        # One multi-row INSERT, no ORM objects; readers select the rows (user_rows) when they
        # need them. insert_rows skips SQLAlchemy's per-row parameter machinery (a 100,000-
        # account import writes 500,000 limit rows).
        insert_rows(UserObjectLimit, rows)


def create_domain_limits(domain) -> None:
    """Give a new domain one row per domain template, at the default values."""
    if domain.id is None:
        db.session.flush()
    have = domain_rows(domain)
    for tpl in domain_templates():
        if tpl.name not in have:
            db.session.add(
                DomainObjectLimit(domain_id=domain.id, name=tpl.name, max_value=default_max(tpl))
            )


def usage(tpl: LimitTemplate, context) -> int:
    """Current number of objects *tpl* counts for *context* (a User or a Domain)."""
    return tpl.count(context) if tpl.count is not None else 0


def _maximum(tpl: LimitTemplate, rows: dict) -> int:
    row = rows.get(tpl.name)
    return row.max_value if row is not None else default_max(tpl)


def limits_applied_to(context) -> tuple[LimitTemplate, ...] | None:
    """The templates that constrain *context* now, or None when its limits are off."""
    if isinstance(context, Domain):
        return tuple(domain_templates()) if params.get("limits.enable_domain_limits") else None
    if not params.get("limits.enable_admin_limits") or context.is_superuser:
        return None
    if context.role == SIMPLEUSERS:
        return None  # limits are per administrator: a user's own forward is not counted
    return tuple(user_templates())


def check(context, object_type: str, count: int = 1) -> None:
    """Raise LimitReached when creating *count* objects would exceed *context*'s limit."""
    if limits_applied_to(context) is None:
        return
    level = "domain" if isinstance(context, Domain) else "user"
    tpl = template(object_type, level)
    if tpl is None:
        return
    rows = domain_rows(context) if level == "domain" else user_rows(context)
    maximum = _maximum(tpl, rows)
    # -1 is unlimited (Modoboa 1.6.2 forgot this; 1.6.3 fixed it).
    if maximum != UNLIMITED and usage(tpl, context) + count > maximum:
        raise LimitReached(f"{tpl.label}: limit reached")


def is_exceeded(context, object_type: str, count: int = 1) -> bool:
    """True when creating *count* more objects would exceed the limit."""
    try:
        check(context, object_type, count)
    except LimitReached:
        return True
    return False


def report(context, templates) -> list[dict]:
    """Usage of each template for *context*: label, current, max, percent (for bars)."""
    rows = domain_rows(context) if isinstance(context, Domain) else user_rows(context)
    found = []
    for tpl in templates:
        current, maximum = usage(tpl, context), _maximum(tpl, rows)
        if maximum == UNLIMITED:
            percent = 0
        elif maximum == 0:
            percent = 100
        else:
            percent = min(100, round(current * 100 / maximum))
        found.append({"template": tpl, "current": current, "max": maximum, "percent": percent})
    return found


def account_templates(account) -> list[LimitTemplate]:
    """The user templates shown for *account*: reseller-only ones hidden for domain admins."""
    return [t for t in user_templates() if t.required_role in (None, account.role)]


def _check_value(name: str, value) -> int:
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise BadRequest("Enter a whole number.", field=name) from None
    if value < UNLIMITED:
        raise BadRequest("Invalid limit", field=name)
    too_big = problem(UserObjectLimit.max_value, value)
    if too_big:
        raise BadRequest(too_big, field=name)
    return value


def set_user_limits(actor, account, values: dict) -> None:
    """Set *account*'s limits; a reseller pays for them out of its own pool. No commit."""
    if actor.id == account.id or account.role not in (DOMAINADMINS, RESELLERS):
        raise PermissionDenied("You can't change these limits")
    if not actor.is_superuser and not (
        actor.role == RESELLERS and account.role == DOMAINADMINS
        and can_manage_account(actor, account)
    ):  # fmt: skip
        raise PermissionDenied("Permission denied")
    allowed = {t.name: t for t in account_templates(account)}
    create_user_limits(account, actor)
    db.session.flush()
    rows, own = user_rows(account), ({} if actor.is_superuser else user_rows(actor))
    changes = {}
    for name, raw in values.items():
        if name not in allowed:
            raise BadRequest(f"Unknown limit {name}")
        new, row = _check_value(name, raw), rows[name]
        if new == row.max_value:
            continue
        _check_not_below_usage(allowed[name], account, row.max_value, new)
        if not actor.is_superuser:
            _take_from_pool(actor, own, allowed[name], row.max_value, new)
        changes[f"limit.{name}"] = [row.max_value, new]
        row.max_value = new
    if changes:
        audit.record(
            f"Limits of account '{account.username}' modified by user {actor.username}",
            action="modify", obj=account, changes=changes, level="WARNING",
        )  # fmt: skip


def _check_not_below_usage(tpl: LimitTemplate, account, old: int, new: int) -> None:
    """Refuse lowering a limit under what *account* already uses (nor credit the pool for it)."""
    if new == UNLIMITED or (old != UNLIMITED and new >= old):
        return
    used = usage(tpl, account)
    if new < used:
        raise BadRequest(
            f"{tpl.label}: {account.username} already uses {used}; "
            f"the limit can't be lower than that (asked {new}).",
            field=tpl.name,
        )


def _take_from_pool(reseller, own: dict, tpl: LimitTemplate, old: int, new: int) -> None:
    pool = own.get(tpl.name)
    if pool is None:
        pool = UserObjectLimit(user_id=reseller.id, name=tpl.name, max_value=default_max(tpl))
        db.session.add(pool)
        own[tpl.name] = pool
    if pool.max_value == UNLIMITED:
        return  # an unlimited reseller hands out anything, unlimited included
    if new == UNLIMITED:
        raise BadRequest("You're not allowed to define unlimited values", field=tpl.name)
    delta = new - max(old, 0)
    if delta > pool.max_value - usage(tpl, reseller):
        raise BadRequest("Not enough resources", field=tpl.name, status=424)
    pool.max_value -= delta


def return_to_pool(account) -> None:
    """Give a deleted or demoted admin's limits back to its reseller owner; zero them."""
    rows = user_rows(account)
    owner = db.session.get(User, account.owner_id) if account.owner_id else None
    if owner is not None and owner.role == RESELLERS and not owner.is_superuser:
        own = user_rows(owner)
        for name, row in rows.items():
            pool = own.get(name)
            if row.max_value > 0 and pool is not None and pool.max_value != UNLIMITED:
                pool.max_value += row.max_value
    for row in rows.values():
        row.max_value = 0


def set_domain_limits(actor, domain, values: dict) -> None:
    """Set *domain*'s limits (actors holding domains.change on it). No commit."""
    if not has_perm(actor, "domains.change") or not is_domain_admin_of(actor, domain):
        raise PermissionDenied("Permission denied")
    create_domain_limits(domain)
    db.session.flush()
    rows, known = domain_rows(domain), {t.name for t in domain_templates()}
    changes = {}
    for name, raw in values.items():
        if name not in known:
            raise BadRequest(f"Unknown limit {name}")
        new = _check_value(name, raw)
        if rows[name].max_value != new:
            changes[f"limit.{name}"] = [rows[name].max_value, new]
            rows[name].max_value = new
    if changes:
        audit.record(
            f"Limits of domain '{domain.name}' modified by user {actor.username}",
            action="modify", obj=domain, changes=changes, level="WARNING",
        )  # fmt: skip
