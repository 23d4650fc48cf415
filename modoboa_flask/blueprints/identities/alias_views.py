"""Alias pages: create, edit, bulk delete."""

from flask import abort, render_template, request, url_for
from flask_login import current_user

from ...bounds import to_id
from ...exceptions import ServiceError
from ...extensions import db
from ...forms import EmptyForm, service_call
from ...htmx import hx_redirect
from ...models import Alias
from ...permissions import load, require, visible_aliases
from . import bp, services
from .forms import AliasForm, lines
from .views import service_error

# A mailbox's self-alias or a domain alias mapping is not editable here: 404.
EDITABLE = (Alias.internal.is_(False),)


def _fields(form) -> dict:
    return {
        "address": form.address.data,
        "recipients": lines(form.recipients.data),
        "enabled": form.enabled.data,
        "expire_at": form.expire_at.data,
        "description": form.description.data,
    }


@bp.route("/aliases/new", methods=["GET", "POST"])
@require("aliases.add")
def alias_new():
    """Create an alias, catch-all or random address."""
    form = AliasForm(formdata=request.form if request.method == "POST" else None)
    form.setup(creating=True)
    if request.method == "POST" and form.validate():
        with service_call(form) as call:
            alias = services.create_alias(
                current_user,
                random_address=form.random_address.data,
                domain=form.domain.data,
                **_fields(form),
            )
        if call.ok:
            return hx_redirect(url_for("identities.alias_edit", alias_id=alias.id, saved=1))
    return render_template("identities/alias_form.html", form=form, alias=None)


@bp.route("/aliases/<int:alias_id>", methods=["GET", "POST"])
@load(Alias, "alias_id", "aliases.view", where=EDITABLE)
def alias_edit(alias):
    """Show and change an alias."""
    data = (
        None
        if request.method == "POST"
        else {
            "address": alias.address,
            "enabled": alias.enabled,
            "expire_at": alias.expire_at,
            "description": alias.description,
            "recipients": "\n".join(r.address for r in alias.recipients),
        }
    )
    form = AliasForm(formdata=request.form if request.method == "POST" else None, data=data)
    form.setup(creating=False)
    saved = request.args.get("saved") == "1"
    if request.method == "POST" and form.validate():
        with service_call(form) as call:
            services.update_alias(current_user, alias, **_fields(form))
        saved = saved or call.ok
    return render_template("identities/alias_form.html", form=form, alias=alias, saved=saved)


@bp.post("/aliases/delete")
@require("aliases.delete")
def aliases_delete():
    """Delete the selected aliases: all of them, or none when one is out of scope."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    ids = {to_id(value) for value in request.form.getlist("ids")}
    if None in ids:
        abort(404)
    if not ids:
        return hx_redirect(url_for("identities.index"))
    stmt = visible_aliases(current_user).where(Alias.id.in_(ids), *EDITABLE)
    aliases = list(db.session.scalars(stmt))
    if len(aliases) != len(ids):
        abort(404)
    try:
        services.delete_aliases(current_user, aliases)
    except ServiceError as exc:
        db.session.rollback()
        return service_error(exc)
    db.session.commit()
    return hx_redirect(url_for("identities.index"))
