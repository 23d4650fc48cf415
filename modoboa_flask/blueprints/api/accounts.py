"""`accounts/` representation: the schemas, the batch serializer and body checks."""

from __future__ import annotations

from flask import g
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...bounds import max_length
from ...extensions import db
from ...models import (
    DOMAINADMINS,
    RESELLERS,
    SIMPLEUSERS,
    SUPERADMINS,
    Domain,
    DomainAdmin,
    Mailbox,
    User,
)
from ...permissions import has_perm, visible_accounts, visible_domains
from .common import exists, normalize_domain
from .errors import APIError
from .fields import Boolean, Choice, Email, Integer, List, Nested, Schema, String, ValidationError

ROLES = (SIMPLEUSERS, DOMAINADMINS, RESELLERS, SUPERADMINS)
LANGUAGES = ("cs", "de", "en", "es", "fr", "it", "ja_JP", "nl", "pt_PT", "pt_BR", "ru", "sv")
MAILBOX = Schema(
    "Mailbox",
    {
        "full_address": Email(required=True, strict=True, example="jdoe@example.com"),
        "quota": Integer(required=True, min_value=0, description="MB (0 = unlimited)."),
        "use_domain_quota": Boolean(
            description="Follow later changes of the domain's quota (the quota sent is kept)."
        ),
    },
)
ACCOUNT = Schema(
    "Account",
    {
        "pk": Integer(read_only=True, min_value=1),
        "username": String(required=True, max_length=max_length(User.username), allow_blank=False),
        "password": String(
            required=True,
            write_only=True,
            max_length=256,
            description="Clear text; required on create, replaces the password on update.",
        ),
        "role": Choice(required=True, choices=ROLES),
        "first_name": String(max_length=max_length(User.first_name)),
        "last_name": String(max_length=max_length(User.last_name)),
        "is_active": Boolean(),
        "master_user": Boolean(
            output_optional=True, description="Super admin callers only (shown and accepted)."
        ),
        "language": Choice(choices=LANGUAGES),
        "phone_number": String(max_length=max_length(User.phone_number), nullable=True),
        "secondary_email": Email(nullable=True),
        "mailbox": Nested(schema_obj=MAILBOX, nullable=True),
        "domains": List(
            child=String(max_length=max_length(Domain.name), allow_blank=False),
            max_items=500,
            description="Names of the domains this account administers (admins only).",
        ),
    },
    required_on_update={"username", "role"},
)
PASSWORD = Schema(
    "PasswordChange",
    {
        "password": String(required=True, max_length=256, description="Current password."),
        "new_password": String(required=True, max_length=256),
    },
)
# Service field -> API field.
FIELDS = {
    "email": ("mailbox", "full_address"),
    "quota": ("mailbox", "quota"),
    "aliases": ("mailbox", "full_address"),
}


def visible():
    """Accounts the caller sees; simple users see none, as in Modoboa 1.6."""
    stmt = visible_accounts(g.actor).options(selectinload(User.mailbox).joinedload(Mailbox.domain))
    if not has_perm(g.actor, "accounts.view"):
        return stmt.where(User.id.is_(None))
    return stmt


def serialize_many(users: list[User]) -> list[dict]:
    """Representations of *users* (one extra query for the admins' domains)."""
    admins = [u.id for u in users if u.role in (DOMAINADMINS, RESELLERS)]
    domains: dict[int, list[str]] = {}
    if admins:
        stmt = (
            select(DomainAdmin.user_id, Domain.name)
            .join(Domain, Domain.id == DomainAdmin.domain_id)
            .where(DomainAdmin.user_id.in_(admins))
            .order_by(Domain.name)
        )
        if not g.actor.is_superuser:
            # A peer's other domains are another tenant's: its page hides them too.
            stmt = stmt.where(Domain.id.in_(visible_domains(g.actor).with_only_columns(Domain.id)))
        for user_id, name in db.session.execute(stmt):
            domains.setdefault(user_id, []).append(name)
    show_master = g.actor.is_superuser
    return [_one(u, domains.get(u.id, []), show_master) for u in users]


def serialize(user: User) -> dict:
    """The representation of one account (never its password hash)."""
    return serialize_many([user])[0]


def _one(user: User, domains: list[str], show_master: bool) -> dict:
    mailbox = user.mailbox
    out = {
        "pk": user.id,
        "username": user.username,
        "first_name": user.first_name or "",
        "last_name": user.last_name or "",
        "is_active": user.is_active,
        "mailbox": None
        if mailbox is None
        else {
            "full_address": mailbox.full_address,
            "use_domain_quota": mailbox.use_domain_quota,
            "quota": mailbox.quota,
        },
        "role": user.role,
        "language": user.language or "en",
        "phone_number": user.phone_number,
        "secondary_email": user.secondary_email,
        "domains": domains,
    }
    if show_master:
        out["master_user"] = user.master_user
    return out


def check_master(data: dict) -> None:
    """`master_user` is a super admin's field: others may only send false (ignored)."""
    if "master_user" in data and not g.actor.is_superuser:
        if data.pop("master_user"):
            raise ValidationError({"master_user": ["Not allowed for this role."]})


def mailbox_args(data: dict, *, creating: bool) -> dict:
    """Service arguments for the `mailbox` object: the address and quota (None = follow)."""
    mailbox = data.get("mailbox")
    if data["role"] == SIMPLEUSERS:
        if mailbox is not None and mailbox["full_address"].lower() != data["username"].lower():
            raise ValidationError({"username": ["Must be equal to mailbox full_address"]})
        if mailbox is None:
            if not creating:
                return {}
            # Simple users always have a mailbox: its address is the username.
            _check_domain(data["username"].rpartition("@")[2], creating)
            return {"email": data["username"], "quota": None}
    if mailbox is None:
        return {}
    address = mailbox["full_address"]
    _check_domain(address.rpartition("@")[2], creating)
    # Like Modoboa 1.6, a quota sent with use_domain_quota is kept; later default changes move it.
    follow = bool(mailbox.get("use_domain_quota"))
    return {"email": address, "quota": mailbox["quota"], "use_domain_quota": follow}


def _check_domain(name: str, creating: bool) -> None:
    """The mailbox's domain must exist (404) and be the caller's (400 create / 403 update)."""
    name = normalize_domain(name)
    if not exists(select(Domain.id).where(Domain.name == name)):
        raise APIError(404, None if creating else {"detail": "Domain does not exist"})
    if not exists(visible_domains(g.actor).where(Domain.name == name)):
        if creating:
            raise APIError(400, {"domain": ["Permission denied."]})
        raise APIError(403, {"detail": "Permission denied"})
