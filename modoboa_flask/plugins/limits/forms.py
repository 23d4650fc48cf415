"""The "Resources" tabs of the account and domain forms (FormTab load/save)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, ValidationError

from ... import params
from ...bounds import problem
from ...forms import FormTab
from ...models import DOMAINADMINS, RESELLERS, UserObjectLimit
from ...permissions import has_perm
from . import services
from .definitions import domain_templates

ORDER = 80


def _limit_value(form, field):
    try:
        value = int(str(field.data).strip())
    except (TypeError, ValueError):
        raise ValidationError("Enter a whole number.") from None
    if value < -1:
        raise ValidationError("Invalid limit")
    too_big = problem(UserObjectLimit.max_value, value)
    if too_big:
        raise ValidationError(too_big)


def _form_class(templates, level: str):
    class ResourcesForm(FlaskForm):
        """One field per limit; `usage` feeds the usage bars."""

        def setup(self, user, obj):
            self.usage = services.report(obj, templates)

    for tpl in templates:
        help_text = tpl.help or "0 to deny any creation, -1 to allow unlimited creations"
        field = StringField(tpl.label, description=help_text, validators=[_limit_value])
        setattr(ResourcesForm, tpl.name, field)
    ResourcesForm.level = level
    return ResourcesForm


def _load(templates):
    def load(user, obj) -> dict:
        return {row["template"].name: str(row["max"]) for row in services.report(obj, templates)}

    return load


def _save_account(templates):
    def save(user, account, form) -> None:
        values = {tpl.name: form[tpl.name].data for tpl in templates}
        services.set_user_limits(user, account, values)

    return save


def _save_domain(user, domain, form) -> None:
    values = {tpl.name: form[tpl.name].data for tpl in domain_templates()}
    services.set_domain_limits(user, domain, values)


def account_tab(user, account) -> list[FormTab]:
    """The Resources tab: super admins and resellers editing another admin's account."""
    if account is None or account.id == user.id or not params.get("limits.enable_admin_limits"):
        return []
    if not (user.is_superuser or user.role == RESELLERS):
        return []
    if account.role not in (DOMAINADMINS, RESELLERS):
        return []
    if user.role == RESELLERS and account.role != DOMAINADMINS:
        return []
    templates = services.account_templates(account)
    return [
        FormTab("resources", "Resources", _form_class(templates, "user"),
                "limits/_resources_tab.html", ORDER, _load(templates), _save_account(templates))
    ]  # fmt: skip


def domain_tab(user, domain) -> list[FormTab]:
    """The domain Resources tab: domain limits on, actor holds domains.change."""
    if domain is None or not params.get("limits.enable_domain_limits"):
        return []
    if not has_perm(user, "domains.change"):
        return []
    templates = domain_templates()
    return [
        FormTab("resources", "Resources", _form_class(templates, "domain"),
                "limits/_resources_tab.html", ORDER, _load(templates), _save_domain)
    ]  # fmt: skip
