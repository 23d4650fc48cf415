"""Where Postfix and Dovecot find the app's database, derived from a SQLAlchemy URL."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ...exceptions import BadRequest

_BACKENDS = {"sqlite": "sqlite", "postgresql": "postgres", "postgres": "postgres"}
_BACKENDS.update({"mysql": "mysql", "mariadb": "mysql"})
DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306}
# Postfix and Dovecot name the drivers differently from SQLAlchemy.
DRIVER_NAMES = {"sqlite": "sqlite", "postgres": "pgsql", "mysql": "mysql"}


@dataclass(frozen=True)
class MailDatabase:
    """Connection settings for the mail servers: SQLite path or server credentials."""

    dbtype: str  # mysql, postgres or sqlite (Modoboa's names, used in the checksum file)
    path: str = ""
    host: str = "127.0.0.1"
    port: int | None = None
    user: str = ""
    password: str = ""
    dbname: str = ""

    @property
    def driver(self) -> str:
        """Postfix/Dovecot driver name: sqlite, pgsql or mysql."""
        return DRIVER_NAMES[self.dbtype]

    def postfix_hosts(self) -> str:
        """The `hosts =` value, with the port whenever it is not the default one."""
        host = self.host
        if self.dbtype == "mysql" and host == "localhost":
            # libmysqlclient reads "localhost" as "the default UNIX socket", ignoring the port.
            host = "127.0.0.1"
        if self.port and self.port != DEFAULT_PORTS[self.dbtype]:
            host = f"{host}:{self.port}"
        return f"inet:{host}" if self.dbtype == "mysql" else host

    def postfix_params(self) -> dict[str, str]:
        """The connection lines of a map file, in Modoboa's order."""
        if self.dbtype == "sqlite":
            return {"dbpath": self.path}
        return {
            "user": self.user,
            "password": self.password,
            "dbname": self.dbname,
            "hosts": self.postfix_hosts(),
        }

    def dovecot_connect(self) -> str:
        """The `connect =` value of dovecot-sql.conf.ext and dovecot-dict-sql.conf.ext."""
        if self.dbtype == "sqlite":
            return self.path
        parts = [f"host={self.host}"]
        if self.port:
            parts.append(f"port={self.port}")
        parts += [f"dbname={self.dbname}", f"user={self.user}"]
        if self.password:
            parts.append(f"password={self.password}")
        return " ".join(parts)


def from_url(url: str) -> MailDatabase:
    """Parse a SQLAlchemy URL (postgresql+psycopg://u:p@h:5433/db, sqlite:////abs/app.db...)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise BadRequest(f"Invalid database URL: {exc}", field="dburl") from None
    backend = parsed.get_backend_name()
    dbtype = _BACKENDS.get(backend)
    if dbtype is None:
        raise BadRequest(f"Unsupported database for the mail servers: {backend}", field="dburl")
    if dbtype == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise BadRequest("An in-memory SQLite database cannot be shared with Postfix.")
        # Postfix reads a relative dbpath as relative to its own directory: always absolute.
        return MailDatabase("sqlite", path=os.path.abspath(parsed.database))
    if any(ch.isspace() for ch in (parsed.password or "")):
        # Dovecot splits connect= on spaces and Postfix trims values: no way to pass one.
        raise BadRequest("The mail servers cannot use a database password containing spaces.")
    return MailDatabase(
        dbtype,
        host=parsed.host or "localhost",
        port=parsed.port,
        user=parsed.username or "",
        password=parsed.password or "",
        dbname=parsed.database or "",
    )
