"""A tiny SMTP server on 127.0.0.1 that keeps what it receives (no aiosmtpd needed).

It stands for the hosts Postfix relays to (relay domains, forwards, outbound mail):
``refuse`` names recipients it answers 550 to, which is what a relay domain's recipient
verification probes for.
"""

import base64
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class Received:
    """One message: envelope and raw data."""

    sender: str
    recipients: list[str]
    data: bytes


@dataclass
class _State:
    refuse: set[str]
    messages: list[Received] = field(default_factory=list)
    probes: list[str] = field(default_factory=list)  # every RCPT TO, accepted or not
    logins: list[tuple[str, str]] = field(default_factory=list)  # AUTH PLAIN (user, password)


class _Handler(socketserver.StreamRequestHandler):
    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        state: _State = self.server.state
        sender, recipients = "", []
        self._reply("220 sink.test ESMTP")
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip()
            verb = command[:4].upper()
            if verb == "EHLO":
                self._reply("250-sink.test")
                self._reply("250 AUTH PLAIN")  # lets the app's relay login be tested
            elif verb == "HELO":
                self._reply("250 sink.test")
            elif verb == "AUTH":
                _authzid, user, password = (
                    base64.b64decode(command.split()[-1]).decode().split("\0")
                )
                state.logins.append((user, password))
                self._reply("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                sender, recipients = _address(command), []
                self._reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                rcpt = _address(command)
                state.probes.append(rcpt)
                if rcpt.lower() in state.refuse:
                    self._reply("550 5.1.1 User unknown")
                else:
                    recipients.append(rcpt)
                    self._reply("250 2.1.5 Ok")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                chunks = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    chunks.append(chunk)
                state.messages.append(Received(sender, recipients, b"".join(chunks)))
                self._reply("250 2.0.0 Ok: queued")
            elif verb == "RSET":
                sender, recipients = "", []
                self._reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                self._reply("221 2.0.0 Bye")
                return
            else:
                self._reply("250 2.0.0 Ok")


def _address(command: str) -> str:
    return command.partition(":")[2].strip().split()[0].strip("<>") if ":" in command else ""


class SmtpSink:
    """Run the sink in a thread on a free port of 127.0.0.1; `stop()` ends it."""

    def __init__(self, refuse=()):
        self.state = _State(refuse={a.lower() for a in refuse})
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.state = self.state
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def delivered_to(self, address: str) -> list[Received]:
        """Messages whose envelope recipients include *address*."""
        return [m for m in self.state.messages if address in m.recipients]

    def stop(self) -> None:
        """Stop serving and close the port."""
        self.server.shutdown()
        self.server.server_close()
