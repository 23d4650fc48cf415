"""Mailbox operations are crash-safe and resumable (issue 24, points 1 and 3).

A move across filesystems copies into a temporary sibling, so a full disk or a killed run
leaves the source untouched and nothing at the new home; the next run completes.
"""

import errno
import json
import os
import signal
import subprocess
import sys

import pytest

from modoboa_flask import ROOT
from modoboa_flask.blueprints.mailserver import maildirs
from modoboa_flask.extensions import db
from tests.conftest import DATABASE_URL, IN_MEMORY, fresh_app
from tests.mailserver import mailops_world as world

OLD_DOMAIN, NEW_DOMAIN = "old.test", "new.test"


def _queue_move(app, root, messages=20):
    """bob@old.test became bob@new.test: queue moving its maildir; return (old, new)."""
    old = world.maildir(root / OLD_DOMAIN / "bob", messages=messages, size=4096)
    _uid, mailbox_id = world.mailbox(app, NEW_DOMAIN, "bob")
    world.queue(app, "rename", old, mailbox_id)
    return old, root / NEW_DOMAIN / "bob"


def _leftovers(root):
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if maildirs.TMP_SUFFIX in path.name or maildirs.DEL_SUFFIX in path.name
    )


@pytest.fixture
def cross_fs(monkeypatch):
    """Make every move take the copy path, as between two filesystems."""
    monkeypatch.setattr(maildirs, "same_filesystem", lambda path, directory: False)


def test_a_full_disk_keeps_the_source_and_a_later_run_completes(
    app, tmp_path, cross_fs, monkeypatch
):
    root = world.mail_root(app, tmp_path)
    old, new = _queue_move(app, root)
    source = world.snapshot(old)
    real_copy, copied = maildirs.copy_entry, []

    def copy_until_full(src, dst):
        if len(copied) == 5:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), dst)
        real_copy(src, dst)
        copied.append(src)

    monkeypatch.setattr(maildirs, "copy_entry", copy_until_full)
    for _attempt in range(2):  # stays pending, and the partial copy never blocks a retry
        result = world.run(app, tmp_path)
        assert result.exit_code == 1, result.output
        assert "No space left on device" in result.output
        assert world.snapshot(old) == source and not new.exists()
        [error] = world.pending(app).values()
        assert "No space left on device" in error
    monkeypatch.setattr(maildirs, "copy_entry", real_copy)  # room again
    result = world.run(app, tmp_path)
    assert result.exit_code == 0, result.output
    assert world.snapshot(new) == source and not old.exists()
    assert world.pending(app) == {} and _leftovers(root) == []


def test_a_pending_operation_shows_its_error_on_the_account_page(app, tmp_path, login):
    root = world.mail_root(app, tmp_path)
    old = world.maildir(root / OLD_DOMAIN / "bob")
    user_id, mailbox_id = world.mailbox(app, NEW_DOMAIN, "bob")
    world.maildir(root / NEW_DOMAIN / "bob")  # someone else's data already there
    world.queue(app, "rename", old, mailbox_id)
    assert world.run(app, tmp_path).exit_code == 1
    page = login().get(f"/identities/accounts/{user_id}").get_data(as_text=True)
    assert "Pending mailbox operation" in page
    assert f"{root}/{NEW_DOMAIN}/bob: already exists" in page


def test_a_failed_copy_check_starts_over(app, tmp_path, cross_fs, monkeypatch):
    root = world.mail_root(app, tmp_path)
    old, new = _queue_move(app, root, messages=3)
    real_census = maildirs.census
    monkeypatch.setattr(
        maildirs, "census", lambda path: (0, 0) if ".modoboa-tmp-" in path else real_census(path)
    )
    result = world.run(app, tmp_path)
    assert result.exit_code == 1 and "incomplete copy" in result.output
    assert old.exists() and not new.exists() and _leftovers(root) == []
    monkeypatch.setattr(maildirs, "census", real_census)
    assert world.run(app, tmp_path).exit_code == 0
    assert not old.exists() and (new / "Maildir" / "cur" / "2.msg").exists()


def test_a_copy_keeps_links_as_links_and_directory_modes(app, tmp_path, cross_fs):
    root = world.mail_root(app, tmp_path)
    old, new = _queue_move(app, root, messages=2)
    (old / "sieve").symlink_to(tmp_path)  # copied as a link: never followed out of the root
    (old / "Maildir" / "cur").chmod(0o500)
    source = world.snapshot(old)
    assert world.run(app, tmp_path).exit_code == 0
    assert world.snapshot(new) == source
    assert (new / "Maildir" / "cur").stat().st_mode & 0o777 == 0o500


