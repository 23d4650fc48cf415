"""Process, port and directory helpers shared by the peer daemons."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DEFAULT_TIMEOUT = 30  # seconds; every subprocess call gets one, a hung daemon must not hang pytest


class PeerError(RuntimeError):
    """A peer daemon or tool failed; the message carries its output or log tail."""


def free_port(udp: bool = False) -> int:
    """Return a free TCP port on 127.0.0.1 (also free for UDP when *udp* is true)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            if not udp:
                return port
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as dgram:
                try:
                    dgram.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise PeerError("no free port found")


def run(args, *, timeout: float = DEFAULT_TIMEOUT, input: str | None = None, env=None, cwd=None):
    """Run *args* with captured text output and a timeout; never raise on a non-zero exit."""
    return subprocess.run(
        [str(a) for a in args],
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=cwd,
        check=False,
    )


def run_checked(args, **kwargs) -> subprocess.CompletedProcess:
    """Run *args* like run() and raise PeerError with its output when it fails."""
    result = run(args, **kwargs)
    if result.returncode != 0:
        command = " ".join(map(str, args))
        raise PeerError(f"{command} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def make_peer_dir(prefix: str) -> Path:
    """Create a unique temp dir that daemons running as other users (postfix, dovecot) can enter."""
    path = Path(tempfile.mkdtemp(prefix=f"modoboa-{prefix}."))
    path.chmod(0o755)  # mkdtemp makes it 0700: dovenull/postfix could not traverse it
    return path


def remove_peer_dir(path: Path) -> None:
    """Delete a peer dir unless MODOBOA_PEERS_KEEP=1 asks to keep it for debugging."""
    if os.environ.get("MODOBOA_PEERS_KEEP") == "1":
        return
    shutil.rmtree(path, ignore_errors=True)


def wait_tcp(port: int, *, timeout: float = 10, alive=None, host: str = "127.0.0.1") -> bool:
    """Wait until *port* accepts TCP connections; stop early when alive() turns false."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            pass
        if alive is not None and not alive():
            return False
        time.sleep(0.03)
    return False


def pid_alive(pid: int) -> bool:
    """Tell whether *pid* runs; a zombie counts as dead (a container's PID 1 may never reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def read_pid(path: Path) -> int | None:
    """Read a pid file, or None when it is missing or empty."""
    try:
        digits = "".join(ch for ch in path.read_text() if ch.isdigit())
    except FileNotFoundError:
        return None
    return int(digits) if digits else None


def stop_pid(pid: int | None, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Send *sig* to *pid*, wait for it to exit, and SIGKILL it after *timeout* seconds."""
    if not pid or not pid_alive(pid):
        return
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def tail(path: Path, lines: int = 40) -> str:
    """Return the last *lines* lines of a log file (empty when missing)."""
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""
