"""LDAP logins against a real slapd: bind modes, TLS, failures, auto-creation, admin groups."""

import socket
import time

import ldap
import pytest
from sqlalchemy import func, select

from modoboa_flask import params, signals
from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, DomainAdmin, Log, LoginFailure, Mailbox, User
from tests import factories
from tests.ldap_directory import GROUPS, PASSWORDS, USERS, configure, directory, dn
from tests.peers import make_peer_dir, slapd
from tests.peers._proc import remove_peer_dir


@pytest.fixture(scope="module")
def server():
    """One slapd for the tests that only read the directory."""
    with directory() as instance:
        yield instance


@pytest.fixture
def own_server():
    """A slapd of the test's own, for tests that change the directory."""
    with directory() as instance:
        yield instance


def _login(client, username, password):
    return client.post("/auth/login", data={"username": username, "password": password})


def _account(app, username):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            return None
        mailbox = db.session.scalar(select(Mailbox).where(Mailbox.user_id == user.id))
        grants = db.session.scalars(
            select(Domain.name)
            .join(DomainAdmin, DomainAdmin.domain_id == Domain.id)
            .where(DomainAdmin.user_id == user.id)
        ).all()
        return {
            "role": user.role,
            "is_local": user.is_local,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "password": user.password,
            "mailbox": mailbox.full_address if mailbox else None,
            "grants": sorted(grants),
        }


def _set(app, key, value):
    with app.app_context():
        params.set(key, value)
        db.session.commit()


def _domain_exists(app, name):
    with app.app_context():
        return db.session.scalar(select(Domain.id).where(Domain.name == name)) is not None


def test_search_bind_creates_the_account_with_mailbox_and_domain(app, client, server):
    configure(app, server.port)
    created = []

    def receiver(sender, account, **extra):
        created.append(account.username)

    with signals.account_auto_created.connected_to(receiver):
        response = _login(client, "alice@example.com", PASSWORDS["alice"])
    assert response.status_code == 303
    assert created == ["alice@example.com"]
    account = _account(app, "alice@example.com")
    assert account["is_local"] is False
    assert account["role"] == "SimpleUsers"
    assert (account["first_name"], account["last_name"]) == ("Alice", "Example")
    assert account["mailbox"] == "alice@example.com"
    assert _domain_exists(app, "example.com")
    with app.app_context():
        messages = db.session.scalars(select(Log.message)).all()
    assert "Domain 'example.com' added" in messages
    assert "Account 'alice@example.com' created at its first LDAP login" in messages


def test_crypt_password_and_existing_domain(app, client, server):
    configure(app, server.port)
    with app.app_context():
        factories.make_domain("example.com")
        db.session.commit()
    assert _login(client, "BOB@example.com", PASSWORDS["bob"]).status_code == 303
    account = _account(app, "bob@example.com")
    assert account["mailbox"] == "bob@example.com" and account["is_local"] is False


def test_no_domain_or_mailbox_when_auto_creation_is_off(app, client, server):
    configure(app, server.port)
    _set(app, "admin.auto_create_domain_and_mailbox", "no")
    assert _login(client, "alice@example.com", PASSWORDS["alice"]).status_code == 303
    account = _account(app, "alice@example.com")
    assert account["mailbox"] is None and account["is_local"] is False
    assert not _domain_exists(app, "example.com")


def test_a_limit_refuses_the_creation_and_nothing_is_written(app, client, server):
    from modoboa_flask.exceptions import LimitReached

    configure(app, server.port)

    def refuse(sender, object_type, **extra):
        if object_type == "mailboxes":
            raise LimitReached("Mailboxes: limit reached")

    with signals.can_create_object.connected_to(refuse, sender=app):
        response = _login(client, "alice@example.com", PASSWORDS["alice"])
    assert response.status_code == 403
    assert b"Your account could not be created" in response.data
    assert _account(app, "alice@example.com") is None
    assert not _domain_exists(app, "example.com")  # the domain went with the rest


def test_direct_bind_admin_group_member_and_entry_without_mail(app, client, server):
    configure(app, server.port, ldap_auth_method="directbind")
    # dave is in the posixGroup "admins": a domain administrator of his mail domain.
    assert _login(client, "dave", PASSWORDS["dave"]).status_code == 303
    dave = _account(app, "dave")
    assert dave["role"] == "DomainAdmins" and dave["grants"] == ["example.org"]
    assert dave["mailbox"] == "dave@example.org"
    # carol has no mail and is in no admin group: nothing to open, no account.
    response = _login(app.test_client(), "carol", PASSWORDS["carol"])
    assert response.status_code == 403
    assert b"Only e-mail addresses can log in here." in response.data
    assert _account(app, "carol") is None


