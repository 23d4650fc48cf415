"""One row through its service handler, in its own savepoint: the row-by-row path.

Both the engine and the batched path (`batched`) use it: a row the batched path cannot
judge is handed to `run_row`, so this module sits below both of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from ..exceptions import ServiceError
from ..extensions import db
from ..models import User
from . import handlers
from .report import CREATED, ERROR, EXISTS, Options, Report


@dataclass
class Context:
    """What every row handler needs: who imports, the options, the ids before the import."""

    actor: User
    options: Options
    baseline: dict = field(default_factory=dict)

    @property
    def sepchar(self) -> str:
        """The separator of the file (for messages quoting a row)."""
        return self.options.sepchar or ";"

    @property
    def crypt_password(self) -> bool:
        """Whether plain passwords are hashed."""
        return self.options.crypt_password


def database_message(exc: SQLAlchemyError) -> str:
    """A one-line reason from a database refusal (no SQL, no parameters)."""
    text = str(getattr(exc, "orig", exc)).strip().splitlines()
    return "The database refused this line: " + (text[0] if text else type(exc).__name__)


def run_row(ctx: Context, report: Report, file: str, number: int, fields: list[str]) -> None:
    """Run one row through its service handler inside its own savepoint."""
    kind = fields[0].lower()
    try:
        with db.session.begin_nested():
            done = handlers.handle(ctx, kind, fields)
    except handlers.RowExists as exc:
        report.add(file, number, EXISTS, exc.message)
    except ServiceError as exc:
        report.add(file, number, ERROR, exc.message)
    except SQLAlchemyError as exc:
        report.add(file, number, ERROR, database_message(exc))
    else:
        report.add(file, number, CREATED, done)
