"""`accounts/` endpoints (a thin layer over the identities services)."""

from __future__ import annotations

from flask import g, request
from sqlalchemy import or_, select

from ... import throttle
from ...extensions import db
from ...models import Domain, Mailbox, User
from ...passwords import password_problems
from ...permissions import administered_domain_ids
from ..identities import services as identity_services
from . import bp
from .accounts import (
    ACCOUNT,
    FIELDS,
    PASSWORD,
    check_master,
    mailbox_args,
    serialize,
    serialize_many,
    visible,
)
from .common import call, done, load, normalize_domain
from .errors import APIError, json_response, throttled
from .fields import Boolean, Schema, ValidationError
from .paging import list_response
from .registry import json_body, operation

TAG = "accounts"
PROFILE = ("first_name", "last_name", "is_active", "language", "phone_number", "secondary_email")
DOMAIN_QUERY = [("domain", {"type": "string"}, False, "Keep accounts whose mailbox is there.")]
EMAIL_QUERY = [("email", {"type": "string", "minLength": 1}, True, "Address to look for.")]
EXISTS = Schema("Exists", {"exists": Boolean(required=True)})


@operation(bp, "GET", "/accounts/", tag=TAG, summary="List accounts", response=ACCOUNT,
           many=True, paged=True, query=DOMAIN_QUERY, errors=(400,))  # fmt: skip
def accounts_list():
    """Accounts visible to the caller, by username."""
    stmt = visible()
    if "domain" in request.args:
        in_domain = (
            select(Mailbox.user_id)
            .join(Domain, Domain.id == Mailbox.domain_id)
            .where(Domain.name == normalize_domain(request.args["domain"]))
        )
        stmt = stmt.where(User.id.in_(in_domain))
    return list_response(
        stmt,
        order_by=(User.username,),
        search=(User.username, User.first_name, User.last_name, User.email),
        serialize=serialize_many,
    )


@operation(bp, "POST", "/accounts/", tag=TAG, summary="Create an account",
           permission="accounts.add", body=ACCOUNT, response=ACCOUNT, status=201,
           errors=(400, 404, 409, 413, 415))  # fmt: skip
def accounts_create():
    """Create an account; simple users get a mailbox named after their username."""
    data = ACCOUNT.load(json_body())
    check_master(data)
    args = {key: data[key] for key in PROFILE + ("master_user", "domains") if key in data}
    account = call(
        identity_services.create_account,
        g.actor,
        username=data["username"],
        role=data["role"],
        password=data["password"],
        **mailbox_args(data, creating=True),
        **args,
        fields=FIELDS,
        unique=("username",),
        limit_key="domain",
    )
    return done(serialize(account), 201)


@operation(bp, "GET", "/accounts/exists/", tag=TAG, summary="Does an account use this address?",
           permission="accounts.view", query=EMAIL_QUERY, response=EXISTS,
           errors=(400,))  # fmt: skip
def accounts_exists():
    """{"exists": bool} for an address of a domain the caller administers.

    Administrators only. An address of another tenant's domain answers false whoever holds
    it; creating an account there is refused whether it is taken or not, so the two
    answers together reveal nothing.
    """
    email = request.args.get("email", "").strip()
    if not email:
        raise APIError(400, {"detail": "email not provided"})
    stmt = select(User.id).where(or_(User.email == email, User.email == email.lower()))
    if not g.actor.is_superuser:
        stmt = stmt.join(Mailbox, Mailbox.user_id == User.id).where(
            Mailbox.domain_id.in_(administered_domain_ids(g.actor))
        )
    found = db.session.scalar(stmt.limit(1))
    return json_response({"exists": found is not None})


@operation(bp, "GET", "/accounts/<pk>/", tag=TAG, summary="Get an account", response=ACCOUNT,
           errors=(404,))  # fmt: skip
def accounts_detail(pk):
    """One account."""
    return done(serialize(load(User, pk, visible())))


@operation(bp, "PUT", "/accounts/<pk>/", tag=TAG, summary="Update an account",
           permission="accounts.change", body=ACCOUNT, update=True, response=ACCOUNT,
           errors=(400, 404, 409, 413, 415),
           description="Fields left out stay unchanged; `password` resets the password; "
           "`domains` replaces the administered domains.")  # fmt: skip
def accounts_update(pk):
    """Change an account and its mailbox."""
    account = load(User, pk, visible())
    data = ACCOUNT.load(json_body(), update=True)
    check_master(data)
    changes = {
        key: data[key]
        for key in PROFILE + ("username", "role", "master_user", "domains", "password")
        if key in data
    }
    changes.update(mailbox_args(data, creating=False))
    call(identity_services.update_account, g.actor, account, fields=FIELDS, unique=("username",),
         limit_key="domain", **changes)  # fmt: skip
    return done(serialize(account))


@operation(bp, "DELETE", "/accounts/<pk>/", tag=TAG, summary="Delete an account",
           permission="accounts.delete", status=204, errors=(404,))  # fmt: skip
def accounts_delete(pk):
    """Delete an account with its mailbox."""
    account = load(User, pk, visible())
    if account.id == g.actor.id:
        raise APIError(403, {"detail": "Permission denied: You can't delete your own account"})
    call(identity_services.delete_account, g.actor, account, keep_mb_dir=True)
    return done(None, 204)


def _password_errors(exc: APIError, new_password: str) -> Exception:
    """DRF's answer: "Password not correct" and, all fields being validated at once, every
    problem of the new password in the same answer."""
    if not {"old_password", "new_password"} & set(exc.body):
        return exc
    errors = {}
    if "old_password" in exc.body:
        errors["password"] = ["Password not correct"]
    problems = password_problems(new_password)
    if problems:
        errors["new_password"] = problems
    return ValidationError(errors)


@operation(bp, "PUT", "/accounts/<pk>/password/", tag=TAG, summary="Change a password",
           permission="accounts.change", body=PASSWORD, update=True, status=200,
           errors=(400, 404, 413, 415))  # fmt: skip
def accounts_password(pk):
    """Change a password knowing the current one (checks count in the API throttle)."""
    account = load(User, pk, visible())
    data = PASSWORD.load(json_body(), update=True)
    try:
        call(identity_services.change_password, g.actor, account, data["new_password"],
             old_password=data["password"], channel=throttle.API,
             fields={"password": "new_password"})  # fmt: skip
    except throttle.Throttled as exc:
        raise throttled(exc.retry_after) from None
    except APIError as exc:
        raise _password_errors(exc, data["new_password"]) from None
    return done(None, 200)
