"""Role x action matrix: who may see and change which domain (reference §3, issue 4.8)."""

import pytest

from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, DomainAlias
from tests.factories import grant_domain, make_domain, make_user

GENERAL = {"general-name": "{name}", "general-type": "domain", "general-quota": "0",
           "general-default_mailbox_quota": "0", "general-enabled": "y"}  # fmt: skip
ACTIONS = {
    "detail": ("get", "/domains/{id}", None),
    "edit": ("get", "/domains/{id}/edit", None),
    "general_tab": ("post", "/domains/{id}/tabs/general", GENERAL),
    "aliases_tab": ("post", "/domains/{id}/tabs/aliases", {"aliases-new": "x-{name}"}),
    "admins_tab": ("post", "/domains/{id}/tabs/admins", {"admins-add": ""}),
    "aliases_page": ("get", "/domains/{id}/aliases", None),
    "delete_page": ("get", "/domains/{id}/delete", None),
    "delete": ("post", "/domains/{id}/delete", {"confirm": "yes", "keep_mailboxes": "y"}),
}
OK = {"detail": 200, "edit": 200, "general_tab": 200, "aliases_tab": 200, "admins_tab": 200,
      "aliases_page": 200, "delete_page": 200, "delete": 303}  # fmt: skip
EXPECTED = {
    ("SuperAdmins", "own"): OK,
    ("SuperAdmins", "foreign"): OK,
    ("Resellers", "own"): {**OK, "admins_tab": 403},
    ("Resellers", "foreign"): dict.fromkeys(OK, 404),
    ("DomainAdmins", "own"): {
        "detail": 200,
        "edit": 200,
        "general_tab": 403,
        "aliases_tab": 403,
        "admins_tab": 403,
        "aliases_page": 200,
        "delete_page": 403,
        "delete": 403,
    },  # fmt: skip
    ("DomainAdmins", "foreign"): dict.fromkeys(OK, 404),
    ("SimpleUsers", "own"): dict.fromkeys(OK, 403),
    ("SimpleUsers", "foreign"): dict.fromkeys(OK, 403),
}
CASES = [
    (role, scope, action, status)
    for (role, scope), statuses in EXPECTED.items()
    for action, status in statuses.items()
]


def setup_domains(app, role):
    """Log-in user of *role*; 'own' is owned (reseller) or granted; 'foreign' is not."""
    with app.app_context():
        user_id = make_user(role)
        own = make_domain("own.com", owner_id=user_id if role == "Resellers" else None)
        if role in ("DomainAdmins", "SimpleUsers"):
            grant_domain(user_id, own)
        foreign = make_domain("foreign.com", owner_id=make_user("Resellers"))
        db.session.add(DomainAlias(name="foreign.net", target_id=foreign))
        db.session.commit()
    return user_id, {"own": (own, "own.com"), "foreign": (foreign, "foreign.com")}


@pytest.mark.parametrize("role, scope, action, status", CASES)
def test_matrix(app, login, role, scope, action, status):
    user_id, domains = setup_domains(app, role)
    client = login(user_id=user_id)
    domain_id, name = domains[scope]
    method, url, data = ACTIONS[action]
    data = {k: v.format(name=name) for k, v in (data or {}).items()}
    response = getattr(client, method)(url.format(id=domain_id), data=data)
    assert response.status_code == status
    if method == "post" and status in (403, 404):
        with app.app_context():  # a refused POST changed nothing
            domain = db.session.get(Domain, domain_id)
            assert domain is not None and len(domain.aliases) == (scope == "foreign")


@pytest.mark.parametrize(
    "role, listed, create",
    [
        ("SuperAdmins", ["foreign.com", "own.com"], 200),
        ("Resellers", ["own.com"], 200),
        ("DomainAdmins", ["own.com"], 403),
        ("SimpleUsers", None, 403),
    ],
)
def test_list_scope_and_create(app, login, role, listed, create):
    user_id, _ = setup_domains(app, role)
    client = login(user_id=user_id)
    response = client.get("/domains/")
    if listed is None:
        assert response.status_code == 403
    else:
        body = response.get_data(as_text=True)
        shown = sorted(n for n in ("own.com", "foreign.com") if f'data-name="{n}"' in body)
        assert shown == listed
        assert ("New domain" in body) == (create == 200)
    assert client.get("/domains/new").status_code == create
    assert client.post("/domains/new", data={"general-name": "x.com"}).status_code in (
        create if create == 403 else 303,
    )


def test_domain_admin_edit_page_is_read_only(app, login):
    user_id, domains = setup_domains(app, "DomainAdmins")
    body = login(user_id=user_id).get(f"/domains/{domains['own'][0]}/edit").get_data(as_text=True)
    assert 'id="read-only"' in body and "hx-post" not in body


def test_reseller_becomes_owner_of_created_domain(app, login):
    user_id, _ = setup_domains(app, "Resellers")
    client = login(user_id=user_id)
    client.post("/domains/new", data={"general-name": "mine.org", "general-type": "domain"})
    with app.app_context():
        domain = db.session.scalar(db.select(Domain).where(Domain.name == "mine.org"))
        assert domain.owner_id == user_id
    assert b'data-name="mine.org"' in client.get("/domains/").data


def test_unknown_ids_answer_404(app, login):
    client = login()
    assert client.get("/domains/999").status_code == 404
    assert client.post("/domains/999/tabs/general", data=GENERAL).status_code == 404
    assert client.post("/domains/999/delete", data={"confirm": "yes"}).status_code == 404
