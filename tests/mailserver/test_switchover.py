"""Switching over from Modoboa 1.6.3: databases Modoboa itself wrote, copied into ours.

`tests/fixtures/modoboa-1.6.3/` holds them (README.md there says how they were made) and
`expected-postmap.tsv`, what Modoboa's own Postfix maps answered. Each database pass loads
the dump of its engine (SQLite file, `psql`, `mariadb`), runs `flask migrate-from-modoboa`
into a database built by `flask db upgrade`, and checks rows, logins (web and Dovecot) and
the real Postfix's answers.
"""

import contextlib
import csv
import gzip
import hashlib
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import MetaData, Table, create_engine, func, select, text
from sqlalchemy.engine import make_url

from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, Domain, DomainAdmin, Mailbox, User
from modoboa_flask.switchover import read_only_url
from tests.conftest import DATABASE_URL, make_app
from tests.mailserver.conftest import RELAY_PLUGIN, mail_database_url
from tests.migrated import fresh_database_url, migrated_app
from tests.peers import dovecot as dc
from tests.peers import postfix as pf
from tests.peers import require
from tests.peers._proc import make_peer_dir, remove_peer_dir

pytestmark = pytest.mark.peers

FIXTURES = Path(__file__).parents[1] / "fixtures" / "modoboa-1.6.3"
BACKEND = make_url(DATABASE_URL).get_backend_name()
DRIVER = {"sqlite": "sqlite", "postgresql": "pgsql"}.get(BACKEND, "mysql")
# README.md of the fixtures: login, password; None = no mailbox (web login only).
ACCOUNTS = {
    "admin": "password",
    "alice@alpha.test": "Alice1234",
    "bob@alpha.test": "Bob12345",
    "carol@alpha.test": "Carol1234",
    "dan@alpha.test": "Dan12345",
    "da@alpha.test": "Dadmin1234",
    "dave@beta-off.test": "Dave1234",
    "local@relay.test": "Local1234",
    "erin@alpha.test": "Erin1234",
    "frank@alpha.test": "Frank1234",
    "rita": "Rita12345",
    "gina@gamma.test": "Gina12345",
    "admin@delta.test": "password",
    "henry@delta.test": "Henry1234",
}
# Refused on purpose: dan is disabled; Dovecot also refuses dave, whose domain is disabled
# (the web login lets him reach his settings, as Modoboa's did).
REFUSED = {"dan@alpha.test"}
MAIL_REFUSED = REFUSED | {"dave@beta-off.test"}
NO_MAILBOX = {"admin", "rita"}
# Modoboa table -> rows (README.md "Rows per table") and our table that holds them.
COPIED = {
    "core_user": (14, "core_user"),
    "admin_domain": (6, "admin_domain"),
    "admin_domainalias": (4, "admin_domainalias"),
    "admin_mailbox": (12, "admin_mailbox"),
    "admin_alias": (29, "admin_alias"),
    "modoboa_admin_aliasrecipient": (33, "modoboa_admin_aliasrecipient"),
    "admin_quota": (12, "admin_quota"),
    "admin_senderaddress": (1, "admin_senderaddress"),
    "admin_mailboxoperation": (2, "admin_mailboxoperation"),
    "postfix_relay_domains_relaydomain": (2, "postfix_relay_domains_relaydomain"),
    "postfix_relay_domains_service": (2, "postfix_relay_domains_service"),
    "limits_userobjectlimit": (70, "limits_userobjectlimit"),
    "limits_domainobjectlimit": (24, "limits_domainobjectlimit"),
    "core_log": (37, "core_log"),
    "lib_parameter": (39, "core_parameter"),
    "authtoken_token": (1, "core_apitoken"),
}


