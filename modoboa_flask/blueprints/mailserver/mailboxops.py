"""Carry out queued mailbox directory operations (rename, delete) as the mailbox owner.

Run from cron every minute by the UNIX account owning the maildirs. Each operation is
committed on its own: a success deletes the row and logs INFO, a failure keeps the row with
its reason (``last_error``) and logs CRITICAL, so one bad path never blocks the others.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import select

from ... import audit, mailops
from ...extensions import db
from ...models import MailboxOperation


class AlreadyRunning(RuntimeError):
    """Another handle-mailbox-operations holds the pid lock."""


@contextmanager
def pid_lock(path: str):
    """Hold an exclusive lock on *path* (holding our pid) for the duration of the block."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held_by = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise AlreadyRunning(f"Already running (pid {held_by}, lock {path})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing releases the lock, even when the process dies


def lookup_home(address: str) -> str:
    """The mail home of *address*: `doveadm user -f home` when it answers, else the template."""
    doveadm = current_app.config.get("DOVEADM_PATH") or ""
    if doveadm and os.access(doveadm, os.X_OK):
        args = [doveadm]
        if current_app.config.get("DOVECOT_CONFIG"):
            args += ["-c", current_app.config["DOVECOT_CONFIG"]]
        try:
            result = subprocess.run(
                [*args, "user", "-f", "home", address],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            result = None
        home = result.stdout.strip() if result is not None and result.returncode == 0 else ""
        if home.startswith("/"):
            return home
    return mailops.mail_home(address)


def _safe_path(path: str) -> str:
    """Refuse paths a bug or a bad template could turn into a disaster ('/', relative...)."""
    real = os.path.realpath(path)
    if not os.path.isabs(path) or real.count("/") < 2:
        raise ValueError(f"refusing to touch {path!r}")
    return real


def _rename(op: MailboxOperation) -> str:
    if op.mailbox is None:
        raise ValueError("the mailbox no longer exists")
    old = _safe_path(op.argument)
    new = _safe_path(lookup_home(op.mailbox.full_address))
    label = f"Rename {op.argument} -> {new}"
    if old == new or not os.path.exists(old):
        return label  # nothing on disk yet (never received mail): nothing to move
    if os.path.exists(new):
        raise FileExistsError(f"{new} already exists")
    os.makedirs(os.path.dirname(new), exist_ok=True)
    shutil.move(old, new)
    return label


def _delete(op: MailboxOperation) -> str:
    path = _safe_path(op.argument)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)
    return f"Delete {op.argument}"


def describe(op: MailboxOperation) -> str:
    """How an operation is named in the log."""
    return f"Rename {op.argument}" if op.type == "rename" else f"Delete {op.argument}"


def handle_operations() -> tuple[int, int]:
    """Process every queued operation; return (succeeded, failed)."""
    ok = failed = 0
    op_ids = db.session.scalars(select(MailboxOperation.id).order_by(MailboxOperation.id)).all()
    for op_id in op_ids:
        op = db.session.get(MailboxOperation, op_id)
        try:
            if op.type == "rename":
                label = _rename(op)
            elif op.type == "delete":
                label = _delete(op)
            else:
                raise ValueError(f"unknown operation type {op.type!r}")
        except (OSError, ValueError, shutil.Error) as exc:
            op.last_error = str(exc)
            audit.record(
                f"{describe(op)} failed (reason: {exc})",
                action="mailbox_operation",
                obj=op,
                level="CRITICAL",
            )
            failed += 1
        else:
            audit.record(f"{label} succeed", action="mailbox_operation", obj=op)
            db.session.delete(op)
            ok += 1
        db.session.commit()
    return ok, failed
