"""Two app nodes (gunicorn processes) on one PostgreSQL share logins, throttling, parameters
and data, and two mailbox-operation workers never run one operation twice.

Runs in the PostgreSQL pass only: a multi-node deployment needs a database server, and
SQLite's file cannot be shared between machines.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from modoboa_flask import params
from modoboa_flask.accounts import first_superuser, load_initial_data
from modoboa_flask.blueprints.api.tokens import create_token
from modoboa_flask.extensions import db
from modoboa_flask.models import Log, MailboxOperation
from tests import factories
from tests.conftest import DATABASE_URL, make_app
from tests.migrated import fresh_database_url
from tests.peers import free_port, make_peer_dir, require
from tests.peers._proc import remove_peer_dir, wait_tcp

pytestmark = pytest.mark.peers

if make_url(DATABASE_URL).get_backend_name() != "postgresql":
    pytest.skip("several app nodes: PostgreSQL pass only", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SECRET = "the-same-key-on-every-node"  # MODOBOA_SECRET_KEY must be shared (README "Deploying")
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def _node_env(url: str, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODOBOA_")}
    env.update(
        MODOBOA_DATABASE_URL=url,
        MODOBOA_SECRET_KEY=SECRET,
        MODOBOA_MAIL_HOME_TEMPLATE=f"{home}/%d/%n",
        MODOBOA_DOVEADM_PATH="",
        FLASK_APP="app:app",
    )
    return env


class Node:
    """`gunicorn app:app` on 127.0.0.1:<free port>."""

    def __init__(self, name: str, env: dict, log_dir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [BIN / "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}", "app:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        if not wait_tcp(self.port, timeout=60, alive=lambda: self.process.poll() is None):
            self.stop()
            raise AssertionError(
                f"node {name} did not start: {(log_dir / f'{name}.log').read_text()}"
            )

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        """Run a `flask` command as this node would (its environment, its code)."""
        return subprocess.run(
            [BIN / "flask", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip

    def stop(self) -> None:
        """Stop gunicorn (by its pid) and close the log."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, html[:500]
    return match.group(1) or match.group(2)


def _login(browser, node, username, password):
    token = _token(browser.get(f"{node.url}/auth/login").text)
    data = {"username": username, "password": password, "csrf_token": token}
    return browser.post(f"{node.url}/auth/login", data=data, allow_redirects=False)


@pytest.fixture(scope="module")
def nodes():
    """(node A, node B, API key of the super admin, mail root) on a new migrated database."""
    require(str(BIN / "gunicorn"), "gunicorn in the venv")
    with fresh_database_url() as url:
        app = make_app(DATABASE_URL=url)
        with app.app_context():
            upgrade()
            load_initial_data()
            key = create_token(first_superuser(), first_superuser())[1]
            factories.make_user(username="bob@nodes.test", password="Secret123")
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        work = make_peer_dir("nodes")
        env = _node_env(url, work / "mail")
        started = []
        try:
            started.append(Node("a", env, work))
            started.append(Node("b", env, work))
            yield started[0], started[1], key, work / "mail"
        finally:
            for node in started:
                node.stop()
            remove_peer_dir(work)


def test_both_nodes_are_healthy_on_the_migrated_database(nodes):
    a, b, _key, _root = nodes
    for node in (a, b):
        response = requests.get(f"{node.url}/healthz", timeout=30)
        assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_a_login_on_a_is_valid_on_b_and_a_logout_on_b_ends_it_on_a(nodes):
    a, b, _key, _root = nodes
    browser = requests.Session()  # one cookie jar: the load balancer sends it to either node
    response = _login(browser, a, "admin", "password")
    assert response.status_code == 303 and response.headers["Location"].endswith("/dashboard/")
    page = browser.get(f"{b.url}/dashboard/", allow_redirects=False)
    assert page.status_code == 200
    out = browser.post(
        f"{b.url}/auth/logout", data={"csrf_token": _token(page.text)}, allow_redirects=False
    )
    assert out.status_code == 303
    after = browser.get(f"{a.url}/dashboard/", allow_redirects=False)
    assert after.status_code == 302 and "/auth/login" in after.headers["Location"]


def test_a_domain_created_on_a_shows_on_b_and_a_parameter_set_on_a_applies_on_b(nodes):
    a, b, key, _root = nodes
    api = {"Authorization": f"Token {key}"}
    for name in ("one.nodes.test", "two.nodes.test"):
        created = requests.post(
            f"{a.url}/api/v1/domains/", json={"name": name, "quota": 0}, headers=api, timeout=30
        )
        assert created.status_code == 201, created.text
    listed = requests.get(f"{b.url}/api/v1/domains/", headers=api, timeout=30).json()
    assert {"one.nodes.test", "two.nodes.test"} <= {d["name"] for d in listed}
    browser = requests.Session()
    assert _login(browser, b, "admin", "password").status_code == 303

    def shown():
        html = browser.get(f"{b.url}/domains/", timeout=30).text
        return {n for n in ("one.nodes.test", "two.nodes.test") if n in html}

    assert len(shown()) == 2  # B has read the parameter once already
    result = a.flask("parameters", "set", "core.items_per_page", "1")
    assert result.returncode == 0, result.stderr
    try:
        assert len(shown()) == 1  # the next request on B pages by one: no stale copy
    finally:
        a.flask("parameters", "set", "core.items_per_page", "30")


def test_two_workers_started_at_once_never_run_an_operation_twice(nodes):
    a, b, _key, root = nodes
    app = make_app(DATABASE_URL=a.env["MODOBOA_DATABASE_URL"])
    with app.app_context():
        params.set("admin.handle_mailboxes", "yes")
        for number in range(40):
            path = root / "ops.test" / f"gone{number}"
            (path / "Maildir" / "cur").mkdir(parents=True)
            db.session.add(MailboxOperation(mailbox_id=None, type="delete", argument=str(path)))
        db.session.commit()
        db.session.remove()
    runs = [
        subprocess.Popen(
            [BIN / "flask", "handle-mailbox-operations", "--pidfile", str(root / f"{n}.pid")],
            cwd=ROOT,
            env=node.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for n, node in (("a", a), ("b", b))
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    done = sum(int(m) for out in outputs for m in re.findall(r"(\d+) operation\(s\) done", out))
    assert done == 40, outputs
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MailboxOperation)) == 0
        succeeded = db.session.scalars(
            select(Log.message).where(Log.action == "mailbox_operation")
        ).all()
        db.session.remove()
        db.engine.dispose()
    assert len(succeeded) == len(set(succeeded)) == 40
    assert not any((root / "ops.test").iterdir())


def test_failed_logins_split_across_a_and_b_throttle_together(nodes):
    # Last in the module: the per-IP count then throttles every login from 127.0.0.1.
    a, b, _key, _root = nodes
    browser = requests.Session()
    for node in (a, a, a, b, b):  # 5 = LOGIN_THROTTLE_ATTEMPTS; 3 and 2 per node
        assert _login(browser, node, "bob@nodes.test", "Wrong1234").status_code != 303
    refused = _login(browser, b, "bob@nodes.test", "Secret123")
    assert refused.status_code == 429
    assert _login(browser, a, "bob@nodes.test", "Secret123").status_code == 429
