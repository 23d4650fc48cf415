"""Mail traffic statistics: counters per time bucket, the message index, parser cursors."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

# Counter columns, in display order (the chart, the table, the CSV and the API use it).
COUNTERS = ("sent", "received", "bounced", "rejected", "deferred", "size_sent", "size_received")


class TrafficCounter(Base):
    """Mail counted for one domain (or one account) in one time bucket.

    `granularity` is the bucket length in seconds (300, 3600, 86400): the parser adds each
    event to the three buckets, so a chart reads ~300 rows whatever its period.
    """

    __tablename__ = "stats_trafficcounter"

    id: Mapped[int] = mapped_column(primary_key=True)
    granularity: Mapped[int] = mapped_column(Integer)
    start: Mapped[datetime] = mapped_column(DateTime)
    domain_id: Mapped[int] = mapped_column(ForeignKey("admin_domain.id", ondelete="CASCADE"))
    # NULL = the domain's row; else the account's own row inside that domain.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    received: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    bounced: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rejected: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    deferred: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    size_sent: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    size_received: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    __table_args__ = (
        Index(None, "domain_id", "granularity", "start"),
        Index(None, "user_id", "granularity", "start"),
        Index(None, "granularity", "start"),
    )


class MessageLog(Base):
    """One delivery outcome (or SMTP rejection) for one recipient: the support index."""

    __tablename__ = "stats_messagelog"

    id: Mapped[int] = mapped_column(primary_key=True)
    time: Mapped[datetime] = mapped_column(DateTime, index=True)
    queue_id: Mapped[str] = mapped_column(String(32))
    sender: Mapped[str] = mapped_column(String(254), index=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    status: Mapped[str] = mapped_column(String(16))
    relay: Mapped[str] = mapped_column(String(254), default="", server_default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    detail: Mapped[str] = mapped_column(Text, default="")
    # The local domains involved (NULL = not ours): what scopes the index per administrator.
    sender_domain_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_domain.id", ondelete="SET NULL"), index=True
    )
    recipient_domain_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_domain.id", ondelete="SET NULL"), index=True
    )


class LogCursor(Base):
    """Where the parser stopped in one log file, recognised by its first line.

    A rotated file (`mail.log` -> `mail.log.1` -> `mail.log.2.gz`) keeps its first line, so
    its cursor follows it through renames and compression; `inode` tells a truncated or
    replaced file apart.
    """

    __tablename__ = "stats_logcursor"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(1024))
    inode: Mapped[int] = mapped_column(BigInteger, default=0)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    updated: Mapped[datetime] = mapped_column(DateTime)


class PendingMessage(Base):
    """A queued message whose sender and size are known but whose deliveries are not over.

    Kept between runs so a delivery logged after the next cron run still knows its sender.
    """

    __tablename__ = "stats_pendingmessage"

    queue_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sender: Mapped[str] = mapped_column(String(254), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    seen: Mapped[datetime] = mapped_column(DateTime)
    # Recipients already counted as deferred (one count per message and recipient).
    deferred: Mapped[str] = mapped_column(Text, default="")
