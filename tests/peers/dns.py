"""Real authoritative DNS (BIND 9 named) on 127.0.0.1:<free port>, serving test zones.

Zones are given as record lines in zone-file syntax relative to the zone origin; SOA and NS are
added. By default named also serves an empty root zone, so a name outside the test zones gets an
authoritative NXDOMAIN (as on the Internet) rather than REFUSED.

    with DnsServer({
        "example.com": [
            "@ MX 10 mail",
            "mail A 192.0.2.10",
            '@ TXT "v=spf1 mx -all"',
            '_dmarc TXT "v=DMARC1; p=none"',
            txt("modoboa._domainkey", "v=DKIM1; k=rsa; p=" + key),
        ],
        "2.0.192.in-addr.arpa": ["10 PTR mail.example.com."],
    }) as dns_server:
        answer = dns_server.resolver().resolve("example.com", "MX")
"""

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

import dns.resolver

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

NAMED = "/usr/sbin/named"
_NS = "ns.peers.invalid."  # out-of-zone NS: needs no glue, never collides with test records


def available() -> bool:
    """True when BIND's named is installed."""
    return os.access(NAMED, os.X_OK)


def txt(owner: str, value: str) -> str:
    """Return a TXT record line, split into 255-byte strings (long DKIM keys need that)."""
    chunks = [value[i : i + 255] for i in range(0, len(value), 255)] or [""]
    quoted = " ".join('"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks)
    return f"{owner} TXT ( {quoted} )"


def _zone_text(origin: str, records: Iterable[str]) -> str:
    head = [
        f"$ORIGIN {origin}.",
        "$TTL 60",
        f"@ SOA {_NS} hostmaster.peers.invalid. 1 3600 600 86400 60",
        f"@ NS {_NS}",
    ]
    if not origin:  # the root zone contains the NS name itself: it needs an address there
        head.append(f"{_NS} A 127.0.0.1")
    return "\n".join([*head, *records]) + "\n"


class DnsServer:
    """A private named answering for *zones* ({origin: [record lines]}) on UDP and TCP."""

    def __init__(
        self,
        zones: Mapping[str, Iterable[str]],
        *,
        nxdomain_for_others: bool = True,
        timeout: float = 30,
    ):
        self.zones = {name.rstrip(".").lower(): list(records) for name, records in zones.items()}
        if nxdomain_for_others and "" not in self.zones:
            self.zones[""] = []
        self.timeout = timeout
        self.dir: Path | None = None
        self.port: int | None = None
        self._proc: subprocess.Popen | None = None

    def _named_conf(self) -> str:
        d = self.dir
        zones = "".join(
            f'zone "{origin or "."}" {{ type primary; file "{d}/zone-{i}.db"; }};\n'
            for i, origin in enumerate(self.zones)
        )
        # controls {} disables rndc (it would listen on 127.0.0.1:953, shared by every run).
        return f"""\
options {{
    directory "{d}";
    pid-file "{d}/named.pid";
    session-keyfile "{d}/session.key";
    managed-keys-directory "{d}";
    listen-on port {self.port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
    check-names primary ignore;
    check-integrity no;
    check-mx ignore;
    check-mx-cname ignore;
    check-srv-cname ignore;
}};
controls {{ }};
logging {{
    channel file {{ file "{d}/named.log"; severity info; print-time yes; }};
    category default {{ file; }};
}};
{zones}"""

    def start(self) -> "DnsServer":
        """Write the zones and named.conf, check them, start named and wait for it."""
        self.dir = make_peer_dir("named")
        for i, (origin, records) in enumerate(self.zones.items()):
            (self.dir / f"zone-{i}.db").write_text(_zone_text(origin, records))
        self.port = free_port(udp=True)
        conf = self.dir / "named.conf"
        conf.write_text(self._named_conf())
        check = run(["named-checkconf", "-z", conf], timeout=self.timeout)
        if check.returncode != 0:
            self._fail(f"named-checkconf rejected the zones:\n{check.stdout}{check.stderr}")
        # -f: foreground, so the Popen PID is named itself; -n 1: one worker, starts faster.
        with open(self.dir / "named.stderr", "wb") as err:
            self._proc = subprocess.Popen(
                [NAMED, "-f", "-4", "-n", "1", "-c", str(conf)],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
            )
        # named opens its listeners only once every zone is loaded.
        if not wait_tcp(self.port, timeout=self.timeout, alive=lambda: self._proc.poll() is None):
            self._fail(f"named did not open 127.0.0.1:{self.port}")
        return self

    def _fail(self, message: str):
        log = tail(self.dir / "named.log") + "\n" + tail(self.dir / "named.stderr")
        self.stop()
        raise PeerError(f"{message}\n{log}")

    def resolver(self, lifetime: float = 5.0):
        """Return a dnspython Resolver that asks only this server."""
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        resolver.lifetime = lifetime
        return resolver

    def stop(self) -> None:
        """Stop named by PID and delete the instance dir."""
        if self._proc is not None:
            stop_pid(self._proc.pid, timeout=10)
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
            self._proc = None
        if self.dir is not None:
            remove_peer_dir(self.dir)
            self.dir = None

    def __enter__(self) -> "DnsServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class SilentDnsServer:
    """A UDP and TCP port on 127.0.0.1 that takes DNS queries and never answers them."""

    def __init__(self):
        self.port: int | None = None
        self._sockets: list = []

    def start(self) -> "SilentDnsServer":
        """Bind the port (UDP datagrams are queued unread; TCP connects, then hangs)."""
        import socket

        self.port = free_port(udp=True)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", self.port))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", self.port))
        tcp.listen(64)
        self._sockets = [udp, tcp]
        return self

    def stop(self) -> None:
        """Close the sockets."""
        for sock in self._sockets:
            sock.close()
        self._sockets = []

    def __enter__(self) -> "SilentDnsServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
