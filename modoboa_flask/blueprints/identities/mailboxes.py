"""Mailbox side of an account: creation, quota rules, rename, aliases, senders, removal."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from ... import audit, mailops, quota_pool, signals
from ...addresses import check_stored_local_part, clean_list, normalize_address
from ...exceptions import BadRequest, Conflict, PermissionDenied
from ...extensions import db
from ...models import Alias, AliasRecipient, Mailbox, SenderAddress, User
from ...permissions import is_domain_admin_of
from .alias_services import prune_empty_aliases
from .common import NO_ACCESS, administered_domain, check_address_scope, find_domain, split


# --- quota --------------------------------------------------------------------------------
def resolve_quota(domain, quota, use_domain_quota=False) -> tuple[int, bool]:
    """(MB, use_domain_quota) for a requested quota: None = follow the domain's default.

    An explicit quota sent with *use_domain_quota* is kept, and the mailbox follows later
    changes of the default (Modoboa 1.6's API: "a given value wins").
    """
    if quota is None or quota == "":
        return domain.default_mailbox_quota or 0, True
    try:
        return int(quota), bool(use_domain_quota)
    except (TypeError, ValueError):
        raise BadRequest("Must be a positive integer", field="quota") from None


# --- creation and rename ------------------------------------------------------------------
def mailbox_exists(local: str, domain_id: int, exclude_id=None) -> bool:
    """True when a mailbox local@domain already exists (other than *exclude_id*)."""
    stmt = select(Mailbox.id).where(Mailbox.address == local, Mailbox.domain_id == domain_id)
    if exclude_id is not None:
        stmt = stmt.where(Mailbox.id != exclude_id)
    return db.session.scalar(stmt) is not None


def create_mailbox(actor, account: User, address: str, quota, use_domain_quota=False) -> Mailbox:
    """Create the mailbox of *account* with its self-alias and quota row."""
    # Checked here too, where the mail directory's name is born (issue 11).
    address = normalize_address(address, "email")
    local, domain_name = split(address)
    domain = administered_domain(actor, domain_name, "email")
    # Relay domains may hold local mailboxes too (split domains: Postfix's
    # sql-spliteddomains-transport.cf delivers those locally, the rest is relayed).
    if domain.type not in ("domain", "relaydomain"):
        raise BadRequest("Mailboxes can only be created in hosted domains", field="email")
    if mailbox_exists(local, domain.id):
        raise Conflict(f"Mailbox {address} already exists", field="email")
    signals.send(signals.can_create_object, context=actor, object_type="mailboxes", count=1)
    signals.send(signals.can_create_object, context=domain, object_type="mailboxes", count=1)
    value, use_default = resolve_quota(domain, quota, use_domain_quota)
    quota_pool.check_pool(domain, value=value, actor=actor)
    mailbox = Mailbox(address=local, domain=domain, user=account, quota=value)
    mailbox.use_domain_quota = use_default
    db.session.add(mailbox)
    account.email = address
    db.session.flush()
    self_alias = Alias(address=address, domain_id=domain.id, internal=True)
    self_alias.recipients.append(AliasRecipient(address=address, r_mailbox_id=mailbox.id))
    db.session.add(self_alias)
    mailops.ensure_quota_row(address)
    db.session.flush()
    signals.send(signals.mailbox_created, user=actor, mailbox=mailbox)
    audit.record(f"Mailbox '{address}' added", action="create", obj=mailbox, object_type="Mailbox")
    return mailbox


def _retag(address: str, old: str, new: str) -> str:
    """`old+tag@d` -> `new+tag@d'`: recipients written with an extension keep it."""
    if address == old:
        return new
    old_local, old_domain = split(old)
    new_local, new_domain = split(new)
    local, domain = split(address)
    if domain == old_domain and local.startswith(old_local + "+"):
        return f"{new_local}{local[len(old_local) :]}@{new_domain}"
    return address


def rename_mailbox(actor, mailbox: Mailbox, new_address: str) -> None:
    """Move *mailbox* to *new_address*: self-alias, recipients, quota row, senders, maildir."""
    old = mailbox.full_address
    new_address = normalize_address(new_address, "email")  # the new directory's name
    if new_address == old:
        return
    check_stored_local_part(mailbox.address, old, "move")
    local, domain_name = split(new_address)
    domain = administered_domain(actor, domain_name, "email")
    if mailbox_exists(local, domain.id, exclude_id=mailbox.id):
        raise Conflict(f"Mailbox {new_address} already exists", field="email")
    if domain.id != mailbox.domain_id:
        quota_pool.check_pool(domain, value=mailbox.quota, actor=actor)  # joins the new pool
    mailbox.address, mailbox.domain = local, domain
    mailbox.user.email = new_address
    self_alias = db.session.scalar(
        select(Alias).where(Alias.address == old, Alias.internal.is_(True))
    )
    if self_alias is not None:
        self_alias.address, self_alias.domain_id = new_address, domain.id
    # Postfix's alias map returns recipient.address: every row pointing here must follow.
    for rcpt in db.session.scalars(
        select(AliasRecipient).where(AliasRecipient.r_mailbox_id == mailbox.id)
    ):
        rcpt.address = _retag(rcpt.address, old, new_address)
    db.session.execute(
        update(SenderAddress).where(SenderAddress.address == old).values(address=new_address)
    )
    mailops.rename_quota_row(old, new_address)
    db.session.flush()
    mailops.schedule_rename(mailbox, old)
    signals.send(signals.mailbox_modified, mailbox=mailbox, old_full_address=old)


def set_mailbox_quota(actor, mailbox: Mailbox, quota, use_domain_quota=False) -> dict:
    """Change the quota (None = domain default); return the audited change."""
    value, use_default = resolve_quota(mailbox.domain, quota, use_domain_quota)
    before = (mailbox.quota, mailbox.use_domain_quota)
    if before == (value, use_default):
        return {}
    if value != mailbox.quota:
        quota_pool.check_pool(mailbox.domain, mailbox=mailbox, value=value, actor=actor)
    mailbox.quota, mailbox.use_domain_quota = value, use_default
    signals.send(signals.mailbox_modified, mailbox=mailbox, old_full_address=None)
    return {"quota": [before[0], value]}


# --- aliases and sender addresses of a mailbox ----------------------------------------------
def mailbox_alias_addresses(mailbox: Mailbox) -> list[str]:
    """Public aliases delivering to *mailbox* (its forward, same address, left out)."""
    stmt = (
        select(Alias.address)
        .join(AliasRecipient, AliasRecipient.alias_id == Alias.id)
        .where(AliasRecipient.r_mailbox_id == mailbox.id, Alias.internal.is_(False))
        .where(Alias.address != mailbox.full_address)
        .order_by(Alias.address)
    )
    return list(db.session.scalars(stmt))


def set_mailbox_aliases(actor, mailbox: Mailbox, addresses, enabled: bool = True) -> None:
    """Make exactly *addresses* deliver to *mailbox* (aliases left empty are removed)."""
    wanted = clean_list(addresses, "aliases")
    current = set(mailbox_alias_addresses(mailbox))
    for address in wanted:
        if address in current:
            continue
        if address == mailbox.full_address:
            raise BadRequest("An alias can't have the mailbox's own address", field="aliases")
        _, domain_name = split(address)
        domain = administered_domain(actor, domain_name, "aliases")
        alias = db.session.scalar(
            select(Alias).where(Alias.address == address, Alias.internal.is_(False))
        )
        if alias is None:
            signals.send(
                signals.can_create_object, context=actor, object_type="mailbox_aliases", count=1
            )
            signals.send(
                signals.can_create_object, context=domain, object_type="mailbox_aliases", count=1
            )
            alias = Alias(address=address, domain_id=domain.id, enabled=enabled)
            db.session.add(alias)
            db.session.flush()
            signals.send(signals.mailbox_alias_created, user=actor, mailbox_alias=alias)
            audit.record(f"Alias '{address}' added", action="create", obj=alias)
        alias.recipients.append(
            AliasRecipient(address=mailbox.full_address, r_mailbox_id=mailbox.id)
        )
    removed = current - set(wanted)
    if removed:
        for address in removed:
            _, domain_name = split(address)
            domain = find_domain(domain_name)
            if domain is None or not is_domain_admin_of(actor, domain):
                raise PermissionDenied(NO_ACCESS, field="aliases")
        alias_ids = select(Alias.id).where(Alias.address.in_(removed), Alias.internal.is_(False))
        db.session.execute(
            delete(AliasRecipient).where(
                AliasRecipient.r_mailbox_id == mailbox.id, AliasRecipient.alias_id.in_(alias_ids)
            )
        )
        db.session.expire_all()
        prune_empty_aliases(list(db.session.scalars(alias_ids)))
    db.session.flush()


def set_sender_addresses(actor, mailbox: Mailbox, addresses) -> None:
    """Make *addresses* the extra sender addresses of *mailbox*."""
    # Sender addresses may be external: they never become a mail directory.
    wanted = clean_list(addresses, "sender_addresses", strict=False)
    current = {row.address: row for row in mailbox.sender_addresses}
    for address in wanted:
        if address in current:
            continue
        check_address_scope(actor, address, "sender_addresses")
        mailbox.sender_addresses.append(SenderAddress(address=address))
    for address, row in current.items():
        if address not in wanted:
            # Removing is checked too: another tenant's grant is not this editor's to drop.
            check_address_scope(actor, address, "sender_addresses")
            mailbox.sender_addresses.remove(row)
    db.session.flush()


# --- removal ------------------------------------------------------------------------------
def remove_mailbox(actor, mailbox: Mailbox, keep_dir: bool) -> None:
    """Delete *mailbox* with its self-alias, quota row, senders and recipient entries."""
    address = mailbox.full_address
    if not keep_dir:
        check_stored_local_part(mailbox.address, address, "delete")
    signals.send(signals.mailbox_deleted, mailbox=mailbox)
    touched = list(
        db.session.scalars(
            select(AliasRecipient.alias_id).where(AliasRecipient.r_mailbox_id == mailbox.id)
        )
    )
    db.session.execute(delete(AliasRecipient).where(AliasRecipient.r_mailbox_id == mailbox.id))
    db.session.execute(delete(Alias).where(Alias.address == address, Alias.internal.is_(True)))
    db.session.execute(delete(SenderAddress).where(SenderAddress.mailbox_id == mailbox.id))
    mailops.delete_quota_rows([address])
    mailops.schedule_delete(mailbox, keep_dir)
    audit.record(f"Mailbox '{address}' deleted", action="delete", obj=mailbox, level="CRITICAL")
    db.session.delete(mailbox)
    db.session.flush()
    db.session.expire_all()
    prune_empty_aliases(touched)
