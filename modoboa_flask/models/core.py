"""Users, roles, sessions, parameters, audit log and API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utc_now_column, utcnow

SUPERADMINS = "SuperAdmins"
RESELLERS = "Resellers"
DOMAINADMINS = "DomainAdmins"
SIMPLEUSERS = "SimpleUsers"


class Role(Base):
    """A role (Modoboa's group); `level` orders them: a higher level outranks a lower one."""

    __tablename__ = "core_role"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    label: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer, default=0)
    permissions: Mapped[list[RolePermission]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class RolePermission(Base):
    """A permission code (e.g. `domains.add`) granted to a role."""

    __tablename__ = "core_rolepermission"

    id: Mapped[int] = mapped_column(primary_key=True)
    role_name: Mapped[str] = mapped_column(
        ForeignKey("core_role.name", ondelete="CASCADE"), index=True
    )
    codename: Mapped[str] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("role_name", "codename"),)


class User(UserMixin, Base):
    """An account: administrators and mailbox users alike (Dovecot reads this table)."""

    __tablename__ = "core_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(30), default="")
    last_name: Mapped[str] = mapped_column(String(30), default="")
    # Dovecot's password_query/user_query filter on (email, is_active).
    email: Mapped[str] = mapped_column(String(254), default="", index=True)
    password: Mapped[str] = mapped_column(String(256), default="")
    # Server default: SQL written for Modoboa's schema (no role column) creates simple users.
    role: Mapped[str] = mapped_column(
        String(32), default=SIMPLEUSERS, server_default=SIMPLEUSERS, index=True
    )
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    is_local: Mapped[bool] = mapped_column(Boolean, default=True)
    master_user: Mapped[bool] = mapped_column(Boolean, default=False)
    date_joined: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_modification: Mapped[datetime] = utc_now_column(onupdate=utcnow)
    language: Mapped[str] = mapped_column(String(10), default="en")
    phone_number: Mapped[str | None] = mapped_column(String(128), nullable=True)
    secondary_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # Who created (owns) this account: resellers see what they and their admins own.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), nullable=True, index=True
    )

    mailbox = relationship("Mailbox", back_populates="user", uselist=False)
    owner: Mapped[User | None] = relationship(remote_side=[id])

    __table_args__ = (Index("ix_core_user_email_is_active", "email", "is_active"),)

    # Flask-Login: the id we put in the cookie is the server-side session key, set at login.
    session_key = None

    def get_id(self) -> str | None:
        """Return the server-side session key Flask-Login stores in the cookie."""
        return self.session_key

    @property
    def fullname(self) -> str:
        """First and last name, or the username when both are empty."""
        name = f"{self.first_name or ''} {self.last_name or ''}".strip()
        return name or self.username

    @property
    def is_admin(self) -> bool:
        """True for super admins, resellers and domain admins."""
        return self.role in (SUPERADMINS, RESELLERS, DOMAINADMINS)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserSession(Base):
    """A server-side login session: deleting the row logs that browser out."""

    __tablename__ = "core_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")


class LoginFailure(Base):
    """One failed authentication, kept for throttling (see `modoboa_flask.throttle`)."""

    __tablename__ = "core_loginfailure"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "web" (login form) or "api" (token): one channel's failures never block the other.
    channel: Mapped[str] = mapped_column(String(10), default="web", server_default="web")
    username: Mapped[str] = mapped_column(String(254), index=True)
    ip_address: Mapped[str] = mapped_column(String(45), index=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class Parameter(Base):
    """A global (admin-level) parameter value, `app` + `name`, stored as text."""

    __tablename__ = "core_parameter"

    id: Mapped[int] = mapped_column(primary_key=True)
    app: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("app", "name"),)


class UserParameter(Base):
    """A per-user parameter (preference) value."""

    __tablename__ = "core_userparameter"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    app: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("user_id", "app", "name"),)


class Log(Base):
    """An audit-log entry: who did what to which object, from where, and what changed."""

    __tablename__ = "core_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    date_created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    message: Mapped[str] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(15), default="INFO", index=True)
    logger: Mapped[str] = mapped_column(String(30), default="modoboa.admin", index=True)
    # Columns Modoboa's core_log lacks: server defaults keep its INSERTs working.
    username: Mapped[str] = mapped_column(String(254), default="", server_default="", index=True)
    ip_address: Mapped[str] = mapped_column(String(45), default="", server_default="")
    channel: Mapped[str] = mapped_column(String(10), default="ui", server_default="")
    action: Mapped[str] = mapped_column(String(20), default="", server_default="")
    object_type: Mapped[str] = mapped_column(String(30), default="", server_default="", index=True)
    object_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    object_repr: Mapped[str] = mapped_column(String(254), default="", server_default="")
    changes: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class ApiToken(Base):
    """An API token; only a SHA-256 of the key is stored."""

    __tablename__ = "core_apitoken"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12), default="")
    name: Mapped[str] = mapped_column(String(100), default="")
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    user: Mapped[User] = relationship()
