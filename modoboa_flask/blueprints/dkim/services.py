"""DKIM keys of a domain: enable, generate, activate, retire, check publication.

Rotation never breaks mail: a new key gets a new selector and stays *pending* (never signs)
until a DNS check has seen its record; only then may it become *active*. The key it replaces
becomes *previous*, still published for mail in transit, until an administrator retires it.
The first key of a domain becomes active by itself once seen (nothing signs before it).
Like every service, nothing here commits.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ... import audit
from ...exceptions import BadRequest, Conflict, NotFound, PermissionDenied
from ...extensions import db
from ...models import DkimKey, Domain, User, utcnow
from ...params import get as param
from ...permissions import can_manage_dkim
from ..dns import checks
from ..dns.resolver import Lookup, make_resolver
from . import keys

LIVE = ("pending", "active", "previous")  # every state whose record must stay published
CHECK_INTERVAL = 10  # seconds between two "Check DNS" of one domain's keys


def _authorize(actor: User, domain: Domain) -> None:
    if not can_manage_dkim(actor, domain):
        raise PermissionDenied("You may not manage the DKIM keys of this domain.")


def check_access(actor: User, domain: Domain) -> None:
    """Refuse (403) an actor who may not manage this domain's DKIM keys."""
    _authorize(actor, domain)


def _confirmed(confirm, what: str) -> None:
    # Issue 19 (Modoboa 2.x #2610): one click regenerated keys and broke DNS.
    if confirm not in (True, "1", "true", "on", "yes", 1):
        raise BadRequest(f"Confirm that you want to {what}.", field="confirm")


def live_keys(domain: Domain) -> list[DkimKey]:
    """The domain's keys that are still published (pending, active, previous), newest first."""
    return list(
        db.session.scalars(
            select(DkimKey)
            .where(DkimKey.domain_id == domain.id, DkimKey.state.in_(LIVE))
            .order_by(DkimKey.created.desc(), DkimKey.id.desc())
        )
    )


def active_key(domain: Domain) -> DkimKey | None:
    """The key that signs the domain's mail, if any."""
    return db.session.scalar(
        select(DkimKey).where(DkimKey.domain_id == domain.id, DkimKey.state == "active")
    )


def _by_id(domain: Domain, key_id) -> DkimKey:
    try:
        key = db.session.get(DkimKey, int(key_id))
    except (TypeError, ValueError):
        key = None
    if key is None or key.domain_id != domain.id:
        raise NotFound("No such DKIM key.")
    return key


def _mirror(domain: Domain) -> None:
    """Copy the active key into Modoboa 2.x's admin_domain columns (or clear them)."""
    key = active_key(domain)
    domain.dkim_key_selector = key.selector if key else default_selector()
    domain.dkim_key_length = key.key_length if key else None
    domain.dkim_public_key = key.public_key if key else ""
    domain.dkim_private_key_path = key.private_key_path if key else ""


def default_selector() -> str:
    """The `admin.dkim_default_selector` parameter."""
    return param("admin.dkim_default_selector") or "modoboa"


def suggested_selector(domain: Domain) -> str:
    """The default selector for the domain's next key: never one it used before."""
    used = set(db.session.scalars(select(DkimKey.selector).where(DkimKey.domain_id == domain.id)))
    base = default_selector()
    if base not in used:
        return base
    stamp = f"{base[: keys.SELECTOR_MAX - 9]}-{utcnow():%Y%m%d}"
    candidate, n = stamp, 2
    while candidate in used:
        candidate = f"{stamp[: keys.SELECTOR_MAX - 3]}-{n}"
        n += 1
    return candidate


def _keys_dir() -> tuple[str, str]:
    config = current_app.config
    return config.get("DKIM_KEYS_DIR", ""), config.get("DKIM_KEYS_GROUP", "opendkim")


