"""handle-mailbox-operations on a temporary maildir tree; quota rows follow mailboxes."""

import fcntl
import os

from sqlalchemy import select

from modoboa_flask import locks, mailops, params
from modoboa_flask.blueprints.mailserver import mailboxops
from modoboa_flask.extensions import db
from modoboa_flask.models import Log, Mailbox, MailboxOperation, Quota, User
from tests import factories


def _setup(app, tmp_path):
    app.config["MAIL_HOME_TEMPLATE"] = f"{tmp_path}/mail/%d/%n"
    app.config["DOVEADM_PATH"] = ""  # homes come from the template here
    with app.app_context():
        params.set("admin.handle_mailboxes", "yes")
        domain = factories.make_domain("ops.test")
        uid = factories.make_mailbox(domain, "new")
        mailbox = db.session.scalar(select(Mailbox).where(Mailbox.user_id == uid))
        old = tmp_path / "mail" / "ops.test" / "old"
        (old / "Maildir" / "cur").mkdir(parents=True)
        (old / "Maildir" / "cur" / "1.msg").write_text("hello")
        gone = tmp_path / "mail" / "ops.test" / "gone"
        (gone / "Maildir").mkdir(parents=True)
        db.session.add_all(
            [
                MailboxOperation(mailbox_id=mailbox.id, type="rename", argument=str(old)),
                MailboxOperation(mailbox_id=None, type="delete", argument=str(gone)),
            ]
        )
        db.session.commit()
    return old, gone


def _run(app, tmp_path):
    return app.test_cli_runner().invoke(
        args=["handle-mailbox-operations", "--pidfile", str(tmp_path / "ops.pid")]
    )


def test_rename_and_delete_are_carried_out_and_logged(app, tmp_path):
    old, gone = _setup(app, tmp_path)
    result = _run(app, tmp_path)
    assert result.exit_code == 0, result.output
    assert "2 operation(s) done, 0 failed." in result.output
    assert not old.exists() and not gone.exists()
    assert (tmp_path / "mail" / "ops.test" / "new" / "Maildir" / "cur" / "1.msg").exists()
    with app.app_context():
        assert db.session.scalars(select(MailboxOperation)).all() == []
        logs = db.session.scalars(select(Log.message).where(Log.action == "mailbox_operation"))
        messages = sorted(logs)
    assert messages == [
        f"Delete {gone} succeed",
        f"Rename {old} -> {tmp_path}/mail/ops.test/new succeed",
    ]


def test_a_failed_operation_is_kept_with_its_reason(app, tmp_path):
    old, gone = _setup(app, tmp_path)
    (tmp_path / "mail" / "ops.test" / "new").mkdir()  # the destination already exists
    result = _run(app, tmp_path)
    assert result.exit_code == 1
    assert "1 operation(s) done, 1 failed." in result.output
    assert old.exists() and not gone.exists()
    with app.app_context():
        op = db.session.scalar(select(MailboxOperation))
        assert op.type == "rename" and "already exists" in op.last_error
        log = db.session.scalar(select(Log).where(Log.level == "CRITICAL"))
        assert log.message.startswith(f"Rename {old} failed (reason: ")


def test_dangerous_paths_are_refused(app, tmp_path):
    with app.app_context():
        params.set("admin.handle_mailboxes", "yes")
        db.session.add(MailboxOperation(type="delete", argument="/"))
        db.session.commit()
    assert _run(app, tmp_path).exit_code == 1
    with app.app_context():
        assert "refusing" in db.session.scalar(select(MailboxOperation.last_error))


def test_nothing_happens_when_handling_is_off(app, tmp_path):
    old, gone = _setup(app, tmp_path)
    with app.app_context():
        params.set("admin.handle_mailboxes", "no")
        db.session.commit()
    result = _run(app, tmp_path)
    assert result.exit_code == 0 and "nothing to do" in result.output
    assert old.exists() and gone.exists()


def test_a_second_run_is_refused_while_one_holds_the_lock(app, tmp_path):
    old, _gone = _setup(app, tmp_path)
    fd = os.open(tmp_path / "ops.pid", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b"4242\n")
        result = _run(app, tmp_path)
    finally:
        os.close(fd)
    assert result.exit_code != 0
    assert "Already running (pid 4242" in result.output
    assert old.exists()
    assert _run(app, tmp_path).exit_code == 0  # lock released: the next run works


