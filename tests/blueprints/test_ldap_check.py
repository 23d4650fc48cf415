"""Checking the LDAP settings: `flask ldap-check`, the Test connection button, validation."""

import pytest

from modoboa_flask import params
from modoboa_flask.extensions import db
from tests.ldap_directory import configure, directory


@pytest.fixture(scope="module")
def server():
    """One slapd for the module (nothing here changes the directory)."""
    with directory() as instance:
        yield instance


def test_cli_reports_each_step_and_succeeds(app, runner, server):
    configure(app, server.port)
    result = runner.invoke(args=["ldap-check", "--user", "dave@example.org"])
    assert result.exit_code == 0, result.output
    assert f"[OK] Connect: Connected to ldap://127.0.0.1:{server.port}." in result.output
    assert "[OK] Bind: Bound as cn=admin,dc=example,dc=com." in result.output
    assert "[OK] Search: (mail=dave@example.org) found uid=dave,ou=users" in result.output
    assert "[OK] Groups: Member of the administrator groups admins." in result.output


def test_cli_fails_on_a_wrong_bind_password_or_unknown_user(app, runner, server):
    configure(app, server.port)
    unknown = runner.invoke(args=["ldap-check", "--user", "nobody@example.com"])
    assert unknown.exit_code == 1
    assert "[FAILED] Search: No single entry matches (mail=nobody@example.com)" in unknown.output
    configure(app, server.port, ldap_bind_password="wrong")
    refused = runner.invoke(args=["ldap-check"])
    assert refused.exit_code == 1
    assert "[FAILED] Bind: The server refused the bind DN" in refused.output


def test_cli_fails_when_nothing_listens(app, runner):
    from tests.peers import free_port

    configure(app, free_port())
    result = runner.invoke(args=["ldap-check"])
    assert result.exit_code == 1 and "[FAILED] Connect: Could not connect" in result.output


def test_cli_direct_bind_names_the_dn(app, runner, server):
    configure(app, server.port, ldap_auth_method="directbind")
    result = runner.invoke(args=["ldap-check", "--user", "carol"])
    assert "[OK] Entry: The user's DN is uid=carol,ou=users,dc=example,dc=com (found)." in (
        result.output
    )


def test_test_connection_uses_the_unsaved_form_values(app, login, server):
    client = login()
    form = {
        "core-authentication_type": "ldap",
        "core-ldap_server_address": "127.0.0.1",
        "core-ldap_server_port": str(server.port),
        "core-ldap_auth_method": "searchbind",
        "core-ldap_bind_dn": "cn=admin,dc=example,dc=com",
        "core-ldap_bind_password": "secret",
        "core-ldap_search_base": "ou=users,dc=example,dc=com",
        "core-ldap_search_filter": "(mail=%(user)s)",
        "ldap_check_user": "alice@example.com",
    }
    response = client.post("/settings/parameters/ldap-check", data=form)
    assert response.status_code == 200
    assert 'data-step="Search" data-ok="yes"' in response.text
    assert "found uid=alice,ou=users,dc=example,dc=com" in response.text
    with app.app_context():
        assert params.get("core.authentication_type") == "local"  # nothing saved
    bad = client.post(
        "/settings/parameters/ldap-check", data=dict(form, **{"core-ldap_search_filter": "(x"})
    )
    assert 'data-step="Settings" data-ok="no"' in bad.text
    assert "balanced parentheses" in bad.text


def test_test_connection_needs_the_settings_permission(app, login):
    client = login(role="DomainAdmins")
    assert client.post("/settings/parameters/ldap-check", data={}).status_code == 403


def test_parameters_page_offers_the_button_with_ldap_fields(app, login):
    configure(app, 389, ldap_bind_password="Sup3r-secret")
    page = login().get("/settings/parameters").text
    assert 'id="ldap-check"' in page
    assert 'data-visible-if="core-authentication_type=ldap"' in page
    assert "Sup3r-secret" not in page  # the bind password is never sent back


def test_ca_certificate_must_be_readable(app):
    with app.app_context(), pytest.raises(params.ParamError, match="Cannot read"):
        params.set("core.ldap_ca_certificate", "/nonexistent/ca.pem")


@pytest.mark.parametrize(
    "value, message",
    [
        ("mail=%(user)s", "balanced parentheses"),
        ("(&(mail=%(user)s)", "balanced parentheses"),
        ("(mail=x))(", "balanced parentheses"),
        ("(mail=alice)", r"%\(user\)s placeholder"),
        ("(mail=%(user)s)(uid=%(user)s)", "balanced parentheses"),
        ("(&(mail=%(user)s)(cn=100%))", "Invalid syntax"),
    ],
)
def test_search_filter_validation(app, value, message):
    with app.app_context(), pytest.raises(params.ParamError, match=message):
        params.set("core.ldap_search_filter", value)


def test_valid_filter_and_dn_template(app):
    with app.app_context():
        params.set("core.ldap_search_filter", "(&(objectClass=person)(uid=%(user)s))")
        params.set("core.ldap_user_dn_template", "uid=%(user)s,ou=users,dc=example,dc=com")
        with pytest.raises(params.ParamError, match="not a distinguished name"):
            params.set("core.ldap_user_dn_template", "%(user)s")
        db.session.rollback()
