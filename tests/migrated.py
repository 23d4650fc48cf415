"""Throw-away databases built by `flask db upgrade`, next to the test database.

The mail servers read the *migrated* schema, so the schema test and the mail-server tests
run on one of these, never on `create_all()`.
"""

import contextlib
import os
import tempfile
import uuid

from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import DATABASE_URL, make_app


def _server_url(url):
    """Same server, administrative database (to CREATE/DROP the throw-away one)."""
    admin_db = "postgres" if url.get_backend_name() == "postgresql" else None
    return url._replace(database=admin_db)  # URL.set() would ignore None


@contextlib.contextmanager
def fresh_database_url():
    """Yield the URL of a new empty database on the test server; drop it afterwards."""
    url = make_url(DATABASE_URL)
    if url.get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{os.path.join(tmp, 'migrated.db')}"
        return
    name = f"{url.database}_m{uuid.uuid4().hex[:8]}"
    engine = create_engine(_server_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            if url.get_backend_name() == "postgresql":
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        engine.dispose()


@contextlib.contextmanager
def migrated_app(**overrides):
    """Yield an app whose (new) database was built by the Alembic migrations."""
    with fresh_database_url() as url:
        app = make_app(DATABASE_URL=url, **overrides)
        with app.app_context():
            upgrade()
        try:
            yield app
        finally:
            with app.app_context():
                from modoboa_flask.extensions import db

                db.session.remove()
                db.engine.dispose()
