"""Relay settings of relay domains, and the Postfix services they may use."""

from __future__ import annotations

import ipaddress
import re

from sqlalchemy import func, select

from ... import audit, signals
from ...exceptions import BadRequest, NotFound, PermissionDenied
from ...extensions import db
from ...models import Domain, RelayDomain, Service
from ...permissions import can_access, has_perm

RELAY_TYPE = "relaydomain"
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def relay_settings(domain: Domain) -> RelayDomain | None:
    """The relay row of *domain*, if any."""
    return db.session.scalar(select(RelayDomain).where(RelayDomain.domain_id == domain.id))


def _check_host(host: str) -> str:
    host = (host or "").strip().lower().rstrip(".")
    if not host:
        raise BadRequest("Enter the host mail is relayed to.", field="target_host")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in host.split(".")):
        raise BadRequest(f"Invalid host name: {host}", field="target_host")
    return host


def _check_port(port) -> int:
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise BadRequest("Enter a port number.", field="target_port") from None
    if not 1 <= port <= 65535:
        raise BadRequest("The port must be between 1 and 65535.", field="target_port")
    return port


def set_relay_settings(
    actor, domain: Domain, *, target_host, target_port=25, service="relay", verify_recipients=False
) -> RelayDomain:
    """Create or update the relay settings of a relay domain (caller commits)."""
    row = relay_settings(domain)
    if not has_perm(actor, "relaydomains.change" if row else "relaydomains.add"):
        raise PermissionDenied("You may not change relay settings.")
    if not can_access(actor, domain):
        raise NotFound("Domain not found.")
    if domain.type != RELAY_TYPE:
        raise BadRequest(f"{domain.name} is not a relay domain.", field="type")
    values = {
        "target_host": _check_host(target_host),
        "target_port": _check_port(target_port),
        "verify_recipients": bool(verify_recipients),
    }
    srv = db.session.scalar(select(Service).where(Service.name == (service or "").strip()))
    if srv is None:
        raise BadRequest(f"Unknown Postfix service: {service}", field="service")
    if row is None:
        row = RelayDomain(domain_id=domain.id, service_id=srv.id, **values)
        db.session.add(row)
        db.session.flush()
        signals.send(signals.relay_domain_created, user=actor, rdomain=row)
        audit.record(f"Relay settings of {domain.name} created", action="create", obj=domain)
        return row
    before = _snapshot(row)
    for key, value in values.items():
        setattr(row, key, value)
    row.service_id = srv.id
    db.session.flush()
    db.session.expire(row, ["service"])
    changes = audit.diff(before, _snapshot(row))
    if changes:
        signals.send(signals.relay_domain_modified, rdomain=row, oldname=domain.name)
        audit.record(
            f"Relay settings of {domain.name} modified",
            action="modify",
            obj=domain,
            changes=changes,
            level="WARNING",
        )
    return row


def _snapshot(row: RelayDomain) -> dict:
    return {
        "target_host": row.target_host,
        "target_port": row.target_port,
        "service": row.service.name,
        "verify_recipients": row.verify_recipients,
    }


def drop_relay_settings(domain: Domain) -> None:
    """Remove the relay row of a domain that stops being a relay domain (RelayDomainDeleted)."""
    row = relay_settings(domain)
    if row is not None:
        signals.send(signals.relay_domain_deleted, rdomain=row)
        db.session.delete(row)


def service_names() -> list[str]:
    """Every Postfix service, by name."""
    return list(db.session.scalars(select(Service.name).order_by(Service.name)))


def parse_master_cf(text: str) -> list[str]:
    """Names of the services master.cf declares with the `smtp` command (its 8th field)."""
    names = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#") or line[0].isspace():
            continue  # blank, comment, or a continuation (-o ...) of the previous entry
        fields = line.split()
        if len(fields) >= 8 and fields[7] == "smtp" and fields[0] not in names:
            names.append(fields[0])
    return names


def scan_master_cf(actor, path: str) -> dict[str, list[str]]:
    """Load the smtp services of master.cf at *path*; delete unused ones it no longer has."""
    if not has_perm(actor, "services.scan"):
        raise PermissionDenied("Only super administrators may scan master.cf.")
    try:
        with open(path) as fh:
            found = parse_master_cf(fh.read())
    except OSError as exc:
        raise BadRequest(f"Cannot read {path}: {exc.strerror}") from None
    if not found:
        raise BadRequest(f"No smtp service found in {path}: nothing changed.")
    usage = dict(
        db.session.execute(
            select(Service.name, func.count(RelayDomain.id))
            .outerjoin(RelayDomain, RelayDomain.service_id == Service.id)
            .group_by(Service.name)
        ).all()
    )
    result = {"added": [], "removed": [], "kept": []}
    for name in found:
        if name not in usage:
            db.session.add(Service(name=name))
            result["added"].append(name)
    for name, used in sorted(usage.items()):
        if name in found:
            continue
        if used:
            result["kept"].append(name)  # a relay domain still routes through it
        else:
            db.session.execute(Service.__table__.delete().where(Service.name == name))
            result["removed"].append(name)
    audit.record(
        f"Postfix services loaded from {path}",
        action="modify",
        object_type="Service",
        changes={k: v for k, v in result.items() if v},
    )
    return result
