"""The parameters of the core ("General") and admin ("Administration") apps (reference §5).

Modoboa's `secret_key`, `enable_api_communication`, `check_new_versions` and
`send_statistics` are not registered: nothing here reads them (docs/DEVELOPING.md,
"Parameters"); their stored rows are left alone and ignored.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import replace

import ldap.dn
from flask import current_app, has_app_context

from .addresses import is_address
from .params import Param, ParamError, register
from .passwords import available_schemes

_LDAP = ("authentication_type", "ldap")
_SEARCHBIND = ("ldap_auth_method", "searchbind")
_DIRECTBIND = ("ldap_auth_method", "directbind")
_SECURED = ("ldap_secured", True)


def _rounds_ok(value):
    if not 1000 <= value <= 999999999:
        raise ParamError("Invalid rounds number")


def _email_ok(value):
    if not is_address(value):
        raise ParamError("Enter a valid email address.")


def _dn_template_ok(value):
    if not value:
        return
    try:
        value % {"user": "toto"}
    except (KeyError, ValueError, TypeError):
        raise ParamError("Invalid syntax") from None
    if "%(user)s" not in value:
        raise ParamError("Invalid syntax")
    if not ldap.dn.is_dn(value % {"user": "toto"}):
        raise ParamError("Invalid syntax: not a distinguished name")


def _filter_ok(value):
    """An LDAP filter: enclosed and balanced parentheses, with the %(user)s placeholder."""
    if not value:
        return
    depth, closed_early = 0, False
    for index, char in enumerate(value):
        depth += {"(": 1, ")": -1}.get(char, 0)
        # Back to depth 0 before the end: "(a)(b)" is two filters, ")(" worse.
        closed_early = closed_early or (depth <= 0 and index < len(value) - 1)
    if closed_early or depth != 0 or not value.startswith("("):
        raise ParamError("The filter must be one expression in balanced parentheses")
    if "%(user)s" not in value:
        raise ParamError("The filter must contain the %(user)s placeholder")
    try:
        value % {"user": "toto"}
    except (KeyError, ValueError, TypeError):
        raise ParamError("Invalid syntax (write a literal % as %%)") from None


def _readable_file_ok(value):
    if value and not os.access(value, os.R_OK):
        raise ParamError(f"Cannot read {value} on this server")


def _networks_ok(value):
    for item in value.split():
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ParamError(f"Invalid IP address or network: {item}") from None


def _top_redirections() -> list[tuple[str, str]]:
    """'user' plus every loaded plugin that has a landing page (`<name>.index`)."""
    choices = [("user", "User profile")]
    if has_app_context():
        for name, plugin in current_app.extensions.get("modoboa_plugins", {}).items():
            if f"{name}.index" in current_app.view_functions:
                choices.append((name, plugin.label))
    return choices


def _schemes():
    return available_schemes()


def _core(name, type_, default, label, help_="", **kw) -> Param:
    return Param("core", name, type_, default, label, help_, **kw)


def core_params() -> list[Param]:
    """The "General" tab."""
    ldap = [
        _core("ldap_server_address", "str", "localhost", "Server address",
              "The IP address or the DNS name of the LDAP server", visible_if=_LDAP),
        _core("ldap_server_port", "int", 389, "Server port", "The TCP port number used by "
              "the LDAP server", visible_if=_LDAP, min_value=1, max_value=65535),
        _core("ldap_secured", "bool", False, "Use a secured connection",
              "Use an SSL/TLS connection (ldaps://) to access the LDAP server", visible_if=_LDAP),
        _core("ldap_tls_method", "choice", "ldaps", "Secured connection type",
              "ldaps:// (TLS from the start, usually port 636) or StartTLS (port 389)",
              visible_if=_SECURED,
              choices=(("ldaps", "ldaps://"), ("starttls", "StartTLS"))),
        _core("ldap_ca_certificate", "str", "", "CA certificate file",
              "PEM file of the authority that signed the server's certificate (empty: "
              "the system's trusted authorities)", visible_if=_SECURED,
              validator=_readable_file_ok),
        _core("ldap_timeout", "int", 5, "Timeout",
              "Seconds to wait for the LDAP server to connect or answer before giving up",
              visible_if=_LDAP, min_value=1, max_value=60),
        _core("ldap_is_active_directory", "bool", False, "Active Directory",
              "Tell if the LDAP server is an Active Directory one", visible_if=_LDAP),
        _core("ldap_admin_groups", "str", "", "Administrator groups",
              "Members of these groups (';'-separated) will be considered as domain "
              "administrators", visible_if=_LDAP),
        _core("ldap_group_type", "choice", "posixgroup", "Group type",
              "The LDAP group type to use with your directory", visible_if=_LDAP,
              choices=(("posixgroup", "PosixGroup"), ("groupofnames", "GroupOfNames"))),
        _core("ldap_groups_search_base", "str", "", "Groups search base",
              "The distinguished name of the search base used to find groups",
              visible_if=_LDAP),
        _core("ldap_password_attribute", "str", "userPassword", "Password attribute",
              "The attribute used to store user passwords", visible_if=_LDAP),
        _core("ldap_auth_method", "choice", "searchbind", "Authentication method",
              "Choose the authentication method to use", visible_if=_LDAP,
              choices=(("searchbind", "Search and bind"), ("directbind", "Direct bind"))),
        _core("ldap_bind_dn", "str", "", "Bind DN", "The distinguished name to use when "
              "binding to the LDAP server. Leave empty for an anonymous bind",
              visible_if=_SEARCHBIND),
        _core("ldap_bind_password", "password", "", "Bind password",
              "The password to use when binding to the LDAP server (with 'Bind DN')",
              visible_if=_SEARCHBIND),
        _core("ldap_search_base", "str", "", "Users search base", "The distinguished name "
              "of the search base used to find users", visible_if=_SEARCHBIND, required=True),
        _core("ldap_search_filter", "str", "(mail=%(user)s)", "Search filter", "The filter "
              "finding a user, with %(user)s for the login (e.g. "
              "'(&(objectClass=person)(uid=%(user)s))')", visible_if=_SEARCHBIND,
              required=True, validator=_filter_ok),
        _core("ldap_user_dn_template", "str", "", "User DN template", "The template used to "
              "construct a user's DN. It should contain one placeholder (ie. %(user)s)",
              visible_if=_DIRECTBIND, required=True, validator=_dn_template_ok),
        _core("ldap_first_name_attribute", "str", "givenName", "First name attribute",
              "The LDAP attribute copied into the first name of new accounts",
              visible_if=_LDAP),
        _core("ldap_last_name_attribute", "str", "sn", "Last name attribute",
              "The LDAP attribute copied into the last name of new accounts", visible_if=_LDAP),
        _core("ldap_email_attribute", "str", "mail", "E-mail attribute",
              "The LDAP attribute holding the user's e-mail address", visible_if=_LDAP),
    ]  # fmt: skip
    params = [
        _core("authentication_type", "choice", "local", "Authentication type",
              "The backend used for authentication",
              choices=(("local", "Local"), ("ldap", "LDAP"))),
        _core("password_scheme", "choice", "sha512crypt", "Default password scheme",
              "Scheme used to crypt mailbox passwords", choices=_schemes),
        _core("rounds_number", "int", 70000, "Rounds", "Number of rounds to use (only used "
              "by sha256crypt and sha512crypt). Must be between 1000 and 999999999.",
              validator=_rounds_ok),
        *ldap,
        _core("sender_address", "str", "noreply@modoboa.org", "Sender address",
              "Email address used to send notifications.", validator=_email_ok),
        _core("top_notifications_check_interval", "int", 30, "Top notifications check "
              "interval", "Interval between two top notification checks (in seconds)",
              min_value=1),
        _core("session_idle_timeout", "int", 60, "Session idle timeout",
              "Minutes without any request after which a login session ends (remembered "
              "logins included)", min_value=1, max_value=7 * 24 * 60),
        _core("session_max_age", "int", 7 * 24, "Session maximum age",
              "Hours after which a login session ends however active it is (the \"Remember "
              "me\" cookie expires then too)", min_value=1, max_value=90 * 24),
        _core("log_maximum_age", "int", 365, "Maximum log record age",
              "The maximum age in days of a log record", min_value=1,
              max_value=36600),  # a century: older cut-offs overflow datetime arithmetic
        _core("items_per_page", "int", 30, "Items per page",
              "Number of displayed items per page", min_value=1, max_value=500),
        _core("default_top_redirection", "choice", "user", "Default top redirection",
              "The default redirection used when no application is specified",
              choices=_top_redirections),
    ]  # fmt: skip
    return [replace(p, order=index * 10) for index, p in enumerate(params, start=1)]


def _admin(name, type_, default, label, help_="", **kw) -> Param:
    return Param("admin", name, type_, default, label, help_, **kw)


def admin_params() -> list[Param]:
    """The "Administration" tab."""
    params = [
        _admin("enable_mx_checks", "bool", True, "Enable MX checks",
               "Check that every domain has a valid MX record"),
        _admin("valid_mxs", "text", "", "Valid MXs", "A list of IP or network address "
               "every MX record should match. A warning will be sent if a record does not "
               "respect it.", visible_if=("enable_mx_checks", True), validator=_networks_ok),
        _admin("enable_dnsbl_checks", "bool", True, "Enable DNSBL checks",
               "Check every domain against major DNSBL providers"),
        _admin("require_domain_verification", "bool", False, "Require domain verification",
               "Domains created or renamed by resellers and domain administrators stay "
               "disabled until a DNS TXT record proves they own them (super administrators "
               "are exempt)"),
        _admin("dkim_default_selector", "str", "modoboa", "Default DKIM selector",
               "Selector of a domain's first DKIM key (later keys add the date)",
               required=True),
        _admin("dkim_default_key_length", "choice", "2048", "Default DKIM key size",
               "Size in bits of new DKIM keys", choices=(("1024", "1024"), ("2048", "2048"),
               ("4096", "4096"))),
        _admin("handle_mailboxes", "bool", False, "Handle mailboxes on filesystem",
               "Rename or remove mailboxes on the filesystem when they get renamed or "
               "removed within Modoboa"),
        _admin("mailboxes_owner", "str", "vmail", "Mailboxes owner",
               "The UNIX account who owns mailboxes on the filesystem", required=True),
        _admin("default_domain_quota", "int", 0, "Default domain quota",
               "Default quota (in MB) applied to freshly created domains with no value "
               "specified. A value of 0 means no quota.", min_value=0),
        _admin("default_mailbox_quota", "int", 0, "Default mailbox quota",
               "Default quota (in MB) applied to mailboxes of freshly created domains. "
               "A value of 0 means no quota.", min_value=0),
        _admin("auto_account_removal", "bool", False, "Automatic account removal",
               "When a mailbox is removed, also remove the associated account"),
        _admin("auto_create_domain_and_mailbox", "bool", True, "Automatic domain/mailbox "
               "creation", "Create a domain and a mailbox when an account is automatically "
               "created (LDAP)"),
    ]  # fmt: skip
    return [replace(p, order=index * 10) for index, p in enumerate(params, start=1)]


def register_defaults() -> None:
    """Register the core (General) and admin (Administration) parameters."""
    register(*core_params(), label="General")
    register(*admin_params(), label="Administration")