def test_a_move_onto_a_small_full_tmpfs_completes_once_there_is_room(app, tmp_path):
    if os.geteuid() != 0 or sys.platform != "linux":
        pytest.skip("mounting a tmpfs needs root on Linux (the injected ENOSPC test covers it)")
    root = world.mail_root(app, tmp_path)
    (root / NEW_DOMAIN).mkdir()
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(root / NEW_DOMAIN)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mount.stderr.strip()}")
    try:
        old, new = _queue_move(app, root, messages=40)  # 160 KiB onto 64 KiB: a real EXDEV copy
        source = world.snapshot(old)
        result = world.run(app, tmp_path)
        assert result.exit_code == 1 and "No space left on device" in result.output
        assert world.snapshot(old) == source and not new.exists()
        assert world.pending(app)
        subprocess.run(["mount", "-o", "remount,size=4m", str(root / NEW_DOMAIN)], check=True)
        result = world.run(app, tmp_path)
        assert result.exit_code == 0, result.output
        assert world.snapshot(new) == source and not old.exists()
        assert world.pending(app) == {} and _leftovers(root) == []
    finally:
        subprocess.run(["umount", str(root / NEW_DOMAIN)], check=True)


# Run the real command in a child that stops (and waits to be killed) at a chosen step.
_STALLING_WORKER = """
import json, os, sys
from config import TestConfig
from modoboa_flask import create_app
from modoboa_flask.blueprints.mailserver import maildirs

overrides, step, after = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
maildirs.same_filesystem = lambda path, directory: False
real, calls = getattr(maildirs, step), []

def stall(*args):
    calls.append(args)
    if len(calls) == after:  # stop before the after-th call
        os.write(1, b"stalled\\n")
        os.read(0, 1)  # until SIGKILL
    return real(*args)

setattr(maildirs, step, stall)
app = create_app(TestConfig, overrides)
result = app.test_cli_runner().invoke(args=["handle-mailbox-operations", "--pidfile", sys.argv[4]])
os.write(1, result.output.encode())
sys.exit(result.exit_code)
"""


@pytest.fixture
def shared_app(tmp_path):
    """An app whose database a child process can open too (a file when the suite is in memory)."""
    url = f"sqlite:///{tmp_path}/shared.db" if IN_MEMORY else DATABASE_URL
    app = fresh_app(DATABASE_URL=url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _kill_worker_at(app, tmp_path, step: str, after: int):
    overrides = {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_HOME_TEMPLATE": app.config["MAIL_HOME_TEMPLATE"],
        "DOVEADM_PATH": "",
    }
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _STALLING_WORKER,
            json.dumps(overrides),
            step,
            str(after),
            str(tmp_path / "ops.pid"),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        line = child.stdout.readline()  # the child is stopped mid-operation
        assert line == b"stalled\n", line + child.stdout.read() + child.stderr.read()
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=60)
        child.stdin.close()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize(
    ("step", "after"),
    [("copy_entry", 12), ("_place", 1)],  # killed during the copy / after setting the source aside
)
def test_a_move_killed_halfway_resumes(shared_app, tmp_path, cross_fs, step, after):
    app = shared_app
    root = world.mail_root(app, tmp_path)
    old, new = _queue_move(app, root)
    source = world.snapshot(old)
    _kill_worker_at(app, tmp_path, step, after)
    assert not new.exists() and world.pending(app)
    if step == "copy_entry":
        assert world.snapshot(old) == source  # the source was never touched
        [tmp] = new.parent.glob(f"bob{maildirs.TMP_SUFFIX}*")
        half = next(tmp.rglob("*.msg"))  # as if killed in the middle of writing it
        half.write_bytes(half.read_bytes()[:100])
    result = world.run(app, tmp_path)
    assert result.exit_code == 0, result.output
    assert world.snapshot(new) == source and not old.exists()
    assert world.pending(app) == {} and _leftovers(root) == []


def test_a_delete_killed_halfway_resumes(shared_app, tmp_path):
    app = shared_app
    root = world.mail_root(app, tmp_path)
    gone = world.maildir(root / OLD_DOMAIN / "gone", messages=30)
    world.maildir(root / OLD_DOMAIN / "kept")
    world.queue(app, "delete", gone)
    kept = world.snapshot(root, skip=root / OLD_DOMAIN / "gone")
    _kill_worker_at(app, tmp_path, "remove_any", 2)  # set aside, removal not started
    assert not gone.exists() and _leftovers(root)
    result = world.run(app, tmp_path)
    assert result.exit_code == 0, result.output
    assert world.snapshot(root) == kept and world.pending(app) == {}
