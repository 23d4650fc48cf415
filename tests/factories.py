"""Plain functions creating test rows; they return ids, never detached ORM objects.

Call them inside an app context. They insert rows directly, mirroring what the services
write (mailbox self-alias, quota row), so tests of one area don't depend on another's UI.
"""

import itertools

from modoboa_flask.extensions import db
from modoboa_flask.models import (
    SUPERADMINS,
    Alias,
    AliasRecipient,
    Domain,
    DomainAdmin,
    Mailbox,
    Quota,
    User,
)
from modoboa_flask.passwords import hash_password

_seq = itertools.count(1)
PASSWORD = "Toto1234"
_HASH = hash_password(PASSWORD, "sha512crypt", 1000)


def make_user(role="SimpleUsers", username=None, password=None, owner_id=None, **fields) -> int:
    """Create an account of *role* and return its id."""
    username = username or f"user{next(_seq)}"
    user = User(
        username=username,
        role=role,
        is_superuser=role == SUPERADMINS,
        password=hash_password(password, "sha512crypt", 1000) if password else _HASH,
        owner_id=owner_id,
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user.id


def make_domain(name=None, quota=0, default_mailbox_quota=0, owner_id=None, admins=(), **fields):
    """Create a domain (administered by *admins* ids) and return its id."""
    domain = Domain(
        name=name or f"domain{next(_seq)}.test",
        quota=quota,
        default_mailbox_quota=default_mailbox_quota,
        owner_id=owner_id,
        **fields,
    )
    db.session.add(domain)
    db.session.flush()
    for user_id in admins:
        db.session.add(DomainAdmin(domain_id=domain.id, user_id=user_id))
    db.session.commit()
    return domain.id


def make_mailbox(domain_id, local_part=None, role="SimpleUsers", quota=0, user_id=None, **fields):
    """Create an account with a mailbox (self-alias and quota row included); return user id."""
    domain = db.session.get(Domain, domain_id)
    local_part = local_part or f"mbx{next(_seq)}"
    email = f"{local_part}@{domain.name}"
    if user_id is None:
        user_id = make_user(role=role, username=email, email=email, **fields)
    else:
        db.session.get(User, user_id).email = email
    mailbox = Mailbox(address=local_part, domain_id=domain_id, user_id=user_id, quota=quota)
    db.session.add(mailbox)
    db.session.flush()
    alias = Alias(address=email, domain_id=domain_id, internal=True)
    alias.recipients.append(AliasRecipient(address=email, r_mailbox_id=mailbox.id))
    db.session.add_all([alias, Quota(username=email)])
    db.session.commit()
    return user_id


def grant_domain(user_id, domain_id) -> None:
    """Make *user_id* an administrator of *domain_id*."""
    db.session.add(DomainAdmin(domain_id=domain_id, user_id=user_id))
    db.session.commit()
