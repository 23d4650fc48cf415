"""`flask cleanup`: every part, the dry run, the database lock, and the `cleanlogs` alias."""

import os
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select

from modoboa_flask import locks
from modoboa_flask.extensions import db
from modoboa_flask.imports import uploads
from modoboa_flask.models import ApiToken, Log, LoginFailure, UserSession, utcnow
from tests import factories


@pytest.fixture
def upload_dir(app, tmp_path):
    """Uploads go to a temporary folder."""
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def _seed(app, upload_dir):
    """One row to delete and one to keep for each part (names say which)."""
    now = utcnow()
    with app.app_context():
        user = factories.make_user(username="owner")
        db.session.add_all([
            Log(message="old", date_created=now - timedelta(days=400)),
            Log(message="recent", date_created=now - timedelta(days=300)),
            # Idle longer than core.session_idle_timeout (60 minutes) / in use.
            UserSession(key_hash="old".ljust(64, "0"), user_id=user,
                        last_seen=now - timedelta(minutes=61)),
            UserSession(key_hash="recent".ljust(64, "0"), user_id=user,
                        last_seen=now - timedelta(minutes=59)),
            LoginFailure(username="old", ip_address="127.0.0.1",
                         created=now - timedelta(seconds=400)),
            LoginFailure(username="recent", ip_address="127.0.0.1",
                         created=now - timedelta(seconds=200)),
            ApiToken(user_id=user, key_hash="old".ljust(64, "1"), prefix="oldtoken",
                     expires_at=now - timedelta(minutes=5)),
            ApiToken(user_id=user, key_hash="recent".ljust(64, "1"), prefix="newtoken",
                     expires_at=now + timedelta(days=1)),
            ApiToken(user_id=user, key_hash="forever".ljust(64, "1"), prefix="forever"),
        ])  # fmt: skip
        db.session.commit()
        folder = uploads.directory()
    for name, age in [("old.csv", 3700), ("old.json", 3700), ("recent.csv", 60)]:
        path = os.path.join(folder, name)
        open(path, "w").close()
        os.utime(path, (time.time() - age, time.time() - age))


def _left(app, upload_dir):
    with app.app_context():
        return {
            "logs": sorted(db.session.scalars(select(Log.message).where(Log.action == ""))),
            "sessions": sorted(db.session.scalars(select(UserSession.key_hash))),
            "failures": sorted(db.session.scalars(select(LoginFailure.username))),
            "tokens": sorted(db.session.scalars(select(ApiToken.prefix))),
            "uploads": sorted(os.listdir(upload_dir)),
        }


EVERYTHING = {
    "logs": ["old", "recent"],
    "sessions": ["old".ljust(64, "0"), "recent".ljust(64, "0")],
    "failures": ["old", "recent"],
    "tokens": ["forever", "newtoken", "oldtoken"],
    "uploads": ["old.csv", "old.json", "recent.csv"],
}
REPORT = [
    "1 log record(s) older than 365 days.",
    "1 abandoned session(s).",
    "1 login failure(s) older than 300 seconds.",
    "1 expired API token(s).",
    "2 abandoned upload file(s) older than 60 minutes.",
]


def test_dry_run_counts_and_deletes_nothing(app, runner, upload_dir):
    _seed(app, upload_dir)
    result = runner.invoke(args=["cleanup", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        *(f"Would delete {line}" for line in REPORT),
        "Dry run: nothing was deleted.",
    ]
    assert _left(app, upload_dir) == EVERYTHING


def test_cleanup_deletes_what_has_outlived_its_use(app, runner, upload_dir):
    _seed(app, upload_dir)
    result = runner.invoke(args=["cleanup"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"Deleted {line}" for line in REPORT]
    assert _left(app, upload_dir) == {
        "logs": ["recent"],
        "sessions": ["recent".ljust(64, "0")],
        "failures": ["recent"],
        "tokens": ["forever", "newtoken"],
        "uploads": ["recent.csv"],
    }
    with app.app_context():
        audited = db.session.scalars(select(Log.message).where(Log.object_type == "ApiToken"))
        assert list(audited) == ["API token oldtoken… of 'owner' expired and deleted"]
    again = runner.invoke(args=["cleanlogs"])  # the old name runs the same job
    assert again.exit_code == 0 and again.output.splitlines()[0] == (
        "Deleted 0 log record(s) older than 365 days."
    )


def test_a_second_run_leaves_the_database_to_the_first(app, runner, upload_dir):
    _seed(app, upload_dir)
    with app.app_context(), locks.exclusive("cleanup") as held:
        assert held
        result = runner.invoke(args=["cleanup"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Another cleanup is running: the database is left to it.",
        "Deleted 2 abandoned upload file(s) older than 60 minutes.",  # this node's own folder
    ]
    assert _left(app, upload_dir) == {**EVERYTHING, "uploads": ["recent.csv"]}
    # The lock went with the first run: the next run does the work.
    assert "Deleted 1 log record(s)" in runner.invoke(args=["cleanup"]).output


def test_lock_is_exclusive_and_released(app):
    with app.app_context():
        with locks.exclusive("job") as first:
            with locks.exclusive("job") as second, locks.exclusive("other") as other:
                assert (first, second, other) == (True, False, True)
        with locks.exclusive("job") as again:
            assert again
        # The holder's connection is not the session's: commits do not release the lock.
        with locks.exclusive("job") as held:
            db.session.add(Log(message="x"))
            db.session.commit()
            with locks.exclusive("job") as second:
                assert held and not second
        assert db.session.scalar(select(func.count(Log.id)).where(Log.message == "x")) == 1


def test_sqlite_file_lock(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'modoboa.db'}")
    with locks._sqlite_lock(engine, "cleanup") as first:
        with locks._sqlite_lock(engine, "cleanup") as second:
            assert (first, second) == (True, False)
    with locks._sqlite_lock(engine, "cleanup") as again:
        assert again
    assert (tmp_path / "modoboa.db.cleanup.lock").exists()
