"""The import engine: stream each file, run every row in a savepoint, then commit or not.

- Dry run: every row runs for real inside the transaction, which is rolled back at the end.
- Commit, all or nothing: any error (or existing object) rolls the whole import back.
- Commit, continue on error: bad rows are rolled back to their savepoint, good ones kept.
A problem with a whole file (not text, empty, too big) undoes that file entirely.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from flask import current_app
from sqlalchemy import func, select

from .. import audit, params
from ..extensions import db
from ..models import Alias, Domain, DomainAlias, Mailbox, User
from .batched import Batcher
from .reader import FileProblem, RowReader
from .report import Options, Report
from .runner import Context, run_row


def _baseline() -> dict:
    """Highest id of each model now: rows above it were created by this import."""
    return {
        model.__name__: db.session.scalar(select(func.coalesce(func.max(model.id), 0)))
        for model in (Domain, DomainAlias, User, Alias, Mailbox)
    }


def _import_file(ctx, report, name, stream, progress) -> None:
    reader = RowReader(stream, ctx.options.sepchar, ctx.options.max_bytes)
    batcher = Batcher(ctx, report, name) if ctx.options.fast else None
    for number, fields in reader:
        if batcher is None or not batcher.offer(number, fields):
            if batcher is not None:
                batcher.flush()
            run_row(ctx, report, name, number, fields)
        if progress is not None:
            progress(name, reader.bytes_read)
    if batcher is not None:
        batcher.flush()
    if progress is not None:
        progress(name, reader.bytes_read)


class CacheTuning:
    """A bigger SQLite page cache on the import's connection, for the import only.

    Every batch revisits the index pages of core_user, admin_alias, core_log...: with the
    default 2 MB cache SQLite re-reads them from the OS again and again (this halves the
    wall time of a 100,000-account import). The cache is a fixed bound, so memory stays
    flat; durability settings are untouched. The old size is restored on the same
    connection before the session gives it back to the pool.
    """

    KIB = 65536

    def __init__(self):
        self.raw, self.before = None, None
        connection = db.session.connection()
        if connection.dialect.name == "sqlite":
            self.raw = connection.connection.dbapi_connection
            self.before = self._pragma("PRAGMA cache_size")
            self._pragma(f"PRAGMA cache_size=-{self.KIB}")

    def _pragma(self, sql: str):
        cursor = self.raw.cursor()
        try:
            row = cursor.execute(sql).fetchone()
        finally:
            cursor.close()
        return row[0] if row else None

    def stop(self) -> None:
        """Restore the connection's page cache size (idempotent)."""
        if self.raw is not None:
            self._pragma(f"PRAGMA cache_size={int(self.before)}")
            self.raw = None


def run_import(
    actor,
    sources: Iterable[tuple[str, object]],
    options: Options | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> Report:
    """Import every (name, binary stream) of *sources* as *actor*; commit unless told not to."""
    options = options or Options()
    report = Report(options)
    ctx = Context(actor=actor, options=options, baseline=_baseline())
    tuning = CacheTuning()
    outer = db.session.begin_nested()
    try:
        with params.cached():
            for name, stream in sources:
                report.start_file(name)
                file_savepoint = db.session.begin_nested()
                try:
                    _import_file(ctx, report, name, stream, progress)
                except FileProblem as exc:
                    file_savepoint.rollback()
                    report.file_error(name, str(exc))
                else:
                    file_savepoint.commit()
    except BaseException:
        tuning.stop()
        outer.rollback()
        db.session.rollback()
        raise
    tuning.stop()
    report.sort()
    keep = not options.dry_run and not (report.failed and not options.continue_on_error)
    if keep:
        outer.commit()
        report.committed = True
    else:
        outer.rollback()
    if not options.dry_run:
        names = ", ".join(os.path.basename(name) for name in report.files)
        audit.record(f"Import of {names}: {report.summary()}"[:255], action="import")
    db.session.commit()
    current_app.logger.info("CSV import by %s: %s", actor.username, report.summary())
    return report
