"""Two tenants' DKIM keys must never share a private key file."""

import os

from modoboa_flask.blueprints.dkim import services
from modoboa_flask.extensions import db
from modoboa_flask.models import Domain
from tests import factories
from tests.dkim.conftest import admin


def test_selector_with_dots_cannot_clobber_another_domains_key(dkim_app):
    with dkim_app.app_context():
        victim = db.session.get(Domain, factories.make_domain("x.example.com"))
        attacker = db.session.get(Domain, factories.make_domain("x.example"))
        db.session.commit()
        good = services.generate_key(admin(), victim, selector="a")
        db.session.commit()
        with open(good.private_key_path) as fh:
            before = fh.read()
        try:
            bad = services.generate_key(admin(), attacker, selector="com.a")
            db.session.commit()
        except Exception:  # a refusal is fine too
            db.session.rollback()
            bad = None
        if bad is not None:
            assert bad.private_key_path != good.private_key_path
        with open(good.private_key_path) as fh:
            assert fh.read() == before
        assert os.path.exists(good.private_key_path)


def test_a_renamed_domains_key_file_is_not_reused_by_the_next_owner_of_the_name(dkim_app):
    """The key file keeps the old name after a rename: whoever creates a domain with that
    name next must not overwrite (nor, on retirement, delete) the renamed domain's key."""
    from modoboa_flask.blueprints.domains import services as domain_services

    with dkim_app.app_context():
        first = db.session.get(Domain, factories.make_domain("old.example"))
        db.session.commit()
        good = services.generate_key(admin(), first, selector="mail")
        db.session.commit()
        domain_services.update_domain(admin(), first, name="new.example")
        db.session.commit()
        with open(good.private_key_path) as fh:
            before = fh.read()
        second = db.session.get(Domain, factories.make_domain("old.example"))
        db.session.commit()
        try:
            bad = services.generate_key(admin(), second, selector="mail")
            db.session.commit()
        except Exception:  # a refusal is fine too
            db.session.rollback()
            bad = None
        if bad is not None:
            assert bad.private_key_path != good.private_key_path
        with open(good.private_key_path) as fh:
            assert fh.read() == before
