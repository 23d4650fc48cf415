"""The quota pool rule (modoboa_flask/quota_pool.py) through the pages."""

import pytest
from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, Mailbox
from tests.quota_pool_world import make_pool, quotas


# --- pages ------------------------------------------------------------------------------------
def _new_account(client, username, quota):
    return client.post(
        "/identities/accounts/new",
        data={"general-username": username, "general-password": "Toto12345",
              "general-password2": "Toto12345", "general-is_active": "y",
              "general-role": "SimpleUsers", "mail-quota": str(quota)},
    )  # fmt: skip


def test_pages_refuse_a_super_admin_over_the_pool(app, login):
    pool = make_pool(app)
    client = login()  # a super admin: the pool binds every role
    response = _new_account(client, "c@pool.com", 400)
    assert response.status_code in (200, 400)
    assert "what is left of the domain pool (0M of 1000M)" in response.text
    assert "c" not in quotas(app, pool)
    mail = {"mail-quota": "700"}
    with app.app_context():
        user_id = db.session.scalar(select(Mailbox.user_id).where(Mailbox.address == "a"))
    response = client.post(f"/identities/accounts/{user_id}/tab/mail", data=mail)
    assert "what is left of the domain pool (600M of 1000M)" in response.text
    assert quotas(app, pool)["a"] == (600, False)
    # Lowering frees space and is always allowed.
    response = client.post(f"/identities/accounts/{user_id}/tab/mail", data={"mail-quota": "500"})
    assert "Account updated" in response.text and quotas(app, pool)["a"] == (500, False)


def test_pages_raise_is_saved_with_a_warning_when_over_allocated(app, login):
    pool = make_pool(app)
    client = login()
    data = {"general-name": "pool.com", "general-type": "domain", "general-quota": "1200",
            "general-default_mailbox_quota": "700", "general-enabled": "y"}  # fmt: skip
    response = client.post(f"/domains/{pool}/tabs/general", data=data)
    assert "General saved." in response.text
    assert 'id="pool-warning"' in response.text and "hold 1300 MB of quota" in response.text
    assert quotas(app, pool) == {"a": (600, False), "b": (700, True)}
    # Lowering below what is allocated is refused and writes nothing.
    data["general-quota"] = "1100"
    response = client.post(f"/domains/{pool}/tabs/general", data=data)
    assert "lower than the quotas of its mailboxes (1300 MB in total)" in response.text
    with app.app_context():
        assert db.session.get(Domain, pool).quota == 1200


def test_pages_no_warning_when_the_pool_fits(app, login):
    pool = make_pool(app)
    data = {"general-name": "pool.com", "general-type": "domain", "general-quota": "2000",
            "general-default_mailbox_quota": "400", "general-enabled": "y"}  # fmt: skip
    response = login().post(f"/domains/{pool}/tabs/general", data=data)
    assert "General saved." in response.text and "pool-warning" not in response.text


def test_moving_a_mailbox_into_another_pool_is_checked(app):
    """A rename to another domain brings the mailbox's quota into that domain's pool."""
    from modoboa_flask.accounts import first_superuser
    from modoboa_flask.blueprints.identities import services
    from modoboa_flask.exceptions import BadRequest
    from modoboa_flask.models import User
    from tests.factories import make_domain

    make_pool(app)
    with app.app_context():
        make_domain("small.com", quota=500, default_mailbox_quota=100)
        db.session.commit()
        account = db.session.scalar(select(User).where(User.username == "a@pool.com"))
        with pytest.raises(BadRequest, match=r"allowed domain's limit \(500M\)"):
            services.update_account(first_superuser(), account, username="a@small.com")
        db.session.rollback()
        account = db.session.scalar(select(User).where(User.username == "a@pool.com"))
        assert account.mailbox.domain.name == "pool.com"
