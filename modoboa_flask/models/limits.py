"""Per-administrator and per-domain object limits (-1 = unlimited, 0 = none)."""

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class UserObjectLimit(Base):
    """How many objects of a kind an administrator may own."""

    __tablename__ = "limits_userobjectlimit"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(254))
    max_value: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("user_id", "name"),)


class DomainObjectLimit(Base):
    """How many objects of a kind a domain may hold."""

    __tablename__ = "limits_domainobjectlimit"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("admin_domain.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(254))
    max_value: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("domain_id", "name"),)
