"""Carry out queued mailbox directory operations (rename, delete) as the mailbox owner.

Run from cron every minute by the UNIX account owning the maildirs. Each operation is
committed on its own: a success deletes the row and logs INFO, a failure keeps the row with
its reason (``last_error``, shown on the account's page) and logs CRITICAL, so one bad path
never blocks the others. Paths are confined and moves are crash-safe: see `maildirs`.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import subprocess
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import select

from ... import audit, mailops
from ...extensions import db
from ...models import MailboxOperation
from . import maildirs


class AlreadyRunning(RuntimeError):
    """Another handle-mailbox-operations holds the pid lock."""


class PidFileRefused(RuntimeError):
    """The pid file is a link, not ours, or cannot be opened."""


PIDFILE_NAME = "handle_mailbox_operations.pid"
# Where the default pid file may live, after the instance folder: never a world-writable
# directory such as /tmp, where another user could plant the file or a link in its place.
PIDFILE_DIRS = ("/run/modoboa",)


def default_pidfile() -> str:
    """The pid file in the instance folder, else in /run/modoboa, whichever we may write."""
    for directory in (current_app.instance_path, *PIDFILE_DIRS):
        if os.path.isdir(directory) and os.access(directory, os.W_OK | os.X_OK):
            return os.path.join(directory, PIDFILE_NAME)
    raise PidFileRefused(
        f"No writable folder for the lock file ({current_app.instance_path} or "
        f"{', '.join(PIDFILE_DIRS)}): make one writable by this user or pass --pidfile."
    )


def _open_pidfile(path: str) -> int:
    """Open (creating it 0644) the pid file without following a link planted in its place."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except FileExistsError:
        pass
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PidFileRefused(f"refusing pid file {path}: a symbolic link") from None
        raise PidFileRefused(f"cannot open pid file {path}: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
        os.close(fd)
        raise PidFileRefused(f"refusing pid file {path}: not a regular file of ours")
    return fd


@contextmanager
def pid_lock(path: str):
    """Hold an exclusive lock on *path* (holding our pid) for the duration of the block.

    The lock, not the pid, tells a live run: a pid file left by a dead run is locked and
    reused (it is never unlinked, which would let two runs lock two different files).
    """
    fd = _open_pidfile(path)
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
                [*args, "user", "-f", "home", "--", address],
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


def mail_root() -> maildirs.MailRoot:
    """The mail root the worker is confined to, from `MAIL_HOME_TEMPLATE`."""
    return maildirs.MailRoot.from_template(
        current_app.config.get("MAIL_HOME_TEMPLATE", "/srv/vmail/%d/%n")
    )


def _rename(op: MailboxOperation) -> str:
    if op.mailbox is None:
        raise ValueError("the mailbox no longer exists")
    root = mail_root()
    old = root.confine(op.argument)
    address = op.mailbox.full_address
    new = root.confine(lookup_home(address), domain=address.rpartition("@")[2])
    if old != new:
        maildirs.move_tree(old, new, str(op.id))
    return f"Rename {op.argument} -> {new}"


def _delete(op: MailboxOperation) -> str:
    maildirs.remove_tree(mail_root().confine(op.argument), str(op.id))
    return f"Delete {op.argument}"


def _reason(exc: Exception) -> str:
    """A one-line reason: `path: what went wrong` for filesystem errors."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return str(exc)


def describe(op: MailboxOperation) -> str:
    """How an operation is named in the log."""
    return f"Rename {op.argument}" if op.type == "rename" else f"Delete {op.argument}"


def handle_operations() -> tuple[int, list[str]]:
    """Process every queued operation; return (succeeded, one line per failure)."""
    ok, failures = 0, []
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
        except (OSError, ValueError) as exc:  # shutil.Error is an OSError
            op.last_error = _reason(exc)
            message = f"{describe(op)} failed (reason: {op.last_error})"
            audit.record(message, action="mailbox_operation", obj=op, level="CRITICAL")
            failures.append(message)
        else:
            audit.record(f"{label} succeed", action="mailbox_operation", obj=op)
            db.session.delete(op)
            ok += 1
        db.session.commit()
    return ok, failures
