"""The real Postfix (postmap) agrees with the generated maps, on the suite's database."""

import socket
import threading

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import DATABASE_URL
from tests.mailserver.conftest import map_files
from tests.mailserver.fixtureset import EXPECTED
from tests.peers import postfix as pf
from tests.peers import require
from tests.peers._proc import make_peer_dir, remove_peer_dir

pytestmark = pytest.mark.peers


def _answer(got, expected):
    """Alias maps answer "a,b" in any row order: compare those as sets."""
    if isinstance(expected, set) and got is not None:
        return set(got.split(","))
    return got


def test_the_thirteen_maps_are_generated(maps_dir):
    assert map_files(maps_dir) == sorted({name for name, _key in EXPECTED})
    assert len(map_files(maps_dir)) == 13
    checksums = (maps_dir / "modoboa-postfix-maps.chk").read_text().splitlines()
    assert len(checksums) == 13


def test_every_map_answers_exactly_what_the_fixture_set_implies(maps_dir, database_driver):
    require(lambda: pf.available(database_driver), f"postfix with {database_driver} maps")
    wrong = {}
    for (name, key), expected in EXPECTED.items():
        got = pf.postmap_query(maps_dir / name, key, database_driver)
        if _answer(got, expected) != expected:
            wrong[(name, key)] = (got, expected)
    assert wrong == {}


class _Forwarder:
    """A TCP port forwarder: the database seen on a non-default port."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.server.close()


def test_maps_reach_a_database_on_a_non_default_port(mail_app, database_driver):
    url = make_url(mail_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        pytest.skip("SQLite has no port (the dbpath test covers it)")
    require(lambda: pf.available(database_driver), f"postfix with {database_driver} maps")
    forwarder = _Forwarder(url.port or (5432 if database_driver == "pgsql" else 3306))
    directory = make_peer_dir("maps-port")
    try:
        other = url.set(port=forwarder.port).render_as_string(hide_password=False)
        result = mail_app.test_cli_runner().invoke(
            args=["generate-postfix-maps", "--destdir", str(directory), "--dburl", other]
        )
        assert result.exit_code == 0, result.output
        text = (directory / "sql-relaydomains-transport.cf").read_text()
        prefix = "inet:" if database_driver == "mysql" else ""
        assert f"hosts = {prefix}{url.host}:{forwarder.port}\n" in text
        answer = pf.postmap_query(
            directory / "sql-relaydomains-transport.cf", "relay.tld", database_driver
        )
        assert answer == "relay:[mx.relay.tld]:2525"
    finally:
        forwarder.close()
        remove_peer_dir(directory)


def test_sqlite_dbpath_is_absolute(maps_dir):
    if make_url(DATABASE_URL).get_backend_name() != "sqlite":
        pytest.skip("SQLite only")
    line = next(
        x for x in (maps_dir / "sql-domains.cf").read_text().splitlines() if x.startswith("dbpath")
    )
    assert line.split(" = ")[1].startswith("/")
