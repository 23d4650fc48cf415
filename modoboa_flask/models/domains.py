"""Domains, domain aliases and who administers them (Postfix reads the first two)."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin


class Domain(TimestampMixin, Base):
    """A hosted (`domain`) or relayed (`relaydomain`) mail domain; names are stored IDNA-encoded."""

    __tablename__ = "admin_domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sql-domains.cf / sql-relaydomains.cf look up by name: the unique index serves them.
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # MB shared by every mailbox of the domain; 0 = unlimited.
    quota: Mapped[int] = mapped_column(Integer, default=0)
    # MB given to new mailboxes that follow the domain default; 0 = unlimited.
    default_mailbox_quota: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    type: Mapped[str] = mapped_column(String(20), default="domain")
    # The reseller or super admin who created the domain.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), nullable=True, index=True
    )

    aliases: Mapped[list[DomainAlias]] = relationship(
        back_populates="target", cascade="all, delete-orphan", order_by="DomainAlias.name"
    )
    # Modoboa 2.x's DKIM columns, kept so an upgraded database keeps its keys; they mirror
    # the domain's *active* key (rotation state lives in admin_dkimkey).
    enable_dkim: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    dkim_key_selector: Mapped[str] = mapped_column(
        String(30), default="modoboa", server_default="modoboa"
    )
    dkim_key_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dkim_public_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    dkim_private_key_path: Mapped[str] = mapped_column(String(254), default="", server_default="")
    owner = relationship("User", foreign_keys=[owner_id])

    def __repr__(self) -> str:
        return f"<Domain {self.name}>"


class DomainAlias(TimestampMixin, Base):
    """Another name for a domain: mail to user@alias goes to user@target."""

    __tablename__ = "admin_domainalias"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    target_id: Mapped[int] = mapped_column(
        ForeignKey("admin_domain.id", ondelete="CASCADE"), index=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    target: Mapped[Domain] = relationship(back_populates="aliases")

    def __repr__(self) -> str:
        return f"<DomainAlias {self.name}>"


class DomainAdmin(Base):
    """Grants an administrator (domain admin or reseller) rights on a domain."""

    __tablename__ = "admin_domain_admins"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(
        ForeignKey("admin_domain.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)

    __table_args__ = (UniqueConstraint("domain_id", "user_id"),)
