"""Sending mail from the application, through the relay set by the `MODOBOA_SMTP_*` settings."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app


class MailError(RuntimeError):
    """The relay refused the message or could not be reached."""


def send_mail(sender: str, recipients: list[str], subject: str, body: str) -> None:
    """Send a plain-text message to *recipients* through the configured SMTP relay."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to alerts
    message.set_content(body)
    try:
        with smtplib.SMTP(
            config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=config["SMTP_TIMEOUT"]
        ) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            smtp.send_message(message, from_addr=sender, to_addrs=recipients)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(
            f"Cannot send mail through {config['SMTP_HOST']}:{config['SMTP_PORT']}: {exc}"
        ) from exc
