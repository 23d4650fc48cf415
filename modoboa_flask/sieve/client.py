"""ManageSieve access to one account's scripts, through sievelib, as Dovecot's master user.

The web app never knows a user's clear password, so every connection authenticates as the
master user (SIEVE_MASTER_USER / SIEVE_MASTER_PASSWORD) with the account's address as the
SASL authorisation id: Dovecot then opens exactly that account's scripts, as if the user had
logged in. Who may act on which account is decided before a connection is opened
(filters/services.py); Dovecot compiles every uploaded script and is the judge of syntax.
"""

from __future__ import annotations

import contextlib
import socket
import warnings

from flask import current_app
from sievelib.managesieve import Client, Error

from ..exceptions import BadRequest, ServiceError

SCRIPT_NAME = "modoboa"


class Unavailable(ServiceError):
    """The ManageSieve server is not configured or does not answer."""

    status = 503


class SieveSession:
    """An authenticated ManageSieve session for one account."""

    def __init__(self, client: Client):
        self._client = client

    def active_script(self) -> tuple[str | None, list[str]]:
        """The active script's name (None = none) and the other scripts' names."""
        active, others = self._client.listscripts()
        return active, others

    def get(self, name: str = SCRIPT_NAME) -> str | None:
        """The script's text, or None when it does not exist."""
        active, others = self.active_script()
        if name != active and name not in others:
            return None
        return self._client.getscript(name)

    def put(self, text: str, name: str = SCRIPT_NAME) -> None:
        """Upload and activate *text*; BadRequest carries the server's error message."""
        if not self._client.putscript(name, text):
            raise BadRequest(self._error("The server refused the script"), field="script")
        if not self._client.setactive(name):
            raise BadRequest(self._error("The server did not activate the script"))

    def _error(self, prefix: str) -> str:
        detail = (self._client.errmsg or b"").decode("utf-8", "replace").strip()
        return f"{prefix}: {detail}" if detail else f"{prefix}."


def _settings() -> dict:
    config = current_app.config
    return {
        "host": config.get("SIEVE_HOST", "127.0.0.1"),
        "port": int(config.get("SIEVE_PORT", 4190)),
        "starttls": bool(config.get("SIEVE_STARTTLS", False)),
        # str(): from_prefixed_env parses values as JSON, so "123456" would be a number.
        "user": str(config.get("SIEVE_MASTER_USER") or ""),
        "password": str(config.get("SIEVE_MASTER_PASSWORD") or ""),
    }


@contextlib.contextmanager
def session_for(address: str):
    """Yield a SieveSession on *address*'s scripts (Unavailable when it cannot connect)."""
    cfg = _settings()
    if not (cfg["user"] and cfg["password"]):
        raise Unavailable(
            "Filters are not configured: set MODOBOA_SIEVE_MASTER_USER and "
            "MODOBOA_SIEVE_MASTER_PASSWORD (see README, Dovecot)."
        )
    client = Client(cfg["host"], cfg["port"])
    try:
        with warnings.catch_warnings():
            # Plain text on a local connection is the documented default; say so in README.
            warnings.simplefilter("ignore")
            ok = client.connect(
                cfg["user"], cfg["password"], authz_id=address,
                starttls=cfg["starttls"], authmech="PLAIN",
            )  # fmt: skip
    except (Error, OSError, socket.timeout) as exc:
        raise Unavailable(f"The filter server does not answer ({exc}).") from None
    if not ok:
        raise Unavailable("The filter server refused Modoboa's login (check the master user).")
    try:
        yield SieveSession(client)
    except (Error, OSError, socket.timeout) as exc:
        raise Unavailable(f"The filter server failed ({exc}).") from None
    finally:
        with contextlib.suppress(Exception):
            client.logout()
