"""Uploaded files kept server-side between the preview and the commit.

The preview runs on the uploaded file; the commit runs on the same bytes, read back from
`instance/imports/<token>.csv`, never on anything the browser sends again. A file belongs
to the user who uploaded it, is deleted after the commit, and expires after `TTL` seconds
(expired files are deleted at the next upload and by the nightly `flask cleanup`).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time

from flask import current_app

from .reader import FileProblem

TTL = 3600
CHUNK = 1024 * 1024
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def directory() -> str:
    """`IMPORT_UPLOAD_DIR` (default `instance/imports`), created (mode 0700) when missing."""
    path = current_app.config.get("IMPORT_UPLOAD_DIR") or os.path.join(
        current_app.instance_path, "imports"
    )
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _paths(token: str) -> tuple[str, str]:
    base = os.path.join(directory(), token)
    return base + ".csv", base + ".json"


def max_bytes() -> int:
    """Largest file the web import takes (`IMPORT_MAX_MB`, default 32)."""
    return int(current_app.config.get("IMPORT_MAX_MB", 32)) * 1024 * 1024


def save(stream, user_id: int, kind: str, options: dict) -> str:
    """Copy *stream* to a new private file (refusing past the size cap); return its token."""
    purge_expired()
    token = secrets.token_urlsafe(24)
    data_path, meta_path = _paths(token)
    limit, size = max_bytes(), 0
    fd = os.open(data_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FileProblem(
                        f"The file is larger than {limit // (1024 * 1024)} MB: split it, "
                        "or import it with the `flask import` command."
                    )
                out.write(chunk)
    except BaseException:
        os.unlink(data_path)
        raise
    meta = {"user_id": user_id, "kind": kind, "options": options, "created": time.time()}
    with open(os.open(meta_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        json.dump(meta, out)
    return token


def load(token: str, user_id: int, kind: str) -> tuple[str, dict] | None:
    """(path, metadata) of *user_id*'s upload *token* for *kind*, if it is still there."""
    if not token or not _TOKEN.match(token):
        return None
    data_path, meta_path = _paths(token)
    try:
        with open(meta_path) as fh:
            meta = json.load(fh)
    except (OSError, ValueError):
        return None
    expired = time.time() - meta.get("created", 0) > TTL
    if meta.get("user_id") != user_id or meta.get("kind") != kind or expired:
        return None
    if not os.path.exists(data_path):
        return None
    return data_path, meta


def discard(token: str) -> None:
    """Delete an upload and its metadata."""
    if token and _TOKEN.match(token):
        for path in _paths(token):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass


def purge_expired(dry_run: bool = False) -> int:
    """Delete uploads older than TTL (at each upload and by `flask cleanup`); return how many
    files went (*dry_run*: would go)."""
    removed, now = 0, time.time()
    folder = directory()
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if now - os.path.getmtime(path) > TTL:
                if not dry_run:
                    os.unlink(path)
                removed += 1
        except OSError:
            continue
    return removed
