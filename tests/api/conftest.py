"""API fixtures: tokens for any account, a client sending them, a two-domain world."""

import pytest

from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, AliasRecipient, DomainAlias, Mailbox, User
from tests import factories


def make_alias(domain_id, address, recipients) -> int:
    """Insert a public alias (recipients: addresses of mailboxes or external ones)."""
    alias = Alias(address=address, domain_id=domain_id)
    for rcpt in recipients:
        local, _, _domain = rcpt.partition("@")
        mailbox_id = db.session.scalar(
            db.select(Mailbox.id).where(Mailbox.address == local, Mailbox.domain_id == domain_id)
        )
        alias.recipients.append(AliasRecipient(address=rcpt, r_mailbox_id=mailbox_id))
    db.session.add(alias)
    db.session.commit()
    return alias.id


def make_domain_alias(domain_id, name) -> int:
    """Insert a domain alias with its internal `@alias -> @domain` row."""
    from modoboa_flask.models import Domain

    target = db.session.get(Domain, domain_id)
    alias = DomainAlias(name=name, target_id=domain_id)
    internal = Alias(address=f"@{name}", domain_id=domain_id, internal=True)
    internal.recipients.append(AliasRecipient(address=f"@{target.name}"))
    db.session.add_all([alias, internal])
    db.session.commit()
    return alias.id


def make_token(user_id, **kwargs) -> str:
    """Create a token for *user_id* (inside an app context) and return its key."""
    from modoboa_flask.blueprints.api.tokens import create_token

    user = db.session.get(User, user_id)
    _token, key = create_token(user, user, **kwargs)
    db.session.commit()
    return key


class ApiClient:
    """A test client that sends `Authorization: Token <key>` and JSON."""

    def __init__(self, app, key=None):
        self.app, self.key = app, key
        self.client = app.test_client()

    def request(self, method, url, json=None, headers=None, **kwargs):
        """Send *method* to /api/v1/*url* with the token."""
        sent = {"Authorization": f"Token {self.key}"} if self.key else {}
        sent.update(headers or {})
        if not url.startswith(("/", "http")):
            url = "/api/v1/" + url
        if json is not None:
            kwargs["json"] = json
        return self.client.open(url, method=method.upper(), headers=sent, **kwargs)

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, json=None, **kw):
        return self.request("POST", url, json=json, **kw)

    def put(self, url, json=None, **kw):
        return self.request("PUT", url, json=json, **kw)

    def delete(self, url, **kw):
        return self.request("DELETE", url, **kw)


@pytest.fixture
def api_as(app):
    """Return a callable: api_as(user_id or role, **token options) -> ApiClient."""

    def _api_as(who="SuperAdmins", **token_options):
        with app.app_context():
            user_id = who if isinstance(who, int) else factories.make_user(role=who)
            return ApiClient(app, make_token(user_id, **token_options))

    return _api_as


@pytest.fixture
def admin_id(app):
    """The id of the initial super admin."""
    with app.app_context():
        return db.session.scalar(db.select(User.id).where(User.username == "admin"))


@pytest.fixture
def world(app, admin_id):
    """Domains A (reseller's) and B, admins of each, simple users, aliases; clients per role."""
    with app.app_context():
        reseller = factories.make_user(role="Resellers", username="reseller")
        dom_a = factories.make_domain(
            "a.test", quota=100, default_mailbox_quota=10, owner_id=reseller
        )
        dom_b = factories.make_domain(
            "b.test", quota=100, default_mailbox_quota=10, owner_id=admin_id
        )
        admin_a = factories.make_mailbox(dom_a, "admin", role="DomainAdmins")
        factories.grant_domain(admin_a, dom_a)
        admin_b = factories.make_mailbox(dom_b, "admin", role="DomainAdmins")
        factories.grant_domain(admin_b, dom_b)
        user_a = factories.make_mailbox(dom_a, "user", quota=10)
        user_b = factories.make_mailbox(dom_b, "user", quota=10)
        ids = dict(
            alias_a=make_alias(dom_a, "sales@a.test", ["user@a.test"]),
            alias_b=make_alias(dom_b, "sales@b.test", ["user@b.test"]),
            domalias_a=make_domain_alias(dom_a, "a-alias.test"),
            domalias_b=make_domain_alias(dom_b, "b-alias.test"),
            admin=admin_id,
            reseller=reseller,
            dom_a=dom_a,
            dom_b=dom_b,
            admin_a=admin_a,
            admin_b=admin_b,
            user_a=user_a,
            user_b=user_b,
        )
        keys = {
            role: make_token(ids[name])
            for role, name in [
                ("super", "admin"),
                ("reseller", "reseller"),
                ("da", "admin_a"),
                ("user", "user_a"),
            ]
        }
    ids["clients"] = {role: ApiClient(app, key) for role, key in keys.items()}
    return ids
