"""A person uploads a CSV file, reads the preview, commits, and the objects exist."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.models import Domain
from tests.browser.conftest import log_in
from tests.factories import make_domain, make_mailbox

pytestmark = pytest.mark.browser


def test_upload_preview_commit(page, live_app, tmp_path):
    from playwright.sync_api import expect

    live_app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    csv = tmp_path / "domains.csv"
    csv.write_bytes(b"domain;one.org;0;0;True\r\ndomainalias;uno.org;one.org;True\r\nnope;x\r\n")
    log_in(page)
    page.wait_for_url("**/dashboard/")
    page.goto("/imports/domains")
    page.set_input_files("input[name=sourcefile]", str(csv))
    page.check("input[name=continue_on_error]")
    page.click("text=Preview")
    rows = page.locator("#import-lines tbody tr")
    expect(rows).to_have_count(3)  # the preview is a full page: wait for it to load
    assert rows.nth(0).inner_text().split("\t")[:2] == ["1", "would be created"]
    assert "Unknown row type 'nope'" in rows.nth(2).inner_text()
    with live_app.app_context():
        assert db.session.scalar(select(Domain.id)) is None  # the preview wrote nothing
    page.click("#import-commit")
    page.wait_for_selector("#import-summary")
    assert "2 objects created, 0 already existed, 1 error." in page.inner_text("#import-summary")
    with live_app.app_context():
        assert db.session.scalar(select(Domain.name)) == "one.org"
    assert errors == []


def test_export_with_password_hashes_checkbox(page, live_app):
    with live_app.app_context():
        make_mailbox(make_domain("b.org"), "ann")
    log_in(page)
    page.wait_for_url("**/dashboard/")
    page.goto("/identities/")

    def download() -> dict[str, str]:
        with page.expect_download() as info:
            page.click("#identities-export")
        rows = [line.split(";") for line in open(info.value.path()).read().splitlines()]
        return {row[1]: row[2] for row in rows if row[0] == "account"}

    assert set(download().values()) == {""}
    page.check("#identities-export-passwords")
    # A search re-sends the Export link (out of band); the ticked box still applies.
    page.fill("input[name=q]", "ann")
    expect(page.locator("#identities-export")).to_have_attribute("href", re.compile("q=ann"))
    assert download()["ann@b.org"].startswith("{SHA512-CRYPT}")
    page.uncheck("#identities-export-passwords")
    assert download() == {"ann@b.org": ""}
