"""Every registered parameter has an effect: some code of the app reads its key.

A parameter nobody reads is a promise the app does not keep (issue 18, point 5): it is
either given its effect or removed (see "Parameters" in docs/DEVELOPING.md).
"""

import re
from pathlib import Path

from modoboa_flask import params
from modoboa_flask.params import Param
from tests.conftest import make_app

SOURCE = Path(__file__).resolve().parent.parent / "modoboa_flask"
PLUGINS = ["modoboa_flask.plugins.limits", "modoboa_flask.plugins.relaydomains"]

# Keys the code builds at run time, so no literal "app.name" exists: pattern -> (file, the
# expression that reads them). The test checks the expression is still in the file.
BUILT_KEYS = {
    r"limits\.deflt_(user|domain)_\w+_limit": (
        "plugins/limits/services.py",
        'params.get(f"limits.deflt_{tpl.level}_{tpl.name}_limit")',
    ),
}


def _sources() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for pattern in ("*.py", "*.html")
        for path in SOURCE.rglob(pattern)
    )


def unread(keys: list[str], sources: str) -> list[str]:
    """The keys no code reads: no `"app.name"` literal, no allow-listed built key."""
    found = []
    for key in keys:
        if f'"{key}"' in sources or f"'{key}'" in sources:
            continue
        if any(re.fullmatch(pattern, key) for pattern in BUILT_KEYS):
            continue
        found.append(key)
    return found


def _registry() -> list[str]:
    app = make_app(PLUGINS=PLUGINS)
    with app.app_context():
        return [param.key for param in params.definitions()]


def test_every_registered_parameter_is_read_somewhere():
    keys = _registry()
    assert "limits.enable_admin_limits" in keys and "relaydomains.master_cf_path" in keys
    assert unread(keys, _sources()) == []


def test_built_keys_are_still_read_the_way_the_allow_list_says():
    for relative, expression in BUILT_KEYS.values():
        assert expression in (SOURCE / relative).read_text(encoding="utf-8"), relative


def test_an_unread_parameter_is_caught():
    ghost = Param("core", "ghost_setting", "bool", True)
    assert unread([ghost.key, "core.items_per_page"], _sources()) == ["core.ghost_setting"]
