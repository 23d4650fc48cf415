"""Real Dovecot 2.3: password checks with doveadm pw, and private Dovecot instances.

Gotchas (seen on Debian 12 / Dovecot 2.3.19):
- base_dir must be empty at start (stale sockets make every connect retry for 5 s): each
  instance gets a fresh temp dir.
- Failed logins are delayed 2 s and penalised per IP (doubling up to 15 s) unless
  auth_failure_delay = 0 and the anvil-auth-penalty listener is disabled; both are set here.
- Dovecot keeps inherited fds open: its stdio goes to files, never to our pipes.
- The quota dict process writes the SQL quota table: it runs as root so a root-owned SQLite file
  stays writable.
"""

import os
import re
import subprocess
from pathlib import Path

from ._proc import (
    PeerError,
    free_port,
    make_peer_dir,
    read_pid,
    remove_peer_dir,
    run,
    stop_pid,
    tail,
    wait_tcp,
)

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
_SQL_DRIVERS = {"sqlite", "pgsql", "mysql"}
# doveadm pw needs no server; an empty config keeps it away from /etc/dovecot.
_EMPTY_CONF = "/dev/null"


def available(driver: str | None = None) -> bool:
    """True when dovecot and doveadm (and the SQL driver module for *driver*) are installed."""
    if not (os.access(DOVECOT, os.X_OK) and os.access(DOVEADM, os.X_OK)):
        return False
    if driver in _SQL_DRIVERS:
        return (
            Path(f"/usr/lib/dovecot/modules/auth/libdriver_{driver}.so").exists()
            or Path(f"/usr/lib/dovecot/modules/libdriver_{driver}.so").exists()
        )
    return True


def doveadm_pw_verify(hashed: str, password: str, scheme: str | None = None) -> bool:
    """Check *password* against *hashed* ("{SCHEME}..." or with *scheme* given) like Dovecot."""
    if scheme and not hashed.startswith("{"):
        hashed = "{" + scheme + "}" + hashed
    result = run([DOVEADM, "-c", _EMPTY_CONF, "pw", "-t", hashed, "-p", password], timeout=30)
    if result.returncode == 0:
        return True
    if "Password mismatch" in result.stderr:
        return False
    raise PeerError(f"doveadm pw -t failed ({result.returncode}): {result.stderr.strip()}")


def doveadm_schemes() -> set[str]:
    """Return the password schemes this Dovecot supports (doveadm pw -l)."""
    result = run([DOVEADM, "-c", _EMPTY_CONF, "pw", "-l"], timeout=30)
    if result.returncode != 0:
        raise PeerError(f"doveadm pw -l failed: {result.stderr.strip()}")
    return set(result.stdout.split())


def _read_text(conf: str | os.PathLike) -> str:
    # A Path is a file to read; a str is the text itself.
    return Path(conf).read_text() if isinstance(conf, os.PathLike) else conf


