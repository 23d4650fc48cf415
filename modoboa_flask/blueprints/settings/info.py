"""What the Information page reports: versions, database, Postfix maps status."""

from __future__ import annotations

import hashlib
import os

from sqlalchemy import text

from ... import __version__, plugins
from ...extensions import db
from ..mailserver.generator import CHECKSUM_FILE, parse_checksums


def versions() -> list[dict]:
    """The core's version and each loaded plugin's registration details."""
    rows = [{"name": "core", "label": "Modoboa (core)", "version": __version__,
             "description": "Mail hosting administration", "url": ""}]  # fmt: skip
    for plugin in plugins.loaded().values():
        rows.append(
            {
                "name": plugin.name,
                "label": plugin.label,
                "version": plugin.version,
                "description": plugin.description,
                "url": plugin.url,
            }
        )
    return rows


def database() -> dict:
    """The database in use: engine, server version and URL without the password."""
    engine = db.engine
    version = ""
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                version = conn.execute(text("select sqlite_version()")).scalar()
            else:
                version = ".".join(str(part) for part in engine.dialect.server_version_info or ())
    except Exception:  # noqa: BLE001 - the page still shows the rest
        version = "unreachable"
    return {
        "dialect": engine.dialect.name,
        "version": version,
        "url": engine.url.render_as_string(hide_password=True),
    }


def _md5(path: str) -> str:
    digest = hashlib.md5()  # noqa: S324 - the generator's checksum format, not security
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()


def postfix_maps_status(directory: str) -> dict:
    """Compare the map files in *directory* with the generator's checksum file.

    Each line of `modoboa-postfix-maps.chk` reads `<file>:<dbtype>:<md5>`. A file is
    "up to date" when its MD5 matches, "modified" when not, "missing" when absent.
    """
    if not directory:
        return {"configured": False}
    result = {"configured": True, "directory": directory, "files": [], "error": ""}
    path = os.path.join(directory, CHECKSUM_FILE)
    try:
        with open(path) as fh:
            recorded = parse_checksums(fh)
    except OSError:
        result["error"] = f"No {CHECKSUM_FILE} in {directory}: maps were never generated there."
        result["up_to_date"] = False
        return result
    for name, (dbtype, checksum) in recorded.items():
        file_path = os.path.join(directory, name)
        if not os.path.isfile(file_path):
            status = "missing"
        elif _md5(file_path) == checksum:
            status = "up to date"
        else:
            status = "modified"
        result["files"].append({"name": name, "dbtype": dbtype, "status": status})
    result["up_to_date"] = bool(result["files"]) and all(
        f["status"] == "up to date" for f in result["files"]
    )
    return result
