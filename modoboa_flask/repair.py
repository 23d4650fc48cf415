"""`flask repair`: check the rows the mail servers read, fix what is safe, report the rest.

Modoboa accepted local parts such as `../b.com/u2` or `..` (issue 11): such a mailbox's
directory lies outside its domain's, so renaming or deleting it touches another tenant's
mail; those rows are only reported. Rows written behind the app's back (a restore, a
hand-made SQL change, an old Modoboa bug) may also lack what Postfix and Dovecot need: a
mailbox's self-alias or quota row, or hold recipients and grants that point nowhere. Each
check yields `Problem`s; one carrying a `fix` is repaired without `--dry-run`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import click
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import aliased

from .addresses import (
    address_problem,
    domain_or_empty,
    domain_problem,
    local_part_problem,
    shown,
    username_problem,
)
from .extensions import db
from .mailops import ensure_quota_row
from .models import (
    SIMPLEUSERS,
    Alias,
    AliasRecipient,
    Domain,
    DomainAdmin,
    DomainAlias,
    Mailbox,
    Quota,
    User,
)

BATCH = 1000  # rows fetched at a time: half a million identities never sit in memory at once


@dataclass(frozen=True)
class Problem:
    """One row breaking a rule, and the safe fix if there is one (else: report only)."""

    table: str
    row_id: object
    value: str
    reason: str
    action: str = ""  # what `fix` does, e.g. "create it"
    fix: Callable[[], None] | None = None

    def line(self) -> str:
        """`table id 'value': reason`, control characters escaped."""
        return f"{self.table} {self.row_id} '{shown(self.value)}': {self.reason}"


CHECKS: list[Callable[[], Iterator[Problem]]] = []


def check(fn: Callable[[], Iterator[Problem]]):
    """Register *fn* as a repair check (it yields Problems)."""
    CHECKS.append(fn)
    return fn


def _scan(model, column, problem, *where) -> Iterator[Problem]:
    """Problems of *column* of *model*'s rows (matching *where*), as *problem(value)* says."""
    stmt = select(model.id, column).where(*where).order_by(model.id)
    stmt = stmt.execution_options(yield_per=BATCH)
    for row_id, value in db.session.execute(stmt):
        reason = problem(value or "")
        if reason:
            yield Problem(model.__tablename__, row_id, value or "", reason)


@check
def mailbox_local_parts() -> Iterator[Problem]:
    """Mailbox local parts (the mail directory's name) outside the dot-atom rule."""
    return _scan(Mailbox, Mailbox.address, local_part_problem)


@check
def account_usernames() -> Iterator[Problem]:
    """Simple users' usernames (their mailbox address) and administrators' login names."""
    yield from _scan(User, User.username, address_problem, User.role == SIMPLEUSERS)
    yield from _scan(User, User.username, username_problem, User.role != SIMPLEUSERS)


@check
def alias_addresses() -> Iterator[Problem]:
    """Alias addresses (self-aliases and catch-alls included) the address rule refuses."""
    return _scan(Alias, Alias.address, lambda value: address_problem(value, catchall=True))


def _stored_domain_problem(name: str) -> str | None:
    reason = domain_problem(name)
    if not reason and domain_or_empty(name) != name:
        reason = f"not stored in normal form (expected {domain_or_empty(name)})"
    return reason


@check
def domain_names() -> Iterator[Problem]:
    """Domain and domain alias names that are invalid or not stored as lower-case A-labels."""
    for model in (Domain, DomainAlias):
        yield from _scan(model, model.name, _stored_domain_problem)


def _rows(stmt):
    """Execute *stmt* fetching BATCH rows at a time."""
    return db.session.execute(stmt.execution_options(yield_per=BATCH))


def _clean_mailbox(local: str, domain: str) -> bool:
    return not local_part_problem(local) and not _stored_domain_problem(domain)


def _create_self_alias(mailbox_id: int, address: str, domain_id: int) -> None:
    alias = Alias(address=address, domain_id=domain_id, internal=True)
    alias.recipients.append(AliasRecipient(address=address, r_mailbox_id=mailbox_id))
    db.session.add(alias)


