"""Every model, re-exported so Alembic's autogenerate sees the whole schema."""

from .base import Base, utcnow
from .core import (
    DOMAINADMINS,
    RESELLERS,
    SIMPLEUSERS,
    SUPERADMINS,
    ApiToken,
    Log,
    LoginFailure,
    Parameter,
    Role,
    RolePermission,
    User,
    UserParameter,
    UserSession,
)
from .dkim import DKIM_STATES, DkimKey
from .dns import DNSBLResult, DomainCheck, DomainVerification, MXRecord
from .domains import Domain, DomainAdmin, DomainAlias
from .identities import Alias, AliasRecipient, Mailbox, MailboxOperation, Quota, SenderAddress
from .limits import DomainObjectLimit, UserObjectLimit
from .relaydomains import RelayDomain, Service
from .stats import LogCursor, MessageLog, PendingMessage, TrafficCounter

__all__ = [
    "Alias",
    "AliasRecipient",
    "ApiToken",
    "Base",
    "DKIM_STATES",
    "DNSBLResult",
    "DkimKey",
    "DOMAINADMINS",
    "Domain",
    "DomainAdmin",
    "DomainAlias",
    "DomainCheck",
    "DomainVerification",
    "DomainObjectLimit",
    "Log",
    "LogCursor",
    "LoginFailure",
    "MXRecord",
    "Mailbox",
    "MailboxOperation",
    "MessageLog",
    "Parameter",
    "PendingMessage",
    "Quota",
    "RESELLERS",
    "RelayDomain",
    "Role",
    "RolePermission",
    "SIMPLEUSERS",
    "SUPERADMINS",
    "SenderAddress",
    "Service",
    "TrafficCounter",
    "User",
    "UserObjectLimit",
    "UserParameter",
    "UserSession",
    "utcnow",
]
