"""DKIM keys per domain: generate, publish, rotate; signer tables for OpenDKIM and rspamd."""

from flask import Blueprint
from sqlalchemy import event

from ... import signals
from ...extensions import db

# cli_group=None: `flask generate-dkim-maps`, beside `flask generate-postfix-maps`.
bp = Blueprint("dkim", __name__, cli_group=None)

from . import cli, services, views  # noqa: E402,F401


@bp.record_once
def _connect(state):
    # Per app, with a sender: only apps that register this blueprint react.
    signals.domain_deleted.connect(services.domain_deleted, sender=state.app)
    signals.domain_modified.connect(services.domain_modified, sender=state.app)
    if not event.contains(db.session, "after_commit", services.unlink_committed):
        event.listen(db.session, "after_commit", services.unlink_committed)
        event.listen(db.session, "after_soft_rollback", services.forget_unlinks)
