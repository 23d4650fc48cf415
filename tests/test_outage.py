"""A database that cannot be reached gives 503 + Retry-After, never a bare 500 or a traceback.

These tests point an app at a port nothing listens on (a refused connection is what a stopped
server gives), so they run on every suite database. The real stop-and-restart of a server,
with Postfix and Dovecot, is tests/mailserver/test_database_outage.py.
"""

import psycopg
import pymysql
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from modoboa_flask.errors import is_unavailable
from modoboa_flask.extensions import db
from tests.conftest import make_app
from tests.peers import free_port

UNREACHABLE = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:{port}/modoboa",
    "mariadb": "mysql+pymysql://root@127.0.0.1:{port}/modoboa",
}
LEAKS = ("Traceback", "SELECT", "psycopg", "pymysql", "OperationalError", "127.0.0.1")


@pytest.fixture(params=sorted(UNREACHABLE))
def down_app(request):
    """An app whose database server is not running."""
    app = make_app(DATABASE_URL=UNREACHABLE[request.param].format(port=free_port()))
    yield app
    with app.app_context():
        db.engine.dispose()


def _logged_in(app):
    client = app.test_client()
    with client.session_transaction() as sess:
        # Only the cookie: checking it needs the database, which is the point.
        sess["_user_id"], sess["_fresh"] = "a-session-key", True
    return client


def _assert_clean_503(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    body = response.get_data(as_text=True)
    assert not [leak for leak in LEAKS if leak in body]
    return body


@pytest.mark.parametrize("path", ["/dashboard/", "/domains/", "/identities/", "/", "/nope"])
def test_pages_answer_503_in_the_layout(down_app, path):
    body = _assert_clean_503(_logged_in(down_app).get(path))
    assert "<html" in body and 'id="error-page"' in body
    assert "temporarily unavailable" in body
    assert "bootstrap" in body  # the product's layout, not Werkzeug's bare page


def test_htmx_requests_get_the_fragment(down_app):
    response = _logged_in(down_app).get("/domains/", headers={"HX-Request": "true"})
    body = _assert_clean_503(response)
    assert "<html" not in body and 'data-error-code="503"' in body


def test_login_form_posts_answer_503(down_app):
    client = down_app.test_client()
    assert client.get("/auth/login").status_code == 200  # the form itself needs no database
    response = client.post("/auth/login", data={"username": "admin", "password": "password"})
    _assert_clean_503(response)


def test_api_answers_503_json(down_app):
    client = down_app.test_client()
    headers = {"Authorization": "Token " + "a" * 40}
    for method, path in (("get", "/api/v1/domains/"), ("post", "/api/v1/domains/")):
        response = getattr(client, method)(path, headers=headers, json={"name": "x.org"})
        _assert_clean_503(response)
        assert response.get_json() == {"detail": "Service temporarily unavailable"}


def test_healthz(app, down_app):
    up = app.test_client().get("/healthz")
    assert (up.status_code, up.get_json()) == (200, {"status": "ok"})
    assert up.headers["Cache-Control"] == "no-store"
    down = down_app.test_client().get("/healthz")
    assert (down.status_code, down.get_json()) == (503, {"status": "unavailable"})
    assert down.headers["Retry-After"] == "30"


def test_a_faulty_statement_stays_a_500(app):
    app.config["PROPAGATE_TEST_ERRORS"] = False

    @app.get("/test-bad-sql")
    def bad_sql():
        db.session.execute(text("SELECT no_such_column FROM no_such_table"))

    response = app.test_client().get("/test-bad-sql")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers


def _wrapped(orig, cls=sa_exc.OperationalError, **kwargs):
    return cls("SELECT 1", {}, orig, **kwargs)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (_wrapped(psycopg.OperationalError("connection refused")), True),  # no SQLSTATE
        (_wrapped(psycopg.errors.AdminShutdown("terminating connection")), True),
        (_wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")), True),
        (_wrapped(psycopg.errors.ConnectionFailure("lost")), True),
        (_wrapped(psycopg.errors.QueryCanceled("statement timeout")), False),
        (_wrapped(psycopg.errors.DeadlockDetected("deadlock")), False),
        (_wrapped(psycopg.errors.UndefinedTable("x"), sa_exc.ProgrammingError), False),
        (_wrapped(pymysql.err.OperationalError(2003, "Can't connect")), True),
        (_wrapped(pymysql.err.OperationalError(2013, "Lost connection")), True),
        (_wrapped(pymysql.err.OperationalError(1205, "Lock wait timeout")), False),
        (_wrapped(pymysql.err.IntegrityError(1062, "Duplicate"), sa_exc.IntegrityError), False),
        (_wrapped(Exception("any"), connection_invalidated=True), True),
        (sa_exc.TimeoutError("QueuePool limit reached"), True),
        (ValueError("not a database error"), False),
    ],
)
def test_only_connection_failures_count_as_unavailable(error, unavailable):
    assert is_unavailable(error) is unavailable
