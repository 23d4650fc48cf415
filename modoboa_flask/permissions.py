"""Who may do what to which object: the one place every view, CLI command and API asks.

Rules (Modoboa 1.6, reference §3): super admins do everything; resellers act on the domains
they own or administer and on the accounts they (or their domain admins) own; domain admins
act inside the domains they administer; simple users only manage themselves. Accounts are
*changed* only by a strictly higher role whose scope holds all of the account's domains
(``manageable_condition``): peers stay visible but not manageable (403). Lists go through
the ``visible_*`` selects, so an object outside the user's scope is simply not found (404).
"""

from __future__ import annotations

import functools

from flask import abort, g, has_request_context
from flask_login import current_user, login_required
from sqlalchemy import Select, and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from . import signals
from .bounds import to_id
from .exceptions import NotFound, PermissionDenied
from .extensions import db
from .models import (
    DOMAINADMINS,
    RESELLERS,
    SIMPLEUSERS,
    SUPERADMINS,
    Alias,
    Domain,
    DomainAdmin,
    DomainAlias,
    Mailbox,
    RolePermission,
    User,
)

ROLE_LEVELS = {SIMPLEUSERS: 1, DOMAINADMINS: 2, RESELLERS: 3, SUPERADMINS: 4}
ROLE_LABELS = {
    SIMPLEUSERS: "Simple user",
    DOMAINADMINS: "Domain administrator",
    RESELLERS: "Reseller",
    SUPERADMINS: "Super administrator",
}
_DOMAIN_ADMIN_PERMS = [
    "domains.view",
    "accounts.view", "accounts.add", "accounts.change", "accounts.delete",
    "mailboxes.view", "mailboxes.add", "mailboxes.change", "mailboxes.delete",
    "aliases.view", "aliases.add", "aliases.change", "aliases.delete",
]  # fmt: skip
ROLE_PERMISSIONS = {
    SIMPLEUSERS: [],
    DOMAINADMINS: _DOMAIN_ADMIN_PERMS,
    RESELLERS: _DOMAIN_ADMIN_PERMS
    + [
        "domains.add",
        "domains.change",
        "domains.delete",
        "domainaliases.add",
        "domainaliases.change",
        "domainaliases.delete",
        "relaydomains.add",
        "relaydomains.change",
        "relaydomains.delete",
        "services.add",
        "services.change",
        "services.delete",
        "limits.change",
    ],  # fmt: skip
    SUPERADMINS: [],  # super admins hold every permission implicitly
}


def role_level(role: str | None) -> int:
    """Rank of *role*: higher outranks lower; unknown roles rank with simple users."""
    return ROLE_LEVELS.get(role or SIMPLEUSERS, 1)


def _role_permissions() -> dict[str, set[str]]:
    cached = g.get("_role_perms") if has_request_context() else None
    if cached is None:
        cached = {}
        for role, code in db.session.execute(
            select(RolePermission.role_name, RolePermission.codename)
        ):
            cached.setdefault(role, set()).add(code)
        if has_request_context():
            g._role_perms = cached
    return cached


