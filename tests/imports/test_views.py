"""Import pages: upload -> preview (nothing written) -> commit; downloads; permissions."""

import io
import os
import re

from sqlalchemy import func, select

from modoboa_flask.extensions import db
from modoboa_flask.models import Domain
from tests import factories

FILE = b"domain;ok.org;0;0;True\ndomainalias;alias.org;ok.org;True\nbogus;row\n"


def _upload(client, kind="domains", data=FILE, **fields):
    form = {"sourcefile": (io.BytesIO(data), "f.csv"), "sepchar": ";", **fields}
    return client.post(f"/imports/{kind}", data=form, content_type="multipart/form-data")


def _domains(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Domain.id)))


def _token(page: str) -> str:
    return re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)


def test_preview_then_commit(app, client, login, upload_dir):
    login()
    page = _upload(client, continue_on_error="y")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and _domains(app) == 0
    assert "would be created" in html and "Unknown row type &#39;bogus&#39;" in html
    token = _token(html)
    folder = str(upload_dir)
    assert os.path.exists(os.path.join(folder, token + ".csv"))
    done = client.post("/imports/domains/commit", data={"token": token})
    assert done.status_code == 200 and "2 objects created" in done.get_data(as_text=True)
    assert _domains(app) == 1  # and its alias
    assert not os.path.exists(os.path.join(folder, token + ".csv"))
    again = client.post("/imports/domains/commit", data={"token": token})
    assert again.status_code == 400 and "no longer available" in again.get_data(as_text=True)
    assert _domains(app) == 1


def test_all_or_nothing_preview_disables_commit(app, client, login):
    login()
    html = _upload(client).get_data(as_text=True)
    assert re.search(r'id="import-commit"\s+disabled', html)
    done = client.post("/imports/domains/commit", data={"token": _token(html)})
    assert "Nothing was written" in done.get_data(as_text=True) and _domains(app) == 0


def test_token_of_someone_else(app, client, login):
    login()
    token = _token(_upload(client, continue_on_error="y").get_data(as_text=True))
    login()  # another super admin
    answer = client.post("/imports/domains/commit", data={"token": token})
    assert answer.status_code == 400 and _domains(app) == 0
    assert client.post("/imports/domains/commit", data={"token": "../../etc"}).status_code == 400


def test_bad_files_are_refused(app, client, login, upload_dir):
    login()
    for data, message in ((b"", "empty"), (b"\x00\x01\x02", "not a text file")):
        answer = _upload(client, data=data)
        assert answer.status_code == 400 and message in answer.get_data(as_text=True)
    assert _upload(client, data=FILE, sepchar=";;").status_code == 400
    assert client.post("/imports/domains", data={}).status_code == 400
    assert os.listdir(str(upload_dir)) == []


def test_fifty_megabyte_file(app, client, login, upload_dir):
    login()
    big = b"domain;x.org;0;0;True\n" * (50 * 1024 * 1024 // 22 + 1)
    answer = _upload(client, data=big)
    assert answer.status_code == 400
    assert "larger than 32 MB" in answer.get_data(as_text=True)
    assert os.listdir(str(upload_dir)) == []


def test_permissions(app, client, login):
    login(role="DomainAdmins")
    assert client.get("/imports/domains").status_code == 403
    assert _upload(client).status_code == 403
    assert client.get("/imports/identities").status_code == 200
    assert client.get("/imports/export/domains").status_code == 403
    login(role="SimpleUsers")
    assert client.get("/imports/identities").status_code == 403
    assert client.get("/imports/export/identities").status_code == 403


def test_download(app, client, login):
    with app.app_context():
        mine, other = factories.make_domain("mine.org"), factories.make_domain("other.org")
        reseller = factories.make_user(role="Resellers")
        factories.grant_domain(reseller, mine)
        assert other
    login(user_id=reseller)
    answer = client.get("/imports/export/domains")
    assert answer.mimetype == "text/csv"
    assert re.match(r'attachment; filename="modoboa-domains-\d{8}\.csv"',
                    answer.headers["Content-Disposition"])  # fmt: skip
    assert answer.get_data() == b"domain;mine.org;0;0;True\r\n"


def test_each_upload_purges_abandoned_ones(app, client, login, upload_dir):
    login()
    upload_dir.mkdir()
    old = upload_dir / "abandoned.csv"
    old.write_text("x")
    os.utime(old, (os.path.getmtime(old) - 3700,) * 2)
    assert _upload(client).status_code == 200
    assert not old.exists() and len(os.listdir(upload_dir)) == 2  # the new upload's files