def _point_self_alias(alias_id: int, mailbox_id: int, address: str) -> None:
    # A recipient with the address but no mailbox link takes the link (unique per alias).
    recipient = db.session.scalar(
        select(AliasRecipient).where(
            AliasRecipient.alias_id == alias_id, AliasRecipient.address == address
        )
    )
    if recipient is None:
        recipient = AliasRecipient(alias_id=alias_id, address=address)
        db.session.add(recipient)
    recipient.r_mailbox_id = mailbox_id
    recipient.r_alias_id = None


@check
def mailbox_self_aliases() -> Iterator[Problem]:
    """Mailboxes without their internal self-alias, or whose self-alias does not deliver to them."""
    address = Mailbox.address + "@" + Domain.name
    recipient = aliased(AliasRecipient)
    stmt = (
        select(Mailbox.id, Mailbox.address, Domain.name, Domain.id, Alias.id, recipient.id)
        .join(Domain, Domain.id == Mailbox.domain_id)
        .outerjoin(Alias, (Alias.address == address) & Alias.internal.is_(True))
        .outerjoin(
            recipient, (recipient.alias_id == Alias.id) & (recipient.r_mailbox_id == Mailbox.id)
        )
        .where(recipient.id.is_(None))
        .order_by(Mailbox.id)
    )
    for mailbox_id, local, domain, domain_id, alias_id, _ in _rows(stmt):
        if not _clean_mailbox(local, domain):
            continue
        full = f"{local}@{domain}"
        if alias_id is None:
            fix = partial(_create_self_alias, mailbox_id, full, domain_id)
            reason = "no self-alias (Postfix can't deliver to it)"
            yield Problem("admin_mailbox", mailbox_id, full, reason, "create it", fix)
        else:
            fix = partial(_point_self_alias, alias_id, mailbox_id, full)
            reason = f"self-alias {alias_id} has no recipient for this mailbox"
            yield Problem("admin_mailbox", mailbox_id, full, reason, "add the recipient", fix)


@check
def mailbox_quota_rows() -> Iterator[Problem]:
    """Mailboxes without their admin_quota row (Dovecot's quota dict updates it, never adds it)."""
    address = Mailbox.address + "@" + Domain.name
    stmt = (
        select(Mailbox.id, Mailbox.address, Domain.name)
        .join(Domain, Domain.id == Mailbox.domain_id)
        .outerjoin(Quota, Quota.username == address)
        .where(Quota.username.is_(None))
        .order_by(Mailbox.id)
    )
    for mailbox_id, local, domain in _rows(stmt):
        if _clean_mailbox(local, domain):
            full = f"{local}@{domain}"
            yield Problem("admin_mailbox", mailbox_id, full, "no admin_quota row",
                          "create it with usage 0", partial(ensure_quota_row, full))  # fmt: skip


def _delete_row(model, row_id) -> Callable[[], None]:
    return lambda: db.session.execute(delete(model).where(model.id == row_id))


@check
def orphan_recipients() -> Iterator[Problem]:
    """Alias recipients whose alias, mailbox or alias target no longer exists."""
    owner, target_alias = aliased(Alias), aliased(Alias)
    r = AliasRecipient
    stmt = (
        select(r.id, r.address, owner.id, r.r_mailbox_id, Mailbox.id, r.r_alias_id, target_alias.id)
        .outerjoin(owner, owner.id == r.alias_id)
        .outerjoin(Mailbox, Mailbox.id == r.r_mailbox_id)
        .outerjoin(target_alias, target_alias.id == r.r_alias_id)
        .where(
            or_(
                owner.id.is_(None),
                r.r_mailbox_id.is_not(None) & Mailbox.id.is_(None),
                r.r_alias_id.is_not(None) & target_alias.id.is_(None),
            )
        )
        .order_by(r.id)
    )
    for row_id, address, owner_id, mailbox_ref, mailbox_id, alias_ref, _ in _rows(stmt):
        if owner_id is None:
            reason = "its alias no longer exists"
        elif mailbox_ref is not None and mailbox_id is None:
            reason = f"its mailbox {mailbox_ref} no longer exists"
        else:
            reason = f"its alias {alias_ref} no longer exists"
        yield Problem(r.__tablename__, row_id, address, reason, "delete it", _delete_row(r, row_id))


