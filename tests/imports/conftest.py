"""Helpers of the import tests: run an import as someone, read back what exists."""

import io

import pytest
from flask import g
from sqlalchemy import delete, select

from modoboa_flask.accounts import first_superuser
from modoboa_flask.extensions import db
from modoboa_flask.imports import Options, run_import
from modoboa_flask.models import Domain, Log, Mailbox, User


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path):
    """Uploads kept between preview and commit go to a temporary folder."""
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def run(app, content, actor_id=None, name="test.csv", **options):
    """Import *content* (str or bytes) as *actor_id* (default: the first super admin)."""
    data = content.encode() if isinstance(content, str) else content
    with app.app_context():
        actor = db.session.get(User, actor_id) if actor_id else first_superuser()
        g.actor = actor
        return run_import(actor, [(name, io.BytesIO(data))], Options(**options))


@pytest.fixture(params=["batched", "row-by-row"])
def do_import(app, request):
    """Return run() bound to the test app, through each path (both give the same verdicts)."""

    def _run(content, actor_id=None, **options):
        options.setdefault("fast", request.param == "batched")
        options.setdefault("batch_size", 4)
        return run(app, content, actor_id, **options)

    return _run


def messages(report, status=None):
    """{line number: message} of the report's lines (of one status)."""
    return {line.number: line.message for line in report.lines if status in (None, line.status)}


def usernames(app):
    """Every username, sorted."""
    with app.app_context():
        return sorted(db.session.scalars(select(User.username)))


def wipe(app):
    """Delete every domain, log row and account but the super admin `admin`."""
    with app.app_context():
        db.session.execute(delete(Domain))
        db.session.execute(delete(Log))
        for user in db.session.scalars(select(User).where(User.username != "admin")):
            db.session.delete(user)
        db.session.commit()
        assert db.session.scalar(select(Mailbox.id)) is None
