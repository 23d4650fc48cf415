"""A minimal plugin using every hook of the plugin system (loaded by the plugin tests)."""

from flask import Blueprint, current_app
from flask_wtf import FlaskForm
from wtforms import StringField

from modoboa_flask import params, signals
from modoboa_flask.forms import FormTab
from modoboa_flask.params import Param
from modoboa_flask.permissions import require
from modoboa_flask.plugins import Plugin

bp = Blueprint("sample", __name__)


@bp.get("/")
@require()
def index():
    """The plugin's landing page (a default_top_redirection choice)."""
    return "sample landing page"


class NoteForm(FlaskForm):
    """The sample tab's form."""

    note = StringField("Note")


def _tab(user, obj):
    return [FormTab("sample", "Sample", NoteForm, "sample/_tab.html", order=90)]


def _admin_menu(sender, *, target, user, **extra):
    if target == "top_menu" and user.is_superuser:
        return [{"name": "sample", "label": "Sample admin", "url": "/sample/"}]
    return []


def _user_menu(sender, *, target, user, **extra):
    return [{"name": "sample", "label": f"Sample {target}", "url": "/sample/"}]


def _extra_parameters(sender, *, application, level, **extra):
    if application == "core" and level == "A":
        return [Param("core", "sample_extra", "bool", False, "Sample extra switch", order=999)]
    return []


def _static(sender, *, caller, st_type, user, **extra):
    return [f"/static/sample.{st_type}"]


def _events(sender, *, extname, **extra):
    current_app.extensions.setdefault("sample_events", []).append(extname)


RECEIVERS = (
    (signals.admin_menu_display, _admin_menu),
    (signals.user_menu_display, _user_menu),
    (signals.get_extra_parameters, _extra_parameters),
    (signals.get_extra_roles, lambda sender, **kw: [("SampleRole", "Sample role")]),
    (
        signals.get_extra_role_permissions,
        lambda sender, *, rolename, **kw: ["sample.use"] if rolename == "SampleRole" else [],
    ),
    (signals.get_static_content, _static),
    (signals.get_announcement, lambda sender, *, target, **kw: [f"Sample news for {target}"]),
    (
        signals.top_notifications,
        lambda sender, **kw: [
            {
                "id": "sample",
                "url": "/sample/",
                "text": "Sample alerts",
                "counter": 3,
                "level": "warning",
            }
        ],
    ),  # fmt: skip
    (signals.extra_domain_form, lambda sender, *, user, domain, **kw: _tab(user, domain)),
    (signals.extra_account_form, lambda sender, *, user, account, **kw: _tab(user, account)),
    (signals.initial_data_loaded, _events),
)


def load(app):
    """Register parameters, the blueprint and every receiver on *app*."""
    params.register(
        Param("sample", "greeting", "str", "hello", "Greeting", required=True),
        Param("sample", "color", "choice", "blue", "Color", level="U",
              choices=(("blue", "Blue"), ("red", "Red"))),
        Param("sample", "shade", "str", "", "Shade of red", level="U",
              visible_if=("color", "red"), required=True),
        label="Sample", app=app,
    )  # fmt: skip
    app.register_blueprint(bp, url_prefix="/sample")
    for signal, receiver in RECEIVERS:
        # Lambdas would be garbage-collected under blinker's weak references.
        signal.connect(receiver, sender=app, weak=False)


def load_initial_data():
    """Store a marker parameter; return what was done."""
    params.set("sample.greeting", "initialized")
    return ["Sample data loaded"]


plugin = Plugin(
    name="sample",
    label="Sample plugin",
    version="1.2.3",
    description="Exercises every hook",
    url="https://example.org/sample",
    load=load,
    load_initial_data=load_initial_data,
)
