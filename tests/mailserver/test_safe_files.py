"""Files the CLI writes are written safely (issue 11, point 9).

Maps, Dovecot configs and the checksum file go to a new temporary file that replaces the
destination (never through a link, mode 0640 whatever the umask); a new SQLite database
and its -wal/-shm files are 0640.
"""

import os

import pytest
from sqlalchemy import text

from modoboa_flask.blueprints.mailserver import dovecot
from modoboa_flask.extensions import db
from tests.conftest import make_app

PG = "postgresql+psycopg://pfuser:s3cret@db.example:5433/maildb"


def _maps(runner, destdir):
    return runner.invoke(args=["generate-postfix-maps", "--destdir", str(destdir), "--dburl", PG])


def _dovecot(runner, destdir):
    return runner.invoke(args=["generate-dovecot-conf", "--destdir", str(destdir), "--dburl", PG])


@pytest.fixture
def umask_zero():
    """Run with umask 0, where a plain open() would create world-writable files."""
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.mark.parametrize(
    ("generate", "name"),
    [
        (_maps, "sql-domains.cf"),
        (_maps, "modoboa-postfix-maps.chk"),
        (_dovecot, dovecot.SQL_CONF),
        (_dovecot, dovecot.DICT_CONF),
    ],
)
def test_a_destination_replaced_by_a_link_is_refused(runner, tmp_path, generate, name):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / name).symlink_to(victim)
    result = generate(runner, tmp_path / "out")
    assert result.exit_code == 1
    assert f"Refusing to write {tmp_path}/out/{name}: it is a symbolic link." in result.output
    assert "Traceback" not in result.output
    assert victim.read_text() == "precious\n"
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]


def test_files_are_replaced_in_one_step_with_mode_0640(runner, tmp_path, umask_zero):
    assert _maps(runner, tmp_path).exit_code == 0
    assert _dovecot(runner, tmp_path).exit_code == 0
    names = ["sql-domains.cf", "modoboa-postfix-maps.chk", dovecot.SQL_CONF, dovecot.DICT_CONF]
    inodes = {name: (tmp_path / name).stat().st_ino for name in names}
    (tmp_path / "sql-domains.cf").chmod(0o666)  # a widened mode is put back
    assert _maps(runner, tmp_path).exit_code == 0
    assert _dovecot(runner, tmp_path).exit_code == 0
    for name in names:
        info = (tmp_path / name).stat()
        assert oct(info.st_mode & 0o777) == "0o640", name
        assert info.st_ino != inodes[name], f"{name} was rewritten in place"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_new_sqlite_database_and_its_wal_files_are_0640(tmp_path):
    old = os.umask(0o022)  # the usual umask: sqlite3 alone would create 0644 files
    try:
        app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/modoboa.db")
        with app.app_context():
            db.session.execute(text("CREATE TABLE t (x INTEGER)"))
            db.session.execute(text("INSERT INTO t VALUES (1)"))
            db.session.commit()
            modes = {
                name: oct(os.stat(tmp_path / name).st_mode & 0o777)
                for name in ("modoboa.db", "modoboa.db-wal", "modoboa.db-shm")
            }
            db.session.remove()
            db.engine.dispose()
    finally:
        os.umask(old)
    assert modes == dict.fromkeys(modes, "0o640")


def test_an_existing_sqlite_database_keeps_its_mode(tmp_path):
    path = tmp_path / "modoboa.db"
    path.touch(mode=0o660)  # what the README tells administrators to set for Postfix
    path.chmod(0o660)
    app = make_app(DATABASE_URL=f"sqlite:///{path}")
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.remove()
        db.engine.dispose()
    assert oct(path.stat().st_mode & 0o777) == "0o660"
