"""The parameter registry: defaults, typing, validation, visibility, storage."""

import pytest

from modoboa_flask import params
from modoboa_flask.extensions import db
from modoboa_flask.params import Param, ParamError

CORE_DEFAULTS = {
    "authentication_type": "local",
    "password_scheme": "sha512crypt",
    "ldap_server_address": "localhost",
    "ldap_server_port": 389,
    "ldap_secured": False,
    "ldap_auth_method": "searchbind",
    "ldap_bind_dn": "",
    "ldap_bind_password": "",
    "ldap_search_base": "",
    "ldap_search_filter": "(mail=%(user)s)",
    "ldap_user_dn_template": "",
    "ldap_password_attribute": "userPassword",
    "ldap_is_active_directory": False,
    "ldap_admin_groups": "",
    "ldap_group_type": "posixgroup",
    "ldap_groups_search_base": "",
    # Not in 1.6: StartTLS, a private CA, the timeout and the attribute names.
    "ldap_tls_method": "ldaps",
    "ldap_ca_certificate": "",
    "ldap_timeout": 5,
    "ldap_first_name_attribute": "givenName",
    "ldap_last_name_attribute": "sn",
    "ldap_email_attribute": "mail",
    "sender_address": "noreply@modoboa.org",
    "top_notifications_check_interval": 30,
    "log_maximum_age": 365,
    "items_per_page": 30,
    "default_top_redirection": "user",
}
ADMIN_DEFAULTS = {
    "enable_mx_checks": True,
    "valid_mxs": "",
    "enable_dnsbl_checks": True,
    "handle_mailboxes": False,
    "mailboxes_owner": "vmail",
    "default_domain_quota": 0,
    "default_mailbox_quota": 0,
    "auto_account_removal": False,
    "auto_create_domain_and_mailbox": True,
}


def test_every_reference_parameter_has_its_default(app):
    with app.app_context():
        for name, default in CORE_DEFAULTS.items():
            assert params.get(f"core.{name}") == default, name
        for name, default in ADMIN_DEFAULTS.items():
            assert params.get(f"admin.{name}") == default, name
        # The test config lowers the rounds for speed; the registered default is Modoboa's.
        assert params.definition("core.rounds_number").default == 70000


def test_general_tab_comes_first(app):
    with app.app_context():
        assert params.applications() == [("core", "General"), ("admin", "Administration")]
        names = [p.name for p in params.definitions("core")]
        assert names[0] == "authentication_type" and names[-1] == "default_top_redirection"


def test_unknown_parameter(app):
    with app.app_context(), pytest.raises(KeyError):
        params.get("core.nope")


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("core.rounds_number", "999", "Invalid rounds number"),
        ("core.rounds_number", "abc", "Enter a whole number."),
        (
            "core.password_scheme",
            "rot13",
            "Select a valid choice. rot13 is not one of the choices.",
        ),
        ("core.sender_address", "not-an-address", "Enter a valid email address."),
        ("core.ldap_user_dn_template", "uid=%(usr)s", "Invalid syntax"),
        ("core.ldap_user_dn_template", "uid=fixed", "Invalid syntax"),
        ("core.items_per_page", "0", "Must be at least 1."),
        ("core.ldap_secured", "maybe", "Enter yes or no."),
        ("admin.default_domain_quota", "-5", "Must be at least 0."),
        ("admin.valid_mxs", "10.0.0.0/8 nonsense", "Invalid IP address or network: nonsense"),
    ],
)
def test_validation_messages(app, key, raw, message):
    with app.app_context():
        with pytest.raises(ParamError, match=message.replace(".", r"\.").replace("(", r"\(")):
            params.definition(key).parse(raw)


def test_values_are_typed_and_stored_as_text(app):
    with app.app_context():
        assert params.set("core.items_per_page", " 12 ") == 12
        params.set("core.ldap_secured", "yes")
        params.set("admin.valid_mxs", "192.0.2.0/24 10.1.1.1")
        db.session.commit()
        assert params.get("core.items_per_page") == 12
        assert params.get("core.ldap_secured") is True
        assert params.get("admin.valid_mxs") == "192.0.2.0/24 10.1.1.1"
        assert params.is_set("core.items_per_page") and not params.is_set("core.log_maximum_age")


def test_config_can_change_a_default(app):
    with app.app_context():
        assert params.get("core.rounds_number") == 1000  # TestConfig.PARAMETER_DEFAULTS
        params.set("core.rounds_number", "5000")
        assert params.get("core.rounds_number") == 5000  # a stored value wins


def test_visibility_rules_chain(app):
    with app.app_context():
        bind_dn = params.definition("core.ldap_bind_dn")
        template = params.definition("core.ldap_user_dn_template")
        local = params.values("core")
        assert not params.is_visible(bind_dn, local)
        ldap = {**local, "authentication_type": "ldap"}
        assert params.is_visible(bind_dn, ldap) and not params.is_visible(template, ldap)
        direct = {**ldap, "ldap_auth_method": "directbind"}
        assert params.is_visible(template, direct) and not params.is_visible(bind_dn, direct)
        tls = params.definition("core.ldap_tls_method")  # visible_if ldap_secured, itself LDAP
        assert not params.is_visible(tls, {**local, "ldap_secured": True})
        assert params.is_visible(tls, {**ldap, "ldap_secured": True})


def test_validate_enforces_required_only_when_visible(app):
    with app.app_context():
        defs, current = params.definitions("core"), params.values("core")
        # LDAP off: a bad hidden value never blocks saving.
        _values, errors = params.validate(defs, current, {"ldap_server_port": "x"})
        assert errors == {}
        values, errors = params.validate(defs, current, {"authentication_type": "ldap"})
        assert errors == {"ldap_search_base": "This field is required."}
        values, errors = params.validate(
            defs,
            current,
            {"authentication_type": "ldap", "ldap_search_base": "ou=users,dc=example,dc=org"},
        )
        assert errors == {} and values["ldap_search_base"] == "ou=users,dc=example,dc=org"


def test_empty_secret_keeps_its_value(app):
    with app.app_context():
        defs = params.definitions("core")
        current = {**params.values("core"), "ldap_bind_password": "0123456789abcdef"}
        values, errors = params.validate(defs, current, {"ldap_bind_password": ""})
        assert errors == {} and values["ldap_bind_password"] == "0123456789abcdef"
        param = params.definition("core.ldap_bind_password")
        assert param.display("0123456789abcdef") == params.MASK


def test_user_level_values(app):
    from modoboa_flask.models import User
    from tests.factories import make_user

    with app.app_context():
        param = Param("demo", "colour", "choice", "blue", level="U", choices=("blue", "red"))
        params.register(param, label="Demo", app=app)
        app.extensions["modoboa_param_apps"].append("demo")
        user = db.session.get(User, make_user())
        assert params.get_user(user, "demo.colour") == "blue"
        params.set_user(user, "demo.colour", "red")
        db.session.commit()
        assert params.get_user(user, "demo.colour") == "red"
        assert params.applications("U") == [("demo", "Demo")]
        with pytest.raises(ParamError):
            params.set_user(user, "demo.colour", "green")


def test_app_registration_does_not_leak_to_other_apps(app):
    from tests.conftest import make_app

    with app.app_context():
        params.register(Param("leak", "x", "int", 1), app=app)
        app.extensions["modoboa_param_apps"].append("leak")
        assert params.get("leak.x") == 1
    with make_app().app_context(), pytest.raises(KeyError):
        params.definition("leak.x")
