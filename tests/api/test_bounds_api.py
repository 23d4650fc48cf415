"""API values past their column's bounds: 400 with the field named, nothing written."""

import pytest
from sqlalchemy import func, select

from modoboa_flask.bounds import INT32
from modoboa_flask.extensions import db
from modoboa_flask.models import Domain


def test_paging_past_32_bits_is_a_400(world):
    response = world["clients"]["super"].get("domains/?page=" + "9" * 20)
    assert response.status_code == 400
    assert response.json == {"page": [f"Must be between 1 and {INT32[1]}."]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "big.test", "quota": INT32[1] + 1}, "quota"),
        ({"name": "x" * 90 + ".long.test", "quota": 0}, "name"),
    ],
)
def test_domain_values_past_their_column(app, world, body, field):
    response = world["clients"]["super"].post("domains/", json=body)
    assert response.status_code == 400
    assert field in response.json
    with app.app_context():
        assert db.session.scalar(select(func.count(Domain.id))) == 2  # the world's two