def _load_dump(url: str) -> None:
    """Load the engine's dump with its own client, as the fixtures' README says."""
    parsed = make_url(url)
    if BACKEND == "postgresql":
        require("psql", "psql client")
        dump = gzip.decompress((FIXTURES / "modoboa-1.6.3.pgsql.sql.gz").read_bytes())
        libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", libpq]
    else:
        require("mariadb", "mariadb client")
        dump = gzip.decompress((FIXTURES / "modoboa-1.6.3.mysql.sql.gz").read_bytes())
        command = ["mariadb", "-h", parsed.host or "127.0.0.1", "-P", str(parsed.port or 3306)]
        command += ["-u", parsed.username or "root", parsed.database]
        if parsed.password:
            command.insert(1, f"--password={parsed.password}")
    subprocess.run(command, input=dump, check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def modoboa_database():
    """Yield the URL of a new database holding Modoboa 1.6.3's data (dropped afterwards)."""
    if BACKEND == "sqlite":
        directory = make_peer_dir("modoboa-src")
        try:
            path = directory / "modoboa.sqlite3"
            path.write_bytes(gzip.decompress((FIXTURES / "modoboa-1.6.3.sqlite3.gz").read_bytes()))
            yield f"sqlite:///{path}"
        finally:
            remove_peer_dir(directory)
        return
    with fresh_database_url() as url:
        _load_dump(url)
        yield url


def _counts(url: str, tables) -> dict[str, int]:
    engine = create_engine(read_only_url(url))  # a plain SQLite open would switch it to WAL
    try:
        with engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in tables}
    finally:
        engine.dispose()


def _digest(url: str) -> str | None:
    """SHA-256 of a SQLite source file (None for a server database)."""
    url = make_url(url)
    return (
        hashlib.sha256(Path(url.database).read_bytes()).hexdigest() if BACKEND == "sqlite" else None
    )


@pytest.fixture(scope="module")
def switched():
    """(app on our migrated database after the switch-over, source URL, command output)."""
    with modoboa_database() as source, mail_database_url() as target:
        root = make_peer_dir("switch-mailroot")
        before = _digest(source)
        app = make_app(
            DATABASE_URL=target,
            PLUGINS=["modoboa_flask.plugins.limits", RELAY_PLUGIN],
            MAIL_HOME_TEMPLATE=f"{root}/%d/%n",
            DOVEADM_PATH="",
        )
        with app.app_context():
            upgrade()
        result = app.test_cli_runner().invoke(args=["migrate-from-modoboa", source])
        assert result.exit_code == 0, result.output
        app.config.update(SOURCE=source, SOURCE_DIGEST=before)
        try:
            yield app, source, result.output
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            remove_peer_dir(root)


def test_every_mail_row_is_copied(switched):
    app, source, output = switched
    before = _counts(source, COPIED)
    after = _counts(app.config["SQLALCHEMY_DATABASE_URI"], {t for _n, t in COPIED.values()})
    assert before == {table: rows for table, (rows, _ours) in COPIED.items()}
    copied = {table: after[ours] for table, (_rows, ours) in COPIED.items()}
    # Modoboa parameters without a meaning here (its public API, version checks, statistics,
    # its own secret key) are left behind, and the output says so, one line each.
    left = output.count(": not used here, left behind")
    assert left >= 4 and copied.pop("lib_parameter") == before["lib_parameter"] - left
    assert copied == {table: rows for table, rows in before.items() if table != "lib_parameter"}
    assert "core_user                                14 -> core_user" in output
    assert "django_session: 5 row(s) left behind" in output


def _rows(url: str, table: str, columns=None) -> set[tuple]:
    """Rows of *table* as comparable tuples (booleans as 0/1, times to the second, UTC)."""
    engine = create_engine(read_only_url(url))
    try:
        with engine.connect() as conn:
            t = Table(table, MetaData(), autoload_with=conn, resolve_fks=False)
            names = sorted(columns or t.columns.keys())
            out = set()
            for row in conn.execute(select(*(t.c[n] for n in names))):
                out.add(tuple(_plain(v) for v in row))
            return out
    finally:
        engine.dispose()


