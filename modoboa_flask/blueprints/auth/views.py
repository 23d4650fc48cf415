"""Login and logout pages."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ... import signals
from ...forms import EmptyForm
from ...permissions import public, require
from ...security import safe_next
from ..landing import landing_url
from . import bp
from .forms import LoginForm
from .services import LoginRefused, authenticate, log_in, log_out


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form; log the user in on valid credentials."""
    form = LoginForm()
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or landing_url(current_user))
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except LoginRefused as exc:
            form.form_errors.append(str(exc))
            status = exc.status
            if exc.retry_after:
                headers["Retry-After"] = str(exc.retry_after)
        else:
            log_in(user, form.password.data, form.remember.data)
            return redirect(next_url or landing_url(user), 303)
    elif request.method == "POST":
        status = 400
    announcements = signals.collect(signals.get_announcement, target="loginpage")
    page = render_template("auth/login.html", form=form, announcements=announcements)
    return page, status, headers


@bp.post("/logout")
@require()
def logout():
    """End the session on the server and go back to the login page."""
    if not EmptyForm().validate_on_submit():
        flash("Your session form expired; please try again.", "warning")
        return redirect(url_for("root"), 303)
    log_out(current_user._get_current_object())
    flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"), 303)
