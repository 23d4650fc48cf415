"""Benchmark `flask parse-maillog` on a synthetic Postfix log of a chosen size.

    .venv/bin/python bench/bench_stats.py [--megabytes 200] [--days 30] [--keep DIR]

Builds a fresh SQLite database (migrations applied) with 20 domains and 1,000 mailboxes,
writes a log of about --megabytes MB in Postfix 3.7's maillog_file format (connections,
queued messages delivered by LMTP or SMTP, deferrals, bounces, RCPT rejections, TLS and
postscreen noise), then times one `flask parse-maillog` run in a child process and prints
its wall time, CPU time and peak RSS (resource.getrusage(RUSAGE_CHILDREN)), then a second
run, which must read nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOMAINS, MAILBOXES = 20, 1000


def seed(url: str) -> None:
    """Migrate a new database and add the domains and mailboxes the log talks about."""
    sys.path.insert(0, ROOT)
    os.environ["MODOBOA_DATABASE_URL"] = url
    from flask_migrate import upgrade

    from modoboa_flask import create_app
    from modoboa_flask.accounts import load_initial_data
    from modoboa_flask.extensions import db
    from modoboa_flask.models import Domain, Mailbox, User

    app = create_app()
    with app.app_context():
        upgrade(directory=os.path.join(ROOT, "migrations"))
        load_initial_data()
        domains = [Domain(name=f"bench{d}.test", quota=0) for d in range(DOMAINS)]
        db.session.add_all(domains)
        db.session.flush()
        for i in range(MAILBOXES):
            address = f"user{i}@bench{i % DOMAINS}.test"
            user = User(username=address, email=address, password="x", role="SimpleUsers")
            db.session.add(user)
            db.session.flush()
            db.session.add(Mailbox(address=f"user{i}", domain_id=domains[i % DOMAINS].id,
                                   user_id=user.id))  # fmt: skip
        db.session.commit()


def _message(out, rng: random.Random, stamp: datetime, n: int) -> None:
    """Write the lines of one queued message (or one rejection) at *stamp*."""
    t = stamp.strftime("%b %d %H:%M:%S")
    qid = f"{n:X}".rjust(10, "A")
    user = rng.randrange(MAILBOXES)
    local = f"user{user}@bench{user % DOMAINS}.test"  # an existing mailbox
    remote = f"someone{rng.randrange(100_000)}@remote{rng.randrange(500)}.example"
    pid = rng.randrange(1000, 60000)
    out.write(f"{t} mx postfix/smtpd[{pid}]: connect from mail.remote.example[192.0.2.{n % 250}]\n"
              f"{t} mx postfix/smtpd[{pid}]: Anonymous TLS connection established from "
              f"mail.remote.example[192.0.2.{n % 250}]: TLSv1.3 with cipher "
              f"TLS_AES_256_GCM_SHA384\n")  # fmt: skip
    if rng.random() < 0.05:
        out.write(f"{t} mx postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from mail.remote.example"
                  f"[192.0.2.1]: 550 5.1.1 <nobody@bench1.test>: Recipient address rejected: "
                  f"User unknown in virtual mailbox table; from=<{remote}> to=<nobody@bench1.test>"
                  f" proto=ESMTP helo=<mail.remote.example>\n")  # fmt: skip
        return
    inbound = rng.random() < 0.6
    sender, rcpt = (remote, local) if inbound else (local, remote)
    size = rng.randrange(800, 200_000)
    agent, relay = ("lmtp", "127.0.0.1[127.0.0.1]:24") if inbound else (
        "smtp", "mx.remote.example[198.51.100.7]:25")  # fmt: skip
    out.write(f"{t} mx postfix/smtpd[{pid}]: {qid}: client=mail.remote.example[192.0.2.1]\n"
              f"{t} mx postfix/cleanup[{pid + 1}]: {qid}: message-id=<{n}@bench>\n"
              f"{t} mx postfix/qmgr[99]: {qid}: from=<{sender}>, size={size}, "
              f"nrcpt=1 (queue active)\n"
              f"{t} mx postfix/smtpd[{pid}]: disconnect from mail.remote.example[192.0.2.1] "
              f"ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7\n")  # fmt: skip
    roll = rng.random()
    status = "sent (250 2.0.0 Ok: queued)"
    if roll < 0.03:
        status = "bounced (host said: 550 5.1.1 No such user (in reply to RCPT TO command))"
    elif roll < 0.07:
        out.write(f"{t} mx postfix/{agent}[{pid + 2}]: {qid}: to=<{rcpt}>, relay=none, delay=1, "
                  f"delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to mx.remote.example"
                  f"[198.51.100.7]:25: Connection refused)\n")  # fmt: skip
    out.write(f"{t} mx postfix/{agent}[{pid + 2}]: {qid}: to=<{rcpt}>, relay={relay}, delay=0.4, "
              f"delays=0.1/0/0.1/0.2, dsn=2.0.0, status={status}\n"
              f"{t} mx postfix/qmgr[99]: {qid}: removed\n")  # fmt: skip


def write_log(path: str, megabytes: int, days: int, seed_value: int = 1) -> int:
    """Write about *megabytes* MB of log spread over the last *days* days; return its lines."""
    rng = random.Random(seed_value)
    target = megabytes * 1024 * 1024
    # Roughly 1.3 KB per message: spread the messages evenly over the period.
    messages = max(1, target // 1300)
    start = datetime.now() - timedelta(days=days)
    step = timedelta(days=days) / messages
    n = 0
    with open(path, "w") as out:
        while out.tell() < target:
            _message(out, rng, start + step * n, n)
            n += 1
    with open(path, "rb") as counted:
        return sum(1 for _ in counted)


def main() -> int:
    """Seed, generate, parse twice, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--keep", help="Work in this folder and keep it (default: temporary).")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="bench-stats-")
    os.makedirs(folder, exist_ok=True)
    url = f"sqlite:///{os.path.join(folder, 'bench.db')}"
    seed(url)
    log = os.path.join(folder, "mail.log")
    began = time.perf_counter()
    lines = write_log(log, args.megabytes, args.days)
    size = os.path.getsize(log) / 1024 / 1024
    print(f"log: {size:.0f} MB, {lines:,} lines, written in {time.perf_counter() - began:.0f} s")
    env = {**os.environ, "MODOBOA_DATABASE_URL": url}
    command = [sys.executable, "-m", "flask", "--app", "app", "parse-maillog", "--file", log]
    for run in ("first", "second"):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        if result.returncode != 0:
            print(result.stdout, result.stderr)
            return 1
        print(f"{run} run: {result.stdout.strip()} wall {wall:.1f} s, CPU {cpu:.1f} s, "
              f"{size / wall:.1f} MB/s, peak RSS {after.ru_maxrss / 1024:.0f} MB")  # fmt: skip
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
