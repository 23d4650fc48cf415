"""Shared fixtures: the app on the test database, clients logged in as each role."""

import os

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from config import TestConfig
from modoboa_flask import create_app
from modoboa_flask.accounts import load_initial_data
from modoboa_flask.extensions import db
from modoboa_flask.sessions import open_session
from tests import factories

# The suite runs unchanged on SQLite, PostgreSQL and MariaDB: `make test` sets this URL.
BASE_DATABASE_URL = os.environ.get("MODOBOA_TEST_DATABASE_URL", "sqlite://")
# Under pytest-xdist every worker gets its own database next to the given one.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
IN_MEMORY = BASE_DATABASE_URL == "sqlite://"


def _worker_url(url: str) -> str:
    if not WORKER or url.startswith("sqlite"):
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{WORKER}").render_as_string(hide_password=False)


DATABASE_URL = _worker_url(BASE_DATABASE_URL)
_schema_ready = False


@pytest.fixture(scope="session", autouse=True)
def _worker_database():
    """Create this xdist worker's own database (and drop it at the end of the run)."""
    if DATABASE_URL == BASE_DATABASE_URL:
        yield
        return
    parsed = make_url(DATABASE_URL)
    # URL.set() ignores None: _replace really drops the database for MySQL.
    admin_db = "postgres" if parsed.get_backend_name() == "postgresql" else None
    server = create_engine(parsed._replace(database=admin_db), isolation_level="AUTOCOMMIT")
    force = " WITH (FORCE)" if parsed.get_backend_name() == "postgresql" else ""
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {parsed.database}{force}"))
        conn.execute(text(f"CREATE DATABASE {parsed.database}"))
    yield
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {parsed.database}{force}"))
    server.dispose()


def make_app(**overrides):
    """Build a test app on the test database (tests may pass config overrides)."""
    config = {"DATABASE_URL": DATABASE_URL}
    config.update(overrides)
    return create_app(TestConfig, config)


def _reset_database():
    """Give each test an empty schema: recreate in memory, else delete every row."""
    global _schema_ready
    if IN_MEMORY:
        db.create_all()
        return
    if not _schema_ready:
        db.drop_all()
        db.create_all()
        _schema_ready = True
        return
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def fresh_app(**overrides):
    """A test app on an emptied database holding only the initial data."""
    app = make_app(**overrides)
    with app.app_context():
        _reset_database()
        load_initial_data()
    return app


@pytest.fixture
def app():
    """A fresh app whose database holds the initial data (roles, admin, services)."""
    app = fresh_app()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client (not logged in)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask` commands."""
    return app.test_cli_runner()


def log_client_in(app, client, user_id):
    """Open a server-side session for *user_id* and put its key in *client*'s cookie."""
    from modoboa_flask.models import User

    with app.app_context():
        key = open_session(db.session.get(User, user_id))
        db.session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = key, True
    return client


@pytest.fixture
def login(app, client):
    """Return a callable logging `client` in as a new user of a role (or a given user id)."""

    def _login(role="SuperAdmins", user_id=None, **kwargs):
        if user_id is None:
            with app.app_context():
                user_id = factories.make_user(role=role, **kwargs)
        return log_client_in(app, client, user_id)

    return _login


@pytest.fixture
def count_queries(app):
    """Return a context manager counting the SQL statements run inside it."""
    import contextlib

    @contextlib.contextmanager
    def _count():
        statements = []

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return _count


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole run (Playwright's sync API allows one at a time)."""
    from tests.peers import browser, require

    require(browser.available, "Debian's chromium and the playwright package are needed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = browser.launch_chromium(playwright)
        yield instance
        instance.close()
