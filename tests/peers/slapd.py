"""Real OpenLDAP slapd (mdb backend) loaded offline with slapadd, on 127.0.0.1:<free port>."""

import base64
import hashlib
import os
import re
import signal
import subprocess
from pathlib import Path

from ._proc import (
    PeerError,
    free_port,
    make_peer_dir,
    remove_peer_dir,
    run,
    stop_pid,
    tail,
    wait_tcp,
)

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")


def available() -> bool:
    """True when slapd and slapadd are installed."""
    return os.access(SLAPD, os.X_OK) and os.access(SLAPADD, os.X_OK)


def ssha(password: str, salt: bytes | None = None) -> str:
    """Hash *password* as an LDAP {SSHA} userPassword value."""
    salt = salt if salt is not None else os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def _base_entry(suffix: str) -> str:
    attr, _, value = suffix.split(",")[0].partition("=")
    if attr.lower() == "dc":
        classes = "objectClass: dcObject\nobjectClass: organization"
        return f"dn: {suffix}\n{classes}\ndc: {value}\no: {value}\n"
    if attr.lower() == "o":
        return f"dn: {suffix}\nobjectClass: organization\no: {value}\n"
    raise ValueError(f"cannot build a base entry for {suffix!r}: put it in entries_ldif")


class SlapdInstance:
    """A private slapd serving *suffix*; *entries_ldif* is loaded before start.

    The suffix entry itself is added when the LDIF does not contain it. The root DN is
    ``cn=admin,<suffix>`` with password *rootpw*; anonymous users may bind and read everything
    but userPassword.
    """

    def __init__(
        self,
        suffix: str = "dc=example,dc=com",
        entries_ldif: str = "",
        *,
        rootpw: str = "secret",
        schemas: tuple[str, ...] = SCHEMAS,
        timeout: float = 30,
    ):
        self.suffix = suffix
        self.entries_ldif = entries_ldif
        self.rootpw = rootpw
        self.rootdn = f"cn=admin,{suffix}"
        self.schemas = schemas
        self.timeout = timeout
        self.dir: Path | None = None
        self.port: int | None = None
        self._proc: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        """The ldap:// URI to connect to."""
        return f"ldap://127.0.0.1:{self.port}"

    def _slapd_conf(self) -> str:
        includes = "".join(f"include /etc/ldap/schema/{name}.schema\n" for name in self.schemas)
        return f"""\
{includes}modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {self.dir}/slapd.pid
argsfile {self.dir}/slapd.args
database mdb
maxsize 67108864
suffix "{self.suffix}"
rootdn "{self.rootdn}"
rootpw {ssha(self.rootpw)}
directory {self.dir}/data
index objectClass,uid,mail eq
access to attrs=userPassword
    by self write
    by anonymous auth
    by * none
access to *
    by * read
"""

    def start(self) -> "SlapdInstance":
        """Write slapd.conf, slapadd the entries and start slapd in the foreground."""
        self.dir = make_peer_dir("slapd")
        (self.dir / "data").mkdir()
        conf = self.dir / "slapd.conf"
        conf.write_text(self._slapd_conf())
        ldif = self.entries_ldif.strip()
        suffix_dn = re.compile(rf"^dn:\s*{re.escape(self.suffix)}\s*$", re.I | re.M)
        if not suffix_dn.search(ldif):
            ldif = _base_entry(self.suffix) + ("\n" + ldif if ldif else "")
        (self.dir / "entries.ldif").write_text(ldif + "\n")
        added = run(
            [SLAPADD, "-q", "-f", conf, "-l", self.dir / "entries.ldif"], timeout=self.timeout
        )
        if added.returncode != 0:
            self._fail(f"slapadd failed:\n{added.stdout}{added.stderr}")
        self.port = free_port()
        # -d 0: stay in the foreground (no double fork), so the Popen PID is slapd itself.
        with open(self.dir / "slapd.log", "wb") as log:
            self._proc = subprocess.Popen(
                [SLAPD, "-f", str(conf), "-h", f"{self.uri}/", "-d", "0"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        if not wait_tcp(self.port, timeout=self.timeout, alive=lambda: self._proc.poll() is None):
            self._fail(f"slapd did not open {self.uri}")
        return self

    def _fail(self, message: str):
        log = tail(self.dir / "slapd.log")
        self.stop()
        raise PeerError(f"{message}\n{log}")

    def stop(self) -> None:
        """Stop slapd by PID (SIGINT: flush and exit) and delete the instance dir."""
        if self._proc is not None:
            stop_pid(self._proc.pid, sig=signal.SIGINT, timeout=10)
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
            self._proc = None
        if self.dir is not None:
            remove_peer_dir(self.dir)
            self.dir = None

    def __enter__(self) -> "SlapdInstance":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
