"""Identities services (the contract in docs/DEVELOPING.md), shared by UI, CLI and API.

Every function takes the acting user first, raises `modoboa_flask.exceptions` errors and
never commits. The code lives in modules split along seams; this module is the entry point.
"""

from .accounts_services import (
    allowed_roles,
    change_password,
    check_account_scope,
    check_username_domain,
    create_account,
    delete_account,
    password_change_allowed,
    update_account,
)
from .alias_services import check_alias_scope, create_alias, delete_aliases, update_alias
from .forward_services import LOCAL_FORWARD, get_forward, set_forward
from .grants import administered_domain_names
from .mailboxes import mailbox_alias_addresses
from .self_service import PROFILE_FIELDS, update_profile

__all__ = [
    "LOCAL_FORWARD",
    "PROFILE_FIELDS",
    "administered_domain_names",
    "allowed_roles",
    "change_password",
    "check_account_scope",
    "check_alias_scope",
    "check_username_domain",
    "create_account",
    "create_alias",
    "delete_account",
    "delete_aliases",
    "get_forward",
    "mailbox_alias_addresses",
    "password_change_allowed",
    "set_forward",
    "update_account",
    "update_alias",
    "update_profile",
]
