"""The mail-server commands, registered without a group: `flask generate-postfix-maps` etc."""

from __future__ import annotations

import os
import shlex
import sys

import click
from flask import current_app

from ... import params
from ...exceptions import ServiceError
from ...passwords import SCHEME_CHOICES
from . import bp, dovecot, generator, mailboxops
from .connection import from_url


def _database(dburl: str | None):
    try:
        return from_url(dburl or current_app.config["SQLALCHEMY_DATABASE_URI"])
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None


@bp.cli.command("generate-postfix-maps")
@click.option("--destdir", default=".", show_default=True, help="Where to write the maps.")
@click.option("--dburl", help="Database the maps query (default: the app's own).")
@click.option("--force-overwrite", is_flag=True, help="Rewrite hand-modified files too.")
@click.option("--print-main-cf", is_flag=True, help="Only print the main.cf snippet.")
def generate_postfix_maps_command(destdir, dburl, force_overwrite, print_main_cf):
    """Write the Postfix SQL map files (and print the main.cf lines using them)."""
    database = _database(dburl)
    if not print_main_cf:
        try:
            report = generator.generate_postfix_maps(
                destdir,
                database,
                force=force_overwrite,
                keep_credentials=not (force_overwrite or dburl),
                commandline=shlex.join(["flask", *sys.argv[1:]]) if sys.argv else "flask",
            )
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None
        for name in report.modified:
            click.echo(f"Cannot upgrade '{name}' map because it has been modified.", err=True)
        click.echo(f"{len(report.written)} map file(s) written to {report.destdir}.")
    click.echo("\nAdd to /etc/postfix/main.cf:\n")
    click.echo(generator.main_cf_snippet(destdir, database.driver))
    if database.dbtype == "sqlite":
        click.echo("\n" + generator.sqlite_permission_advice(database.path))


@bp.cli.command("generate-dovecot-conf")
@click.option("--destdir", default=".", show_default=True, help="Where to write the files.")
@click.option("--dburl", help="Database Dovecot queries (default: the app's own).")
@click.option(
    "--mail-home-template",
    help="Mail home (%d domain, %n local part, %u address). Default: MAIL_HOME_TEMPLATE.",
)
@click.option("--uid", help="Owner of the maildirs (name or number). Default: mailboxes owner.")
@click.option("--gid", help="Group of the maildirs (name or number). Default: same as --uid.")
@click.option(
    "--quota-rule-format",
    default=dovecot.DEFAULT_QUOTA_RULE,
    show_default=True,
    help="Dovecot quota rule; {quota} is the mailbox quota in MB (0 = unlimited).",
)
def generate_dovecot_conf_command(destdir, dburl, mail_home_template, uid, gid, quota_rule_format):
    """Write dovecot-sql.conf.ext (passdb/userdb) and dovecot-dict-sql.conf.ext (quota)."""
    database = _database(dburl)
    template = mail_home_template or current_app.config["MAIL_HOME_TEMPLATE"]
    uid = uid or params.get("admin.mailboxes_owner")
    scheme = SCHEME_CHOICES.get(params.get("core.password_scheme"), "SHA512-CRYPT")
    try:
        sql_conf = dovecot.render_sql_conf(
            database,
            default_pass_scheme=scheme,
            home_template=template,
            uid=uid,
            gid=gid or uid,
            quota_rule=quota_rule_format,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    os.makedirs(destdir, exist_ok=True)
    dict_conf = dovecot.render_dict_conf(database)
    try:
        dovecot.write_private(os.path.join(destdir, dovecot.SQL_CONF), sql_conf)
        dovecot.write_private(os.path.join(destdir, dovecot.DICT_CONF), dict_conf)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Wrote {dovecot.SQL_CONF} and {dovecot.DICT_CONF} to {os.path.abspath(destdir)}.")
    click.echo("\nUse them in dovecot.conf:\n")
    click.echo(dovecot.dovecot_conf_snippet(destdir, database.driver))


@bp.cli.command("handle-mailbox-operations")
@click.option(
    "--pidfile",
    help="Lock file preventing two runs at once. Default: handle_mailbox_operations.pid in "
    "the instance folder, else /run/modoboa (not /tmp, where anyone could plant it).",
)
def handle_mailbox_operations_command(pidfile):
    """Rename and delete maildirs queued by the app (run from cron as the mailbox owner)."""
    if not params.get("admin.handle_mailboxes"):
        click.echo("Mailbox handling is off (admin.handle_mailboxes): nothing to do.")
        return
    try:
        with mailboxops.pid_lock(pidfile or mailboxops.default_pidfile()):
            ok, failures = mailboxops.handle_operations()
    except (mailboxops.AlreadyRunning, mailboxops.PidFileRefused) as exc:
        raise click.ClickException(str(exc)) from None
    for message in failures:
        click.echo(message, err=True)
    click.echo(f"{ok} operation(s) done, {len(failures)} failed.")
    if failures:
        sys.exit(1)
