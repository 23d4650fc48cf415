"""Switching over from Modoboa 1.6: copy a Modoboa database into this app's (empty) one.

The Modoboa database is only read: going back means starting Modoboa again on it. Rows keep
their ids, so Postfix/Dovecot answers, API clients and audit references stay the same.
What Modoboa spreads over Django tables is folded into our columns: roles from
`auth_group`, owners and domain administrators from `core_objectaccess`, dates from
`admin_objectdates`, API tokens from `authtoken_token` (stored hashed, same key).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, MetaData, create_engine, func, insert, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from . import models as m
from . import params
from .extensions import db
from .health import migrations_current

ROLE_ORDER = (m.SUPERADMINS, m.RESELLERS, m.DOMAINADMINS, m.SIMPLEUSERS)
# Modoboa table -> our table, copied row for row (ids kept).
ROW_FOR_ROW = {
    "core_user": m.User,
    "postfix_relay_domains_service": m.Service,
    "admin_domain": m.Domain,
    "admin_domainalias": m.DomainAlias,
    "admin_mailbox": m.Mailbox,
    "admin_alias": m.Alias,
    "modoboa_admin_aliasrecipient": m.AliasRecipient,
    "admin_quota": m.Quota,
    "admin_senderaddress": m.SenderAddress,
    "admin_mailboxoperation": m.MailboxOperation,
    "postfix_relay_domains_relaydomain": m.RelayDomain,
    "limits_userobjectlimit": m.UserObjectLimit,
    "limits_domainobjectlimit": m.DomainObjectLimit,
    "core_log": m.Log,
    "authtoken_token": m.ApiToken,
    "lib_parameter": m.Parameter,
    "lib_userparameter": m.UserParameter,
}
REQUIRED = ("core_user", "admin_domain", "admin_mailbox", "admin_alias", "admin_objectdates")
# Left in Modoboa's database, with the reason printed in the report.
LEFT_BEHIND = {
    "django_session": "sessions: everyone logs in again",
    "reversion_revision": "change history: stays readable in Modoboa's database",
    "reversion_version": "change history: stays readable in Modoboa's database",
    "auth_permission": "Django permissions: roles carry fixed permissions here",
    "auth_group_permissions": "Django permissions: roles carry fixed permissions here",
    "core_user_user_permissions": "per-user Django permissions: not supported",
    "admin_mxrecord": "MX check results: recomputed",
    "admin_dnsblresult": "DNSBL check results: recomputed",
    "core_localconfig": "Modoboa's public-API registration",
    "django_site": "Django",
    "django_migrations": "Django",
}


class SwitchoverError(Exception):
    """The source or the target database is not fit for a switch-over."""


@dataclass
class Report:
    """Rows per table before (in Modoboa's database) and after (in ours), plus notes."""

    counts: list[tuple[str, int, str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as printed by the command."""
        out = [
            f"{src:36} {before:6} -> {dst:32} {after:6}" for src, before, dst, after in self.counts
        ]
        return out + self.notes


def _naive_utc(value):
    # PostgreSQL gives Django's `timestamp with time zone` back aware; we store naive UTC.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def read_only_url(url: str) -> str:
    """Open a SQLite file read-only: never create it, never switch it to WAL."""
    parsed = make_url(url)
    path = parsed.database or ""
    if (
        parsed.get_backend_name() != "sqlite"
        or path.startswith("file:")
        or path in ("", ":memory:")
    ):
        return url
    return f"sqlite:///file:{os.path.abspath(path)}?mode=ro&uri=true"


class _Source:
    """Modoboa's database, reflected (SQLite's Django tables may name `__old` tables in FKs)."""

    def __init__(self, url: str):
        try:
            self.engine = create_engine(read_only_url(url))
            self.meta = MetaData()
            self.meta.reflect(self.engine, resolve_fks=False)
        except (sa_exc.SQLAlchemyError, ValueError) as error:
            raise SwitchoverError(f"Cannot read the Modoboa database: {error}") from error
        missing = [name for name in REQUIRED if name not in self.meta.tables]
        if missing:
            raise SwitchoverError(
                "Not a Modoboa 1.6 database: missing table(s) " + ", ".join(missing)
            )
        if "transport_transport" in self.meta.tables:
            # Modoboa 2 moved relay settings into transports: copying it as 1.6 would lose them.
            raise SwitchoverError("A Modoboa 2 database: only Modoboa 1.6 databases are supported.")
        # One snapshot for every table, and a server that refuses writes on this connection.
        options = {"isolation_level": "REPEATABLE READ"}
        if self.engine.dialect.name == "postgresql":
            options["postgresql_readonly"] = True
        elif self.engine.dialect.name == "sqlite":
            options = {}
        self.conn = self.engine.connect().execution_options(**options)

    def has(self, table: str) -> bool:
        """True when Modoboa's database has *table*."""
        return table in self.meta.tables

    def rows(self, table: str) -> list[dict]:
        """Every row of *table* as a dict (an absent optional table has none)."""
        if not self.has(table):
            return []
        t = self.meta.tables[table]
        pk = list(t.primary_key.columns)
        stmt = select(t).order_by(*pk)
        return [
            {k: _naive_utc(v) for k, v in row.items()} for row in self.conn.execute(stmt).mappings()
        ]

    def count(self, table: str) -> int:
        """Rows in *table* (0 when absent)."""
        if not self.has(table):
            return 0
        return self.conn.execute(select(func.count()).select_from(self.meta.tables[table])).scalar()

    def close(self) -> None:
        """Release the connection."""
        self.conn.close()
        self.engine.dispose()


def _coerce(model, row: dict) -> dict:
    """Keep *model*'s columns of *row*; booleans as bool (MariaDB gives 0/1)."""
    out = {}
    for column in model.__table__.columns:
        if column.key not in row:
            continue
        value = row[column.key]
        if isinstance(column.type, Boolean) and value is not None:
            value = bool(value)
        elif isinstance(column.type, DateTime):
            value = _naive_utc(value)
        out[column.key] = value
    return out


def _insert(model, rows: list[dict]) -> None:
    if rows:
        db.session.execute(insert(model.__table__), [_coerce(model, r) for r in rows])


def _check_target() -> None:
    if not migrations_current():
        raise SwitchoverError("This database is not at the current schema: run `flask db upgrade`.")
    if db.session.scalar(select(func.count()).select_from(m.User)) or db.session.scalar(
        select(func.count()).select_from(m.Domain)
    ):
        raise SwitchoverError(
            "This database already holds accounts or domains: switch over into an empty "
            "database made by `flask db upgrade` only (no load-initial-data)."
        )


def _content_types(src: _Source) -> dict[str, int]:
    return {f"{r['app_label']}.{r['model']}": r["id"] for r in src.rows("django_content_type")}


def _owners(src: _Source, ctypes: dict, model: str) -> tuple[dict, list]:
    """(object id -> owner user id, [(user id, object id) non-owner accesses]) for *model*."""
    ctype = ctypes.get(model)
    owners, others = {}, []
    for row in src.rows("core_objectaccess"):
        if row["content_type_id"] != ctype:
            continue
        if row["is_owner"]:
            owners[row["object_id"]] = row["user_id"]
        else:
            others.append((row["user_id"], row["object_id"]))
    return owners, others


def _roles(src: _Source, users: list[dict]) -> dict[int, str]:
    groups = {r["id"]: r["name"] for r in src.rows("auth_group")}
    member: dict[int, set] = {}
    for row in src.rows("core_user_groups"):
        member.setdefault(row["user_id"], set()).add(groups.get(row["group_id"]))
    roles = {}
    for user in users:
        names = member.get(user["id"], set()) | ({m.SUPERADMINS} if user["is_superuser"] else set())
        roles[user["id"]] = next((r for r in ROLE_ORDER if r in names), m.SIMPLEUSERS)
    return roles


def _with_dates(rows: list[dict], dates: dict) -> list[dict]:
    for row in rows:
        stamp = dates.get(row.get("dates_id"))
        if stamp:
            row["creation"], row["last_modification"] = stamp
    return rows


def _copy_accounts(src: _Source, ctypes: dict) -> None:
    users = src.rows("core_user")
    roles = _roles(src, users)
    owners, _ = _owners(src, ctypes, "core.user")
    for user in users:
        user["role"] = roles[user["id"]]
        user["is_superuser"] = user["role"] == m.SUPERADMINS
    _insert(m.User, users)
    # Owners in a second pass: an owner may have a higher id than what it owns.
    for user_id, owner_id in owners.items():
        if owner_id != user_id:
            db.session.execute(
                m.User.__table__.update().where(m.User.id == user_id).values(owner_id=owner_id)
            )


def _copy_domains(src: _Source, ctypes: dict, dates: dict) -> None:
    owners, others = _owners(src, ctypes, "admin.domain")
    domains = _with_dates(src.rows("admin_domain"), dates)
    for domain in domains:
        domain["owner_id"] = owners.get(domain["id"])
        # Modoboa 1.6 gave new mailboxes of a domain its quota (as our 4-field CSV rows do).
        domain.setdefault("default_mailbox_quota", domain["quota"])
    _insert(m.Domain, domains)
    admins = {
        r["id"]
        for r in db.session.execute(
            select(m.User.id).where(m.User.role.in_((m.RESELLERS, m.DOMAINADMINS)))
        ).mappings()
    }
    ids = {d["id"] for d in domains}
    grants = sorted({(d, u) for u, d in others if u in admins and d in ids})
    _insert(m.DomainAdmin, [{"domain_id": d, "user_id": u} for d, u in grants])


def _params_rows(src: _Source, report: Report) -> tuple[list, list]:
    """Modoboa's `app.NAME` values that we define, parsed and stored in our text form."""
    known = {p.key for p in params.definitions()}
    out, user_out = [], []
    for table, target in (("lib_parameter", out), ("lib_userparameter", user_out)):
        for row in src.rows(table):
            app, _, name = row["name"].partition(".")
            key = f"{app}.{name.lower()}"
            if key not in known:
                report.notes.append(f"Parameter {row['name']}: not used here, left behind")
                continue
            definition = params.definition(key)
            try:
                value = definition.dump(definition.parse(row["value"]))
            except params.ParamError as error:
                report.notes.append(f"Parameter {row['name']}: {error} Default kept.")
                continue
            entry = {"app": app, "name": name.lower(), "value": value}
            if table == "lib_userparameter":
                entry["user_id"] = row["user_id"]
            target.append(entry)
    return out, user_out


def _unique_recipients(rows: list[dict], report: Report) -> list[dict]:
    # Modoboa's unique keys skip NULLs, so an external address may be listed twice for one
    # alias; Postfix delivers it once either way, and our key is (alias, address).
    seen, kept = set(), []
    for row in rows:
        if (row["alias_id"], row["address"]) not in seen:
            seen.add((row["alias_id"], row["address"]))
            kept.append(row)
    if len(kept) < len(rows):
        report.notes.append(
            f"modoboa_admin_aliasrecipient: {len(rows) - len(kept)} duplicate recipient(s) "
            "of the same alias copied once"
        )
    return kept


def _copy_rest(src: _Source, dates: dict, report: Report) -> None:
    for table in ("admin_domainalias", "admin_mailbox", "admin_alias"):
        _insert(ROW_FOR_ROW[table], _with_dates(src.rows(table), dates))
    _insert(m.AliasRecipient, _unique_recipients(src.rows("modoboa_admin_aliasrecipient"), report))
    for table in (
        "admin_quota",
        "admin_senderaddress",
        "admin_mailboxoperation",
        "limits_userobjectlimit",
        "limits_domainobjectlimit",
        "core_log",
    ):
        _insert(ROW_FOR_ROW[table], src.rows(table))
    _insert(m.RelayDomain, _with_dates(src.rows("postfix_relay_domains_relaydomain"), dates))
    tokens = [
        {
            "user_id": r["user_id"],
            "key_hash": hashlib.sha256(r["key"].encode()).hexdigest(),
            "prefix": r["key"][:8],
            "name": "Modoboa",
            "created": r["created"],
        }
        for r in src.rows("authtoken_token")
    ]
    _insert(m.ApiToken, tokens)
    globals_, per_user = _params_rows(src, report)
    _insert(m.Parameter, globals_)
    _insert(m.UserParameter, per_user)


def _reset_sequences() -> None:
    # Rows came with their ids: PostgreSQL's sequences must start after them (MariaDB's
    # AUTO_INCREMENT and SQLite follow explicit ids by themselves).
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.columns and table.columns["id"].autoincrement in (True, "auto"):
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"
                )
            )


