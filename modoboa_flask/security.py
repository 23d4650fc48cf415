"""Login manager wiring, proxies, security headers and the open-redirect guard."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

from flask import current_app, flash, g, make_response, redirect, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import login_manager
from .htmx import is_htmx
from .sessions import load_session_user

# No inline script anywhere: htmx is configured through a <meta> tag and app.js.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
SESSION_EXPIRED = "Your session has expired. Please log in again."


def init_app(app):
    """Trust the configured proxies; register the user loader, 401 handler and headers."""
    _trust_proxies(app)
    # A remember cookie sent in clear would outlive the Secure session cookie it stands for.
    if app.config.get("SESSION_COOKIE_SECURE"):
        app.config["REMEMBER_COOKIE_SECURE"] = True
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.login_message = "Please log in to access this page."
    login_manager.login_message_category = "warning"
    login_manager.user_loader(load_session_user)
    login_manager.unauthorized_handler(_unauthorized)
    app.after_request(_security_headers)


def _trust_proxies(app) -> None:
    """Read the client address and scheme from X-Forwarded-* behind TRUSTED_PROXIES proxies.

    Only the proxies' own entries are believed: with N proxies werkzeug's ProxyFix takes the
    N-th address from the right of X-Forwarded-For, so a client cannot forge its address.
    X-Forwarded-Host is not read: the proxy passes the Host header through.
    """
    count = app.config.get("TRUSTED_PROXIES", 0)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(
            f"TRUSTED_PROXIES must be the number of reverse proxies in front of the "
            f"application (0 = none), not {count!r}"
        )
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def _unauthorized():
    """401 + HX-Redirect for htmx (a 302 would swap the login page into a fragment)."""
    login_url = url_for("auth.login", next=_local_path())
    if g.get("session_expired"):
        flash(SESSION_EXPIRED, login_manager.login_message_category)
    if is_htmx():
        response = make_response("", 401)
        response.headers["HX-Redirect"] = login_url
        return response
    if request.path.startswith("/api/"):
        return {"detail": "Authentication credentials were not provided."}, 401
    if not g.get("session_expired"):
        flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url)


def _local_path() -> str:
    # Re-quoted: request.path is decoded, and safe_next() only honours printable ASCII.
    path = quote(request.path)
    query = request.query_string.decode("latin-1")
    return f"{path}?{query}" if query else path


def _security_headers(response):
    # Pages and downloads name people and carry CSRF tokens: no browser or proxy may keep a
    # copy (the back button after logout, a shared computer). Static files keep caching.
    # Every response, not only authenticated ones: the login page holds a CSRF token too.
    endpoint = request.endpoint or ""
    if endpoint != "static" and not endpoint.endswith(".static"):
        response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CSP)
    max_age = current_app.config.get("HSTS_MAX_AGE", 0)
    if current_app.config.get("SESSION_COOKIE_SECURE") and max_age:
        # Secure cookies mean the site is served over HTTPS: tell browsers to never use HTTP.
        response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}")
    return response


# Browsers strip controls around a URL and drop tabs and newlines inside it ("/\t/evil.com"
# reads as "//evil.com"): a target holding any control is refused outright.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _stays_on_site(url: str) -> bool:
    """True when *url*, as a browser reads it, is a path on this site: "/x", never "//x"."""
    if _CONTROL.search(url):
        return False
    seen = url.replace("\\", "/")  # browsers read a backslash as a slash
    if not seen.startswith("/") or seen.startswith("//"):
        return False
    parts = urlsplit(seen)
    if parts.scheme or parts.netloc:
        return False
    # "/./" and "/../" resolve to other paths ("/.//evil.com" becomes "//evil.com").
    return not ({".", ".."} & set(parts.path.split("/")))


def safe_next(target: str | None) -> str | None:
    """*target* when it is a same-site path, else None (the open-redirect guard).

    The raw value must be printable ASCII without spaces or backslashes, and it must stay a
    local path however many times it is percent-decoded (a proxy or a later redirect may
    decode "%2F%2Fevil.com") and after the browser's own clean-up ("/\\t/evil.com").
    """
    if not target or len(target) > 2048 or not target.isascii() or not target.isprintable():
        return None
    if " " in target or "\\" in target:
        return None
    decoded = target
    for _ in range(5):
        if not _stays_on_site(decoded):
            return None
        decoded, previous = unquote(decoded), decoded
        if decoded == previous:
            return target
    return None  # still changing after five rounds: nobody writes links like that
