"""Creating domains: the wizard (General, plugin steps, Options) and create_domain."""

import pytest
from sqlalchemy import func, select
from wtforms import StringField

from modoboa_flask import params, signals
from modoboa_flask.accounts import first_superuser
from modoboa_flask.blueprints.domains import services
from modoboa_flask.exceptions import BadRequest, LimitReached
from modoboa_flask.extensions import db
from modoboa_flask.forms import FlaskForm, FormTab
from modoboa_flask.models import (
    Alias,
    AliasRecipient,
    Domain,
    DomainAdmin,
    DomainAlias,
    Log,
    Mailbox,
    Quota,
    User,
)
from modoboa_flask.passwords import verify_password
from tests.factories import make_domain


def wizard(client, name="example.com", headers=None, **fields):
    """POST the creation wizard with General/Options values (short names, prefixed here)."""
    data = {"general-name": name, "general-type": "domain", "general-enabled": "y"}
    for key, value in fields.items():
        step = "options" if key.startswith(("admin", "create_")) else "general"
        data[f"{step}-{key}"] = value
    return client.post("/domains/new", data=data, headers=headers or {})


def domain_named(name):
    return db.session.scalar(select(Domain).where(Domain.name == name))


def test_wizard_page_shows_general_and_options(app, login):
    client = login()
    page = client.get("/domains/new").get_data(as_text=True)
    assert 'id="tab-general"' in page and 'id="tab-options"' in page
    assert 'name="general-quota"' in page and 'name="options-admin_local_part"' in page
    assert 'value="admin"' in page


def test_create_with_aliases_and_defaults(app, login):
    client = login()
    with app.app_context():
        params.set("admin.default_domain_quota", 50)
        db.session.commit()
    response = wizard(client, "Pouét.COM", aliases="alias.net\nZweite.DE")
    assert response.status_code == 303
    with app.app_context():
        domain = domain_named("xn--pout-dpa.com")
        assert response.headers["Location"] == f"/domains/{domain.id}"
        assert domain.quota == 50 and domain.default_mailbox_quota == 50
        assert domain.enabled and domain.type == "domain"
        assert [a.name for a in domain.aliases] == ["alias.net", "zweite.de"]
        internal = db.session.scalar(select(Alias).where(Alias.address == "@zweite.de"))
        assert internal.internal and internal.domain_id == domain.id
        assert [r.address for r in internal.recipients] == ["@xn--pout-dpa.com"]
        assert db.session.scalar(select(func.count(Mailbox.id))) == 0


def test_empty_default_mailbox_quota_uses_parameter(app, login):
    client = login()
    with app.app_context():
        params.set("admin.default_mailbox_quota", 20)
        db.session.commit()
    assert wizard(client, "a.com", quota="100").status_code == 303
    assert wizard(client, "b.com", quota="100", default_mailbox_quota="30").status_code == 303
    with app.app_context():
        assert domain_named("a.com").default_mailbox_quota == 20
        assert domain_named("b.com").default_mailbox_quota == 30


