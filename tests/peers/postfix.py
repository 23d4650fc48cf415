"""Real Postfix: one-off map lookups with postmap, and private Postfix instances.

Gotchas (all seen on Debian 12 / Postfix 3.7):
- Map paths must be absolute, and a .cf file younger than ~2 s is re-read every 300 ms until it
  "cools down": postmap_query() looks up a backdated copy, PostfixInstance backdates its files.
- postmap exits 1 both for "not found" and for fatal errors: stderr tells them apart.
- postmap case-folds the key (EXAMPLE.COM finds example.com).
- With a SQLite map and a *running* Postfix, the daemons read the DB as user postfix without a
  busy timeout: call prepare_sqlite_for_postfix() (WAL mode + group postfix), and keep the DB in a
  directory every user can traverse (pytest's tmp_path is not: use make_peer_dir()).
"""

import os
import shutil
import sqlite3
import stat
import time
from collections.abc import Mapping
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

POSTFIX = "/usr/sbin/postfix"
POSTMAP = "/usr/sbin/postmap"
_DICT_MODULES = {"sqlite": "postfix-sqlite", "pgsql": "postfix-pgsql", "mysql": "postfix-mysql"}


def available(driver: str | None = None) -> bool:
    """True when postfix/postmap (and the dict module for *driver*, if given) are installed."""
    if not (os.access(POSTFIX, os.X_OK) and os.access(POSTMAP, os.X_OK)):
        return False
    if driver in _DICT_MODULES:
        return Path(f"/usr/lib/postfix/{_DICT_MODULES[driver]}.so").exists()
    return True


def backdate(*paths: Path) -> None:
    """Make files older than Postfix's 2 s "cool down" window (a first lookup is then fast)."""
    # Older than Postfix's 2 s "cool down" window, so the first lookup does not take ~2 s.
    past = time.time() - 60
    for path in paths:
        os.utime(path, (past, past))


def postmap_query(
    map_path: str | os.PathLike, key: str, driver: str = "sqlite", *, timeout: float = 30
) -> str | None:
    """Look *key* up in the *driver*:*map_path* table with the real postmap; None if not found."""
    source = Path(map_path).resolve()
    if not source.is_file():
        raise FileNotFoundError(source)
    workdir = make_peer_dir("postmap")
    try:
        # "No configuration" installs have no /etc/postfix/main.cf: postmap needs one, even empty.
        (workdir / "main.cf").write_text("")
        copy = workdir / source.name
        shutil.copyfile(source, copy)
        backdate(copy, workdir / "main.cf")
        result = run([POSTMAP, "-c", workdir, "-q", key, f"{driver}:{copy}"], timeout=timeout)
    finally:
        remove_peer_dir(workdir)
    errors = [line for line in result.stderr.splitlines() if "fatal:" in line or "error:" in line]
    if errors or result.returncode not in (0, 1):
        raise PeerError(f"postmap -q {key!r} {driver}:{source} failed:\n{result.stderr}")
    if result.returncode == 1:
        return None
    return result.stdout.rstrip("\n")


def map_cf(driver: str, query: str, **params: str) -> str:
    """Return the text of a Postfix SQL map file (dbpath= for sqlite, hosts/user/... otherwise)."""
    lines = [f"{name} = {value}" for name, value in params.items()]
    return "\n".join([*lines, f"query = {query}"]) + "\n"


def prepare_sqlite_for_postfix(db_path: str | os.PathLike) -> None:
    """Put a SQLite DB in WAL mode and let group postfix write it and its -wal/-shm files."""
    db_path = Path(db_path).resolve()
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")  # persistent; readers no longer see "locked"
    conn.close()
    shutil.chown(db_path.parent, group="postfix")
    # Set-group-ID: the -wal/-shm files SQLite creates later get group postfix too.
    db_path.parent.chmod(db_path.parent.stat().st_mode | stat.S_IRWXG | stat.S_ISGID)
    # The -wal/-shm files the app already made too: readers write them.
    for path in (db_path, *(db_path.with_name(db_path.name + x) for x in ("-wal", "-shm"))):
        if path.exists():
            shutil.chown(path, group="postfix")
            path.chmod(path.stat().st_mode | stat.S_IRGRP | stat.S_IWGRP)


