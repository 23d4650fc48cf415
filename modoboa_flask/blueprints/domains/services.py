"""Domain services shared by the UI, the CLI, the CSV import and the API.

Every function takes the acting user first, checks permission and scope, validates, writes,
sends the lifecycle signals and the audit log, and never commits (the caller does).
"""

from __future__ import annotations

from sqlalchemy import select, update

from ... import audit, params, quota_pool, signals
from ...accounts import first_superuser
from ...addresses import check_stored_local_part
from ...exceptions import BadRequest, Conflict, NotFound, PermissionDenied
from ...extensions import db
from ...models import DOMAINADMINS, RESELLERS, Alias, Domain, DomainAdmin, Mailbox, User
from ...permissions import authorize, can_manage_account, manageable_condition
from ..dns import verification
from ..identities.grants import grant_domain, revoke_domains
from .admin_account import create_domain_admin
from .alias_services import (
    add_alias_row,
    create_domain_alias,
    delete_domain_alias,
    update_domain_alias,
)
from .cascade import delete_domain_rows, rename_domain_rows, revoke_foreign_senders
from .common import (
    check_default_vs_quota,
    check_mb,
    check_type,
    domain_types,
)
from .names import display_name, ensure_name_free, normalize_domain_name

__all__ = [
    "add_domain_admin",
    "create_domain",
    "create_domain_alias",
    "delete_domain",
    "delete_domain_alias",
    "display_name",
    "domain_types",
    "normalize_domain_name",
    "remove_domain_admin",
    "update_domain",
    "update_domain_alias",
]

FIELDS = ("name", "type", "quota", "default_mailbox_quota", "enabled")


def snapshot(domain: Domain) -> dict:
    """The audited fields of *domain*."""
    return {field: getattr(domain, field) for field in FIELDS}


def create_domain(
    actor,
    *,
    name,
    type="domain",  # the contract names it so
    quota=None,
    default_mailbox_quota=None,
    enabled=True,
    aliases=(),
    create_admin=False,
    admin_local_part="admin",
    create_postmaster=True,
    admin_password=None,
) -> Domain:
    """Create a domain (its aliases and, optionally, its administrator) owned by *actor*."""
    authorize(actor, "domains.add")
    name = normalize_domain_name(name)
    ensure_name_free(name)
    check_type(type)
    quota = check_mb(params.get("admin.default_domain_quota") if quota is None else quota, "quota")
    if default_mailbox_quota is None:
        default_mailbox_quota = params.get("admin.default_mailbox_quota")
        if quota and (not default_mailbox_quota or default_mailbox_quota > quota):
            # Like Modoboa 1.6: mailboxes of a limited domain default to the domain quota.
            default_mailbox_quota = quota
    default_mailbox_quota = check_mb(default_mailbox_quota, "default_mailbox_quota")
    check_default_vs_quota(quota, default_mailbox_quota)
    alias_names = _unique_names(aliases, name)
    signals.send(signals.can_create_object, context=actor, object_type="domains", count=1)
    domain = Domain(
        name=name,
        type=type,
        quota=quota,
        default_mailbox_quota=default_mailbox_quota,
        enabled=bool(enabled),
        owner_id=actor.id,
    )
    db.session.add(domain)
    db.session.flush()
    verification.start(actor, domain, enable=enabled)  # may hold it disabled (issue 15)
    revoke_foreign_senders(name, domain.id)
    signals.send(signals.domain_created, user=actor, domain=domain)
    audit.record(
        f"Domain '{name}' added",
        action="create",
        obj=domain,
        changes=audit.diff({}, snapshot(domain)),
    )
    for alias_name in alias_names:
        authorize(actor, "domainaliases.add")
        add_alias_row(actor, domain, alias_name)
    if create_admin:
        account = create_domain_admin(
            actor, domain, admin_local_part, admin_password, create_postmaster
        )
        _grant(actor, domain, account)
    return domain


def _unique_names(names, domain_name: str) -> list[str]:
    result = []
    for raw in names or ():
        if not (raw or "").strip():
            continue
        alias_name = normalize_domain_name(raw, field="aliases")
        if alias_name == domain_name:
            raise BadRequest("A domain can't be an alias of itself.", field="aliases")
        if alias_name not in result:
            result.append(alias_name)
    return result


