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
    run_checked,
    stop_pid,
    tail,
    wait_tcp,
)

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
OPENSSL = "/usr/bin/openssl"


def available() -> bool:
    """True when slapd and slapadd are installed."""
    return os.access(SLAPD, os.X_OK) and os.access(SLAPADD, os.X_OK)


def ssha(password: str, salt: bytes | None = None) -> str:
    """Hash *password* as an LDAP {SSHA} userPassword value."""
    salt = salt if salt is not None else os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def make_test_ca(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path, Path]:
    """Write a throwaway CA and a server certificate for *host* (an IP) signed by it.

    Returns (ca.pem, server.pem, server.key); EC keys keep it fast.
    """
    directory = Path(directory)
    ca_key, ca, key, csr, cert = (
        directory / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    steps = [
        [OPENSSL, "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
         "-subj", "/CN=modoboa test CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        [OPENSSL, "req", "-new", *ec, "-keyout", key, "-out", csr, "-subj", f"/CN={host}"],
    ]  # fmt: skip
    for args in steps:
        run_checked(args)
    (directory / "server.ext").write_text(
        f"subjectAltName=IP:{host}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    run_checked(
        [OPENSSL, "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", cert, "-days", "2", "-extfile", directory / "server.ext"]
    )  # fmt: skip
    return ca, cert, key


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
    but userPassword; each user may change their own entry (password-modify operation too).
    With *tls* = (certificate, key) slapd offers StartTLS on `uri` and listens on
    `ldaps_uri` too.
    """

    def __init__(
        self,
        suffix: str = "dc=example,dc=com",
        entries_ldif: str = "",
        *,
        rootpw: str = "secret",
        schemas: tuple[str, ...] = SCHEMAS,
        timeout: float = 30,
        tls: tuple[Path, Path] | None = None,
    ):
        self.suffix = suffix
        self.entries_ldif = entries_ldif
        self.rootpw = rootpw
        self.rootdn = f"cn=admin,{suffix}"
        self.schemas = schemas
        self.timeout = timeout
        self.dir: Path | None = None
        self.port: int | None = None
        self.tls = tls
        self.ldaps_port: int | None = None
        self._proc: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        """The ldap:// URI to connect to."""
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_uri(self) -> str:
        """The ldaps:// URI (only with *tls*)."""
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    def _slapd_conf(self) -> str:
        includes = "".join(f"include /etc/ldap/schema/{name}.schema\n" for name in self.schemas)
        if self.tls:
            cert, key = self.tls
            includes += f"TLSCertificateFile {cert}\nTLSCertificateKeyFile {key}\n"
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
    by self write
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
        urls = f"{self.uri}/"
        if self.tls:
            self.ldaps_port = free_port()
            urls += f" {self.ldaps_uri}/"
        # -d 0: stay in the foreground (no double fork), so the Popen PID is slapd itself.
        with open(self.dir / "slapd.log", "wb") as log:
            self._proc = subprocess.Popen(
                [SLAPD, "-f", str(conf), "-h", urls, "-d", "0"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        alive = lambda: self._proc.poll() is None  # noqa: E731
        for port in filter(None, (self.port, self.ldaps_port)):
            if not wait_tcp(port, timeout=self.timeout, alive=alive):
                self._fail(f"slapd did not open port {port}")
        return self

    def modify(self, dn: str, changes: list) -> None:
        """Apply python-ldap *changes* to *dn* as the root DN (tests change the directory)."""
        import ldap

        conn = ldap.initialize(self.uri)
        try:
            conn.simple_bind_s(self.rootdn, self.rootpw)
            conn.modify_s(dn, changes)
        finally:
            conn.unbind_s()

    def bind_ok(self, dn: str, password: str) -> bool:
        """True when *dn* can bind with *password*."""
        import ldap

        conn = ldap.initialize(self.uri)
        try:
            conn.simple_bind_s(dn, password)
            return True
        except ldap.INVALID_CREDENTIALS:
            return False
        finally:
            conn.unbind_s()

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
