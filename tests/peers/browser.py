"""Headless Debian Chromium driven by Playwright, and a threaded live server for a WSGI app.

Playwright's own browser download (`playwright install`) is never used: it cannot reach its CDN
here, and Debian's /usr/bin/chromium is what CI installs.
"""

import os
import threading

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google hosts, which this
# machine's closed network refuses; --no-sandbox because tests run as root.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)


def available() -> bool:
    """True when Debian's chromium and the playwright package are installed."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return os.access(CHROMIUM, os.X_OK)


def launch_chromium(playwright, **kwargs):
    """Launch headless /usr/bin/chromium from a sync Playwright object; return the Browser."""
    args = [*CHROMIUM_ARGS, *kwargs.pop("args", ())]
    kwargs.setdefault("headless", True)
    kwargs.setdefault("timeout", 30_000)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args, **kwargs)


class LiveServer:
    """Serve a WSGI *app* from a background thread on 127.0.0.1:<free port>.

    Requests are handled in threads (threaded=True), so the app must not rely on one
    connection-bound state: an in-memory SQLite database needs a StaticPool.
    """

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self.host = host
        self._requested_port = port
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port actually bound."""
        return self._server.server_port

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. http://127.0.0.1:41234."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> "LiveServer":
        """Bind the socket (port 0 picks a free one) and serve in a daemon thread."""
        self._server = make_server(self.host, self._requested_port, self.app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="live-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