def test_htmx_create_answers_hx_redirect(app, login):
    client = login()
    response = wizard(client, "htmx.com", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["HX-Redirect"].startswith("/domains/")


def test_options_create_domain_admin_and_postmaster(app, login):
    client = login()
    response = wizard(
        client, "pouet.com", quota="100", create_admin="y", admin_local_part="Toto",
        admin_password="Secret1234", create_postmaster="y",
    )  # fmt: skip
    assert response.status_code == 303
    with app.app_context():
        domain = domain_named("pouet.com")
        account = db.session.scalar(select(User).where(User.username == "toto@pouet.com"))
        assert account.role == "DomainAdmins" and account.email == "toto@pouet.com"
        assert verify_password("Secret1234", account.password)
        mailbox = account.mailbox
        assert (mailbox.address, mailbox.domain_id) == ("toto", domain.id)
        assert mailbox.use_domain_quota and mailbox.quota == 100
        assert db.session.get(Quota, "toto@pouet.com") is not None
        grant = select(DomainAdmin).where(DomainAdmin.domain_id == domain.id)
        assert db.session.scalar(grant).user_id == account.id
        self_alias = db.session.scalar(
            select(Alias).where(Alias.address == "toto@pouet.com", Alias.internal.is_(True))
        )
        assert self_alias.recipients[0].r_mailbox_id == mailbox.id
        postmaster = db.session.scalar(select(Alias).where(Alias.address == "postmaster@pouet.com"))
        assert not postmaster.internal
        assert [(r.address, r.r_mailbox_id) for r in postmaster.recipients] == [
            ("toto@pouet.com", mailbox.id)
        ]


def test_admin_named_postmaster_gets_no_alias(app, login):
    client = login()
    wizard(client, "pm.com", create_admin="y", admin_local_part="postmaster", create_postmaster="y")
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "postmaster@pm.com"))
        assert db.session.scalar(select(Alias).where(Alias.internal.is_(False))) is None


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"name": "not a domain"}, "general-name", "is not a valid domain name"),
        ({"name": "taken.com"}, "general-name", "A domain named taken.com already exists"),
        ({"aliases": "taken-alias.com"}, "general-aliases", "domain alias named taken-alias.com"),
        ({"aliases": "taken.com"}, "general-aliases", "A domain named taken.com already exists"),
        ({"aliases": "new.com"}, "general-aliases", "can't be an alias of itself"),
        ({"quota": "-1"}, "general-quota", "Number must be at least 0"),
        ({"quota": "10", "default_mailbox_quota": "20"}, "general-default_mailbox_quota",
         "can't exceed the domain quota (10 MB)"),
        ({"create_admin": "y", "admin_local_part": "a@b"}, "options-admin_local_part",
         "without '@'"),
        ({"create_admin": "y", "admin_password": "short"}, "options-admin_password", ""),
    ],
)  # fmt: skip
def test_wizard_errors_render_in_place(app, login, fields, field, message):
    client = login()
    with app.app_context():
        domain_id = make_domain("taken.com")
        db.session.add(DomainAlias(name="taken-alias.com", target_id=domain_id))
        db.session.commit()
    fields = {"name": "new.com", **fields}
    response = wizard(client, fields.pop("name"), headers={"HX-Request": "true"}, **fields)
    assert response.status_code == 200 and "HX-Redirect" not in response.headers
    body = response.get_data(as_text=True)
    assert f'id="{field}"' in body and "is-invalid" in body
    assert message.replace("'", "&#39;") in body
    with app.app_context():
        assert db.session.scalar(select(func.count(Domain.id))) == 1  # nothing written
        assert db.session.scalar(select(func.count(User.id))) == 2  # admin + the logged-in one


def test_admin_conflict_rolls_back_the_domain(app, login):
    client = login()
    with app.app_context():
        db.session.add(User(username="admin@clash.com", email="admin@clash.com"))
        db.session.commit()
    response = wizard(client, "clash.com", aliases="clash.net", create_admin="y")
    assert response.status_code == 200
    assert "Account admin@clash.com already exists" in response.get_data(as_text=True)
    with app.app_context():
        assert domain_named("clash.com") is None
        assert db.session.scalar(select(func.count(DomainAlias.id))) == 0


def test_signals_limit_hook_and_audit(app, login):
    client = login(username="boss")
    seen = []

    def on_limit(sender, context, object_type, count, **kw):
        seen.append((getattr(context, "username", getattr(context, "name", None)), object_type))

    def on_created(sender, user, domain, **kw):
        seen.append(("created", user.username, domain.name))

    def on_alias(sender, user, domain_alias, **kw):
        seen.append(("alias", domain_alias.name))

    with (
        signals.can_create_object.connected_to(on_limit, sender=app),
        signals.domain_created.connected_to(on_created, sender=app),
        signals.domain_alias_created.connected_to(on_alias, sender=app),
    ):
        wizard(client, "sig.com", aliases="sig.net")
    assert seen == [
        ("boss", "domains"),
        ("created", "boss", "sig.com"),
        ("boss", "domain_aliases"),
        ("sig.com", "domain_aliases"),
        ("alias", "sig.net"),
    ]
    with app.app_context():
        log = db.session.scalar(select(Log).where(Log.message == "Domain 'sig.com' added"))
        assert log.username == "boss" and log.changes["quota"] == [None, 0]


def test_limit_reached_is_shown_and_nothing_written(app, login):
    client = login()

    def refuse(sender, object_type, **kw):
        if object_type == "domains":
            raise LimitReached("Domains: limit reached")

    with signals.can_create_object.connected_to(refuse, sender=app):
        response = wizard(client, "limited.com")
    assert response.status_code == 200
    assert "Domains: limit reached" in response.get_data(as_text=True)
    with app.app_context():
        assert domain_named("limited.com") is None


class RelayStepForm(FlaskForm):
    domain_types = ("relaydomain",)
    target_host = StringField("Target host")


