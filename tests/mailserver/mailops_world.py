"""A temporary mail root with queued operations, and a way to see what moved on disk."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from modoboa_flask import params
from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, Mailbox, MailboxOperation
from tests import factories


def mail_root(app, tmp_path) -> Path:
    """Point the app's homes at tmp_path/mail (no doveadm) and turn mailbox handling on."""
    root = tmp_path / "mail"
    root.mkdir(exist_ok=True)
    app.config["MAIL_HOME_TEMPLATE"] = f"{root}/%d/%n"
    app.config["DOVEADM_PATH"] = ""
    with app.app_context():
        params.set("admin.handle_mailboxes", "yes")
        db.session.commit()
    return root


def maildir(path: Path, messages: int = 3, size: int = 100) -> Path:
    """A small maildir at *path* with *messages* files of *size* bytes in cur/."""
    for sub in ("cur", "new", "tmp"):
        (path / "Maildir" / sub).mkdir(parents=True, exist_ok=True)
    for number in range(messages):
        (path / "Maildir" / "cur" / f"{number}.msg").write_bytes(bytes([65 + number % 26]) * size)
    return path


def mailbox(app, domain: str, local_part: str) -> tuple[int, int]:
    """Create *local_part*@*domain* unvalidated (may be hostile): (user id, mailbox id)."""
    with app.app_context():
        domain_id = db.session.scalar(select(Domain.id).where(Domain.name == domain))
        if domain_id is None:
            domain_id = factories.make_domain(domain)
        user_id = factories.make_mailbox(domain_id, local_part)
        mailbox_id = db.session.scalar(select(Mailbox.id).where(Mailbox.user_id == user_id))
        db.session.commit()
    return user_id, mailbox_id


def queue(app, op_type: str, argument, mailbox_id: int | None = None) -> int:
    """Queue one operation as the app would; return its id."""
    with app.app_context():
        op = MailboxOperation(mailbox_id=mailbox_id, type=op_type, argument=str(argument))
        db.session.add(op)
        db.session.commit()
        return op.id


def pending(app) -> dict[int, str]:
    """{operation id: last error} of the operations still queued."""
    with app.app_context():
        rows = db.session.execute(select(MailboxOperation.id, MailboxOperation.last_error))
        return dict(rows.all())


def run(app, tmp_path):
    """Run `flask handle-mailbox-operations` (the real command) and return the click result."""
    return app.test_cli_runner().invoke(
        args=["handle-mailbox-operations", "--pidfile", str(tmp_path / "ops.pid")]
    )


def snapshot(top: Path, skip: Path | None = None) -> dict[str, tuple]:
    """Every entry under *top* (links not followed): kind, size or link target, content."""
    tree = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            if skip is not None and (path == skip or skip in path.parents):
                continue
            rel = str(path.relative_to(top))
            if path.is_symlink():
                tree[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                tree[rel] = ("dir",)
            else:
                tree[rel] = ("file", path.read_bytes())
    return tree
