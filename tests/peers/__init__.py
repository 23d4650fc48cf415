"""Real peer daemons (Postfix, Dovecot, slapd, named, Chromium) for tests, one instance each.

Every helper picks free ports on 127.0.0.1, works in its own temp dir (kept when
MODOBOA_PEERS_KEEP=1), redirects daemon stdio to files and stops its daemons by PID.
"""

import importlib.util
import os
import shutil
from collections.abc import Callable, Iterable

import pytest

from ._proc import PeerError, free_port, make_peer_dir

__all__ = ["PeerError", "free_port", "have_module", "is_root", "make_peer_dir", "require"]


def is_root() -> bool:
    """True when running as root (private Postfix and Dovecot masters need it)."""
    return os.geteuid() == 0


def have_module(name: str) -> bool:
    """True when the Python module *name* can be imported."""
    return importlib.util.find_spec(name) is not None


def require(binary_or_check: str | Iterable[str] | Callable[[], bool] | bool, reason: str) -> None:
    """Skip the test unless the peer is available; under CI=true fail instead of skipping.

    *binary_or_check* is a binary name or absolute path, several of them, a callable returning a
    bool, or a bool.
    """
    if callable(binary_or_check):
        ok = bool(binary_or_check())
    elif isinstance(binary_or_check, bool):
        ok = binary_or_check
    elif isinstance(binary_or_check, str):
        ok = shutil.which(binary_or_check) is not None
    else:
        ok = all(shutil.which(name) is not None for name in binary_or_check)
    if ok:
        return
    if os.environ.get("CI") == "true":
        # CI installs every peer (scripts/install-test-deps.sh): a missing one is a broken runner.
        pytest.fail(f"{reason} (CI=true: peer tests must not be skipped)", pytrace=False)
    pytest.skip(reason)
