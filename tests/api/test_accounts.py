"""`accounts/` (with `password/` and `exists/`) as the spec describes it (§6)."""

from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.models import Log, Mailbox, User
from modoboa_flask.passwords import verify_password

KEYS = {"pk", "username", "first_name", "last_name", "is_active", "mailbox", "role", "language",
        "phone_number", "secondary_email", "domains"}  # fmt: skip


def _no_hash(body):
    text = repr(body)
    assert "password" not in text and "CRYPT" not in text


def test_simple_user_gets_a_mailbox_named_after_username(app, world):
    su = world["clients"]["super"]
    body = {"username": "new@a.test", "password": "Toto1234", "role": "SimpleUsers"}
    response = su.post("accounts/", json=body)
    assert response.status_code == 201, response.json
    assert set(response.json) == KEYS | {"master_user"}
    assert response.json["mailbox"]["full_address"] == "new@a.test"
    assert response.json["mailbox"]["use_domain_quota"] is True
    _no_hash(response.json)
    assert su.get("accounts/exists/?email=new@a.test").json == {"exists": True}
    with app.app_context():
        log = db.session.scalar(select(Log).where(Log.object_repr == "new@a.test"))
        assert log.channel == "api" and log.username == "admin"


def test_domain_admin_with_domains(world):
    su = world["clients"]["super"]
    body = {"username": "boss", "password": "Toto1234", "role": "DomainAdmins",
            "domains": ["b.test", "a.test"]}  # fmt: skip
    created = su.post("accounts/", json=body)
    assert created.status_code == 201, created.json
    assert created.json["mailbox"] is None and created.json["domains"] == ["a.test", "b.test"]
    pk = created.json["pk"]
    listed = {a["username"]: a for a in su.get("accounts/").json}
    assert listed["boss"]["domains"] == ["a.test", "b.test"]
    changed = su.put(f"accounts/{pk}/", json={"username": "boss", "role": "DomainAdmins",
                                               "domains": ["b.test"]})  # fmt: skip
    assert changed.status_code == 200 and changed.json["domains"] == ["b.test"]
    kept = su.put(f"accounts/{pk}/", json={"username": "boss", "role": "DomainAdmins"})
    assert kept.json["domains"] == ["b.test"]  # omitted: unchanged
    bad = su.put(f"accounts/{pk}/", json={"username": "boss", "role": "DomainAdmins",
                                           "domains": ["nowhere.test"]})  # fmt: skip
    assert bad.status_code == 400 and "domains" in bad.json


def test_create_errors(app, world):
    su = world["clients"]["super"]
    base = {"username": "x@a.test", "password": "Toto1234", "role": "SimpleUsers"}
    weak = su.post("accounts/", json=dict(base, password="toto"))
    assert weak.status_code == 400 and "password" in weak.json
    taken = su.post("accounts/", json=dict(base, username="user@a.test"))
    assert taken.status_code == 400 and "username" in taken.json
    mismatch = su.post("accounts/", json=dict(base, mailbox={"full_address": "y@a.test",
                                                             "quota": 1}))  # fmt: skip
    assert mismatch.json == {"username": ["Must be equal to mailbox full_address"]}
    admin = dict(base, username="da2", role="DomainAdmins")
    used = su.post("accounts/", json=dict(admin, mailbox={"full_address": "user@a.test",
                                                          "quota": 1}))  # fmt: skip
    assert used.status_code == 409
    nowhere = su.post("accounts/", json=dict(admin, mailbox={"full_address": "x@nowhere.test",
                                                             "quota": 1}))  # fmt: skip
    assert nowhere.status_code == 404
    master = su.post("accounts/", json=dict(base, master_user=True))
    assert master.status_code == 400 and "master_user" in master.json
    missing = su.post("accounts/", json={"username": "x@a.test"})
    assert {"password", "role"} <= set(missing.json)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username.in_(["x@a.test", "da2"]))) is None


def test_roles_a_caller_may_assign(world):
    da, reseller = world["clients"]["da"], world["clients"]["reseller"]
    base = {"username": "r", "password": "Toto1234", "role": "Resellers"}
    assert da.post("accounts/", json=dict(base, role="DomainAdmins")).json.get("role")
    assert reseller.post("accounts/", json=base).status_code == 400
    assert reseller.post("accounts/", json=dict(base, role="SuperAdmins")).status_code == 400


def test_master_user_only_for_super_admins(world):
    da = world["clients"]["da"]
    body = {"username": "u2@a.test", "password": "Toto1234", "role": "SimpleUsers"}
    response = da.post("accounts/", json=dict(body, master_user=False))
    assert response.status_code == 201 and "master_user" not in response.json
    refused = da.post("accounts/", json=dict(body, username="u3@a.test", master_user=True))
    assert refused.status_code == 400


def test_domain_admin_creates_in_its_domain_only(world):
    da = world["clients"]["da"]
    body = {"username": "u@b.test", "password": "Toto1234", "role": "SimpleUsers"}
    response = da.post("accounts/", json=body)
    assert response.status_code == 400 and response.json == {"domain": ["Permission denied."]}


