"""CSV import and export of domains and identities (Modoboa 1.6 and 2.x formats).

One importer for the UI, the CLI and the API: `engine.run_import` streams the files, runs
each row through the areas' services (or the equivalent batched path of `fast.py`), and
reports every line. `export` writes the same format back.
"""

from .engine import run_import
from .reader import FileProblem
from .report import Options, Report

__all__ = ["FileProblem", "Options", "Report", "run_import"]
