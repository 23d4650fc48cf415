"""Measure one app node as deployed: gunicorn serving app:app over HTTP. Not a test.

Builds a migrated database (SQLite file by default, or --dburl), fills it like
bench_identities.py, starts `gunicorn app:app` on 127.0.0.1 with the production config, then
for each request kind keeps --clients concurrent clients busy for --seconds and prints the
requests per second and the p50/p95 latencies. The clients run on the same machine: on a
small one they take CPU from the server, so the figures are a floor.

    .venv/bin/python bench/bench_node.py                               # 1,000 mailboxes
    .venv/bin/python bench/bench_node.py --mailboxes 100000 --workers 2 --threads 4
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

import requests  # noqa: E402
from bench_identities import fill  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from modoboa_flask import create_app  # noqa: E402
from modoboa_flask.accounts import first_superuser, load_initial_data  # noqa: E402
from modoboa_flask.blueprints.api.tokens import create_token  # noqa: E402
from modoboa_flask.extensions import db  # noqa: E402
from tests.peers import free_port  # noqa: E402
from tests.peers._proc import wait_tcp  # noqa: E402

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def prepare(url: str, domains: int, mailboxes: int) -> str:
    """Migrate and fill the database at *url*; return a super admin's API key."""
    app = create_app("config.Config", {"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        load_initial_data()
        fill(domains, mailboxes, mailboxes // 10)
        admin = first_superuser()
        key = create_token(admin, admin)[1]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return key


def login(base: str) -> requests.Session:
    """A session logged in as admin through the login form (CSRF token included)."""
    session = requests.Session()
    token = _CSRF.search(session.get(f"{base}/auth/login").text).group(1)
    data = {"username": "admin", "password": "password", "csrf_token": token}
    assert session.post(f"{base}/auth/login", data=data, allow_redirects=False).status_code == 303
    return session


def load(make_request, clients: int, seconds: float) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p95 ms, errors) of *clients* threads calling make_request()."""
    times, errors, lock = [], [0], threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        call = make_request()
        while time.monotonic() < deadline:
            start = time.perf_counter()
            ok = call()
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                times.append(elapsed)
                errors[0] += not ok

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    begin = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * (len(times) - 1)))]
    return len(times) / (time.monotonic() - begin), statistics.median(times), p95, errors[0]


def kinds(base: str, key: str) -> dict:
    """Request kind -> factory of a per-client callable returning True on success."""

    def page(path):
        def make():
            session = login(base)
            return lambda: session.get(f"{base}{path}").status_code == 200

        return make

    def api():
        session = requests.Session()
        session.headers["Authorization"] = f"Token {key}"
        return lambda: session.get(f"{base}/api/v1/domains/?page=1&page_size=25").ok

    def log_in():
        return lambda: bool(login(base))

    def health():
        session = requests.Session()
        return lambda: session.get(f"{base}/healthz").status_code == 200

    return {
        "GET /healthz": health,
        "GET /identities/ (first page)": page("/identities/"),
        "GET /domains/": page("/domains/"),
        "GET /api/v1/domains/ (25)": api,
        "login (form + password hash)": log_in,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dburl", help="empty database to use (default: a new SQLite file)")
    parser.add_argument("--domains", type=int, default=100)
    parser.add_argument("--mailboxes", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.dburl or f"sqlite:///{tmp.name}/bench.db"
    started = time.monotonic()
    key = prepare(url, args.domains, args.mailboxes)
    print(f"filled {args.domains} domains, {args.mailboxes} mailboxes in "
          f"{time.monotonic() - started:.1f} s")  # fmt: skip
    port = free_port()
    env = {**os.environ, "MODOBOA_DATABASE_URL": url, "MODOBOA_SECRET_KEY": "bench"}
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    command = [gunicorn, "app:app", "-b", f"127.0.0.1:{port}", "-w", str(args.workers)]
    command += ["--threads", str(args.threads)]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        assert wait_tcp(port, timeout=60, alive=lambda: server.poll() is None), "no gunicorn"
        base = f"http://127.0.0.1:{port}"
        # The port opens before the worker has imported the app: wait for a real answer.
        deadline = time.monotonic() + 60
        while requests.get(f"{base}/healthz").status_code != 200:
            assert time.monotonic() < deadline, "gunicorn never answered"
            time.sleep(0.2)
        print(f"gunicorn -w {args.workers} --threads {args.threads}, {args.clients} clients, "
              f"{args.seconds:g} s each; load average {os.getloadavg()}")  # fmt: skip
        print(f"{'request':34} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} errors")
        for name, make in kinds(base, key).items():
            rate, p50, p95, errors = load(make, args.clients, args.seconds)
            print(f"{name:34} {rate:7.1f} {p50:7.1f} {p95:7.1f} {errors}")
        print(f"load average {os.getloadavg()}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        tmp.cleanup()


if __name__ == "__main__":
    main()