def test_group_of_names_admin(app, client, server):
    configure(app, server.port, ldap_group_type="groupofnames")
    assert _login(client, "erin@example.net", PASSWORDS["erin"]).status_code == 303
    erin = _account(app, "erin@example.net")
    assert erin["role"] == "DomainAdmins" and erin["grants"] == ["example.net"]


@pytest.mark.parametrize(
    "username, password",
    [
        ("alice@example.com", "Wrong123"),  # wrong password
        ("nobody@example.com", "Alice123"),  # unknown user
        # Injections are looked up literally: they match nobody.
        ("*)(uid=*", PASSWORDS["alice"]),
        ("alice@example.co*", PASSWORDS["alice"]),
    ],
)
def test_refused_logins(app, client, server, username, password):
    configure(app, server.port)
    response = _login(client, username, password)
    assert response.status_code == 401
    assert b"Your username and password didn&#39;t match" in response.data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1  # admin only
        assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 1


def test_empty_password_is_never_an_anonymous_bind(app, server):
    from modoboa_flask import ldapauth

    configure(app, server.port)
    with app.test_request_context():
        assert ldapauth.authenticate("alice@example.com", "") is None


def test_local_account_still_logs_in(app, client, server):
    configure(app, server.port)
    assert _login(client, "admin", "password").status_code == 303


def test_directory_password_never_replaces_a_local_accounts_own(app, client, server):
    configure(app, server.port)
    _set(app, "core.password_scheme", "sha256crypt")  # a local login would re-hash
    with app.app_context():
        # A local account named like a directory user.
        user_id = factories.make_user(username="bob@example.com", password="Local1234")
        stored = db.session.get(User, user_id).password
        assert stored.startswith("{SHA512-CRYPT}$6$rounds=1000$")
    assert _login(client, "bob@example.com", PASSWORDS["bob"]).status_code == 303
    account = _account(app, "bob@example.com")
    assert account["password"] == stored and account["is_local"] is True


def test_directory_down_local_accounts_log_in_ldap_users_do_not(app, client, own_server):
    configure(app, own_server.port)
    assert _login(client, "alice@example.com", PASSWORDS["alice"]).status_code == 303
    own_server.stop()
    fresh = app.test_client()
    response = _login(fresh, "alice@example.com", PASSWORDS["alice"])
    assert response.status_code == 503
    assert b"The authentication directory is unavailable" in response.data
    assert _login(fresh, "admin", "password").status_code == 303


def test_ldap_logins_share_the_login_throttle(app, client, server):
    configure(app, server.port)
    for _attempt in range(app.config["LOGIN_THROTTLE_ATTEMPTS"]):
        assert _login(client, "alice@example.com", "Wrong1234").status_code == 401
    response = _login(client, "alice@example.com", PASSWORDS["alice"])
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert _account(app, "alice@example.com") is None  # the directory was not even asked


def test_disabled_ldap_account_is_refused_like_a_wrong_password(app, client, server):
    configure(app, server.port)
    assert _login(client, "alice@example.com", PASSWORDS["alice"]).status_code == 303
    with app.app_context():
        db.session.scalar(
            select(User).where(User.username == "alice@example.com")
        ).is_active = False
        db.session.commit()
    response = _login(app.test_client(), "alice@example.com", PASSWORDS["alice"])
    assert response.status_code == 401


def test_slow_directory_times_out(app, client, caplog):
    # A server that accepts connections and never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        configure(app, silent.getsockname()[1], ldap_timeout="1")
        started = time.monotonic()
        response = _login(client, "alice@example.com", PASSWORDS["alice"])
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert elapsed < 10
        port = silent.getsockname()[1]
        assert f"LDAP authentication failed on ldap://127.0.0.1:{port}" in caplog.text
        assert _login(client, "admin", "password").status_code == 303
    finally:
        silent.close()


