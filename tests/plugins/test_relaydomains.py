"""The relay domains plugin: settings service, tab and step, master.cf scan, relay events."""

import contextlib

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from modoboa_flask import params, signals, tabs
from modoboa_flask.exceptions import BadRequest, NotFound, PermissionDenied
from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, DomainAlias, RelayDomain, Service, User
from modoboa_flask.plugins.relaydomains import services
from tests import factories
from tests.conftest import fresh_app, log_client_in

PLUGIN = "modoboa_flask.plugins.relaydomains"


@pytest.fixture
def rapp():
    """An app with the relay domains plugin enabled."""
    app = fresh_app(PLUGINS=[PLUGIN])
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextlib.contextmanager
def caught(app, *sigs):
    """Record (signal name, kwargs) of every *sigs* sent by *app*."""
    seen = []
    receivers = []
    for sig in sigs:

        def receiver(sender, _name=sig.name, **kw):
            seen.append((_name, kw))

        sig.connect(receiver, sender=app)
        receivers.append((sig, receiver))
    try:
        yield seen
    finally:
        for sig, receiver in receivers:
            sig.disconnect(receiver, sender=app)


def _admin():
    return db.session.scalar(select(User).where(User.is_superuser.is_(True)))


def test_set_relay_settings_creates_then_modifies(rapp):
    with rapp.app_context():
        domain = db.session.get(Domain, factories.make_domain("r.test", type="relaydomain"))
        sigs = (signals.relay_domain_created, signals.relay_domain_modified)
        with caught(rapp, *sigs) as seen:
            row = services.set_relay_settings(_admin(), domain, target_host="MX.R.test.")
            db.session.commit()
            assert (row.target_host, row.target_port, row.service.name) == (
                "mx.r.test",
                25,
                "relay",
            )
            services.set_relay_settings(
                _admin(), domain, target_host="10.0.0.1", target_port=2525, service="smtp",
                verify_recipients=True,
            )  # fmt: skip
            db.session.commit()
        assert [name for name, _kw in seen] == ["RelayDomainCreated", "RelayDomainModified"]
        row = db.session.scalar(select(RelayDomain))
        assert (row.target_host, row.target_port, row.service.name, row.verify_recipients) == (
            "10.0.0.1", 2525, "smtp", True,
        )  # fmt: skip


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"target_host": ""}, "target_host"),
        ({"target_host": "bad host!"}, "target_host"),
        ({"target_port": 0}, "target_port"),
        ({"target_port": "x"}, "target_port"),
        ({"service": "nope"}, "service"),
    ],
)
def test_bad_relay_settings_are_refused_on_their_field(rapp, changes, field):
    with rapp.app_context():
        domain = db.session.get(Domain, factories.make_domain("r.test", type="relaydomain"))
        values = {"target_host": "mx.r.test", **changes}
        with pytest.raises(BadRequest) as err:
            services.set_relay_settings(_admin(), domain, **values)
        assert err.value.field == field
        db.session.rollback()
        assert db.session.scalar(select(RelayDomain)) is None


def test_relay_settings_need_a_relay_domain_in_scope_and_the_permission(rapp):
    with rapp.app_context():
        plain = db.session.get(Domain, factories.make_domain("plain.test"))
        with pytest.raises(BadRequest):
            services.set_relay_settings(_admin(), plain, target_host="mx.test")
        relay_id = factories.make_domain("r.test", type="relaydomain")
        reseller = db.session.get(User, factories.make_user("Resellers"))
        with pytest.raises(NotFound):
            services.set_relay_settings(
                reseller, db.session.get(Domain, relay_id), target_host="m.t"
            )
        dadmin = db.session.get(User, factories.make_user("DomainAdmins"))
        factories.grant_domain(dadmin.id, relay_id)
        with pytest.raises(PermissionDenied):
            services.set_relay_settings(dadmin, db.session.get(Domain, relay_id), target_host="m.t")


def test_tab_and_step_are_offered_for_relay_domains_only(rapp, app):
    with rapp.app_context():
        relay = db.session.get(Domain, factories.make_domain("r.test", type="relaydomain"))
        plain = db.session.get(Domain, factories.make_domain("plain.test"))
        admin = _admin()
        tabs_for = lambda d: signals.collect(signals.extra_domain_form, user=admin, domain=d)  # noqa: E731
        assert [t.title for t in tabs_for(relay)] == ["Relay settings"]
        assert tabs_for(plain) == [] and tabs_for(None) == []
        steps = signals.collect(signals.extra_domain_wizard_steps, user=admin)
        assert [s.id for s in steps] == ["relay"] and steps[0].form_class.domain_types == (
            "relaydomain",
        )
        assert ("relaydomain", "Relay domain") in signals.collect(signals.extra_domain_types)
        assert params.get("relaydomains.master_cf_path") == "/etc/postfix/master.cf"
    with app.app_context():  # plugin disabled: no tab, no type, no parameter app
        assert signals.collect(signals.extra_domain_types) == []
        assert "relaydomains" not in params.enabled_apps()


