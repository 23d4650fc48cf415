"""Tabbed edit forms: core tabs and plugin tabs, rendered and saved by the same code.

An area builds its list with :func:`collect_tabs` (its own tabs plus those a signal such as
``extra_domain_form`` returns), renders every tab with :func:`bind`, and saves one tab per
POST with :func:`save_tab`. Each tab is a :class:`~modoboa_flask.forms.FormTab`.
"""

from __future__ import annotations

from operator import attrgetter

from . import signals
from .forms import FormTab, service_call


def collect_tabs(core_tabs: list[FormTab], signal, **kwargs) -> list[FormTab]:
    """Core tabs plus the tabs plugins contribute through *signal*, in display order."""
    return sorted([*core_tabs, *signals.collect(signal, **kwargs)], key=attrgetter("order"))


def find_tab(tabs: list[FormTab], tab_id: str) -> FormTab | None:
    """The tab called *tab_id*, or None."""
    return next((tab for tab in tabs if tab.id == tab_id), None)


def bind(tab: FormTab, user, obj, formdata=None):
    """Instantiate the tab's form: from *formdata* on POST, else from the tab's loader."""
    initial = tab.load(user, obj) if tab.load else {}
    form = tab.form_class(formdata=formdata, data=initial, prefix=tab.id)
    if hasattr(form, "setup"):
        form.setup(user, obj)  # forms whose choices depend on the user or the object
    return form


def save_tab(tab: FormTab, user, obj, form) -> bool:
    """Validate and save *form*; put service errors on their fields; commit or roll back."""
    if not form.validate():
        return False
    with service_call(form) as call:
        tab.save(user, obj, form)
    return call.ok