def test_directory_is_the_only_judge_of_the_password(app, client, own_server):
    configure(app, own_server.port)
    # A scheme change would re-hash a local password at login: not an LDAP user's.
    _set(app, "core.password_scheme", "sha256crypt")
    assert _login(client, "alice@example.com", PASSWORDS["alice"]).status_code == 303
    stored = _account(app, "alice@example.com")["password"]
    assert _login(app.test_client(), "alice@example.com", PASSWORDS["alice"]).status_code == 303
    assert _account(app, "alice@example.com")["password"] == stored
    # Changed in the directory: the new password works, the old one no longer does.
    own_server.modify(dn("alice"), [(ldap.MOD_REPLACE, "userPassword", [b"Changed99"])])
    assert _login(app.test_client(), "alice@example.com", "Changed99").status_code == 303
    assert _login(app.test_client(), "alice@example.com", PASSWORDS["alice"]).status_code == 401


def test_admin_group_promotion_and_demotion(app, client, own_server):
    configure(app, own_server.port)
    assert _login(client, "alice@example.com", PASSWORDS["alice"]).status_code == 303
    assert _account(app, "alice@example.com")["role"] == "SimpleUsers"
    admins = f"cn=admins,{GROUPS}"
    own_server.modify(admins, [(ldap.MOD_ADD, "memberUid", [b"alice"])])
    assert _login(app.test_client(), "alice@example.com", PASSWORDS["alice"]).status_code == 303
    promoted = _account(app, "alice@example.com")
    assert promoted["role"] == "DomainAdmins" and promoted["grants"] == ["example.com"]
    own_server.modify(admins, [(ldap.MOD_DELETE, "memberUid", [b"alice"])])
    assert _login(app.test_client(), "alice@example.com", PASSWORDS["alice"]).status_code == 303
    demoted = _account(app, "alice@example.com")
    assert demoted["role"] == "SimpleUsers" and demoted["grants"] == []
    assert demoted["mailbox"] == "alice@example.com"


def test_demoted_plain_login_loses_its_grant_and_access(app, client, own_server):
    configure(app, own_server.port, ldap_auth_method="directbind")
    assert _login(client, "dave", PASSWORDS["dave"]).status_code == 303
    own_server.modify(f"cn=admins,{GROUPS}", [(ldap.MOD_DELETE, "memberUid", [b"dave"])])
    assert _login(app.test_client(), "dave", PASSWORDS["dave"]).status_code == 403
    assert _account(app, "dave")["grants"] == []


def test_starttls_and_ldaps_with_a_private_ca(app, client):
    tls_dir = make_peer_dir("ldaptls")
    try:
        ca, cert, key = slapd.make_test_ca(tls_dir)
        with directory(tls=(cert, key)) as server:
            common = {"ldap_secured": "yes", "ldap_ca_certificate": str(ca)}
            configure(app, server.port, ldap_tls_method="starttls", **common)
            assert _login(client, "alice@example.com", PASSWORDS["alice"]).status_code == 303
            configure(app, server.ldaps_port, ldap_tls_method="ldaps", **common)
            response = _login(app.test_client(), "bob@example.com", PASSWORDS["bob"])
            assert response.status_code == 303
            # Without the private CA the certificate is not trusted: no login.
            configure(app, server.port, ldap_tls_method="starttls", ldap_ca_certificate="")
            response = _login(app.test_client(), "alice@example.com", PASSWORDS["alice"])
            assert response.status_code == 503
    finally:
        remove_peer_dir(tls_dir)


def test_active_directory_switch_turns_referrals_off(app, server, monkeypatch):
    from modoboa_flask import ldapauth

    configure(app, server.port, ldap_is_active_directory="yes")
    seen = {}
    real_connect = ldapauth.connect

    def spy(config):
        conn = real_connect(config)
        seen["referrals"] = conn.get_option(ldap.OPT_REFERRALS)
        return conn

    monkeypatch.setattr(ldapauth, "connect", spy)
    with app.test_request_context():
        assert ldapauth.authenticate("alice@example.com", PASSWORDS["alice"]).dn == dn("alice")
    assert seen["referrals"] == 0


def test_unknown_user_costs_a_bind_too(app, server, monkeypatch):
    from modoboa_flask import ldapauth

    configure(app, server.port)
    binds = []
    real_connect = ldapauth.connect

    def spy(config):
        conn = real_connect(config)
        real_bind = conn.simple_bind_s
        conn.simple_bind_s = lambda who, pw: binds.append(who) or real_bind(who, pw)
        return conn

    monkeypatch.setattr(ldapauth, "connect", spy)
    with app.test_request_context():
        assert ldapauth.authenticate("nobody@example.com", "Whatever1") is None
        assert ldapauth.authenticate("alice@example.com", "Wrong1234") is None
    # Service bind + one user bind in both cases: the same round trips.
    assert len(binds) == 4 and binds[1].endswith(USERS) and binds[3] == dn("alice")
