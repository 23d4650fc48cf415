"""A user creates a filter rule and an out-of-office reply in Chromium (CSRF on, real Dovecot)."""

import pytest

from modoboa_flask.extensions import db
from modoboa_flask.models import User
from modoboa_flask.sieve import rules
from tests.browser.conftest import log_in
from tests.mailserver.fixtureset import PASSWORD
from tests.peers import browser

pytestmark = [pytest.mark.browser, pytest.mark.peers]
ADDRESS = "browser@example.com"


@pytest.fixture
def page(chromium, sieve_server):
    """A page on the Sieve app served live, with CSRF checks on as in production."""
    from modoboa_flask.accounts import first_superuser
    from modoboa_flask.blueprints.identities import services as identities

    app = sieve_server.app
    with app.app_context():
        if db.session.query(User).filter_by(username=ADDRESS).count() == 0:
            identities.create_account(first_superuser(), username=ADDRESS, password=PASSWORD)
            db.session.commit()
        db.session.remove()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        with browser.LiveServer(app) as server:
            context = chromium.new_context(base_url=server.url)
            context.set_default_timeout(10_000)
            yield context.new_page()
            context.close()
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def _new_rule(page, name, sender, action, arg=""):
    """Fill the rule form: From contains *sender*, then *action* (with *arg*)."""
    page.click("#new-rule")
    page.fill("input[name=name]", name)
    page.select_option("select[name=conditions-0-field]", "from")
    page.select_option("select[name=conditions-0-op]", "contains")
    page.fill("input[name=conditions-0-value]", sender)
    page.select_option("select[name=actions-0-type]", action)
    if arg:
        page.fill("input[name=actions-0-arg]", arg)
    page.click("#rule-form button[type=submit]")


def test_user_creates_a_rule_and_an_out_of_office_reply(page, sieve_server):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, ADDRESS, PASSWORD)
    page.wait_for_url("**/")
    page.goto("/user/")
    page.click("#settings-menu >> text=Filters and out of office")
    _new_rule(page, "Newsletters", "news@", "fileinto", "News")
    row = page.locator("#rules tbody tr").first
    row.wait_for()
    assert "Newsletters" in row.inner_text() and '"News"' in row.inner_text()

    # A second rule, then drag it above the first.
    _new_rule(page, "Boss", "boss@", "stop")
    page.locator("#rule-1").wait_for()
    page.locator("#rule-1").drag_to(page.locator("#rule-0"))
    page.wait_for_function("document.querySelector('#rule-0')?.innerText.includes('Boss')")

    page.click("#vacation-link")
    page.check("input[name=enabled]")
    page.fill("input[name=subject]", "On leave")
    page.fill("textarea[name=message]", "Back in January.")
    page.fill("input[name=days]", "3")
    page.click("#vacation-form button[type=submit]")
    state = page.locator("#vacation-state")
    state.wait_for()
    assert "on" in state.inner_text() and "On leave" in state.inner_text()
    assert errors == []

    # What the browser saved is what Dovecot holds.
    from modoboa_flask.blueprints.filters import services

    with sieve_server.app.app_context():
        account = db.session.query(User).filter_by(username=ADDRESS).one()
        ruleset = rules.parse(services.load(account, account).text)
        db.session.remove()
    assert [r.name for r in ruleset.rules] == ["Boss", "Newsletters"]
    assert ruleset.vacation.enabled and ruleset.vacation.addresses == [ADDRESS]