def _count_target(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def migrate_from_modoboa(source_url: str, dry_run: bool = False) -> Report:
    """Copy Modoboa's database at *source_url* into this app's empty one (the caller commits,
    or rolls back for a *dry_run*)."""
    _check_target()
    src = _Source(source_url)
    report = Report()
    try:
        _copy(src, report, dry_run)
    except sa_exc.SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        raise SwitchoverError(f"Switch-over stopped, nothing was written: {reason}") from error
    finally:
        src.close()
    return report


def _copy(src: _Source, report: Report, dry_run: bool) -> None:
    """Copy every table, then count both sides into *report*."""
    ctypes = _content_types(src)
    dates = {
        r["id"]: (r["creation"], r["last_modification"]) for r in src.rows("admin_objectdates")
    }
    _insert(m.Service, src.rows("postfix_relay_domains_service"))
    _copy_accounts(src, ctypes)
    _copy_domains(src, ctypes, dates)
    _copy_rest(src, dates, report)
    db.session.flush()
    if not dry_run:
        _reset_sequences()  # setval() outlives a rollback: not for a dry run
    for table, model in ROW_FOR_ROW.items():
        report.counts.append((table, src.count(table), model.__tablename__, _count_target(model)))
    grants = _count_target(m.DomainAdmin)
    report.notes.append(
        f"core_objectaccess: {src.count('core_objectaccess')} rows -> owners and "
        f"{grants} domain administrator grant(s)"
    )
    for table, why in LEFT_BEHIND.items():
        if src.count(table):
            report.notes.append(f"{table}: {src.count(table)} row(s) left behind ({why})")