def generate_key(
    actor: User, domain: Domain, *, selector: str | None = None, key_length=None, confirm=False
) -> DkimKey:
    """Make a new key pair (pending) now; a second key (a rotation) needs *confirm*."""
    _authorize(actor, domain)
    current = live_keys(domain)
    if any(k.state == "pending" for k in current):
        raise Conflict(
            "A new key is already waiting for its DNS record: activate or discard it first."
        )
    if current:
        _confirmed(confirm, "generate a new DKIM key (a new DNS record is needed)")
    selector = keys.clean_selector(selector or suggested_selector(domain))
    bits = keys.clean_key_length(key_length or param("admin.dkim_default_key_length") or 2048)
    taken = db.session.scalar(
        select(DkimKey.id).where(DkimKey.domain_id == domain.id, DkimKey.selector == selector)
    )
    if taken:
        raise Conflict(
            f"The selector {selector} was already used by this domain: choose another one "
            "(resolvers may still hold its old record).",
            field="selector",
        )
    keys_dir, group = _keys_dir()
    keys.ensure_keys_dir(keys_dir, group)  # refuse before the (slow) key generation
    pem, public = keys.generate_pair(bits)
    path = keys.write_key(keys_dir, group, domain.name, selector, pem)
    key = DkimKey(
        domain_id=domain.id,
        selector=selector,
        key_length=bits,
        public_key=public,
        private_key_path=path,
        state="pending",
        published=False,
        created=utcnow(),
    )
    db.session.add(key)
    domain.enable_dkim = True
    db.session.flush()
    what = "rotated" if current else "generated"
    audit.record(
        f"DKIM key {what} for {domain.name} (selector {selector}, {bits} bits)",
        action="create",
        obj=domain,
        changes={"dkim_key": [None, f"{selector} ({bits} bits, pending)"]},
    )
    return key


def set_enabled(actor: User, domain: Domain, enabled: bool) -> None:
    """Turn signing on or off; keys are kept (turning it on without a key makes one)."""
    _authorize(actor, domain)
    if bool(enabled) == domain.enable_dkim:
        return
    domain.enable_dkim = bool(enabled)
    audit.record(
        f"DKIM signing {'enabled' if enabled else 'disabled'} for {domain.name}",
        action="modify",
        obj=domain,
        changes={"enable_dkim": [not enabled, bool(enabled)]},
    )


def activate_key(actor: User, domain: Domain, key_id, confirm=False) -> DkimKey:
    """Make a published pending key the signing key; the active one becomes previous."""
    _authorize(actor, domain)
    key = _by_id(domain, key_id)
    if key.state != "pending":
        raise Conflict("Only a new (pending) key can be activated.")
    if not key.published:
        raise Conflict(
            f"The DNS record of selector {key.selector} has not been seen yet: publish it, "
            "then run the DNS check. Signing with it before would break verification."
        )
    _confirmed(confirm, f"sign with the key of selector {key.selector} from now on")
    _activate(domain, key)
    return key


def _activate(domain: Domain, key: DkimKey) -> None:
    old = active_key(domain)
    if old is not None:
        old.state = "previous"
    key.state, key.activated_at = "active", utcnow()
    db.session.flush()
    _mirror(domain)
    audit.record(
        f"DKIM key of selector {key.selector} now signs mail of {domain.name}",
        action="modify",
        obj=domain,
        changes={"dkim_key_selector": [old.selector if old else None, key.selector]},
    )


def retire_key(actor: User, domain: Domain, key_id, confirm=False) -> DkimKey:
    """Withdraw a previous key (or discard a pending one) and delete its private key file."""
    _authorize(actor, domain)
    key = _by_id(domain, key_id)
    if key.state == "active":
        raise Conflict(
            "The active key signs the domain's mail: activate a new key first, or disable DKIM."
        )
    if key.state == "retired":
        raise Conflict("This key is already retired.")
    _confirmed(confirm, f"retire the key of selector {key.selector}")
    was = key.state
    key.state, key.retired_at = "retired", utcnow()
    _unlink_after_commit(key.private_key_path)
    audit.record(
        f"DKIM key of selector {key.selector} retired for {domain.name} (was {was})",
        action="delete",
        obj=domain,
        changes={"dkim_key": [f"{key.selector} ({was})", None]},
    )
    return key


def _unlink_after_commit(path: str) -> None:
    # A rolled-back retirement (or domain deletion) must not lose a key still in use.
    db.session.info.setdefault("dkim_unlink", []).append(path)