@check
def dangling_domain_grants() -> Iterator[Problem]:
    """Domain administration grants whose domain or administrator no longer exists."""
    stmt = (
        select(DomainAdmin.id, DomainAdmin.domain_id, Domain.id, DomainAdmin.user_id, User.id)
        .outerjoin(Domain, Domain.id == DomainAdmin.domain_id)
        .outerjoin(User, User.id == DomainAdmin.user_id)
        .where(or_(Domain.id.is_(None), User.id.is_(None)))
        .order_by(DomainAdmin.id)
    )
    for row_id, domain_ref, domain_id, user_ref, _user_id in _rows(stmt):
        missing = f"domain {domain_ref}" if domain_id is None else f"user {user_ref}"
        value = f"domain {domain_ref}, user {user_ref}"
        yield Problem(DomainAdmin.__tablename__, row_id, value, f"the {missing} no longer exists",
                      "delete it", _delete_row(DomainAdmin, row_id))  # fmt: skip


@check
def domain_alias_names() -> Iterator[Problem]:
    """Domain aliases named like a domain: Postfix finds both; which one wins is undefined."""
    stmt = (
        select(DomainAlias.id, DomainAlias.name, Domain.id)
        .join(Domain, Domain.name == DomainAlias.name)
        .order_by(DomainAlias.id)
    )
    for row_id, name, domain_id in _rows(stmt):
        yield Problem(
            DomainAlias.__tablename__, row_id, name, f"domain {domain_id} has the same name"
        )


@check
def domain_alias_loops() -> Iterator[Problem]:
    """Cycles of domain-wide aliases (`@a -> @b -> @a`): mail to them loops until it bounces."""
    stmt = (
        select(Alias.id, Alias.address, AliasRecipient.address)
        .join(AliasRecipient, AliasRecipient.alias_id == Alias.id)
        .where(Alias.address.startswith("@"), AliasRecipient.address.startswith("@"))
        .order_by(Alias.id)
    )
    edges: dict[str, list[tuple[int, str]]] = {}
    for alias_id, source, target in _rows(stmt):
        edges.setdefault(source.lower(), []).append((alias_id, target.lower()))
    reported: set[frozenset[str]] = set()
    for start in sorted(edges):
        # Depth-first walk from *start*; a path back to it is a loop (reported once).
        stack = [(start, [start], None)]
        while stack:
            node, path, first_id = stack.pop()
            for alias_id, target in edges.get(node, []):
                row_id = alias_id if first_id is None else first_id
                if target == start and frozenset(path) not in reported:
                    reported.add(frozenset(path))
                    loop = " -> ".join([*path, start])
                    yield Problem(Alias.__tablename__, row_id, start, f"domain alias loop {loop}")
                elif target not in path and target in edges:
                    stack.append((target, [*path, target], row_id))


def find_problems() -> list[Problem]:
    """Every problem all checks find."""
    return [problem for fn in CHECKS for problem in fn()]


def apply_fixes(problems: list[Problem]) -> None:
    """Run every fix in one transaction: all of them are written, or none (on an error)."""
    try:
        for problem in problems:
            if problem.fix is not None:
                problem.fix()
                db.session.flush()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


@click.option("--dry-run", is_flag=True, help="List the problems without changing anything.")
def repair_command(dry_run):
    """Check the rows the mail servers read; fix what is safe unless --dry-run.

    Exit status 1 when problems are left: any found with --dry-run, else those needing a hand.
    """
    problems = find_problems()
    fixable = [problem for problem in problems if problem.fix is not None]
    if dry_run or not fixable:
        db.session.rollback()  # read-only: never leave a transaction open
    else:
        apply_fixes(fixable)
    for problem in problems:
        if problem.fix is None:
            click.echo(problem.line())
        elif dry_run:
            click.echo(f"{problem.line()} (would {problem.action})")
        else:
            click.echo(f"{problem.line()}: fixed ({problem.action})")
    left = problems if dry_run else [problem for problem in problems if problem.fix is None]
    if left:
        click.echo(f"{len(left)} problem(s) found.", err=True)
    if left and not dry_run:
        click.echo(
            "Fix the rows left by hand (for a mailbox: delete it keeping its mail directory, "
            "or rename it in the database and move its mail yourself), then run "
            "`flask repair --dry-run` again.",
            err=True,
        )
    if left:
        raise click.exceptions.Exit(1)
    click.echo(f"Fixed {len(fixable)} problem(s)." if fixable else "No problem found.")
