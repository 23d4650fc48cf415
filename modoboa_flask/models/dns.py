"""DNS health: Modoboa's MX cache and DNSBL results, our per-check results, ownership proofs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class MXRecord(Base):
    """One address of one MX host of a domain, cached until `updated` (Modoboa's expiry time)."""

    __tablename__ = "admin_mxrecord"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(
        ForeignKey("admin_domain.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(254))
    # Django's GenericIPAddressField: up to 39 characters (IPv6).
    address: Mapped[str] = mapped_column(String(39))
    # True when the address is inside one of the `valid_mxs` networks.
    managed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class DNSBLResult(Base):
    """Whether one MX address is listed by one DNSBL provider ("" = not listed)."""

    __tablename__ = "admin_dnsblresult"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(
        ForeignKey("admin_domain.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(254), index=True)
    mx_id: Mapped[int] = mapped_column(
        ForeignKey("admin_mxrecord.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(45), default="", index=True)

    __table_args__ = (UniqueConstraint("domain_id", "provider", "mx_id"),)


class DomainCheck(Base):
    """The latest result of one DNS check (mx, dnsbl, spf, dmarc, ...) of a domain."""

    __tablename__ = "dns_domaincheck"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(
        ForeignKey("admin_domain.id", ondelete="CASCADE"), index=True
    )
    check: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="unknown")
    message: Mapped[str] = mapped_column(Text, default="")
    # The record(s) to publish, ready to copy into a zone file.
    record: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # What the last alert mail reported, so the same state is never mailed twice.
    alerted: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("domain_id", "check"),)


class DomainVerification(Base):
    """A domain waiting for its ownership proof: a TXT record holding `token` (issue 15).

    While the row exists the domain stays disabled (so Postfix ignores it); the proof
    deletes the row and gives the domain the state its creator asked for (`enable`).
    """

    __tablename__ = "dns_domainverification"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(
        ForeignKey("admin_domain.id", ondelete="CASCADE"), unique=True
    )
    token: Mapped[str] = mapped_column(String(64))
    enable: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
