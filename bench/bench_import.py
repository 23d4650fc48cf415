"""Benchmark the CSV import: N accounts (with mailboxes) + N aliases, pre-hashed passwords.

    .venv/bin/python bench/bench_import.py [--accounts 100000] [--plugins limits,relaydomains]

Builds a fresh SQLite database in a temporary directory (migrations applied with
`flask db upgrade`), imports the domains, then times `flask import` on the identities file
in a child process and prints its wall time and peak RSS. The file is generated on disk
first and streamed by the importer.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOMAINS = 20
# One real sha512-crypt hash: the importer keeps {SCHEME} values as they are.
HASH = (
    "{SHA512-CRYPT}$6$rounds=70000$4U/6JyHe1Cw9dSE/$1nZ6p4F2sBxqvDSlTQFVXL/zoBTFHMR"
    "D6hpEEv8.LHZ.sQPwEoo9aY6rsrIHEv2OEfXvCswl1nVt0G6oX2jQO."
)


def write_files(folder: str, accounts: int) -> tuple[str, str]:
    """The domains file and the identities file (accounts then aliases)."""
    domains = os.path.join(folder, "domains.csv")
    with open(domains, "w") as out:
        for d in range(DOMAINS):
            out.write(f"domain;bench{d}.test;0;1024;True\r\n")
    identities = os.path.join(folder, "identities.csv")
    with open(identities, "w") as out:
        for i in range(accounts):
            address = f"user{i}@bench{i % DOMAINS}.test"
            out.write(f"account;{address};{HASH};First{i};Last{i};True;SimpleUsers;{address};"
                      f"{100 + i % 50}\r\n")  # fmt: skip
        for i in range(accounts):
            domain = f"bench{i % DOMAINS}.test"
            out.write(f"alias;alias{i}@{domain};True;user{i}@{domain};"
                      f"someone{i}@external.example\r\n")  # fmt: skip
    return domains, identities


def flask(env: dict, *args: str, profile: str = "") -> subprocess.CompletedProcess:
    """Run a `flask` command of the app with *env* (under cProfile into *profile* if given)."""
    runner = ["-m", "cProfile", "-o", profile] if profile else []
    command = [sys.executable, *runner, "-m", "flask", "--app", "app", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


def main() -> int:
    """Generate, import, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument(
        "--plugins",
        default=None,
        help="comma-separated plugin names ('' = none; default: the config's)",
    )
    parser.add_argument("--row-by-row", action="store_true", help="disable the batched path")
    parser.add_argument("--profile", default="", help="write a cProfile dump of the import here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, MODOBOA_DATABASE_URL=f"sqlite:///{folder}/bench.db",
                   MODOBOA_SECRET_KEY="bench")  # fmt: skip
        if args.plugins is not None:
            names = [name for name in args.plugins.split(",") if name]
            plugins = [f"modoboa_flask.plugins.{name}" for name in names]
            env["MODOBOA_PLUGINS"] = repr(plugins).replace("'", '"')
        for step in (("db", "upgrade"), ("load-initial-data",)):
            done = flask(env, *step)
            if done.returncode:
                print(done.stdout, done.stderr, file=sys.stderr)
                return 1
        started = time.perf_counter()
        domains, identities = write_files(folder, args.accounts)
        size = os.path.getsize(identities)
        print(f"files written in {time.perf_counter() - started:.1f} s "
              f"(identities: {size / 1048576:.1f} MB)")  # fmt: skip
        flask(env, "import", domains)
        extra = ["--row-by-row"] if args.row_by_row else []
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        profile = os.path.abspath(args.profile) if args.profile else ""
        done = flask(env, "import", *extra, identities, profile=profile)
        elapsed = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
        peak = usage.ru_maxrss / 1024
        print(done.stdout.strip()[-400:])
        if done.returncode:
            print(done.stderr[-2000:], file=sys.stderr)
        rows = 2 * args.accounts
        print(f"imported {rows} rows in {elapsed:.1f} s wall, {cpu:.1f} s CPU "
              f"({elapsed / rows * 1e6:.0f} µs/row), peak RSS {peak:.0f} MB")  # fmt: skip
        return done.returncode


if __name__ == "__main__":
    sys.exit(main())