_MASTER_CF = """\
127.0.0.1:{smtp_port} inet n - n - - smtpd
pickup     unix  n - n 60    1 pickup
cleanup    unix  n - n -     0 cleanup
qmgr       unix  n - n 300   1 qmgr
rewrite    unix  - - n -     - trivial-rewrite
bounce     unix  - - n -     0 bounce
defer      unix  - - n -     0 bounce
trace      unix  - - n -     0 bounce
verify     unix  - - n -     1 verify
tlsmgr     unix  - - n 1000? 1 tlsmgr
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -     - proxymap
proxywrite unix  - - n -     1 proxymap
showq      unix  n - n -     - showq
error      unix  - - n -     - error
retry      unix  - - n -     - error
discard    unix  - - n -     - discard
lmtp       unix  - - n -     - lmtp
smtp       unix  - - n -     - smtp
relay      unix  - - n -     - smtp
anvil      unix  - - n -     1 anvil
scache     unix  - - n -     1 scache
postlog    unix-dgram n - n - 1 postlogd
"""


class PostfixInstance:
    """A private Postfix (master, smtpd, cleanup, qmgr, lmtp) on 127.0.0.1:<free port>.

    *maps* maps file names to their text; they are written to ``etc_dir`` (root:postfix 0640)
    and ``{etc}`` in any main.cf value or map text is replaced by that directory, e.g.
    ``main_cf={"virtual_mailbox_domains": "sqlite:{etc}/sql-domains.cf"}``. *lmtp*
    ("127.0.0.1:PORT") delivers virtual mailboxes to Dovecot; without it they bounce.
    Nothing leaves the machine: relaying is refused and other transports are error:.

    *config_text* (main.cf text, e.g. what `generate-postfix-maps --print-main-cf` prints)
    replaces those test defaults: main.cf is then that text followed by this instance's
    own lines (directories, log, host name, interfaces) and *main_cf*. *master_cf_text* is
    appended to the instance's master.cf.
    """

    def __init__(
        self,
        main_cf: Mapping[str, str] | None = None,
        maps: Mapping[str, str] | None = None,
        *,
        lmtp: str | None = None,
        config_text: str | None = None,
        master_cf_text: str = "",
        timeout: float = 30,
    ):
        self.main_cf = dict(main_cf or {})
        self.maps = dict(maps or {})
        self.lmtp = lmtp
        self.config_text, self.master_cf_text = config_text, master_cf_text
        self.timeout = timeout
        self.dir: Path | None = None
        self.smtp_port: int | None = None

    @property
    def etc_dir(self) -> Path:
        """The config directory (main.cf, master.cf, map files)."""
        return self.dir / "etc"

    @property
    def maillog(self) -> Path:
        """The file all Postfix logging goes to."""
        return self.dir / "maillog"

    def log_text(self) -> str:
        """Return everything Postfix logged so far."""
        return self.maillog.read_text(errors="replace") if self.maillog.exists() else ""

    @property
    def queue_dir(self) -> Path:
        """The queue directory (its private/ holds the LMTP and SASL sockets Dovecot makes)."""
        return self.dir / "queue"

    def _instance_main_cf(self) -> dict[str, str]:
        """Where this instance lives and what it answers as: no mail policy."""
        d = self.dir
        return {
            "compatibility_level": "3.6",
            "queue_directory": f"{d}/queue",
            "data_directory": f"{d}/data",
            "meta_directory": "/etc/postfix",
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            # The postfix command prints errors to a tty or syslog only: log to a file instead.
            "maillog_file": f"{d}/maillog",
            "maillog_file_prefixes": str(d),
            "myhostname": "mx.test.invalid",
            "mydomain": "test.invalid",
            "myorigin": "$myhostname",
            "mydestination": "",
            "local_recipient_maps": "",
            "local_transport": "error:local delivery disabled in tests",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "smtpd_peername_lookup": "no",
            "disable_dns_lookups": "yes",
            "smtp_host_lookup": "native",
            "lmtp_host_lookup": "native",
            "biff": "no",
        }

    def _base_main_cf(self) -> dict[str, str]:
        """The instance plus a closed test policy: LMTP or nothing, no relaying."""
        return {
            **self._instance_main_cf(),
            "relayhost": "",
            "default_transport": "error:outbound mail disabled in tests",
            "relay_transport": "error:outbound mail disabled in tests",
            "virtual_transport": f"lmtp:inet:{self.lmtp}"
            if self.lmtp
            else "error:no LMTP server in this test",
            "mynetworks": "127.0.0.0/8",
            "smtpd_relay_restrictions": "reject_unauth_destination",
            "smtpd_banner": "$myhostname ESMTP",
            "append_dot_mydomain": "no",
        }

    def start(self) -> "PostfixInstance":
        """Write the config, run `postfix check` and `postfix start`, wait for smtpd."""
        self.dir = make_peer_dir("postfix")
        etc = self.etc_dir
        # The queue must live outside the config dir (postfix-script wants etc/ all root-owned).
        for sub in ("etc", "queue", "data"):
            (self.dir / sub).mkdir()
        shutil.chown(self.dir / "data", user="postfix")  # master.lock, verify cache
        self.maillog.touch()
        self.smtp_port = free_port()
        for name, text in self.maps.items():
            path = etc / name
            path.write_text(text.replace("{etc}", str(etc)))
            shutil.chown(path, user="root", group="postfix")  # may hold a DB password
            path.chmod(0o640)
        head = ""
        if self.config_text is None:
            conf = self._base_main_cf()
        else:
            head = self.config_text + "\n# Test instance (later lines win):\n"
            conf = self._instance_main_cf()
        conf.update({k: v.replace("{etc}", str(etc)) for k, v in self.main_cf.items()})
        (etc / "main.cf").write_text(head + "".join(f"{k} = {v}\n" for k, v in conf.items()))
        master = _MASTER_CF.format(smtp_port=self.smtp_port) + self.master_cf_text
        (etc / "master.cf").write_text(master)
        backdate(*etc.iterdir())
        check = run([POSTFIX, "-c", etc, "check"], timeout=self.timeout)
        if check.returncode != 0:
            self._fail("postfix check failed")
        started = run([POSTFIX, "-c", etc, "start"], timeout=self.timeout)
        if started.returncode != 0:
            self._fail("postfix start failed")
        if not wait_tcp(self.smtp_port, timeout=self.timeout):
            self._fail(f"smtpd did not open 127.0.0.1:{self.smtp_port}")
        return self

    def _fail(self, message: str):
        log = tail(self.maillog)
        self.stop()
        raise PeerError(f"{message}\n{log}")

    @property
    def master_pid(self) -> int | None:
        """PID of the running master process, or None."""
        return read_pid(self.dir / "queue" / "pid" / "master.pid") if self.dir else None

    def reload(self) -> None:
        """Make the running Postfix re-read main.cf and restart its daemons."""
        backdate(*self.etc_dir.iterdir())
        run([POSTFIX, "-c", self.etc_dir, "reload"], timeout=self.timeout)

    def stop(self) -> None:
        """Stop the master by PID (its children follow) and delete the instance dir."""
        if self.dir is None:
            return
        # SIGTERM is what `postfix stop` sends the master, which then ends its children.
        stop_pid(self.master_pid, timeout=10)
        remove_peer_dir(self.dir)
        self.dir = None

    def __enter__(self) -> "PostfixInstance":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
