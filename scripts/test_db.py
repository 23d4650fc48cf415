#!/usr/bin/env python3
"""Create, drop or ping the throw-away database named in a SQLAlchemy URL (tests only).

Usage: scripts/test_db.py ping|create|drop URL
  URL: postgresql+psycopg://postgres@127.0.0.1:5432/NAME or
       mysql+pymysql://root@127.0.0.1:3306/NAME?charset=utf8mb4
Connects to the server (not to NAME) with psycopg / PyMySQL from the project venv.
Exit 0 on success, 1 with a message on stderr otherwise.
"""

import re
import sys
from urllib.parse import unquote, urlsplit

CONNECT_TIMEOUT = 5  # seconds: an unreachable server must not stall `make test`


def _parse(url: str):
    parts = urlsplit(url)
    backend = parts.scheme.split("+", 1)[0]
    name = parts.path.lstrip("/")
    # The name is interpolated into DDL: allow only what the Makefile generates.
    if not re.fullmatch(r"[A-Za-z0-9_]{1,63}", name):
        raise SystemExit(f"test_db.py: refusing database name {name!r}")
    server = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port,
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
    }
    return backend, name, server


def _pg(server, statements):
    import psycopg

    with psycopg.connect(
        host=server["host"],
        port=server["port"] or 5432,
        user=server["user"] or "postgres",
        password=server["password"] or None,
        dbname="postgres",
        connect_timeout=CONNECT_TIMEOUT,
        autocommit=True,  # CREATE/DROP DATABASE cannot run inside a transaction
    ) as conn:
        for sql in statements:
            conn.execute(sql)


def _mysql(server, statements):
    import pymysql

    conn = pymysql.connect(
        host=server["host"],
        port=server["port"] or 3306,
        user=server["user"] or "root",
        password=server["password"],
        connect_timeout=CONNECT_TIMEOUT,
    )
    try:
        with conn.cursor() as cur:
            for sql in statements:
                cur.execute(sql)
    finally:
        conn.close()


def main(argv: list[str]) -> int:
    """Run the command given on the command line."""
    if len(argv) != 3 or argv[1] not in ("ping", "create", "drop"):
        print(__doc__, file=sys.stderr)
        return 2
    command, url = argv[1], argv[2]
    backend, name, server = _parse(url)
    if backend == "postgresql":
        run = _pg
        # WITH (FORCE) ends sessions a crashed test left open (PostgreSQL 13+).
        ddl = {
            "ping": ["SELECT 1"],
            "create": [
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                f'CREATE DATABASE "{name}"',
            ],
            "drop": [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
        }
    elif backend in ("mysql", "mariadb"):
        run = _mysql
        ddl = {
            "ping": ["SELECT 1"],
            "create": [
                f"DROP DATABASE IF EXISTS `{name}`",
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            ],
            "drop": [f"DROP DATABASE IF EXISTS `{name}`"],
        }
    else:
        print(f"test_db.py: unsupported URL scheme in {url}", file=sys.stderr)
        return 2
    try:
        run(server, ddl[command])
    except Exception as exc:  # any driver error means "not usable": report it plainly
        print(f"test_db.py: {command} {backend} {name}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
