"""`flask repair`: list rows an upgraded database may hold that today's rules refuse.

Modoboa accepted local parts such as `../b.com/u2` or `..` (issue 11): such a mailbox's
directory lies outside its domain's, so renaming or deleting it touches another tenant's
mail. Each check below yields the rows it finds; more checks (the operations issue) join
the same list with `@check`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import click
from sqlalchemy import select

from .addresses import (
    address_problem,
    domain_or_empty,
    domain_problem,
    local_part_problem,
    shown,
    username_problem,
)
from .extensions import db
from .models import SIMPLEUSERS, Alias, Domain, DomainAlias, Mailbox, User

BATCH = 1000  # rows fetched at a time: half a million identities never sit in memory at once


@dataclass(frozen=True)
class Problem:
    """One row breaking a rule."""

    table: str
    row_id: object
    value: str
    reason: str

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


def find_problems() -> list[Problem]:
    """Every problem all checks find."""
    return [problem for fn in CHECKS for problem in fn()]


@click.option("--dry-run", is_flag=True, help="List the problems without changing anything.")
def repair_command(dry_run):
    """List rows that break today's rules (exit status 1 when there are some)."""
    problems = find_problems()
    db.session.rollback()  # read-only: never leave a transaction open
    for problem in problems:
        click.echo(problem.line())
    if not dry_run:
        # No safe automatic fix exists: which name should `..` get, and its mail follow how?
        raise click.ClickException(
            "flask repair only reports for now: nothing was changed. Fix the rows listed by "
            "hand (delete them keeping their mail directory, or rename them in the database "
            "and move their mail yourself), then run `flask repair --dry-run` again."
        )
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        raise click.exceptions.Exit(1)
    click.echo("No problem found.")
