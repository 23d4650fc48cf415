"""Mailboxes, aliases, recipients, sender addresses, quotas and mailbox operations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, utc_now_column


class Mailbox(TimestampMixin, Base):
    """A mailbox: `address` is the local part; the domain gives the rest."""

    __tablename__ = "admin_mailbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(252))
    quota: Mapped[int] = mapped_column(Integer, default=0)  # MB, 0 = unlimited
    use_domain_quota: Mapped[bool] = mapped_column(Boolean, default=False)
    domain_id: Mapped[int] = mapped_column(ForeignKey("admin_domain.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), unique=True
    )

    domain = relationship("Domain")
    user = relationship("User", back_populates="mailbox")
    sender_addresses: Mapped[list[SenderAddress]] = relationship(
        back_populates="mailbox", cascade="all, delete-orphan", order_by="SenderAddress.address"
    )

    # sql-maintain.cf and sql-spliteddomains-transport.cf look up (domain, local part).
    __table_args__ = (UniqueConstraint("domain_id", "address"),)

    @property
    def full_address(self) -> str:
        """The mailbox's e-mail address."""
        return f"{self.address}@{self.domain.name}"

    def __repr__(self) -> str:
        return f"<Mailbox {self.address}>"


class Quota(Base):
    """Current usage of a mailbox, written by Dovecot's quota dict."""

    __tablename__ = "admin_quota"

    username: Mapped[str] = mapped_column(String(254), primary_key=True)
    # Server-side defaults: Dovecot inserts rows with only the column it updates.
    bytes: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    messages: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class MailboxOperation(Base):
    """A pending rename or delete of a mailbox directory (and a 450 in sql-maintain.cf)."""

    __tablename__ = "admin_mailboxoperation"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_mailbox.id", ondelete="SET NULL"), nullable=True, index=True
    )
    type: Mapped[str] = mapped_column(String(20))  # "rename" | "delete"
    argument: Mapped[str] = mapped_column(Text)  # old home (rename) or path to remove (delete)
    # Server defaults: Modoboa's SQL inserts (mailbox_id, type, argument) only.
    created: Mapped[datetime] = utc_now_column()
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")

    mailbox = relationship("Mailbox")


class SenderAddress(Base):
    """An extra address a mailbox may send as (sql-sender-login-mailboxes-extra.cf)."""

    __tablename__ = "admin_senderaddress"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(254))
    mailbox_id: Mapped[int] = mapped_column(
        ForeignKey("admin_mailbox.id", ondelete="CASCADE"), index=True
    )

    mailbox: Mapped[Mailbox] = relationship(back_populates="sender_addresses")

    __table_args__ = (UniqueConstraint("address", "mailbox_id"),)


class Alias(TimestampMixin, Base):
    """An alias, forward, distribution list or catch-all (`@domain`).

    `internal` rows are the system's own: a mailbox's self-alias and a domain alias's
    `@alias -> @domain` mapping. One internal and one public alias may share an address.
    """

    __tablename__ = "admin_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(254))
    domain_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_domain.id", ondelete="CASCADE"), nullable=True, index=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    expire_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    domain = relationship("Domain")
    recipients: Mapped[list[AliasRecipient]] = relationship(
        back_populates="alias",
        cascade="all, delete-orphan",
        foreign_keys="AliasRecipient.alias_id",
        order_by="AliasRecipient.address",
    )

    # sql-aliases.cf looks up by address: the unique index leads with it. The identities
    # list reads public aliases in address order and counts them: (internal, address).
    __table_args__ = (
        UniqueConstraint("address", "internal"),
        Index("ix_admin_alias_internal_address", "internal", "address"),
    )

    def __repr__(self) -> str:
        return f"<Alias {self.address}>"


class AliasRecipient(Base):
    """One recipient of an alias: a local mailbox, a local alias, or an external address."""

    __tablename__ = "modoboa_admin_aliasrecipient"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(254))
    alias_id: Mapped[int] = mapped_column(ForeignKey("admin_alias.id", ondelete="CASCADE"))
    r_mailbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_mailbox.id", ondelete="CASCADE"), nullable=True, index=True
    )
    r_alias_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_alias.id", ondelete="CASCADE"), nullable=True, index=True
    )

    alias: Mapped[Alias] = relationship(back_populates="recipients", foreign_keys=[alias_id])
    r_mailbox = relationship("Mailbox", foreign_keys=[r_mailbox_id])
    r_alias = relationship("Alias", foreign_keys=[r_alias_id])

    __table_args__ = (
        UniqueConstraint("alias_id", "address"),
        UniqueConstraint("alias_id", "r_mailbox_id"),
        UniqueConstraint("alias_id", "r_alias_id"),
    )
