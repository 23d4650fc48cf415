"""`flask generate-dkim-maps`: the signer tables (OpenDKIM, rspamd) and the Postfix lines."""

from __future__ import annotations

import shlex
import sys

import click
from flask import current_app

from ...exceptions import ServiceError
from . import bp, services, tables


@bp.cli.command("generate-dkim-maps")
@click.option("--destdir", default=".", show_default=True, help="Where to write the tables.")
@click.option("--force-overwrite", is_flag=True, help="Rewrite hand-modified files too.")
@click.option(
    "--socket",
    default="inet:8891@127.0.0.1",
    show_default=True,
    help="OpenDKIM's Socket (Postfix's milter address is derived from it).",
)
@click.option("--group", help="Group that reads the tables. Default: DKIM_KEYS_GROUP.")
@click.option("--print-main-cf", is_flag=True, help="Only print the Postfix main.cf lines.")
def generate_dkim_maps_command(destdir, force_overwrite, socket, group, print_main_cf):
    """Write OpenDKIM's KeyTable/SigningTable and rspamd's dkim_signing maps."""
    milter = tables.opendkim_socket_to_milter(socket)
    if print_main_cf:
        click.echo(tables.postfix_milter(milter), nl=False)
        return
    entries = services.signing_entries()
    commandline = shlex.join(["flask", *sys.argv[1:]]) if sys.argv else "flask"
    files = tables.render(entries, destdir, commandline)
    try:
        report = tables.write_tables(
            destdir,
            files,
            force=force_overwrite,
            group=group or current_app.config.get("DKIM_KEYS_GROUP", "opendkim"),
        )
    except (ServiceError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    for name in report.modified:
        click.echo(f"Cannot upgrade '{name}' because it has been modified.", err=True)
    click.echo(
        f"{len(report.written)} file(s) written to {report.destdir} "
        f"({len(entries)} signing domain(s))."
    )
    click.echo("\nAdd to /etc/opendkim.conf:\n")
    click.echo(tables.opendkim_conf(destdir, socket))
    click.echo("Add to /etc/postfix/main.cf (or use --print-main-cf):\n")
    click.echo(tables.postfix_milter(milter))
    click.echo(
        f"rspamd: {tables.RSPAMD_CONF} goes in /etc/rspamd/local.d/ (then drop the milter "
        "lines above: rspamd's proxy is the milter)."
    )