class DovecotInstance:
    """A private Dovecot (IMAP, LMTP, optional ManageSieve and SQL quota dict) on 127.0.0.1.

    *sql_conf* is the dovecot-sql.conf.ext used for passdb and userdb (a str is its text, a
    Path a file to read); ``{mail_root}`` in it is replaced by this instance's mail directory,
    e.g. ``user_query = SELECT '{mail_root}/%Ld/%Ln' AS home, 65534 AS uid, 65534 AS gid ...``.
    *dict_conf* (same rules) enables the quota plugin with a SQL dict ("quota:dict:proxy").

    *include* (a conf file, e.g. the one `generate-dovecot-conf` writes) replaces all of that:
    dovecot.conf is then only this instance's lines (directories, log, listeners on free
    ports, no login penalties) followed by ``!include`` of that file; *sql_conf* is unused.
    With ``sieve=True`` the include's own ManageSieve listener is used: pass its port as
    *sieve_port* (e.g. the `--managesieve-port` given to the generator).
    """

    def __init__(
        self,
        sql_conf: str | os.PathLike | None = None,
        dict_conf: str | os.PathLike | None = None,
        *,
        include: os.PathLike | None = None,
        lmtp: bool = True,
        sieve: bool = False,
        sieve_port: int | None = None,
        quota_rule: str = "*:storage=0",
        mail_uid: int = 65534,
        mail_gid: int = 65534,
        extra_conf: str = "",
        debug: bool = False,
        timeout: float = 30,
    ):
        self.include = include
        self.sql_conf = _read_text(sql_conf) if sql_conf is not None else ""
        self.dict_conf = _read_text(dict_conf) if dict_conf is not None else None
        self.lmtp, self.sieve = lmtp, sieve
        self.quota_rule = quota_rule
        self.mail_uid, self.mail_gid = mail_uid, mail_gid
        self.extra_conf, self.debug, self.timeout = extra_conf, debug, timeout
        self.dir: Path | None = None
        self.imap_port: int | None = None
        self.lmtp_port: int | None = None
        self.sieve_port: int | None = None
        self._given_sieve_port = sieve_port

    @property
    def conf_path(self) -> Path:
        """The generated dovecot.conf (pass to `doveadm -c`)."""
        return self.dir / "dovecot.conf"

    @property
    def mail_root(self) -> Path:
        """Directory the user_query should put homes under (owned by mail_uid)."""
        return self.dir / "mail"

    @property
    def log_path(self) -> Path:
        """Dovecot's log file."""
        return self.dir / "dovecot.log"

    def log_text(self) -> str:
        """Return everything Dovecot logged so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _driver(self) -> str:
        match = re.search(r"^\s*driver\s*=\s*(\w+)", self.sql_conf, re.M)
        if not match:
            raise ValueError("sql_conf has no 'driver =' line")
        return match.group(1)

    def _listeners(self) -> str:
        return f"""\
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""

    def _dovecot_conf(self) -> str:
        d = self.dir
        protocols = ["imap"] + ["lmtp"] * self.lmtp + ["sieve"] * self.sieve
        parts = [
            f"""\
base_dir = {d}/run
state_dir = {d}/state
instance_name = modoboa-test-{d.name}
protocols = {" ".join(protocols)}
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {d}/dovecot.log
auth_verbose = yes
auth_debug = {"yes" if self.debug else "no"}
mail_debug = {"yes" if self.debug else "no"}
# Tests: no 2 s delay after a failed login, no per-IP penalty doubling up to 15 s.
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8 ::1
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{self._listeners()}"""
        ]
        if self.include is not None:
            return parts[0] + f"!include {self.include}\n" + self.extra_conf
        parts.append(
            f"""\
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = .
  mailbox Drafts {{
    special_use = \\Drafts
    auto = create
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = create
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = create
  }}
}}
passdb {{
  driver = sql
  args = {d}/dovecot-sql.conf.ext
}}
userdb {{
  driver = sql
  args = {d}/dovecot-sql.conf.ext
}}
"""
        )
        if self.dict_conf is not None:
            parts.append(
                f"""\
mail_plugins = $mail_plugins quota
protocol imap {{
  mail_plugins = $mail_plugins imap_quota
}}
plugin {{
  quota = dict:User quota::proxy::sqlquota
  quota_rule = {self.quota_rule}
}}
dict {{
  sqlquota = {self._driver()}:{d}/dovecot-dict-sql.conf.ext
}}
service dict {{
  user = root
  unix_listener dict {{
    mode = 0666
  }}
}}
"""
            )
        if self.lmtp:
            lmtp_plugins = "$mail_plugins sieve" if self.sieve else "$mail_plugins"
            parts.append(
                f"""\
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp_port}
  }}
}}
protocol lmtp {{
  postmaster_address = postmaster@localhost
  mail_plugins = {lmtp_plugins}
}}
"""
            )
        if self.sieve:
            parts.append(
                f"""\
service managesieve-login {{
  inet_listener sieve {{
    address = 127.0.0.1
    port = {self.sieve_port}
  }}
}}
plugin {{
  sieve = file:~/sieve;active=~/.dovecot.sieve
}}
"""
            )
        parts.append(self.extra_conf)
        return "".join(parts)

    def start(self) -> "DovecotInstance":
        """Write the config and start `dovecot -c`; return once every listener accepts."""
        self.dir = make_peer_dir("dovecot")
        for sub in ("run", "state", "mail"):
            (self.dir / sub).mkdir()
        os.chown(self.mail_root, self.mail_uid, self.mail_gid)
        self.log_path.touch()
        self.imap_port = free_port()
        # With an include, LMTP listens where the include says (Postfix's unix socket).
        self.lmtp_port = free_port() if self.lmtp and self.include is None else None
        self.sieve_port = (self._given_sieve_port or free_port()) if self.sieve else None
        if self.include is None:
            sql = self.dir / "dovecot-sql.conf.ext"
            sql.write_text(self.sql_conf.replace("{mail_root}", str(self.mail_root)))
            sql.chmod(0o600)  # may hold a DB password
        if self.dict_conf is not None:
            (self.dir / "dovecot-dict-sql.conf.ext").write_text(self.dict_conf)
        self.conf_path.write_text(self._dovecot_conf())
        check = run(["doveconf", "-c", self.conf_path, "-n"], timeout=self.timeout)
        if check.returncode != 0:
            self._fail(f"doveconf rejected the config:\n{check.stderr}")
        with open(self.dir / "dovecot.stderr", "wb") as err:
            started = subprocess.run(
                [DOVECOT, "-c", str(self.conf_path)],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                timeout=self.timeout,
                check=False,
            )
        if started.returncode != 0:
            self._fail(f"dovecot exited {started.returncode}: {tail(self.dir / 'dovecot.stderr')}")
        for port in filter(None, (self.imap_port, self.lmtp_port, self.sieve_port)):
            if not wait_tcp(port, timeout=self.timeout):
                self._fail(f"port {port} did not open")
        return self

    def _fail(self, message: str):
        log = tail(self.log_path)
        self.stop()
        raise PeerError(f"{message}\n{log}")

    def doveadm(self, *args: str, timeout: float | None = None):
        """Run `doveadm -c <this config> ARGS...` and return the CompletedProcess."""
        return run([DOVEADM, "-c", self.conf_path, *args], timeout=timeout or self.timeout)

    def auth_test(self, user: str, password: str) -> bool:
        """True when passdb accepts *user*/*password* (doveadm auth test)."""
        result = self.doveadm("auth", "test", user, password)
        if result.returncode in (0, 77):
            return result.returncode == 0
        raise PeerError(f"doveadm auth test failed ({result.returncode}): {result.stderr}")

    def user_lookup(self, user: str) -> dict[str, str] | None:
        """Return the userdb fields for *user* (home, uid, gid, quota_rule...), or None."""
        result = self.doveadm("user", user)
        if result.returncode == 67:  # "userdb lookup: user doesn't exist"
            return None
        if result.returncode != 0:
            raise PeerError(f"doveadm user failed ({result.returncode}): {result.stderr}")
        fields = {}
        for line in result.stdout.splitlines()[1:]:  # first line: "field  value" header
            name, _, value = line.partition("\t")
            if name.strip():
                fields[name.strip()] = value.strip()
        return fields

    @property
    def master_pid(self) -> int | None:
        """PID of the running dovecot master, or None."""
        return read_pid(self.dir / "run" / "master.pid") if self.dir else None

    def stop(self) -> None:
        """Stop the master by PID (its children follow) and delete the instance dir."""
        if self.dir is None:
            return
        stop_pid(self.master_pid, timeout=10)
        remove_peer_dir(self.dir)
        self.dir = None

    def __enter__(self) -> "DovecotInstance":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