def update_domain(actor, domain: Domain, **changes) -> Domain:
    """Change a domain's name, type, quotas or state; a rename cascades to every address."""
    authorize(actor, "domains.change", domain)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise BadRequest(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    before = snapshot(domain)
    old_name = domain.name
    new_name = old_name
    if "name" in changes:
        new_name = normalize_domain_name(changes["name"])
        if new_name != old_name:
            ensure_name_free(new_name, domain_id=domain.id)
    if "type" in changes:
        check_type(changes["type"])
    quota = check_mb(changes.get("quota", domain.quota), "quota")
    default = check_mb(
        changes.get("default_mailbox_quota", domain.default_mailbox_quota),
        "default_mailbox_quota",
    )
    default_changed = default != domain.default_mailbox_quota
    if quota != domain.quota or default_changed:
        check_default_vs_quota(quota, default)
        quota_pool.check_pool(domain, quota=quota, default=default if default_changed else None)
    domain.quota, domain.default_mailbox_quota = quota, default
    if "type" in changes:
        domain.type = changes["type"]
    if "enabled" in changes:
        verification.guard_update(actor, domain, changes)
        domain.enabled = bool(changes["enabled"])
    if default_changed:
        # Mailboxes that follow the domain default get the new value.
        db.session.execute(
            update(Mailbox)
            .where(Mailbox.domain_id == domain.id, Mailbox.use_domain_quota.is_(True))
            .values(quota=default)
            .execution_options(synchronize_session=False)
        )
    if new_name != old_name:
        _check_domain_accounts(actor, domain, "Renaming this domain would rename", "name")
        domain.name = new_name
        rename_domain_rows(domain, old_name, new_name, actor=actor)
        # A new name needs its own proof: else a verified domain could become gmail.com.
        verification.start(actor, domain, enable=domain.enabled)
    changed = audit.diff(before, snapshot(domain))
    if changed:
        db.session.flush()
        signals.send(signals.domain_modified, domain=domain, oldname=old_name)
        audit.record(
            f"Domain '{domain.name}' modified",
            action="modify",
            obj=domain,
            changes=changed,
            level="WARNING",
        )
    return domain


def _check_domain_accounts(actor, domain: Domain, change: str, field=None) -> None:
    """Refuse renaming or deleting *domain* when that changes an account *actor* can't manage.

    A peer's or a higher role's mailbox there blocks it; the actor's own mailbox is its call.
    """
    if actor.is_superuser:
        return
    stmt = (
        select(User.username)
        .join(Mailbox, Mailbox.user_id == User.id)
        .where(Mailbox.domain_id == domain.id, User.id != actor.id)
        .where(~manageable_condition(actor))
        .order_by(User.username)
        .limit(1)
    )
    username = db.session.scalar(stmt)
    if username is not None:
        raise PermissionDenied(
            f"{change} the account {username}, which you may not manage: "
            "ask a super administrator.",
            field=field,
        )


def delete_domain(actor, domain: Domain, keep_mailboxes=True) -> None:
    """Delete *domain* and everything in it (accounts too when auto_account_removal is on)."""
    authorize(actor, "domains.delete", domain)
    own = select(Mailbox.id).where(Mailbox.user_id == actor.id, Mailbox.domain_id == domain.id)
    if db.session.scalar(own) is not None:
        raise PermissionDenied("You can't delete your own domain.")
    _check_domain_accounts(actor, domain, "Deleting this domain would delete the mailbox of")
    if domain.aliases:
        signals.send(signals.domain_alias_deleted, domain_alias=list(domain.aliases))
    public = db.session.scalars(
        select(Alias).where(Alias.domain_id == domain.id, Alias.internal.is_(False))
    ).all()
    if public:
        signals.send(signals.mailbox_alias_deleted, mailbox_alias=list(public))
    mailboxes = db.session.scalars(select(Mailbox).where(Mailbox.domain_id == domain.id)).all()
    if not keep_mailboxes:
        for mailbox in mailboxes:
            check_stored_local_part(mailbox.address, mailbox.full_address, "delete")
    if mailboxes:
        signals.send(signals.mailbox_deleted, mailbox=list(mailboxes))
    remove_accounts = bool(params.get("admin.auto_account_removal"))
    if remove_accounts:
        for mailbox in mailboxes:
            if not mailbox.user.is_superuser:
                signals.send(
                    signals.account_deleted,
                    account=mailbox.user,
                    byuser=actor,
                    keep_mb_dir=keep_mailboxes,
                )
    signals.send(signals.domain_deleted, domain=domain)
    audit.record(
        f"Domain '{domain.name}' deleted",
        action="delete",
        obj=domain,
        changes={"keep_mailboxes": [None, bool(keep_mailboxes)]},
        level="CRITICAL",
    )
    delete_domain_rows(domain, keep_mailboxes=keep_mailboxes, remove_accounts=remove_accounts)


def add_domain_admin(actor, domain: Domain, account: User) -> DomainAdmin:
    """Let *account* (a domain admin or reseller) administer *domain*."""
    if not actor.is_superuser:
        raise PermissionDenied("Only super administrators may change a domain's administrators.")
    return _grant(actor, domain, account)


def _grant(actor, domain: Domain, account: User) -> DomainAdmin:
    if not can_manage_account(actor, account):
        raise NotFound("Account not found.", field="add")
    if account.role not in (DOMAINADMINS, RESELLERS):
        raise BadRequest(
            f"{account.username} is not a domain administrator or reseller.", field="add"
        )
    exists = select(DomainAdmin.id).where(
        DomainAdmin.domain_id == domain.id, DomainAdmin.user_id == account.id
    )
    if db.session.scalar(exists) is not None:
        raise Conflict(f"{account.username} already administers this domain.", field="add")
    return grant_domain(domain, account)


def remove_domain_admin(actor, domain: Domain, account: User) -> None:
    """Stop *account* administering *domain* (an owner hands the domain to a super admin)."""
    if not actor.is_superuser:
        raise PermissionDenied("Only super administrators may change a domain's administrators.")
    granted = db.session.scalar(
        select(DomainAdmin.id).where(
            DomainAdmin.domain_id == domain.id, DomainAdmin.user_id == account.id
        )
    )
    is_owner = domain.owner_id == account.id
    if granted is None and not is_owner:
        raise NotFound(f"{account.username} does not administer this domain.", field="remove")
    if is_owner:
        signals.send(signals.domain_ownership_removed, owner=account, domain=domain)
        heir = first_superuser()
        domain.owner_id = heir.id if heir is not None else None
    db.session.flush()
    revoke_domains(account, [domain])
