"""The small directory the LDAP tests run against, and the parameters pointing the app at it.

Users (all under ou=users,dc=example,dc=com):
- alice  alice@example.com, {SSHA} "Alice123", givenName/sn set;
- bob    bob@example.com,   {CRYPT} (sha512-crypt) "Bob12345";
- carol  no mail attribute, {SSHA} "Carol123";
- dave   dave@example.org,  {SSHA} "Dave1234", in the posixGroup cn=admins;
- erin   erin@example.net,  {SSHA} "Erin1234", in the groupOfNames cn=mailadmins.
"""

from __future__ import annotations

from contextlib import contextmanager

from passlib.hash import sha512_crypt

from modoboa_flask import params
from modoboa_flask.extensions import db
from tests.peers import require, slapd

SUFFIX = "dc=example,dc=com"
USERS = f"ou=users,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
PASSWORDS = {
    "alice": "Alice123",
    "bob": "Bob12345",
    "carol": "Carol123",
    "dave": "Dave1234",
    "erin": "Erin1234",
}


def dn(uid: str) -> str:
    """The DN of a test user."""
    return f"uid={uid},{USERS}"


def _person(uid, password_value, mail=None, given="", sn="Tester") -> str:
    lines = [
        f"dn: {dn(uid)}",
        "objectClass: inetOrgPerson",
        f"uid: {uid}",
        f"cn: {uid}",
        f"sn: {sn}",
        f"userPassword: {password_value}",
    ]
    if given:
        lines.append(f"givenName: {given}")
    if mail:
        lines.append(f"mail: {mail}")
    return "\n".join(lines) + "\n"


def entries() -> str:
    """The LDIF loaded into slapd."""
    crypt = "{CRYPT}" + sha512_crypt.using(rounds=5000).hash(PASSWORDS["bob"])
    return "\n".join(
        [
            f"dn: {USERS}\nobjectClass: organizationalUnit\nou: users\n",
            f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
            _person("alice", slapd.ssha(PASSWORDS["alice"]), "alice@example.com", "Alice",
                    "Example"),
            _person("bob", crypt, "bob@example.com", "Bob"),
            _person("carol", slapd.ssha(PASSWORDS["carol"])),
            _person("dave", slapd.ssha(PASSWORDS["dave"]), "dave@example.org", "Dave"),
            _person("erin", slapd.ssha(PASSWORDS["erin"]), "erin@example.net", "Erin"),
            f"dn: cn=admins,{GROUPS}\nobjectClass: posixGroup\ncn: admins\ngidNumber: 1000\n"
            "memberUid: dave\n",
            f"dn: cn=mailadmins,{GROUPS}\nobjectClass: groupOfNames\ncn: mailadmins\n"
            f"member: {dn('erin')}\n",
        ]
    )  # fmt: skip


@contextmanager
def directory(**kwargs):
    """A running slapd holding entries() (skips when slapd is missing; fails under CI)."""
    require(slapd.available, "slapd not installed")
    with slapd.SlapdInstance(SUFFIX, entries(), **kwargs) as server:
        yield server


def configure(app, port: int, **overrides) -> None:
    """Point *app* at 127.0.0.1:*port* in search-bind mode; *overrides* are core.ldap_* values."""
    values = {
        "ldap_server_address": "127.0.0.1",
        "ldap_server_port": str(port),
        "ldap_auth_method": "searchbind",
        "ldap_bind_dn": f"cn=admin,{SUFFIX}",
        "ldap_bind_password": "secret",
        "ldap_search_base": USERS,
        "ldap_search_filter": "(mail=%(user)s)",
        "ldap_user_dn_template": f"uid=%(user)s,{USERS}",
        "ldap_admin_groups": "admins;mailadmins",
        "ldap_groups_search_base": GROUPS,
        "ldap_timeout": "2",
    }
    values.update(overrides)
    values.setdefault("authentication_type", "ldap")  # last, as an administrator would
    with app.app_context():
        for name, value in values.items():
            params.set(f"core.{name}", value)
        db.session.commit()
