"""Login manager wiring, security headers and login throttling."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, make_response, redirect, request, url_for
from sqlalchemy import func, select

from .extensions import db, login_manager
from .models import LoginFailure, utcnow
from .sessions import load_session_user

# No inline script anywhere: htmx is configured through a <meta> tag and app.js.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)


def init_app(app):
    """Register the user loader, the unauthorized handler and the response headers."""
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.login_message = "Please log in to access this page."
    login_manager.login_message_category = "warning"
    login_manager.user_loader(load_session_user)
    login_manager.unauthorized_handler(_unauthorized)
    app.after_request(_security_headers)


def _unauthorized():
    """401 + HX-Redirect for htmx (a 302 would swap the login page into a fragment)."""
    login_url = url_for("auth.login", next=_local_path())
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 401)
        response.headers["HX-Redirect"] = login_url
        return response
    if request.path.startswith("/api/"):
        return {"detail": "Authentication credentials were not provided."}, 401
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url)


def _local_path() -> str:
    path = request.full_path if request.query_string else request.path
    return path.rstrip("?")


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
    return response


def is_safe_next(target: str | None) -> bool:
    """True only for local paths ("/x"), never "//host" or absolute URLs."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    return "\\" not in target and "\n" not in target and "\r" not in target


def login_throttled(username: str, ip: str) -> bool:
    """True when the account or the IP had too many recent failures."""
    window = utcnow() - timedelta(seconds=current_app.config["LOGIN_THROTTLE_WINDOW"])
    limit = current_app.config["LOGIN_THROTTLE_ATTEMPTS"]
    recent = select(func.count()).select_from(LoginFailure).where(LoginFailure.created > window)
    by_user = db.session.scalar(recent.where(LoginFailure.username == username))
    # An IP gets more room than an account: several users may share a NAT.
    by_ip = db.session.scalar(recent.where(LoginFailure.ip_address == ip))
    return by_user >= limit or by_ip >= limit * 4


def record_login_failure(username: str, ip: str) -> None:
    """Remember a failed attempt (and forget those older than the window)."""
    window = utcnow() - timedelta(seconds=current_app.config["LOGIN_THROTTLE_WINDOW"])
    db.session.execute(LoginFailure.__table__.delete().where(LoginFailure.created < window))
    db.session.add(LoginFailure(username=username[:254], ip_address=ip[:45]))
