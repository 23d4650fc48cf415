"""Batched `alias`, `forward` and `dlist` rows: what `create_alias` + `set_recipients` write."""

from __future__ import annotations

from sqlalchemy import select

from ... import signals
from ...addresses import normalize_address
from ...exceptions import ServiceError
from ...extensions import db
from ...models import Alias, AliasRecipient, Mailbox, utcnow
from .. import handlers
from ..bulk import AuditRows, insert_ids, insert_rows, listened, load, select_in
from .base import BaseBatch, Doubtful


def _address(row) -> str:
    try:
        return normalize_address(row[0], "address", catchall=True)
    except ServiceError:
        return ""


def _recipients(row) -> list[str] | None:
    """Recipients normalized as the alias service does (None when one is invalid)."""
    try:
        return handlers.clean_recipients(row[2])
    except ServiceError:
        return None


class AliasBatch(BaseBatch):
    """Aliases whose domain the importer administers and whose recipients all resolve."""

    limit_name = "mailbox_aliases"

    def check(self, todo) -> int | None:
        """Judge *todo* in order; return the index of the first doubtful row (or None)."""
        addresses = [_address(row) for _n, _f, row in todo]
        wanted = [a for a in addresses if a]
        taken = dict(select_in(Alias, ("address", "id"), "address", wanted, internal=False))
        cleaned = [_recipients(row) for _n, _f, row in todo]
        recipients = {r for rcpts in cleaned if rcpts for r in rcpts}
        names = {a.rpartition("@")[2] for a in addresses if a}
        names |= {r.rpartition("@")[2] for r in recipients}
        domains = self.domains(names)
        self._lookups(recipients, domains)
        self.batch_aliases: dict[str, int] = {}  # address -> index in self.clean
        for index, (number, fields, row) in enumerate(todo):
            try:
                self._check_one(fields[0].lower(), row, addresses[index], cleaned[index], taken,
                                domains, number, fields)  # fmt: skip
            except Doubtful:
                return index
            except ServiceError as exc:
                self.verdict(number, exc)
        return None

    def _lookups(self, recipients, domains) -> None:
        """Mailboxes and public aliases the recipients may point to."""
        locals_ = {r.rpartition("@")[0].split("+", 1)[0] for r in recipients}
        ids = [d.id for d in domains.values()]
        self.mailboxes = {}
        if ids and locals_:
            stmt = select(Mailbox.domain_id, Mailbox.address, Mailbox.id).where(
                Mailbox.domain_id.in_(ids), Mailbox.address.in_(locals_)
            )
            self.mailboxes = {(d, a): i for d, a, i in db.session.execute(stmt).all()}
        wanted = set()
        for value in recipients:
            local, _, domain = value.rpartition("@")
            wanted |= {f"{local}@{domain}", f"{local.split('+', 1)[0]}@{domain}"}
        self.aliases = dict(
            select_in(Alias, ("address", "id"), "address", sorted(wanted), internal=False)
        )

    def _check_one(self, kind, row, address, recipients, taken, domains, number, fields):
        if not address:
            address = normalize_address(row[0], "address", catchall=True)  # raises its message
        if address in self.batch_aliases:
            raise handlers.duplicate(kind, address)
        handlers.existing(self.ctx, kind, address, taken.get(address), Alias)
        domain = domains.get(address.rpartition("@")[2])
        if domain is None:
            raise handlers.unknown_mail_domain(kind, address, address.rpartition("@")[2])
        if domain.id not in self.mine:
            raise Doubtful
        if recipients is None:
            raise Doubtful  # an invalid recipient: the service words the error
        resolved = self._resolve(address, recipients, domains)
        self.batch_aliases[address] = len(self.clean)
        self.clean.append({
            "number": number, "fields": fields, "address": address, "domain": domain,
            "enabled": row[1], "recipients": resolved, "done": f"{kind} {address}",
        })  # fmt: skip

    def _resolve(self, address: str, wanted: list[str], domains) -> list[dict]:
        """Recipient rows as `alias_services._resolve` builds them, folded by target."""
        result, targets = [], set()
        for rcpt in wanted:
            local, _, domain_name = rcpt.rpartition("@")
            domain = domains.get(domain_name)
            external = domain is None or any(
                signals.collect(signals.use_external_recipients, recipient=rcpt, domain=domain)
            )
            if external:
                entry, target = {"address": rcpt}, ("external", rcpt)
            else:
                base = local.split("+", 1)[0]
                mailbox_id = self.mailboxes.get((domain.id, base))
                if mailbox_id is not None:
                    entry, target = {"address": rcpt, "mailbox": mailbox_id}, ("mb", mailbox_id)
                else:
                    entry = self._alias_target(address, rcpt, f"{base}@{domain_name}")
                    target = ("alias", entry.get("alias"), entry.get("batch"))
            if target not in targets:
                targets.add(target)
                result.append(entry)
        return result

    def _alias_target(self, address: str, rcpt: str, base_address: str) -> dict:
        if address in (rcpt, base_address):
            raise Doubtful  # an alias can't be its own recipient: the service says so
        for candidate in (rcpt, base_address):
            if candidate in self.aliases:
                return {"address": rcpt, "alias": self.aliases[candidate]}
            if candidate in self.batch_aliases:
                return {"address": rcpt, "batch": self.batch_aliases[candidate]}
        raise Doubtful  # "Local recipient ... not found"

    def insert(self) -> None:
        """Insert the aliases and their recipients; events; audit rows."""
        now = utcnow()
        addresses = [item["address"] for item in self.clean]
        ids = insert_ids(Alias, [
            {"address": item["address"], "domain_id": item["domain"].id,
             "enabled": bool(item["enabled"]), "internal": False, "description": "",
             "expire_at": None, "creation": now, "last_modification": now}
            for item in self.clean
        ], Alias.address, addresses, internal=False)  # fmt: skip
        insert_rows(AliasRecipient, [
            {"address": entry["address"], "alias_id": alias_id,
             "r_mailbox_id": entry.get("mailbox"),
             "r_alias_id": entry.get("alias") or (
                 ids[entry["batch"]] if "batch" in entry else None)}
            for item, alias_id in zip(self.clean, ids, strict=True)
            for entry in item["recipients"]
        ])  # fmt: skip
        if listened(signals.mailbox_alias_created):
            objects = load(Alias, ids)
            for alias_id in ids:
                signals.send(signals.mailbox_alias_created, user=self.ctx.actor,
                             mailbox_alias=objects[alias_id])  # fmt: skip
        log = AuditRows(now)
        for item, alias_id in zip(self.clean, ids, strict=True):
            written = [entry["address"] for entry in item["recipients"]]
            log.add(f"Alias '{item['address']}' added", action="create", object_type="Alias",
                    object_id=alias_id, object_repr=item["address"],
                    changes={"recipients": [None, written]})  # fmt: skip
        log.write()
