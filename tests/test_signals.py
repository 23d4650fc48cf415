"""Every event of Modoboa's "Supported events" list exists as a documented blinker signal."""

from sqlalchemy import select

from modoboa_flask import signals
from modoboa_flask.accounts import set_role
from modoboa_flask.extensions import db
from modoboa_flask.models import User
from tests import factories

DOCUMENTED_EVENTS = """
AccountAutoCreated AccountCreated AccountDeleted AccountExported AccountImported AccountModified
AdminMenuDisplay CheckDomainName CheckExtraAccountForm DomainAliasCreated DomainAliasDeleted
DomainCreated DomainDeleted DomainModified DomainOwnershipRemoved ExtraAccountActions
ExtraAccountForm ExtraAdminContent ExtraDomainEntries ExtraDomainFilters ExtraDomainForm
ExtraDomainImportHelp ExtraDomainMenuEntries ExtraFormFields ExtraRelayDomainForm
FillAccountInstances FillDomainInstances FillRelayDomainInstances GetAnnouncement
GetDomainActions GetDomainModifyLink GetExtraLimitTemplates GetExtraParameters
GetExtraRolePermissions GetExtraRoles GetStaticContent ImportObject InitialDataLoaded
MailboxAliasCreated MailboxAliasDeleted MailboxCreated MailboxDeleted MailboxModified
PasswordChange TopNotifications UserLogin UserLogout UserMenuDisplay RelayDomainAliasCreated
RelayDomainAliasDeleted RelayDomainCreated RelayDomainDeleted RelayDomainModified RoleChanged
SaveExtraFormFields UserCanSetRole PasswordUpdated
""".split()
# Hooks of UI pieces this application does not have: removed, each with its reason in the
# "Signals" table of docs/DEVELOPING.md.
REMOVED_EVENTS = """
ExtraAdminContent ExtraDomainEntries ExtraDomainFilters ExtraDomainImportHelp
ExtraDomainMenuEntries ExtraDomainQsetFilters GetDomainActions GetDomainModifyLink
GetTagsForDomain ExtraUprefsRoutes ExtraUprefsJS
""".split()


def test_every_documented_event_is_declared_with_doc():
    declared = signals.all_signals()
    missing = [name for name in DOCUMENTED_EVENTS if name not in declared]
    assert sorted(missing) == sorted(set(REMOVED_EVENTS) & set(DOCUMENTED_EVENTS))
    assert [name for name in REMOVED_EVENTS if name in declared] == []
    with open("docs/DEVELOPING.md") as fh:
        developing = fh.read()
    assert [name for name in REMOVED_EVENTS if f"| {name} |" not in developing] == []
    undocumented = [name for name, sig in declared.items() if not (sig.__doc__ or "").strip()]
    assert undocumented == []


def test_collect_flattens_lists_from_receivers_of_this_app_only(app):
    from tests.conftest import make_app

    other = make_app()

    def one(sender, **kw):
        return ["a", "b"]

    def two(sender, **kw):
        return ["c"]

    def foreign(sender, **kw):
        return ["never"]

    with (
        app.app_context(),
        signals.get_announcement.connected_to(one, sender=app),
        signals.get_announcement.connected_to(two, sender=app),
        signals.get_announcement.connected_to(foreign, sender=other),
    ):
        assert sorted(signals.collect(signals.get_announcement, target="loginpage")) == [
            "a",
            "b",
            "c",
        ]


def test_role_changed_sent_before_the_change(app):
    seen = []

    def receiver(sender, account, role, **kw):
        seen.append((account.role, role))

    with app.app_context(), signals.role_changed.connected_to(receiver, sender=app):
        user = db.session.get(User, factories.make_user())
        set_role(user, "DomainAdmins")
        set_role(user, "DomainAdmins")  # no change, no event
        set_role(user, "SuperAdmins")
        assert user.is_superuser
    assert seen == [("SimpleUsers", "DomainAdmins"), ("DomainAdmins", "SuperAdmins")]


def test_announcements_on_login_page(app, client):
    def announce(sender, target, **kw):
        return ["Maintenance tonight"] if target == "loginpage" else []

    with signals.get_announcement.connected_to(announce, sender=app):
        assert b"Maintenance tonight" in client.get("/auth/login").data


def test_menu_hooks_add_entries(app, login):
    def top(sender, target, user, **kw):
        return (
            [{"name": "extra", "label": "Extra thing", "url": "/extra"}]
            if target == "top_menu"
            else []
        )

    client = login()
    with signals.admin_menu_display.connected_to(top, sender=app):
        html = client.get("/dashboard/").get_data(as_text=True)
    assert "Extra thing" in html
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "admin"))


def test_send_each_gives_batch_receivers_one_list_and_others_each_object(app):
    calls = []

    @signals.accepts_batch("account")
    def batch(sender, account, creator, **kw):
        calls.append(("batch", account, creator))

    def plain(sender, account, creator, **kw):
        calls.append(("plain", account, creator))

    signals.account_created.connect(batch, sender=app)
    signals.account_created.connect(plain, sender=app)
    try:
        with app.app_context():
            signals.send_each(signals.account_created, "account", ["a", "b"], creator="me")
            signals.send_each(signals.account_created, "account", [], creator="me")
    finally:
        signals.account_created.disconnect(batch, sender=app)
        signals.account_created.disconnect(plain, sender=app)
    assert sorted(calls) == [
        ("batch", ["a", "b"], "me"),
        ("plain", "a", "me"),
        ("plain", "b", "me"),
    ]
