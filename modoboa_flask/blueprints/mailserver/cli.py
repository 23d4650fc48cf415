"""The mail-server commands, registered without a group: `flask generate-postfix-maps` etc."""

from __future__ import annotations

import os
import shlex
import sys

import click
from flask import current_app

from ... import locks, params
from ...exceptions import ServiceError
from ...passwords import SCHEME_CHOICES
from . import bp, dovecot, generator, mailboxops, postfix_conf
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
@click.option("--print-main-cf", is_flag=True, help="Only print the main.cf lines.")
@click.option("--print-master-cf", is_flag=True, help="Only print the master.cf services.")
def generate_postfix_maps_command(destdir, dburl, force_overwrite, print_main_cf, print_master_cf):
    """Write the Postfix SQL map files (and print the main.cf lines using them)."""
    database = _database(dburl)
    sqlite_path = database.path if database.dbtype == "sqlite" else None
    if print_main_cf or print_master_cf:
        # Only Postfix syntax on stdout: the output is appended to the files as it is.
        if print_main_cf:
            click.echo(postfix_conf.main_cf(destdir, database.driver, sqlite_path), nl=False)
        if print_master_cf:
            if print_main_cf:
                click.echo()
            click.echo(postfix_conf.master_cf(postfix_conf.relay_services()), nl=False)
        return
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
    click.echo("\nAdd to /etc/postfix/main.cf (or use --print-main-cf):\n")
    click.echo(postfix_conf.main_cf(destdir, database.driver, sqlite_path))


@bp.cli.command("generate-dovecot-conf")
@click.option("--destdir", default=".", show_default=True, help="Where to write the files.")
@click.option("--dburl", help="Database Dovecot queries (default: the app's own).")
@click.option(
    "--dict-dburl",
    help="Database the quota dict writes (default: --dburl). Give the primary here when "
    "--dburl is a read replica.",
)
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
@click.option(
    "--postfix-spool",
    default="/var/spool/postfix",
    show_default=True,
    help="Postfix's queue directory: the LMTP and auth sockets go in its private/.",
)
@click.option(
    "--sieve/--no-sieve",
    default=True,
    show_default=True,
    help="Filters and out of office: Sieve at delivery, ManageSieve (needs dovecot-sieve and "
    "dovecot-managesieved).",
)
@click.option("--managesieve-port", default=4190, show_default=True, type=click.IntRange(1, 65535))
@click.option("--managesieve-address", help="ManageSieve listen address (default: Dovecot's).")
def generate_dovecot_conf_command(
    destdir, dburl, dict_dburl, mail_home_template, uid, gid, quota_rule_format, postfix_spool,
    sieve, managesieve_port, managesieve_address,
):  # fmt: skip
    """Write dovecot-sql.conf.ext, dovecot-dict-sql.conf.ext and the 99-modoboa.conf include."""
    database = _database(dburl)
    template = mail_home_template or current_app.config["MAIL_HOME_TEMPLATE"]
    uid = uid or params.get("admin.mailboxes_owner")
    gid = gid or uid
    scheme = SCHEME_CHOICES.get(params.get("core.password_scheme"), "SHA512-CRYPT")
    try:
        sql_conf = dovecot.render_sql_conf(
            database,
            default_pass_scheme=scheme,
            home_template=template,
            uid=uid,
            gid=gid,
            quota_rule=quota_rule_format,
        )
        owner = dovecot.resolve_owner(uid)
        group = dovecot.resolve_owner(gid, group=True)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    include = dovecot.render_conf_include(
        destdir, database.driver, uid=owner, gid=group, postfix_spool=postfix_spool
    )
    if sieve:
        include += dovecot.render_sieve_include(
            destdir, port=managesieve_port, address=managesieve_address
        )
    master = _sieve_master_users() if sieve else None
    os.makedirs(destdir, exist_ok=True)
    dict_conf = dovecot.render_dict_conf(_database(dict_dburl) if dict_dburl else database)
    try:
        dovecot.write_private(os.path.join(destdir, dovecot.SQL_CONF), sql_conf)
        dovecot.write_private(os.path.join(destdir, dovecot.DICT_CONF), dict_conf)
        dovecot.write_private(os.path.join(destdir, dovecot.CONF_INCLUDE), include)
        if master:
            dovecot.write_private(os.path.join(destdir, dovecot.MASTER_USERS), master)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    names = f"{dovecot.SQL_CONF}, {dovecot.DICT_CONF} and {dovecot.CONF_INCLUDE}"
    click.echo(f"Wrote {names} to {os.path.abspath(destdir)}.")
    if master:
        click.echo(f"Wrote {dovecot.MASTER_USERS} (the Sieve master user).")
    elif sieve:
        click.echo(
            "Note: MODOBOA_SIEVE_MASTER_USER/_PASSWORD are not set: Settings > Filters "
            "stays off until they are and this command runs again.",
            err=True,
        )
    for message in dovecot.owner_warnings(owner, group):
        click.echo(f"Warning: {message}", err=True)
    if os.path.abspath(destdir) != "/etc/dovecot/conf.d":
        path = os.path.join(os.path.abspath(destdir), dovecot.CONF_INCLUDE)
        click.echo(f"Add at the end of /etc/dovecot/dovecot.conf:\n!include {path}")


def _sieve_master_users() -> str | None:
    """The master-users file for the configured Sieve master user, None when unset."""
    user = current_app.config.get("SIEVE_MASTER_USER")
    password = current_app.config.get("SIEVE_MASTER_PASSWORD")
    if not (user and password):
        return None
    try:
        return dovecot.render_master_users(str(user), str(password))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


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
        # The pid file guards this node; the database lock guards the others (cron may run
        # this on every node): a second run steps aside, so no operation runs twice.
        with (
            mailboxops.pid_lock(pidfile or mailboxops.default_pidfile()),
            locks.exclusive("mailbox-operations") as held,
        ):
            if not held:
                click.echo("Another node is handling mailbox operations: nothing to do.")
                return
            ok, failures = mailboxops.handle_operations()
    except (mailboxops.AlreadyRunning, mailboxops.PidFileRefused) as exc:
        raise click.ClickException(str(exc)) from None
    for message in failures:
        click.echo(message, err=True)
    click.echo(f"{ok} operation(s) done, {len(failures)} failed.")
    if failures:
        sys.exit(1)
