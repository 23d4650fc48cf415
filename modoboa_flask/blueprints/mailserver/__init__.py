"""Mail-server integration: Postfix maps, Dovecot configuration, mailbox operations.

No pages: the commands are app-wide (`flask generate-postfix-maps`,
`flask generate-dovecot-conf`, `flask handle-mailbox-operations`).
"""

from flask import Blueprint

bp = Blueprint("mailserver", __name__, cli_group=None)

from . import cli  # noqa: E402,F401
