"""DKIM tests: an app writing keys to a temporary directory, and a BIND serving their records."""

import contextlib
import os

import pytest
from sqlalchemy import select

from modoboa_flask.blueprints.dkim import keys as dkim_keys
from modoboa_flask.blueprints.dkim import services
from modoboa_flask.extensions import db
from modoboa_flask.models import DkimKey, Domain, User
from tests.api.conftest import admin_id, world  # noqa: F401 - the API world, for test_api
from tests.conftest import fresh_app
from tests.peers import dns as dns_peer
from tests.peers import require


@pytest.fixture
def keys_dir(tmp_path):
    """Where the app writes private keys (created by the app on first use)."""
    return str(tmp_path / "dkim-keys")


@pytest.fixture
def dkim_app(keys_dir):
    """An app whose DKIM_KEYS_DIR is a temporary directory."""
    app = fresh_app(DKIM_KEYS_DIR=keys_dir)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def dkim_client(dkim_app):
    """A client of dkim_app."""
    return dkim_app.test_client()


def admin() -> User:
    """The initial super administrator."""
    return db.session.scalar(select(User).where(User.username == "admin"))


def domain_named(name) -> Domain:
    """The domain called *name*."""
    return db.session.scalar(select(Domain).where(Domain.name == name))


def key_rows(domain_id) -> list[DkimKey]:
    """Every key of a domain, oldest first."""
    return list(
        db.session.scalars(
            select(DkimKey).where(DkimKey.domain_id == domain_id).order_by(DkimKey.id)
        )
    )


def make_key(domain_name, **kwargs) -> DkimKey:
    """Generate a key for *domain_name* as the super admin and commit."""
    key = services.generate_key(admin(), domain_named(domain_name), **kwargs)
    db.session.commit()
    return key


def zone_lines(*key_list) -> list[str]:
    """BIND record lines publishing *key_list* (relative to their domain's zone)."""
    return [
        dns_peer.txt(f"{k.selector}._domainkey", dkim_keys.txt_value(k.public_key))
        for k in key_list
    ]


@contextlib.contextmanager
def serving(app, zones):
    """Run a BIND serving *zones* and point *app*'s resolver at it."""
    require(dns_peer.available, "BIND's named is needed (apt-get install bind9)")
    with dns_peer.DnsServer(zones) as server:
        previous = app.config.get("DNS_RESOLVERS")
        app.config["DNS_RESOLVERS"] = f"127.0.0.1:{server.port}"
        try:
            yield server
        finally:
            app.config["DNS_RESOLVERS"] = previous


def mode(path) -> int:
    """The permission bits of *path*."""
    return os.stat(path).st_mode & 0o777
