"""Each parameter of this area takes effect where it is read."""

from datetime import timedelta

from sqlalchemy import func, select

from modoboa_flask import params
from modoboa_flask.accounts import set_password
from modoboa_flask.extensions import db
from modoboa_flask.models import Log, User, utcnow
from modoboa_flask.passwords import verify_password
from tests import factories
from tests.conftest import log_client_in


def test_password_scheme_and_rounds_apply_to_next_password(app):
    with app.app_context():
        user = db.session.get(User, factories.make_user())
        set_password(user, "Toto1234")
        assert user.password.startswith("{SHA512-CRYPT}$6$rounds=1000$")
        params.set("core.password_scheme", "sha256crypt")
        params.set("core.rounds_number", "6000")
        set_password(user, "Toto1234")
        assert user.password.startswith("{SHA256-CRYPT}$5$rounds=6000$")
        assert verify_password("Toto1234", user.password)
        params.set("core.password_scheme", "plain")
        set_password(user, "Toto1234")
        assert user.password == "{PLAIN}Toto1234"


def test_scheme_changed_on_the_page_applies(app, login):
    login().post(
        "/settings/parameters/core",
        data={"core-password_scheme": "sha256crypt", "core-rounds_number": "7000"},
        headers={"HX-Request": "true"},
    )
    with app.app_context():
        user = db.session.get(User, factories.make_user())
        set_password(user, "Toto1234")
        assert user.password.startswith("{SHA256-CRYPT}$5$rounds=7000$")


def test_default_top_redirection_for_simple_users(app, login):
    client = login(role="SimpleUsers")
    assert client.get("/").headers["Location"].endswith("/user/")


def test_default_top_redirection_to_a_plugin(tmp_path):
    from tests.plugins.test_sample_plugin import SAMPLE, _app_with

    app = _app_with([SAMPLE])
    with app.app_context():
        params.set("core.default_top_redirection", "sample")
        db.session.commit()
        simple = factories.make_user()
        admin = factories.make_user(role="DomainAdmins")
    response = log_client_in(app, app.test_client(), simple).get("/")
    assert response.headers["Location"].endswith("/sample/")
    # Administrators always land on the dashboard.
    response = log_client_in(app, app.test_client(), admin).get("/")
    assert response.headers["Location"].endswith("/dashboard/")


def test_log_maximum_age_drives_cleanlogs(app, runner):
    now = utcnow()
    with app.app_context():
        db.session.add_all(
            [
                Log(message="ancient", date_created=now - timedelta(days=400)),
                Log(message="recent", date_created=now - timedelta(days=10)),
                Log(message="today", date_created=now),
            ]
        )
        db.session.commit()
        before = db.session.scalar(select(func.count(Log.id)))
    result = runner.invoke(args=["cleanlogs"])
    assert result.exit_code == 0 and "Deleted 1 log record(s) older than 365 days" in result.output
    with app.app_context():
        params.set("core.log_maximum_age", "5")
        db.session.commit()
    result = runner.invoke(args=["cleanlogs"])
    assert "Deleted 1 log record(s) older than 5 days" in result.output
    with app.app_context():
        messages = set(db.session.scalars(select(Log.message)))
        assert "ancient" not in messages and "recent" not in messages and "today" in messages
        # Each run leaves its own audit row (action "cleanup"); the other rows lost two.
        others = select(func.count(Log.id)).where(Log.action != "cleanup")
        assert db.session.scalar(others) == before - 2
