"""`flask parse-maillog`: count Postfix log lines into the statistics (cron, every 5 minutes)."""

from __future__ import annotations

import time

import click

from ... import locks, params
from ...stats import store
from . import bp


@bp.cli.command("parse-maillog")
@click.option("--file", "files", multiple=True, type=click.Path(dir_okay=False),
              help="A Postfix log (plain, .gz or `journalctl -o export`); repeatable. "
                   "Default: the stats.logfile parameter.")  # fmt: skip
@click.option("--follow", is_flag=True, help="Keep reading new lines until interrupted.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between --follow reads.")
def parse_maillog_command(files, follow, interval):
    """Parse Postfix logs from where the last run stopped and update the statistics."""
    paths = list(files) or [params.get("stats.logfile")]
    with locks.exclusive("parse-maillog") as held:
        if not held:
            click.echo("Another parse-maillog is running.")
            return
        while True:
            summary = store.parse_logs(paths)
            for problem in summary.skipped:
                click.echo(f"Skipped {problem}", err=True)
            if summary.skipped and len(summary.skipped) == len(paths) and not follow:
                raise click.ClickException("No log file could be read.")
            if not follow:
                click.echo(f"{summary.lines} line(s) read from {summary.files} file(s), "
                           f"{summary.events} event(s) counted.")  # fmt: skip
                return
            try:
                time.sleep(interval)
            except KeyboardInterrupt:  # Ctrl-C ends --follow; every chunk is committed
                return
