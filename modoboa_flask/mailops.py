"""Mailbox side effects shared by domains and identities: quota rows and directory operations.

The quota row (``admin_quota``) follows its mailbox's address. When ``admin.handle_mailboxes``
is on, renaming or deleting a mailbox queues a ``MailboxOperation`` that the cron command
``flask handle-mailbox-operations`` carries out (and ``sql-maintain.cf`` answers 450 for the
mailbox meanwhile).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import delete, select, update

from . import params
from .extensions import db
from .models import Mailbox, MailboxOperation, Quota


def mail_home(address: str) -> str:
    """The mail home directory of *address*, from the `MAIL_HOME_TEMPLATE` config."""
    local, _, domain = address.partition("@")
    template = current_app.config.get("MAIL_HOME_TEMPLATE", "/srv/vmail/%d/%n")
    return template.replace("%d", domain).replace("%n", local).replace("%u", address)


def ensure_quota_row(address: str) -> None:
    """Create the admin_quota row of a new mailbox (usage starts at zero)."""
    if db.session.get(Quota, address) is None:
        db.session.add(Quota(username=address, bytes=0, messages=0))


def rename_quota_row(old: str, new: str) -> None:
    """Move the usage row along with a renamed mailbox."""
    if old == new:
        return
    db.session.execute(delete(Quota).where(Quota.username == new))
    db.session.execute(update(Quota).where(Quota.username == old).values(username=new))


def delete_quota_rows(addresses: list[str]) -> None:
    """Drop the usage rows of deleted mailboxes."""
    if addresses:
        db.session.execute(delete(Quota).where(Quota.username.in_(addresses)))


def schedule_rename(mailbox: Mailbox, old_address: str) -> MailboxOperation | None:
    """Queue moving the maildir of *mailbox* from its old address's home (if handled)."""
    if not params.get("admin.handle_mailboxes") or old_address == mailbox.full_address:
        return None
    op = MailboxOperation(mailbox_id=mailbox.id, type="rename", argument=mail_home(old_address))
    db.session.add(op)
    return op


def schedule_delete(mailbox: Mailbox, keep_dir: bool) -> MailboxOperation | None:
    """Queue removing the maildir of a mailbox being deleted (unless kept or not handled)."""
    if keep_dir or not params.get("admin.handle_mailboxes"):
        return None
    # mailbox_id goes NULL when the mailbox row is deleted; the path is all the job needs.
    op = MailboxOperation(mailbox_id=None, type="delete", argument=mail_home(mailbox.full_address))
    db.session.add(op)
    return op


def pending_operations(mailbox: Mailbox | None) -> list[MailboxOperation]:
    """The operations still queued for *mailbox*, oldest first (with their last error)."""
    if mailbox is None:
        return []
    stmt = select(MailboxOperation).where(MailboxOperation.mailbox_id == mailbox.id)
    return list(db.session.scalars(stmt.order_by(MailboxOperation.id)))
