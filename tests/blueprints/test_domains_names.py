"""Domain names: lower-case IDNA A-labels, clear refusals, one owner per name."""

import pytest

from modoboa_flask import signals
from modoboa_flask.blueprints.domains.names import (
    display_address,
    display_name,
    ensure_name_free,
    normalize_domain_name,
)
from modoboa_flask.exceptions import BadRequest, Conflict
from modoboa_flask.extensions import db
from modoboa_flask.models import DomainAlias
from tests.factories import make_domain


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("Example.COM", "example.com"),
        ("  example.org.  ", "example.org"),
        ("pouét.com", "xn--pout-dpa.com"),
        ("MÜNCHEN.de", "xn--mnchen-3ya.de"),
        ("xn--pout-dpa.com", "xn--pout-dpa.com"),
    ],
)
def test_normalize_lowercases_and_encodes(raw, stored):
    assert normalize_domain_name(raw) == stored


@pytest.mark.parametrize(
    "raw", ["", "localhost", "exa mple.com", "-bad.com", "a..b", "under_score.com", "1.2.3.4",
            "xn--zz.com", "a" * 64 + ".com", ("a" * 60 + ".") * 2 + "com"],
)  # fmt: skip
def test_normalize_refuses_invalid_names_clearly(raw):
    with pytest.raises(BadRequest) as exc:
        normalize_domain_name(raw)
    assert exc.value.field == "name"
    assert "domain name" in exc.value.message.lower()


def test_display_decodes_a_labels():
    assert display_name("xn--pout-dpa.com") == "pouét.com"
    assert display_name("@xn--pout-dpa.com") == "@pouét.com"
    assert display_address("toto@xn--pout-dpa.com") == "toto@pouét.com"
    assert display_name("xn--zz.com") == "xn--zz.com"  # undecodable: shown raw


def test_a_name_has_one_owner(app):
    with app.app_context():
        domain_id = make_domain("taken.com")
        db.session.add(DomainAlias(name="alias.com", target_id=domain_id))
        db.session.commit()
        with pytest.raises(Conflict, match="domain named taken.com"):
            ensure_name_free("taken.com")
        with pytest.raises(Conflict, match="domain alias named alias.com"):
            ensure_name_free("alias.com")
        ensure_name_free("taken.com", domain_id=domain_id)  # renaming to itself is fine
        ensure_name_free("free.com")


def test_check_domain_name_receivers_add_owners(app):
    def relay_names(sender, **kwargs):
        return [(lambda name: name == "owned.net", "mail relay")]

    with app.app_context():
        with signals.check_domain_name.connected_to(relay_names, sender=app):
            with pytest.raises(Conflict, match="mail relay named owned.net"):
                ensure_name_free("owned.net")
            ensure_name_free("other.net")