def unlink_committed(session) -> None:
    """After a commit: delete the key files of keys retired (or domains deleted) in it."""
    paths = session.info.pop("dkim_unlink", [])
    if paths:
        keys_dir = _keys_dir()[0]
        for path in paths:
            keys.delete_key(keys_dir, path)


def forget_unlinks(session, previous_transaction) -> None:
    """After the rollback of a whole transaction (not a savepoint): keep every key file."""
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop("dkim_unlink", None)


def domain_deleted(sender, *, domain, **extra) -> None:
    """Delete the private keys of a deleted domain (once the deletion is committed)."""
    for path in db.session.scalars(
        select(DkimKey.private_key_path).where(DkimKey.domain_id == domain.id)
    ):
        _unlink_after_commit(path)


def domain_modified(sender, *, domain, oldname=None, **extra) -> None:
    """A renamed domain's records are at the old name: no key counts as published any more."""
    if oldname and oldname != domain.name:
        for key in live_keys(domain):
            key.published = False


# --- publication ---------------------------------------------------------------------------


def check_publication(domain: Domain, lookup: Lookup) -> checks.Result:
    """Look the domain's live keys up in DNS, store what was seen, return the DKIM result.

    The first key of a domain becomes active as soon as its record is seen.
    """
    live = live_keys(domain)
    specs = [checks.DkimKeySpec(k.selector, k.public_key, k.state) for k in live]
    records = {k.selector: keys.zone_record(k.selector, domain.name, k.public_key) for k in live}
    result, seen = checks.check_dkim(lookup, domain.name, specs, domain.enable_dkim, records)
    now = utcnow()
    for key in live:
        if key.selector in seen:
            key.published, key.checked_at = seen[key.selector], now
    pending = [k for k in live if k.state == "pending" and k.published]
    if pending and not any(k.state == "active" for k in live):
        _activate(domain, pending[0])
        live = live_keys(domain)
        specs = [checks.DkimKeySpec(k.selector, k.public_key, k.state) for k in live]
        result, _seen = checks.check_dkim(lookup, domain.name, specs, domain.enable_dkim, records)
    db.session.flush()
    return result


def check_now(actor: User, domain: Domain) -> checks.Result:
    """Check the domain's DKIM records for the UI (once per CHECK_INTERVAL seconds)."""
    _authorize(actor, domain)
    last = db.session.scalar(
        select(db.func.max(DkimKey.checked_at)).where(DkimKey.domain_id == domain.id)
    )
    if last and utcnow() - last < timedelta(seconds=CHECK_INTERVAL):
        raise Conflict(f"Checked less than {CHECK_INTERVAL} seconds ago: wait a moment.")
    # Late: dns.services imports this module (the DKIM record check).
    from ..dns import services as dns_services

    result = check_publication(domain, Lookup(make_resolver(3.0)))
    dns_services.store_result(domain, "dkim", result)
    return result


# --- reading -------------------------------------------------------------------------------


def describe(domain: Domain) -> dict:
    """The domain's DKIM state as the tab and `GET .../dkim/` show it."""
    return {
        "enabled": domain.enable_dkim,
        "selector": domain.dkim_key_selector if active_key(domain) else None,
        "suggested_selector": suggested_selector(domain),
        "default_key_length": int(param("admin.dkim_default_key_length") or 2048),
        "keys": [
            {
                "id": k.id,
                "selector": k.selector,
                "key_length": k.key_length,
                "state": k.state,
                "published": k.published,
                "created": k.created.isoformat() + "Z",
                "checked_at": k.checked_at.isoformat() + "Z" if k.checked_at else None,
                "record_name": keys.record_name(k.selector, domain.name),
                "txt": keys.txt_strings(k.public_key),
                "record": keys.zone_record(k.selector, domain.name, k.public_key),
                "public_key": k.public_key,
            }
            for k in live_keys(domain)
        ],
    }


def signing_entries() -> list[tuple[str, str, str]]:
    """(domain, selector, private key path) of every enabled domain's active key, by name."""
    rows = db.session.execute(
        select(Domain.name, DkimKey.selector, DkimKey.private_key_path)
        .join(DkimKey, DkimKey.domain_id == Domain.id)
        .where(Domain.enable_dkim.is_(True), DkimKey.state == "active")
        .order_by(Domain.name)
    )
    return [tuple(r) for r in rows]