def test_plugin_wizard_step_only_for_its_type(app, login):
    client = login()
    saved = []

    def save(user, domain, form):
        saved.append((domain.name, form.target_host.data))

    step = FormTab("relay", "Relay", RelayStepForm, "domains/_tab_fields.html", 50, save=save)

    def steps(sender, user, **kw):
        return [step]

    with signals.extra_domain_wizard_steps.connected_to(steps, sender=app):
        page = client.get("/domains/new").get_data(as_text=True)
        assert 'id="tab-relay"' not in page
        # Changing the type re-renders the wizard with the step (htmx GET, values kept).
        fragment = client.get(
            "/domains/new?general-type=relaydomain&general-name=kept.com",
            headers={"HX-Request": "true"},
        ).get_data(as_text=True)
        assert "<html" not in fragment and 'id="tab-relay"' in fragment
        assert 'value="kept.com"' in fragment
        client.post(
            "/domains/new",
            data={"general-name": "relay.com", "general-type": "relaydomain",
                  "relay-target_host": "mx.example.net"},
        )  # fmt: skip
        wizard(client, "plain.com")
    assert saved == [("relay.com", "mx.example.net")]


def test_extra_domain_types_are_offered(app, login):
    client = login()

    def types(sender, **kw):
        return [("mailinglist", "Mailing list domain")]

    with signals.extra_domain_types.connected_to(types, sender=app):
        assert "Mailing list domain" in client.get("/domains/new").get_data(as_text=True)
        response = client.post(
            "/domains/new", data={"general-name": "ml.com", "general-type": "mailinglist"}
        )
        assert response.status_code == 303
    with app.app_context():
        assert domain_named("ml.com").type == "mailinglist"
        with pytest.raises(BadRequest, match="Unknown domain type"):
            services.create_domain(first_superuser(), name="bad-type.com", type="mailinglist")


def test_create_domain_service_contract(app):
    with app.app_context():
        actor = first_superuser()
        domain = services.create_domain(
            actor, name="svc.com", quota=0, aliases=["svc.net", "SVC.net", ""], enabled=False
        )
        db.session.commit()
        assert domain.owner_id == actor.id and not domain.enabled
        assert [a.name for a in domain.aliases] == ["svc.net"]
        assert db.session.scalar(select(func.count(AliasRecipient.id))) == 1


def test_options_step_hidden_when_domain_admins_role_is_vetoed(app, login):
    client = login()

    def veto(sender, user, role, account, **kw):
        return [role != "DomainAdmins"]

    with signals.user_can_set_role.connected_to(veto, sender=app):
        page = client.get("/domains/new").get_data(as_text=True)
    assert 'id="tab-general"' in page and 'id="tab-options"' not in page


def test_domain_admin_is_made_by_the_identities_services(app, login):
    """A reseller's wizard admin gets identities' events, audit rows and mailbox limits."""
    client = login(role="Resellers", username="seller")
    seen = []

    def on_account(sender, account, creator, **kw):
        seen.append(("account", account.username, creator.username))

    def on_mailbox(sender, user, mailbox, **kw):
        seen.append(("mailbox", mailbox.full_address))

    def on_alias(sender, user, mailbox_alias, **kw):
        seen.append(("alias", mailbox_alias.address))

    with (
        signals.account_created.connected_to(on_account, sender=app),
        signals.mailbox_created.connected_to(on_mailbox, sender=app),
        signals.mailbox_alias_created.connected_to(on_alias, sender=app),
    ):
        response = wizard(client, "res.com", create_admin="y", create_postmaster="y")
    assert response.status_code == 303
    assert sorted(seen) == [
        ("account", "admin@res.com", "seller"),
        ("alias", "postmaster@res.com"),
        ("mailbox", "admin@res.com"),
    ]
    with app.app_context():
        account = db.session.scalar(select(User).where(User.username == "admin@res.com"))
        assert account.owner.username == "seller"
        assert account.password.startswith("{") and not verify_password("", account.password)
        messages = set(db.session.scalars(select(Log.message).where(Log.username == "seller")))
        assert {"Account 'admin@res.com' added", "Mailbox 'admin@res.com' added"} <= messages


def test_domain_admin_mailbox_limit_shows_in_place(app, login):
    client = login()

    def refuse(sender, object_type, **kw):
        if object_type == "mailboxes":
            raise LimitReached("Mailboxes: limit reached")

    with signals.can_create_object.connected_to(refuse, sender=app):
        response = wizard(client, "full.com", create_admin="y", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Mailboxes: limit reached" in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert domain_named("full.com") is None
        assert db.session.scalar(select(func.count(User.id))) == 2


def test_vetoed_domain_admin_role_is_explained(app):
    """The wizard hides Options then; the service (CLI, API) explains the refusal."""

    def veto(sender, user, role, account, **kw):
        return [role != "DomainAdmins"]

    with app.app_context(), signals.user_can_set_role.connected_to(veto, sender=app):
        with pytest.raises(BadRequest, match="another domain administrator") as caught:
            services.create_domain(first_superuser(), name="veto.com", create_admin=True)
        assert caught.value.field == "create_admin"
