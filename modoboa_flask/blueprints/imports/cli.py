"""`flask import` and `flask export`, as Modoboa's `modo import` / `modo export`."""

from __future__ import annotations

import os
import sys

import click

from ...cli import act_as_superuser
from ...imports import Options, run_import
from ...imports.export import csv_lines, domain_rows, identity_rows, record_export
from ...imports.reader import FileProblem, check_sepchar
from . import bp


def _sepchar(_ctx, _param, value):
    try:
        return check_sepchar(value)
    except FileProblem as exc:
        raise click.BadParameter(str(exc)) from None


@bp.cli.command("import")
@click.option("--sepchar", default=";", show_default=True, callback=_sepchar,
              help="Field separator.")  # fmt: skip
@click.option("--continue-if-exists", "--continue-on-error", "continue_on_error", is_flag=True,
              help="Skip existing objects and bad lines; write the valid ones.")  # fmt: skip
@click.option("--crypt-password", is_flag=True, help="Hash plain passwords found in the file.")
@click.option("--dry-run", is_flag=True, help="Check every line, write nothing.")
@click.option("--row-by-row", is_flag=True, help="Skip the batched path (slower).")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def import_command(sepchar, continue_on_error, crypt_password, dry_run, row_by_row, files):
    """Import domains and identities from CSV FILES (Modoboa's format)."""
    actor = act_as_superuser()
    options = Options(
        sepchar=sepchar, continue_on_error=continue_on_error, crypt_password=crypt_password,
        dry_run=dry_run, fast=not row_by_row, keep_created=False, max_lines=10_000,
    )  # fmt: skip
    handles = [(path, open(path, "rb")) for path in files]  # noqa: SIM115 - closed below
    bar, done = None, {}
    if sys.stdout.isatty():
        total = sum(os.path.getsize(path) for path in files)
        bar = click.progressbar(length=total, label="Importing")
        bar.__enter__()

    def progress(name, read):
        bar.update(read - done.get(name, 0))
        done[name] = read

    try:
        report = run_import(actor, handles, options, progress if bar else None)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
        for _path, handle in handles:
            handle.close()
    for name, message in report.file_errors:
        click.echo(f"{name}: {message}", err=True)
    for line in sorted(report.lines, key=lambda line: (line.file, line.number)):
        click.echo(f"{line.file}:{line.number}: {report.status_label(line.status)}: "
                   f"{line.message}", err=True)  # fmt: skip
    if report.dropped:
        click.echo(f"... and {report.dropped} more lines with problems.", err=True)
    click.echo(report.summary())
    sys.exit(report.exit_code)


@bp.cli.command("export")
@click.option("--sepchar", default=";", show_default=True, callback=_sepchar,
              help="Field separator.")  # fmt: skip
@click.option("--layout", type=click.Choice(["2", "1.6"]), default="2", show_default=True,
              help="Modoboa version of the domain rows (1.6: no mailbox quota).")  # fmt: skip
@click.option("--with-passwords", is_flag=True,
              help="Include password hashes (to move accounts to another server).")  # fmt: skip
@click.argument("kind", type=click.Choice(["domains", "identities"]))
def export_command(sepchar, layout, with_passwords, kind):
    """Write every domain (with its aliases) or every identity as CSV to standard output."""
    actor = act_as_superuser()
    if with_passwords and kind != "identities":
        raise click.UsageError("--with-passwords only applies to identities.")
    record_export(kind, with_passwords)
    if kind == "domains":
        rows = domain_rows(actor, layout=layout)
    else:
        rows = identity_rows(actor, with_passwords=with_passwords)
    out = sys.stdout.buffer  # bytes: the \r\n line ends reach the file as they are
    for line in csv_lines(rows, sepchar):
        out.write(line.encode())
    out.flush()