def test_update_keeps_or_resets_password(app, world):
    su = world["clients"]["super"]
    url = f"accounts/{world['user_a']}/"
    body = {"username": "user@a.test", "role": "SimpleUsers", "first_name": "Ann"}
    response = su.put(url, json=body)
    assert response.status_code == 200 and response.json["first_name"] == "Ann"
    _no_hash(response.json)
    with app.app_context():
        assert verify_password("Toto1234", db.session.get(User, world["user_a"]).password)
    assert su.put(url, json=dict(body, password="Nouveau99")).status_code == 200
    with app.app_context():
        assert verify_password("Nouveau99", db.session.get(User, world["user_a"]).password)


def test_rename_simple_user(app, world):
    su = world["clients"]["super"]
    body = {"username": "fromapi@a.test", "role": "SimpleUsers",
            "mailbox": {"full_address": "fromapi@a.test", "quota": 10}}  # fmt: skip
    response = su.put(f"accounts/{world['user_a']}/", json=body)
    assert response.status_code == 200, response.json
    assert response.json["mailbox"]["full_address"] == "fromapi@a.test"
    assert su.get("accounts/exists/?email=fromapi@a.test").json == {"exists": True}
    wrong = dict(body, username="x@nowhere.test",
                 mailbox={"full_address": "x@nowhere.test", "quota": 10})  # fmt: skip
    assert su.put(f"accounts/{world['user_a']}/", json=wrong).status_code == 404


def test_delete(app, world):
    su = world["clients"]["super"]
    assert su.delete(f"accounts/{world['admin']}/").json == {
        "detail": "Permission denied: You can't delete your own account"
    }
    assert su.delete(f"accounts/{world['user_b']}/").status_code == 204
    with app.app_context():
        assert db.session.get(User, world["user_b"]) is None
        assert db.session.scalar(select(Mailbox).where(Mailbox.user_id == world["user_b"])) is None
    assert world["clients"]["da"].get(f"accounts/{world['user_b']}/").status_code == 404


def test_exists_answers_admins_within_their_domains(world):
    su, reseller, da = (world["clients"][k] for k in ("super", "reseller", "da"))
    assert su.get("accounts/exists/?email=user@b.test").json == {"exists": True}
    assert su.get("accounts/exists/?email=nobody@b.test").json == {"exists": False}
    for client in (reseller, da):  # both administer a.test only
        assert client.get("accounts/exists/?email=user@a.test").json == {"exists": True}
        assert client.get("accounts/exists/?email=USER@a.test").json == {"exists": True}
        # Another tenant's address: the same answer whether it is taken or not...
        assert client.get("accounts/exists/?email=user@b.test").json == {"exists": False}
        assert client.get("accounts/exists/?email=nobody@b.test").json == {"exists": False}
        # ...and creating it is refused either way (no oracle through the creation).
        answers = [
            client.post(
                "accounts/",
                json={"username": address, "password": "Toto1234", "role": "SimpleUsers"},
            )  # fmt: skip
            for address in ("user@b.test", "nobody@b.test")
        ]
        assert answers[0].status_code == answers[1].status_code == 400
        assert answers[0].json == answers[1].json
    response = su.get("accounts/exists/?email=")
    assert response.status_code == 400 and response.json == {"detail": "email not provided"}


def test_exists_is_for_administrators_only(world):
    response = world["clients"]["user"].get("accounts/exists/?email=user@a.test")
    assert response.status_code == 403


def test_password_change(app, world):
    su = world["clients"]["super"]
    url = f"accounts/{world['user_a']}/password/"
    both = su.put(url, json={"password": "wrong", "new_password": "pass"})
    assert both.status_code == 400 and set(both.json) == {"password", "new_password"}
    assert both.json["password"] == ["Password not correct"]
    ok = su.put(url, json={"password": "Toto1234", "new_password": "Better123"})
    assert ok.status_code == 200 and ok.get_data() == b""
    with app.app_context():
        assert verify_password("Better123", db.session.get(User, world["user_a"]).password)
    assert world["clients"]["user"].put(url, json={}).status_code == 403
    assert su.put("accounts/99999/password/", json={}).status_code == 404


def test_password_checks_are_throttled(app, world):
    su = world["clients"]["super"]
    url = f"accounts/{world['user_a']}/password/"
    wrong = {"password": "wrong", "new_password": "Better123"}
    for _ in range(app.config["LOGIN_THROTTLE_ATTEMPTS"]):
        assert su.put(url, json=wrong).status_code == 400
    # Even the right password is not checked any more: guessing stops here.
    refused = su.put(url, json={"password": "Toto1234", "new_password": "Better123"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    # Other accounts and other requests of the same token are not affected.
    other = su.put(f"accounts/{world['user_b']}/password/", json=wrong)
    assert other.status_code == 400
    assert su.get("accounts/").status_code == 200


def test_lists_and_details_never_show_hashes(world):
    su = world["clients"]["super"]
    for item in su.get("accounts/").json:
        _no_hash(item)
        _no_hash(su.get(f"accounts/{item['pk']}/").json)
    assert [a["username"] for a in su.get("accounts/?domain=b.test").json] == [
        "admin@b.test", "user@b.test"
    ]  # fmt: skip