def test_a_run_on_another_node_steps_aside_while_one_holds_the_database_lock(app, tmp_path):
    old, _gone = _setup(app, tmp_path)
    with app.app_context(), locks.exclusive("mailbox-operations") as held:
        assert held
        result = _run(app, tmp_path)  # its own pid file: as on another node
    assert result.exit_code == 0, result.output
    assert "Another node is handling mailbox operations: nothing to do." in result.output
    assert old.exists()
    assert "2 operation(s) done" in _run(app, tmp_path).output


def test_the_pid_file_is_never_followed_through_a_link(app, tmp_path):
    _setup(app, tmp_path)
    target = tmp_path / "victim"
    target.write_text("precious\n")
    (tmp_path / "ops.pid").symlink_to(target)
    result = _run(app, tmp_path)
    assert result.exit_code != 0 and "symbolic link" in result.output
    assert target.read_text() == "precious\n"


def test_a_stale_pid_file_is_reused_and_a_foreign_one_refused(app, tmp_path):
    old, _gone = _setup(app, tmp_path)
    (tmp_path / "ops.pid").write_text("999999\n")  # left by a run that died: no lock held
    assert _run(app, tmp_path).exit_code == 0
    assert not old.exists()
    if os.geteuid() == 0:  # another user's file (planted): refused, not written to
        os.chown(tmp_path / "ops.pid", 4242, 4242)
        result = _run(app, tmp_path)
        assert result.exit_code != 0 and "not a regular file of ours" in result.output


def test_the_default_pid_file_is_in_the_instance_folder_or_run(app, tmp_path, monkeypatch):
    _setup(app, tmp_path)
    run_dir = tmp_path / "run-modoboa"
    monkeypatch.setattr(mailboxops, "PIDFILE_DIRS", (str(run_dir),))
    app.instance_path = str(tmp_path / "instance")  # missing: not writable
    result = app.test_cli_runner().invoke(args=["handle-mailbox-operations"])
    assert result.exit_code == 1
    assert "No writable folder for the lock file" in result.output
    run_dir.mkdir()
    assert app.test_cli_runner().invoke(args=["handle-mailbox-operations"]).exit_code == 0
    assert (run_dir / mailboxops.PIDFILE_NAME).is_file()
    (tmp_path / "instance").mkdir()
    assert app.test_cli_runner().invoke(args=["handle-mailbox-operations"]).exit_code == 0
    pidfile = tmp_path / "instance" / mailboxops.PIDFILE_NAME
    assert pidfile.is_file() and not pidfile.is_symlink()
    assert oct(pidfile.stat().st_mode & 0o777) == "0o644"


def test_home_comes_from_doveadm_when_it_answers(app, tmp_path):
    fake = tmp_path / "doveadm"
    fake.write_text('#!/bin/sh\necho "/var/vmail/$5"\n')  # doveadm user -f home -- ADDRESS
    fake.chmod(0o755)
    app.config["DOVEADM_PATH"] = str(fake)
    with app.test_request_context():
        from modoboa_flask.blueprints.mailserver.mailboxops import lookup_home

        assert lookup_home("a@b.test") == "/var/vmail/a@b.test"
        fake.write_text("#!/bin/sh\nexit 67\n")  # user unknown to Dovecot: the template
        app.config["MAIL_HOME_TEMPLATE"] = "/srv/%d/%n"
        assert lookup_home("a@b.test") == "/srv/b.test/a"


def test_quota_rows_follow_mailboxes(app):
    with app.app_context():
        mailops.ensure_quota_row("q@ops.test")
        db.session.commit()
        db.session.execute(
            Quota.__table__.update().where(Quota.username == "q@ops.test").values(bytes=7)
        )
        mailops.rename_quota_row("q@ops.test", "r@ops.test")
        db.session.commit()
        assert db.session.get(Quota, "r@ops.test").bytes == 7
        assert db.session.get(Quota, "q@ops.test") is None
        mailops.delete_quota_rows(["r@ops.test"])
        db.session.commit()
        assert db.session.scalars(select(Quota.username)).all() == []
        assert db.session.scalar(select(User).where(User.username == "q@ops.test")) is None
