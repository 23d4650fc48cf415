"""Postfix services page and the "scan master.cf" action."""

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from ... import params
from ...exceptions import ServiceError
from ...extensions import db
from ...forms import EmptyForm
from ...htmx import render_page_or_fragment
from ...models import RelayDomain, Service
from ...permissions import require
from . import services

bp = Blueprint("relaydomains", __name__, template_folder="templates")


def _services_context(**extra):
    rows = db.session.execute(
        select(Service.name, func.count(RelayDomain.id))
        .outerjoin(RelayDomain, RelayDomain.service_id == Service.id)
        .group_by(Service.name)
        .order_by(Service.name)
    ).all()
    return {
        "services": rows,
        "master_cf_path": params.get("relaydomains.master_cf_path"),
        "form": EmptyForm(),
        **extra,
    }


@bp.get("/services")
@require("services.add")
def index():
    """List the Postfix services relay domains may use."""
    return render_page_or_fragment(
        "relaydomains/index.html", "relaydomains/_services.html", **_services_context()
    )


@bp.post("/services/scan")
@require("services.scan")  # reads a server file and rewrites the global list: no role has it
def scan():
    """Load the smtp services declared in master.cf; drop unused ones it no longer declares."""
    form = EmptyForm()
    result, error = None, None
    if form.validate():
        try:
            result = services.scan_master_cf(
                current_user, params.get("relaydomains.master_cf_path")
            )
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            error = exc.message
    else:
        error = "The form expired: reload the page."
    return render_template(
        "relaydomains/_services.html", **_services_context(result=result, error=error)
    )
