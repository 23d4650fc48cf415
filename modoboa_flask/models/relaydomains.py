"""Relay domains and the Postfix services (master.cf transports) they use."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin


class Service(Base):
    """A Postfix master.cf transport name (`relay`, `smtp`, ...)."""

    __tablename__ = "postfix_relay_domains_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class RelayDomain(TimestampMixin, Base):
    """Relay settings of an `admin_domain` row of type `relaydomain`."""

    __tablename__ = "postfix_relay_domains_relaydomain"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_domain.id", ondelete="CASCADE"), unique=True, nullable=True
    )
    target_host: Mapped[str] = mapped_column(String(255))
    target_port: Mapped[int] = mapped_column(
        Integer, default=25, server_default="25"
    )  # 1.6.2 lacks it
    service_id: Mapped[int] = mapped_column(
        ForeignKey("postfix_relay_domains_service.id"), index=True
    )
    verify_recipients: Mapped[bool] = mapped_column(Boolean, default=False)

    domain = relationship("Domain")
    service: Mapped[Service] = relationship()