def has_perm(user, codename: str) -> bool:
    """True when *user*'s role grants *codename* (super admins hold every permission)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return codename in _role_permissions().get(user.role, set())


DENIED = "You are not allowed to do this."


def authorize(actor, permission: str, obj=None) -> None:
    """Refuse (service errors) unless *actor* sees *obj* (404 first) and holds *permission*."""
    # 404 before 403: an object outside the scope must not hint that it exists.
    if obj is not None and not can_access(actor, obj):
        raise NotFound(f"{type(obj).__name__} not found.")
    if not has_perm(actor, permission):
        raise PermissionDenied(DENIED)


def require(permission: str | None = None, *, admin: bool = False):
    """Decorate a view: log in required, then *permission* (None = any logged-in user).

    With *admin*, simple users get 403 too (pages for administrators of any role).
    """

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if permission and not has_perm(current_user, permission):
                abort(403)
            if admin and not current_user.is_admin:
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission or ("admin" if admin else "login")
        return wrapped

    return decorator


def load(model, arg: str, gate: str | None = None, *, perm=None, manage=False, where=()):
    """Decorate a view: log in, load *model* by the URL's *arg* in the user's scope, authorise.

    Steps, in order: login; *gate* (403: the area is closed to the role); the object from
    ``visible(model, user)`` (404 out of scope, no hint it exists); *perm* (403 in scope
    without the right); with *manage*, ``can_manage_account`` (403: peers stay read-only).
    *where* adds conditions to the scope (rows this page never shows answer 404).
    The view receives the object under *arg* without its ``_id`` suffix
    (``domain_id`` -> ``domain``).
    """
    name = arg.removesuffix("_id")

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if gate and not has_perm(current_user, gate):
                abort(403)
            obj = get_visible_or_404(current_user, model, kwargs.pop(arg), *where)
            if perm and not has_perm(current_user, perm):
                abort(403)
            if manage and not can_manage_account(current_user, obj):
                abort(403)
            return view(*args, **{name: obj}, **kwargs)

        wrapped.permission = perm or gate or "login"
        return wrapped

    return decorator


def public(view):
    """Mark a view as reachable without login (audited by the permission test)."""
    view.permission = "public"
    return view


# --- scoped selects -----------------------------------------------------------------------
def administered_domain_ids(user) -> Select:
    """Ids of the domains *user* administers (explicit grants, or owns as a reseller)."""
    granted = select(DomainAdmin.domain_id).where(DomainAdmin.user_id == user.id)
    if user.role == RESELLERS:
        return granted.union(select(Domain.id).where(Domain.owner_id == user.id))
    return granted


def visible_domains(user) -> Select:
    """Select the domains *user* may see."""
    stmt = select(Domain)
    if user.is_superuser:
        return stmt
    if user.role not in (RESELLERS, DOMAINADMINS):
        return stmt.where(false())
    return stmt.where(Domain.id.in_(administered_domain_ids(user)))


def visible_domain_aliases(user) -> Select:
    """Select the domain aliases of the domains *user* may see."""
    stmt = select(DomainAlias)
    if user.is_superuser:
        return stmt
    return stmt.where(DomainAlias.target_id.in_(visible_domains(user).with_only_columns(Domain.id)))


def _lower_roles(user) -> list[str]:
    """Roles *user* may see in others (its own included: peers of a domain, seen not managed)."""
    level = role_level(user.role)
    return [role for role, lvl in ROLE_LEVELS.items() if lvl <= level and role != SUPERADMINS]


def visible_accounts(user) -> Select:
    """Select the accounts *user* may see: itself, those it owns, those in its domains."""
    stmt = select(User)
    if user.is_superuser:
        return stmt
    if user.role not in (RESELLERS, DOMAINADMINS):
        return stmt.where(User.id == user.id)
    in_my_domains = select(Mailbox.user_id).where(
        Mailbox.domain_id.in_(administered_domain_ids(user))
    )
    conditions = [
        User.id == user.id,
        User.owner_id == user.id,
        User.id.in_(in_my_domains) & User.role.in_(_lower_roles(user)),
    ]
    if user.role == RESELLERS:
        # One level of delegation: what the reseller's own admins created.
        my_admins = select(User.id).where(User.owner_id == user.id)
        conditions.append(User.owner_id.in_(my_admins))
    return stmt.where(or_(*conditions), User.role.in_(_lower_roles(user)))


def visible_mailboxes(user) -> Select:
    """Select the mailboxes whose accounts *user* may see."""
    stmt = select(Mailbox)
    if user.is_superuser:
        return stmt
    return stmt.where(Mailbox.user_id.in_(visible_accounts(user).with_only_columns(User.id)))


def visible_aliases(user) -> Select:
    """Select the aliases (internal ones included) of the domains *user* may see."""
    stmt = select(Alias)
    if user.is_superuser:
        return stmt
    if user.role not in (RESELLERS, DOMAINADMINS):
        return stmt.where(false())
    return stmt.where(Alias.domain_id.in_(administered_domain_ids(user)))


_VISIBLE_BY_MODEL = {
    Domain: visible_domains,
    DomainAlias: visible_domain_aliases,
    User: visible_accounts,
    Mailbox: visible_mailboxes,
    Alias: visible_aliases,
}


def visible(model, user) -> Select:
    """Select the rows of *model* (Domain, DomainAlias, User, Mailbox, Alias) *user* may see."""
    return _VISIBLE_BY_MODEL[model](user)


def can_access(user, obj) -> bool:
    """True when *obj* lies inside *user*'s scope."""
    if user.is_superuser:
        return True
    model = type(obj)
    stmt = visible(model, user).where(model.id == obj.id)
    return db.session.scalar(select(stmt.exists())) or False


