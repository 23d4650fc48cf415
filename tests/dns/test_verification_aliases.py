"""A domain alias is a domain Postfix accepts mail for (virtual_alias_domains): with
`require_domain_verification` on, a reseller must not capture gmail.com through an alias of a
verified domain of theirs (issue 15 bypass)."""

import pytest

from modoboa_flask.blueprints.domains import alias_services
from modoboa_flask.exceptions import BadRequest
from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, DomainAlias, User

from .conftest import set_param
from .test_verification import create


def _internal(name):
    return db.session.scalar(db.select(Alias).where(Alias.address == f"@{name}"))


def test_a_resellers_new_domain_alias_stays_disabled(app):
    with app.app_context():
        reseller, domain = create("Resellers", "mine.org")  # before: no proof needed
        set_param("admin.require_domain_verification", "yes")
        alias = alias_services.create_domain_alias(reseller, domain, "gmail.com")
        db.session.commit()
        assert alias.enabled is False and _internal("gmail.com").enabled is False


def test_with_the_domain_creation_too(app):
    with app.app_context():
        set_param("admin.require_domain_verification", "yes")
        _reseller, _domain = create("Resellers", "mine.org", aliases=["gmail.com"])
        alias = db.session.scalar(db.select(DomainAlias).where(DomainAlias.name == "gmail.com"))
        assert alias is not None and alias.enabled is False
        assert _internal("gmail.com").enabled is False


def test_a_rename_disables_it_and_only_a_super_admin_enables_it(app):
    with app.app_context():
        reseller, domain = create("Resellers", "mine.org")
        alias = alias_services.create_domain_alias(reseller, domain, "alias.org", enabled=True)
        db.session.commit()
        set_param("admin.require_domain_verification", "yes")
        alias_services.update_domain_alias(reseller, alias, name="gmail.com", enabled=True)
        db.session.commit()
        assert alias.enabled is False and _internal("gmail.com").enabled is False
        with pytest.raises(BadRequest) as refused:
            alias_services.update_domain_alias(reseller, alias, enabled=True)
        assert refused.value.field == "enabled"
        db.session.rollback()
        admin = db.session.scalar(db.select(User).where(User.username == "admin"))
        alias_services.update_domain_alias(admin, alias, enabled=True)
        db.session.commit()
        assert alias.enabled and _internal("gmail.com").enabled
