"""Declarative base, naming convention and shared column helpers."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import FunctionElement

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Naive UTC now: the mail servers compare with their own now() in UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


class utc_now_sql(FunctionElement):  # noqa: N801 - reads like the SQL function it renders
    """The database's own naive-UTC now, for server defaults (SQL written for Modoboa's schema)."""

    type = DateTime()
    inherit_cache = True


@compiles(utc_now_sql)
def _utc_now_sqlite(element, compiler, **kw):
    return "CURRENT_TIMESTAMP"  # SQLite's CURRENT_TIMESTAMP is UTC


@compiles(utc_now_sql, "postgresql")
def _utc_now_postgresql(element, compiler, **kw):
    return "timezone('utc', now())"  # now() follows the server's time zone


@compiles(utc_now_sql, "mysql")
@compiles(utc_now_sql, "mariadb")
def _utc_now_mysql(element, compiler, **kw):
    return "(UTC_TIMESTAMP())"  # an expression default needs parentheses on MySQL 8


def utc_now_column(**kwargs) -> Mapped[datetime]:
    """A DateTime column defaulting to UTC now in Python and on the server."""
    return mapped_column(DateTime, default=utcnow, server_default=utc_now_sql(), **kwargs)


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    """Creation and last-modification dates (Modoboa keeps these in admin_objectdates)."""

    # Server defaults: these columns are not in Modoboa's schema, whose SQL must keep working.
    creation: Mapped[datetime] = utc_now_column()
    last_modification: Mapped[datetime] = utc_now_column(onupdate=utcnow)