def get_visible_or_404(user, model, object_id, *where):
    """Load *model* #object_id if *user* may see it (and it meets *where*), else abort 404."""
    object_id = to_id(object_id)
    if object_id is None:
        abort(404)
    obj = db.session.scalar(visible(model, user).where(model.id == object_id, *where))
    if obj is None:
        abort(404)
    return obj


def manageable_condition(user):
    """SQL condition on User: *user* may change, disable, delete, rename, reset or re-role it.

    Super admins manage everyone. Anyone else manages only accounts of a strictly lower role
    (never a peer, never itself: self-service goes through the profile pages) whose mailbox
    and every administered or owned domain lie in *user*'s own scope. Resetting a peer's
    password would otherwise hand over that peer's other domains (issue 11).
    """
    if user.is_superuser:
        return true()
    level = role_level(user.role)
    lower = [role for role, lvl in ROLE_LEVELS.items() if lvl < level]
    mine = administered_domain_ids(user)
    # Aliases: callers may already select from these tables (e.g. User joined to Mailbox).
    grant, owned, mailbox = aliased(DomainAdmin), aliased(Domain), aliased(Mailbox)
    outside = [
        exists().where(grant.user_id == User.id, grant.domain_id.not_in(mine)),
        exists().where(owned.owner_id == User.id, owned.id.not_in(mine)),
        exists().where(mailbox.user_id == User.id, mailbox.domain_id.not_in(mine)),
    ]
    return and_(
        User.id != user.id,
        User.role.in_(lower),
        *(~clause.correlate(User) for clause in outside),
    )


def can_manage_account(user, account) -> bool:
    """True when *user* may change *account* (see manageable_condition) and can see it."""
    if user.is_superuser:
        return True
    stmt = visible_accounts(user).where(User.id == account.id, manageable_condition(user))
    return db.session.scalar(select(stmt.exists())) or False


def assignable_roles(user, account=None) -> list[str]:
    """Roles *user* may give to *account* (None = a new account), lowest first."""
    if user.is_superuser:
        roles = [SIMPLEUSERS, DOMAINADMINS, RESELLERS, SUPERADMINS]
    elif user.role == RESELLERS:
        roles = [SIMPLEUSERS, DOMAINADMINS]
        if account is not None and account.id == user.id:
            roles = [RESELLERS]
    elif user.role == DOMAINADMINS:
        roles = [SIMPLEUSERS]
        if account is not None and account.id == user.id:
            roles = [DOMAINADMINS]
    else:
        return []
    allowed = []
    for role in roles:
        current = account is not None and account.role == role
        vetoes = signals.collect(signals.user_can_set_role, user=user, role=role, account=account)
        if current or all(vetoes):
            allowed.append(role)
    return allowed


def is_domain_admin_of(user, domain) -> bool:
    """True when *user* administers *domain* (grant, ownership, or super admin)."""
    if user.is_superuser:
        return True
    stmt = administered_domain_ids(user).subquery()
    return bool(db.session.scalar(select(stmt.c[0]).where(stmt.c[0] == domain.id)))


def can_manage_dkim(user, domain) -> bool:
    """True when *user* may manage *domain*'s DKIM keys: an administrator of that domain."""
    return has_perm(user, "domains.view") and user.is_admin and is_domain_admin_of(user, domain)
