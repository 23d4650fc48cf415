"""Benchmark the identities list (and the domains list) on a large database. Not a test.

Fills a database with N domains and M mailboxes (each with its account, self-alias, recipient
and quota row) plus public aliases, using set-based inserts, then times pages through the
Flask test client: median and p95 in ms, and the number of SQL statements per request.

    .venv/bin/python bench/bench_identities.py                      # 10,000 / 500,000
    .venv/bin/python bench/bench_identities.py --domains 100 --mailboxes 1000
    .venv/bin/python bench/bench_identities.py --db bench/out/big.db --reuse   # skip the fill
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import event, func, select  # noqa: E402

from config import TestConfig  # noqa: E402
from modoboa_flask import create_app  # noqa: E402
from modoboa_flask.accounts import load_initial_data  # noqa: E402
from modoboa_flask.extensions import db  # noqa: E402
from modoboa_flask.models import (  # noqa: E402
    Alias,
    AliasRecipient,
    Domain,
    Mailbox,
    Quota,
    User,
)
from modoboa_flask.passwords import hash_password  # noqa: E402
from modoboa_flask.sessions import open_session  # noqa: E402

CHUNK = 50_000
ID_OFFSET = 1_000  # leave room for the initial admin account


def _chunks(rows, size=CHUNK):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def fill(n_domains: int, n_mailboxes: int, n_aliases: int) -> None:
    """Insert the rows with executemany, table by table."""
    pw = hash_password("Password1", "sha512crypt", 1000)

    def dom(j):
        return j % n_domains

    def address(j):
        return f"u{j}@d{dom(j)}.example"

    def insert(model, rows):
        for batch in _chunks(rows):
            db.session.execute(model.__table__.insert(), batch)

    insert(
        Domain,
        (
            {
                "id": i + 1,
                "name": f"d{i}.example",
                "quota": 0,
                "default_mailbox_quota": 0,
                "enabled": True,
                "type": "domain",
            }
            for i in range(n_domains)
        ),
    )
    insert(
        User,
        (
            {
                "id": ID_OFFSET + j,
                "username": address(j),
                "email": address(j),
                "password": pw,
                "role": "SimpleUsers",
                "first_name": f"First{j}",
                "last_name": "Last",
                "is_superuser": False,
                "is_active": True,
            }
            for j in range(n_mailboxes)
        ),
    )
    insert(
        Mailbox,
        (
            {
                "id": j + 1,
                "address": f"u{j}",
                "domain_id": dom(j) + 1,
                "user_id": ID_OFFSET + j,
                "quota": 100,
            }
            for j in range(n_mailboxes)
        ),
    )
    insert(
        Alias,
        (
            {
                "id": j + 1,
                "address": address(j),
                "domain_id": dom(j) + 1,
                "internal": True,
                "enabled": True,
            }
            for j in range(n_mailboxes)
        ),
    )
    insert(
        Alias,
        (
            {
                "id": n_mailboxes + k + 1,
                "address": f"alias{k}@d{dom(k)}.example",
                "domain_id": dom(k) + 1,
                "internal": False,
                "enabled": True,
            }
            for k in range(n_aliases)
        ),
    )
    insert(
        AliasRecipient,
        (
            {"id": j + 1, "alias_id": j + 1, "address": address(j), "r_mailbox_id": j + 1}
            for j in range(n_mailboxes)
        ),
    )
    insert(
        AliasRecipient,
        (
            {
                "id": n_mailboxes + k + 1,
                "alias_id": n_mailboxes + k + 1,
                "address": address(k),
                "r_mailbox_id": k + 1,
            }
            for k in range(n_aliases)
        ),
    )
    insert(
        Quota,
        (
            {"username": address(j), "bytes": (j * 7919) % (100 * 1048576), "messages": 0}
            for j in range(n_mailboxes)
        ),
    )
    db.session.commit()


def timed(client, engine, url: str, runs: int) -> tuple[float, float, float, int, int]:
    """(p50 ms, p95 ms, CPU ms per request, SQL statements, status) of GET *url*."""
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    client.get(url)  # warm caches (templates, SQLite pages)
    times = []
    cpu = time.process_time()
    for _ in range(runs):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        event.remove(engine, "before_cursor_execute", count)
    cpu = (time.process_time() - cpu) * 1000 / runs
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times), p95, cpu, len(statements), response.status_code


def next_link(client, url: str) -> str:
    """The URL of the Next link on the page at *url* (what a user walking the list clicks)."""
    html = client.get(url).get_data(as_text=True)
    found = re.search(r'rel="next" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--mailboxes", type=int, default=500_000)
    parser.add_argument("--aliases", type=int, default=None, help="public aliases (M/10)")
    parser.add_argument("--db", default=None, help="SQLite file or database URL")
    parser.add_argument("--reuse", action="store_true", help="use the filled database as is")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    aliases = args.mailboxes // 10 if args.aliases is None else args.aliases
    target = args.db or f"bench/out/identities-{args.domains}-{args.mailboxes}.db"
    url = target if "://" in target else "sqlite:///" + os.path.abspath(target)
    if "://" not in target:
        os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
        if not args.reuse and os.path.exists(target):
            os.remove(target)
    app = create_app(TestConfig, {"DATABASE_URL": url, "PARAMETER_DEFAULTS": {}})
    with app.app_context():
        if not args.reuse:
            db.drop_all()
            db.create_all()
            load_initial_data()
            start = time.perf_counter()
            fill(args.domains, args.mailboxes, aliases)
            if db.engine.dialect.name == "sqlite":
                db.session.execute(db.text("ANALYZE"))
            print(
                f"filled {args.domains} domains, {args.mailboxes} mailboxes, {aliases} "
                f"aliases in {time.perf_counter() - start:.1f} s"
            )
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        key = open_session(admin)
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(User)) + aliases
        engine = db.engine
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = key, True
    per_page = 30
    deep = max(1, total // per_page // 2)
    probe = args.mailboxes // 2
    walked = next_link(client, f"/identities/?page={deep - 1}")
    third = f"d{args.domains // 3}"
    pages = [
        ("identities first page", "/identities/"),
        (f"identities deep page {deep} (Next link)", walked),
        (f"identities deep page {deep} (?page=, OFFSET)", f"/identities/?page={deep}"),
        ("identities last page (Last link)", "/identities/?last=1"),
        (f"identities search 'u{probe}@'", f"/identities/?q=u{probe}@"),
        (f"identities search '{third}.example'", f"/identities/?q={third}.example"),
        (f"identities search '@{third}.'", f"/identities/?q=@{third}."),
        ("quotas first page", "/identities/quotas"),
        (f"quotas search 'u{probe}@'", f"/identities/quotas?q=u{probe}@"),
    ]  # fmt: skip
    if "domains.index" in app.view_functions:
        pages.append(("domains first page", "/domains/"))
    else:
        print("domains list: skipped (no domains blueprint in this tree)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'page':44} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>7} {'SQL':>4} status")
    for label, path in pages:
        p50, p95, cpu, queries, status = timed(client, engine, path, args.runs)
        print(f"{label:44} {p50:8.1f} {p95:8.1f} {cpu:7.1f} {queries:4d} {status}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