def test_tab_saves_through_the_service_and_reloads(rapp):
    with rapp.app_context():
        relay = db.session.get(Domain, factories.make_domain("r.test", type="relaydomain"))
        admin = _admin()
        tab = signals.collect(signals.extra_domain_form, user=admin, domain=relay)[0]
        data = MultiDict(
            {"relay-target_host": "mx.r.test", "relay-target_port": "2525",
             "relay-service": "smtp", "relay-verify_recipients": "y"}
        )  # fmt: skip
        with rapp.test_request_context(method="POST", data=data):
            form = tabs.bind(tab, admin, relay, formdata=data)
            assert tabs.save_tab(tab, admin, relay, form), form.errors
        with rapp.test_request_context():
            form = tabs.bind(tab, admin, relay)
            assert (form.target_host.data, form.target_port.data, form.service.data) == (
                "mx.r.test", 2525, "smtp",
            )  # fmt: skip
            assert form.verify_recipients.data is True
            bad = MultiDict({"relay-target_host": "x y", "relay-target_port": "25",
                             "relay-service": "relay"})  # fmt: skip
            form = tabs.bind(tab, admin, relay, formdata=bad)
            assert not tabs.save_tab(tab, admin, relay, form)
            assert form.target_host.errors == ["Invalid host name: x y"]


MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command + args
smtp      inet  n       -       y       -       -       smtpd
smtp      unix  -       -       y       -       -       smtp
relay     unix  -       -       y       -       -       smtp
  -o syslog_name=postfix/$service_name
