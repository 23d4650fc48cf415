"""DKIM keys of a domain and their rotation state (issue 19)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

# pending: published or not, never signs; active: signs (one per domain); previous: replaced,
# still published for mail in transit; retired: withdrawn, its private key deleted.
DKIM_STATES = ("pending", "active", "previous", "retired")


class DkimKey(Base):
    """One key pair of a domain; `admin_domain`'s dkim_* columns mirror the active one."""

    __tablename__ = "admin_dkimkey"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(
        ForeignKey("admin_domain.id", ondelete="CASCADE"), index=True
    )
    selector: Mapped[str] = mapped_column(String(30))
    key_length: Mapped[int] = mapped_column(Integer)
    # Base64 of the DER SubjectPublicKeyInfo: the TXT record's p= value.
    public_key: Mapped[str] = mapped_column(Text)
    private_key_path: Mapped[str] = mapped_column(String(254), default="")
    state: Mapped[str] = mapped_column(String(10), default="pending")
    # True once a DNS check found the TXT record with this public key.
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    checked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    # A selector is never reused: resolvers may still cache the old record.
    __table_args__ = (UniqueConstraint("domain_id", "selector"),)
