"""Turn the test database URL (SQLAlchemy syntax) into Postfix and Dovecot connection settings."""

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

_DRIVERS = {"sqlite": "sqlite", "postgresql": "pgsql", "mysql": "mysql", "mariadb": "mysql"}
_DEFAULT_PORTS = {"pgsql": 5432, "mysql": 3306}


@dataclass(frozen=True)
class PeerDatabase:
    """Where the mail servers find the app's database."""

    driver: str  # Postfix/Dovecot driver name: sqlite, pgsql or mysql
    path: str | None = None  # SQLite file (absolute)
    host: str = "127.0.0.1"
    port: int | None = None
    user: str = ""
    password: str = ""
    dbname: str = ""

    def postfix_params(self) -> dict[str, str]:
        """Connection lines for a Postfix SQL map (pass to postfix.map_cf(**params))."""
        if self.driver == "sqlite":
            return {"dbpath": self.path}
        # mysql hosts need the inet: prefix for host:port (plain host means a default port).
        prefix = "inet:" if self.driver == "mysql" else ""
        params = {"hosts": f"{prefix}{self.host}:{self.port}", "user": self.user}
        if self.password:
            params["password"] = self.password
        params["dbname"] = self.dbname
        return params

    def dovecot_connect(self) -> str:
        """The `connect =` value of a Dovecot SQL config (passdb/userdb or dict)."""
        if self.driver == "sqlite":
            return self.path
        parts = [f"host={self.host}", f"port={self.port}", f"dbname={self.dbname}"]
        parts.append(f"user={self.user}")
        if self.password:
            parts.append(f"password={self.password}")
        return " ".join(parts)


def peer_database(url: str) -> PeerDatabase:
    """Parse a SQLAlchemy URL such as postgresql+psycopg://postgres@127.0.0.1:5432/x."""
    parts = urlsplit(url)
    backend = parts.scheme.split("+", 1)[0]
    if backend not in _DRIVERS:
        raise ValueError(f"unsupported database URL for the mail servers: {url}")
    driver = _DRIVERS[backend]
    if driver == "sqlite":
        # sqlite:////abs/path -> path "//abs/path"; sqlite:///rel -> "/rel"; sqlite:// -> memory
        raw = parts.path[1:] if parts.path.startswith("/") else parts.path
        if not raw or raw == ":memory:":
            raise ValueError("an in-memory SQLite database cannot be shared with mail servers")
        return PeerDatabase(driver="sqlite", path=os.path.abspath(unquote(raw)))
    return PeerDatabase(
        driver=driver,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or _DEFAULT_PORTS[driver],
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        dbname=parts.path.lstrip("/"),
    )
