"""The domain quota pool: the one rule the pages, the CLI, the API and the import apply.

A domain's quota (MB, 0 = unlimited) is a pool its mailboxes' quotas are taken from.
*Allocated* is the sum of the stored quotas of the domain's mailboxes; mailboxes that follow
the domain (use_domain_quota) store the domain's default mailbox quota, so they count with it.

- Refused, for every role: a negative quota; a new or raised mailbox quota that would make
  allocated exceed the pool; a domain change that is not a raise (a lower quota, a limit on an
  unlimited domain, a new default that moves the followers) leaving allocated above the pool.
- A mailbox quota of 0 (unlimited) in a limited domain is refused unless the editor may change
  domains (Modoboa's override, kept: a postmaster box may be unlimited); it counts as 0.
- Never refused: lowering a mailbox quota, and raising a limited domain's quota (its followers
  move with a raised default). Refusing a raise never makes an over-allocated domain fit
  better, so it only warns: :func:`over_allocated` is shown after the change.
"""

from __future__ import annotations

from sqlalchemy import case, func, select

from .addresses import display_domain
from .exceptions import BadRequest
from .extensions import db
from .models import Domain, Mailbox
from .permissions import has_perm


def allocated(domain: Domain, default: int | None = None, exclude: Mailbox | None = None) -> int:
    """MB promised to *domain*'s mailboxes; followers count at *default* when one is given."""
    scope = [Mailbox.domain_id == domain.id]
    if exclude is not None and exclude.id is not None:
        scope.append(Mailbox.id != exclude.id)
    size = Mailbox.quota
    if default is not None:
        size = case((Mailbox.use_domain_quota.is_(True), default), else_=Mailbox.quota)
    total = db.session.scalar(select(func.coalesce(func.sum(size), 0)).where(*scope))
    return int(total)  # MySQL sums to a Decimal


def check_pool(
    domain: Domain,
    *,
    mailbox: Mailbox | None = None,
    value: int | None = None,
    actor=None,
    quota: int | None = None,
    default: int | None = None,
) -> None:
    """Refuse (BadRequest) a change to *domain*'s pool that breaks the rule above.

    A mailbox change gives *value* (the new MB of *mailbox*, None = a new mailbox) and the
    *actor*; a domain change gives the new *quota* and, when it changes, the new *default*.
    """
    if value is not None:
        _check_mailbox(actor, domain, mailbox, value)
    else:
        _check_domain(domain, domain.quota if quota is None else quota, default)


def _check_mailbox(actor, domain: Domain, mailbox: Mailbox | None, value: int) -> None:
    if value < 0:
        raise BadRequest("Must be a positive integer", field="quota")
    if not domain.quota or (value == 0 and actor is not None and has_perm(actor, "domains.change")):
        return
    if value == 0:
        raise BadRequest(
            f"A quota is required: the domain's quota is limited to {domain.quota}M", field="quota"
        )
    old = mailbox.quota if mailbox is not None and mailbox.id is not None else 0
    if value <= old:
        return  # lowering (or keeping) frees space: allowed even in an over-allocated domain
    if value > domain.quota:
        raise BadRequest(
            f"Quota is greater than the allowed domain's limit ({domain.quota}M)", field="quota"
        )
    left = domain.quota - allocated(domain, exclude=mailbox)
    if value > left:
        raise BadRequest(
            f"Quota is greater than what is left of the domain pool ({max(left, 0)}M of "
            f"{domain.quota}M)",
            field="quota",
        )


def over_allocated(domain: Domain) -> str | None:
    """The warning for a limited *domain* whose mailboxes hold more than its pool, else None."""
    total = allocated(domain) if domain.quota else 0
    if total <= domain.quota:
        return None
    return (
        f"The mailboxes of {display_domain(domain.name)} hold {total} MB of quota, more than "
        f"the domain quota ({domain.quota} MB): lower some mailbox quotas to fit the pool."
    )


def _check_domain(domain: Domain, quota: int, default: int | None) -> None:
    if not quota or (domain.quota and quota > domain.quota):
        return  # unlimited, or a raise: never refused (over_allocated warns)
    total = allocated(domain, default=default)
    if total <= quota:
        return
    message = (
        f"The domain quota ({quota} MB) is lower than the quotas of its mailboxes "
        f"({total} MB in total)."
    )
    # Followers move to a new default: only the others can be "the" mailbox too big.
    scope = [Mailbox.domain_id == domain.id]
    if default is not None:
        scope.append(Mailbox.use_domain_quota.is_(False))
    biggest = db.session.execute(
        select(Mailbox.address, Mailbox.quota)
        .where(*scope)
        .order_by(Mailbox.quota.desc(), Mailbox.address)
        .limit(1)
    ).first()
    if biggest is not None and biggest.quota > quota:
        message = (
            f"The domain quota ({quota} MB) is lower than the quota of mailbox "
            f"{biggest.address}@{display_domain(domain.name)} ({biggest.quota} MB)."
        )
    raise BadRequest(message, field="quota")
