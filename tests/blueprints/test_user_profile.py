"""Self-service profile: fields, password change with the old password, PasswordChange veto."""

from sqlalchemy import func, select

from modoboa_flask import signals
from modoboa_flask.extensions import db
from modoboa_flask.models import User, UserSession
from modoboa_flask.passwords import verify_password
from modoboa_flask.sessions import open_session
from tests import factories
from tests.conftest import log_client_in


def test_update_profile_fields(app, login):
    with app.app_context():
        user_id = factories.make_user("SimpleUsers", username="u@test.com")
    client = login(user_id=user_id)
    assert 'name="first_name"' in client.get("/user/profile").text
    response = client.post(
        "/user/profile",
        data={
            "first_name": "Jean",
            "last_name": "Dupont",
            "language": "fr",
            "phone_number": "+33 1",
            "secondary_email": "Other@Example.org",
        },
    )
    assert response.status_code == 200 and "Profile updated" in response.text
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.first_name, user.language, user.secondary_email) == (
            "Jean",
            "fr",
            "other@example.org",
        )
    response = client.post("/user/profile", data={"language": "xx"})
    assert "Not a valid choice" in response.text


def test_password_change(app, client):
    with app.app_context():
        user_id = factories.make_user("SimpleUsers", username="u@test.com")
        other_key = open_session(db.session.get(User, user_id))
        db.session.commit()
    log_client_in(app, client, user_id)
    base = {"language": "en"}
    response = client.post(
        "/user/profile",
        data=dict(base, oldpassword="wrong", newpassword="Toto12345", confirmation="Toto12345"),
    )
    assert "Old password mismatch" in response.text
    response = client.post(
        "/user/profile",
        data=dict(base, oldpassword=factories.PASSWORD, newpassword="tutu", confirmation="tutu"),
    )
    assert "at least" in response.text
    response = client.post(
        "/user/profile",
        data=dict(
            base, oldpassword=factories.PASSWORD, newpassword="Toto12345", confirmation="Toto12345"
        ),
    )
    assert "Profile updated" in response.text
    with app.app_context():
        user = db.session.get(User, user_id)
        assert verify_password("Toto12345", user.password)
        sessions = (
            select(func.count()).select_from(UserSession).where(UserSession.user_id == user_id)
        )
        assert db.session.scalar(sessions) == 1  # the other session ended, this one stays
        assert other_key
    assert client.get("/user/profile").status_code == 200


def test_password_change_vetoed(app, login):
    with app.app_context():
        user_id = factories.make_user("SimpleUsers", username="ldap@test.com")

    def veto(sender, user, **kw):
        return [True]

    client = login(user_id=user_id)
    with signals.password_change.connected_to(veto, sender=app):
        page = client.get("/user/profile").text
        assert 'name="newpassword"' not in page
        client.post(
            "/user/profile",
            data={
                "language": "en",
                "oldpassword": factories.PASSWORD,
                "newpassword": "Toto12345",
                "confirmation": "Toto12345",
            },
        )
    with app.app_context():
        assert verify_password(factories.PASSWORD, db.session.get(User, user_id).password)
