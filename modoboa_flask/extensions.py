"""Flask extensions, created unbound and bound in init_app()."""

import os

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()


def init_app(app):
    """Bind every extension to *app*."""
    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir())
    login_manager.init_app(app)
    csrf.init_app(app)


def _migrations_dir() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Turn on foreign keys and WAL for SQLite files.

    WAL matters for Postfix: its SQLite driver never waits on a lock, so a write by the app
    during a lookup would fail the lookup (and throttle smtpd) in rollback-journal mode.
    """
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA database_list")
    files = [row[2] for row in cursor.fetchall() if row[1] == "main"]
    if files and files[0]:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except dbapi_connection.OperationalError:
            pass  # opened read-only (`mode=ro`: `flask migrate-from-modoboa`'s source)
        cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


@event.listens_for(Engine, "do_connect")
def _create_sqlite_file_private(dialect, connection_record, cargs, cparams):
    """Create a new SQLite database file 0640 (issue 11, point 9).

    sqlite3 would create it 0644 (world-readable password hashes); its -wal and -shm files
    take the database file's mode, so they are 0640 too. The group (Postfix, Dovecot) reads.
    """
    if dialect.name != "sqlite":
        return
    path = cargs[0] if cargs else cparams.get("database", "")
    if not isinstance(path, str) or path in ("", ":memory:") or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640))
    except OSError:
        pass  # existing files keep the mode their administrator gave; sqlite3 reports the rest