def _plain(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(" ")[:19]
    return value


def test_rows_are_copied_column_for_column(switched):
    app, source, _output = switched
    target = app.config["SQLALCHEMY_DATABASE_URI"]
    same_name = [t for t, (_rows_, ours) in COPIED.items() if t == ours]
    for table in same_name:
        engine = create_engine(read_only_url(source))
        with engine.connect() as conn:
            theirs = set(Table(table, MetaData(), autoload_with=conn, resolve_fks=False).c.keys())
        engine.dispose()
        # Columns both schemas have; Modoboa's dates_id/content_type_id are translated.
        shared = theirs - {"dates_id", "content_type_id"}
        assert _rows(source, table, shared) == _rows(target, table, shared), table


def test_the_source_is_only_read(switched):
    app, source, _output = switched
    assert _digest(source) == app.config["SOURCE_DIGEST"]
    assert _counts(source, ["django_session", "reversion_version"]) == {
        "django_session": 5,
        "reversion_version": 27,
    }


def test_roles_owners_grants_and_dates_are_translated(switched):
    app, source, _output = switched
    with app.app_context():
        roles = dict(db.session.execute(select(User.username, User.role)).all())
        assert roles["admin"] == "SuperAdmins" and roles["rita"] == "Resellers"
        assert roles["da@alpha.test"] == roles["admin@delta.test"] == "DomainAdmins"
        assert roles["alice@alpha.test"] == "SimpleUsers"
        users = dict(db.session.execute(select(User.id, User.username)).all())
        delta = db.session.scalar(select(Domain).where(Domain.name == "delta.test"))
        assert users[delta.owner_id] == "rita"
        henry = db.session.scalar(select(User).where(User.username == "henry@delta.test"))
        assert users[henry.owner_id] == "rita"
        grants = {
            (users[u], d)
            for u, d in db.session.execute(
                select(DomainAdmin.user_id, Domain.name).join(Domain)
            ).all()
        }
        assert grants == {("da@alpha.test", "alpha.test"), ("admin@delta.test", "delta.test")}
        promo = db.session.scalar(select(Alias).where(Alias.address == "promo@alpha.test"))
        assert promo.description == "Summer campaign address"
        assert promo.expire_at.isoformat() == "2099-06-30T12:00:00"
        mailboxes = db.session.scalar(select(func.count()).select_from(Mailbox))
        assert mailboxes == 12
        ours = {d.id: d.creation for d in db.session.scalars(select(Domain))}
    engine = create_engine(read_only_url(source))
    with engine.connect() as conn:
        theirs = dict(
            conn.execute(
                text(
                    "SELECT d.id, o.creation FROM admin_domain d "
                    "JOIN admin_objectdates o ON o.id = d.dates_id"
                )
            ).all()
        )
        tokens = Table("authtoken_token", MetaData(), autoload_with=conn, resolve_fks=False)
        key = conn.execute(select(tokens.c.key)).scalar()
    engine.dispose()
    assert {i: str(v)[:19] for i, v in ours.items()} == {i: str(v)[:19] for i, v in theirs.items()}
    # Modoboa's API key still works (stored hashed here).
    response = app.test_client().get("/api/v1/domains/", headers={"Authorization": f"Token {key}"})
    assert response.status_code == 200
    assert len(response.get_json()) == 6


def test_every_account_logs_in_on_the_web_with_its_old_password(switched):
    app, _source, _output = switched
    refused = set()
    for username, password in ACCOUNTS.items():
        client = app.test_client()
        response = client.post("/auth/login", data={"username": username, "password": password})
        if response.status_code != 303 or "/auth/login" in response.headers["Location"]:
            refused.add(username)
    assert refused == REFUSED


def test_every_mailbox_logs_in_to_dovecot_with_its_old_password(switched):
    app, _source, _output = switched
    require(lambda: dc.available(DRIVER), f"dovecot with the {DRIVER} driver")
    conf_dir = make_peer_dir("switch-dovecot")
    try:
        result = app.test_cli_runner().invoke(
            args=["generate-dovecot-conf", "--destdir", str(conf_dir), "--mail-home-template",
                  "{mail_root}/%d/%n", "--uid", "65534", "--gid", "65534"]
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        with dc.DovecotInstance(
            conf_dir / "dovecot-sql.conf.ext", conf_dir / "dovecot-dict-sql.conf.ext"
        ) as dovecot:
            accepted = {
                user
                for user, password in ACCOUNTS.items()
                if user not in NO_MAILBOX and dovecot.auth_test(user, password)
            }
            assert not dovecot.auth_test("alice@alpha.test", "Wrong1234")
    finally:
        remove_peer_dir(conf_dir)
    expected = set(ACCOUNTS) - NO_MAILBOX - MAIL_REFUSED
    if "ARGON2ID" not in dc.doveadm_schemes():
        expected.discard("frank@alpha.test")  # this Dovecot was built without libargon2
    assert accepted == expected


def _expected_postmap():
    with (FIXTURES / "expected-postmap.tsv").open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _wrong_answers(app, dburl=None) -> dict:
    """Lookups whose answer differs from Modoboa's (maps generated for *dburl*)."""
    require(lambda: pf.available(DRIVER), f"postfix with {DRIVER} maps")
    directory = make_peer_dir("switch-maps")
    args = ["generate-postfix-maps", "--destdir", str(directory)]
    try:
        result = app.test_cli_runner().invoke(args=args + (["--dburl", dburl] if dburl else []))
        assert result.exit_code == 0, result.output
        wrong = {}
        rows = _expected_postmap()
        assert len(rows) == 73
        for row in rows:
            got = pf.postmap_query(directory / row["map_file"], row["key"], DRIVER)
            # Multi-valued answers come in any row order: compare sorted, duplicates kept.
            got = sorted(got.split(",")) if got is not None else []
            expected = sorted(row["expected"].split(",")) if row["expected"] else []
            if got != expected:
                wrong[(row["map_file"], row["key"])] = (got, expected)
    finally:
        remove_peer_dir(directory)
    return wrong


def test_the_regenerated_maps_answer_what_modoboas_did(switched):
    app, _source, _output = switched
    assert _wrong_answers(app) == {}


def _backup_and_restore(url: str, into: str, work: Path) -> None:
    """The backup and restore commands of README "Deploying", run for real."""
    if BACKEND == "sqlite":
        require("sqlite3", "sqlite3 shell")
        target = make_url(into).database
        subprocess.run(["sqlite3", make_url(url).database, f".backup {work}/backup.db"], check=True)
        shutil.copy(work / "backup.db", target)
        return
    parsed, restored = make_url(url), make_url(into)
    if BACKEND == "postgresql":
        require(["pg_dump", "pg_restore"], "PostgreSQL client tools")
        libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        new = restored.set(drivername="postgresql").render_as_string(hide_password=False)
        subprocess.run(["pg_dump", "-Fc", "-f", str(work / "backup.dump"), libpq], check=True)
        subprocess.run(
            ["pg_restore", "--no-owner", "-d", new, str(work / "backup.dump")], check=True
        )
        return
    require(["mariadb-dump", "mariadb"], "MariaDB client tools")
    server = ["-h", parsed.host or "127.0.0.1", "-P", str(parsed.port or 3306)]
    server += ["-u", parsed.username or "root"] + (
        [f"--password={parsed.password}"] if parsed.password else []
    )
    with open(work / "backup.sql", "wb") as out:
        subprocess.run(
            ["mariadb-dump", *server, "--single-transaction", parsed.database],
            stdout=out,
            check=True,
        )
    with open(work / "backup.sql", "rb") as dump:
        subprocess.run(["mariadb", *server, restored.database], stdin=dump, check=True)


def test_a_backup_restored_into_a_new_database_answers_the_same(switched):
    app, _source, _output = switched
    work = make_peer_dir("switch-backup")
    try:
        with mail_database_url() as restored:
            _backup_and_restore(app.config["SQLALCHEMY_DATABASE_URI"], restored, work)
            assert _counts(restored, ["core_user", "admin_alias", "alembic_version"]) == {
                "core_user": 14,
                "admin_alias": 29,
                "alembic_version": 1,
            }
            assert _wrong_answers(app, restored) == {}
    finally:
        remove_peer_dir(work)


def test_refuses_a_target_that_is_not_empty_and_a_source_that_is_not_modoboa(tmp_path):
    empty = tmp_path / "empty.sqlite3"
    with migrated_app() as app:
        runner = app.test_cli_runner()
        with app.app_context():
            db.session.add(User(username="someone", role="SimpleUsers"))
            db.session.commit()
        result = runner.invoke(args=["migrate-from-modoboa", f"sqlite:///{empty}"])
        assert result.exit_code == 1
        assert "already holds accounts or domains" in result.output
        with app.app_context():
            db.session.execute(User.__table__.delete())
            db.session.commit()
        result = runner.invoke(args=["migrate-from-modoboa", f"sqlite:///{empty}"])
        assert result.exit_code == 1
        assert "Cannot read the Modoboa database" in result.output
        assert not empty.exists()  # read-only: a mistyped path creates no file
        empty.touch()
        result = runner.invoke(args=["migrate-from-modoboa", f"sqlite:///{empty}"])
        assert result.exit_code == 1
        assert "Not a Modoboa 1.6 database: missing table(s) core_user" in result.output


def test_dry_run_writes_nothing(tmp_path):
    source = tmp_path / "modoboa.sqlite3"
    source.write_bytes(gzip.decompress((FIXTURES / "modoboa-1.6.3.sqlite3.gz").read_bytes()))
    shutil.copy(source, tmp_path / "copy")
    with migrated_app() as app:
        result = app.test_cli_runner().invoke(
            args=["migrate-from-modoboa", "--dry-run", f"sqlite:///{source}"]
        )
        assert result.exit_code == 0, result.output
        assert "Dry run: nothing written." in result.output
        assert "admin_alias                              29 -> admin_alias" in result.output
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert source.read_bytes() == (tmp_path / "copy").read_bytes()


def _sqlite_source(tmp_path, *statements) -> str:
    """A copy of Modoboa 1.6.3's SQLite database changed by *statements*; its URL."""
    path = tmp_path / "modoboa.sqlite3"
    path.write_bytes(gzip.decompress((FIXTURES / "modoboa-1.6.3.sqlite3.gz").read_bytes()))
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    return f"sqlite:///{path}"


def _invoke(app, source):
    return app.test_cli_runner().invoke(args=["migrate-from-modoboa", source])


def test_an_external_recipient_listed_twice_is_copied_once(tmp_path):
    source = _sqlite_source(
        tmp_path,
        "INSERT INTO modoboa_admin_aliasrecipient (alias_id, address) "
        "VALUES (9, 'partner@external.example')",
    )
    with migrated_app() as app:
        result = _invoke(app, source)
        assert result.exit_code == 0, result.output
        assert "1 duplicate recipient(s) of the same alias copied once" in result.output
        with app.app_context():
            sales = db.session.scalar(select(Alias).where(Alias.address == "sales@alpha.test"))
            assert [r.address for r in sales.recipients] == [
                "alice@alpha.test",
                "partner@external.example",
            ]


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        # A mailbox whose domain is gone (Modoboa's SQLite foreign keys point at `__old` tables).
        (
            "DELETE FROM admin_domain WHERE name = 'gamma.test'",
            "Switch-over stopped, nothing was written",
        ),
        (
            "CREATE TABLE transport_transport (id integer)",
            "only Modoboa 1.6 databases are supported",
        ),
    ],
    ids=["broken", "modoboa-2"],
)
def test_a_bad_source_is_refused_with_nothing_written(tmp_path, statement, message):
    source = _sqlite_source(tmp_path, statement)
    with migrated_app() as app:
        result = _invoke(app, source)
        assert result.exit_code == 1
        assert message in result.output
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(User)) == 0
            assert db.session.scalar(select(func.count()).select_from(Domain)) == 0