amavis    unix  -       -       n       -       2       smtp -o smtp_data_done_timeout=1200
lmtp      unix  -       -       y       -       -       lmtp
"""


def test_scan_master_cf_loads_smtp_services_and_drops_unused_ones(rapp, tmp_path):
    path = tmp_path / "master.cf"
    path.write_text(MASTER_CF)
    with rapp.app_context():
        params.set("relaydomains.master_cf_path", str(path))
        db.session.add_all([Service(name="old"), Service(name="busy")])
        db.session.commit()
        relay = db.session.get(Domain, factories.make_domain("r.test", type="relaydomain"))
        services.set_relay_settings(_admin(), relay, target_host="mx.r.test", service="busy")
        db.session.commit()
        admin_id = _admin().id
    client = log_client_in(rapp, rapp.test_client(), admin_id)
    page = client.get("/relaydomains/services")
    assert page.status_code == 200 and 'data-service="old"' in page.text
    response = client.post("/relaydomains/services/scan", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Added: amavis." in response.text and "Removed: old." in response.text
    assert "Kept (still used by relay domains): busy." in response.text
    with rapp.app_context():
        names = set(db.session.scalars(select(Service.name)))
    assert names == {"amavis", "busy", "relay", "smtp"}


def test_scan_reports_an_unreadable_file_and_needs_the_permission(rapp, tmp_path):
    with rapp.app_context():
        params.set("relaydomains.master_cf_path", str(tmp_path / "missing.cf"))
        db.session.commit()
        admin_id = _admin().id
        dadmin = factories.make_user("DomainAdmins")
    client = log_client_in(rapp, rapp.test_client(), admin_id)
    response = client.post("/relaydomains/services/scan")
    assert response.status_code == 200 and "Cannot read" in response.text
    other = log_client_in(rapp, rapp.test_client(), dadmin)
    assert other.post("/relaydomains/services/scan").status_code == 403
    assert other.get("/relaydomains/services").status_code == 403


def test_scan_is_for_super_admins_only(rapp, tmp_path):
    """Scanning reads a server file and rewrites the list every tenant uses (issue 11)."""
    path = tmp_path / "master.cf"
    path.write_text(MASTER_CF)
    with rapp.app_context():
        params.set("relaydomains.master_cf_path", str(path))
        db.session.add(Service(name="old"))
        db.session.commit()
        reseller = factories.make_user("Resellers")
        admin_id = _admin().id
    client = log_client_in(rapp, rapp.test_client(), reseller)
    page = client.get("/relaydomains/services")
    assert page.status_code == 200 and 'data-service="old"' in page.text  # still listed
    assert "/relaydomains/services/scan" not in page.text  # the button is not offered
    assert client.post("/relaydomains/services/scan").status_code == 403
    with rapp.app_context():
        with pytest.raises(PermissionDenied, match="Only super administrators"):
            services.scan_master_cf(db.session.get(User, reseller), str(path))
        assert set(db.session.scalars(select(Service.name))) == {"old", "relay", "smtp"}
    superadmin = log_client_in(rapp, rapp.test_client(), admin_id)
    assert "/relaydomains/services/scan" in superadmin.get("/relaydomains/services").text


def test_relay_events_follow_domain_events(rapp):
    with rapp.app_context():
        relay = db.session.get(Domain, factories.make_domain("r.test", type="relaydomain"))
        services.set_relay_settings(_admin(), relay, target_host="mx.r.test")
        alias = DomainAlias(name="ra.test", target_id=relay.id)
        db.session.add(alias)
        db.session.commit()
        sigs = (
            signals.relay_domain_modified, signals.relay_domain_deleted,
            signals.relay_domain_alias_created, signals.relay_domain_alias_deleted,
        )  # fmt: skip
        with caught(rapp, *sigs) as seen:
            signals.send(signals.domain_modified, domain=relay, oldname="old.test")
            signals.send(signals.domain_alias_created, user=_admin(), domain_alias=alias)
            signals.send(signals.domain_alias_deleted, domain_alias=[alias])
            signals.send(signals.domain_deleted, domain=relay)
            relay.type = "domain"  # switched to a hosted domain: the relay row goes
            signals.send(signals.domain_modified, domain=relay, oldname="r.test")
            db.session.commit()
        assert [name for name, _kw in seen] == [
            "RelayDomainModified", "RelayDomainAliasCreated", "RelayDomainAliasDeleted",
            "RelayDomainDeleted", "RelayDomainDeleted",
        ]  # fmt: skip
        assert seen[0][1]["oldname"] == "old.test"
        assert db.session.scalar(select(RelayDomain)) is None
        assert signals.collect(signals.use_external_recipients, recipient="x@r.test") == []
        relay.type = "relaydomain"
        db.session.commit()
        assert signals.collect(signals.use_external_recipients, recipient="x@R.test") == [True]
        # A sender holding the Domain passes it: its type decides, without a query.
        loaded = Domain(name="unsaved.test", type="relaydomain")
        found = signals.collect(signals.use_external_recipients, recipient="x@unsaved.test",
                                domain=loaded)  # fmt: skip
        assert found == [True]


def test_extra_relay_domain_form_and_fill_instances_are_sent(rapp):
    from modoboa_flask.forms import FormTab

    extra = FormTab("more", "More", object, "x.html", 99)

    def add_tab(sender, user=None, rdomain=None, **kw):
        return [extra] if rdomain is not None else []

    def fill(sender, user=None, rdomain=None, instances=None, **kw):
        instances["target_host"] = "filled.test"

    signals.extra_relay_domain_form.connect(add_tab, sender=rapp)
    signals.fill_relay_domain_instances.connect(fill, sender=rapp)
    try:
        with rapp.app_context():
            relay = db.session.get(Domain, factories.make_domain("r.test", type="relaydomain"))
            services.set_relay_settings(_admin(), relay, target_host="mx.r.test")
            found = signals.collect(signals.extra_domain_form, user=_admin(), domain=relay)
            assert [t.id for t in found] == ["relay", "more"]
            assert found[0].load(_admin(), relay)["target_host"] == "filled.test"
    finally:
        signals.extra_relay_domain_form.disconnect(add_tab, sender=rapp)
        signals.fill_relay_domain_instances.disconnect(fill, sender=rapp)


def test_split_domain_mailbox_and_alias_recipients(rapp):
    """A relay domain may hold local mailboxes; only its other addresses are external."""
    from modoboa_flask.blueprints.identities import services as identities

    with rapp.app_context():
        relay = db.session.get(Domain, factories.make_domain("split.test", type="relaydomain"))
        services.set_relay_settings(_admin(), relay, target_host="mx.split.test")
        identities.create_account(_admin(), username="local@split.test", password="Secret123")
        alias = identities.create_alias(
            _admin(),
            address="team@split.test",
            recipients=["local+tag@split.test", "far@split.test"],
        )
        db.session.commit()
        kinds = sorted((r.address, r.r_mailbox_id is not None) for r in alias.recipients)
        assert kinds == [("far@split.test", False), ("local+tag@split.test", True)]
        assert signals.collect(signals.use_external_recipients, recipient="LOCAL@split.test") == []
