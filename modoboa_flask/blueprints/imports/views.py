"""Domains > Import and Identities > Import (upload, preview, commit) and the CSV downloads."""

from __future__ import annotations

from flask import Response, abort, render_template, request, stream_with_context
from flask_login import current_user

from ...booleans import parse_bool
from ...exceptions import PermissionDenied
from ...imports import FileProblem, Options, run_import, uploads
from ...imports.export import (
    check_with_passwords,
    csv_lines,
    domain_rows,
    filename,
    identity_rows,
    record_export,
)
from ...imports.reader import check_sepchar
from ...permissions import has_perm, require
from . import bp, filters
from .forms import CommitForm, UploadForm

TITLES = {"domains": "Import domains", "identities": "Import identities"}


def _may_import(kind: str) -> bool:
    if kind == "domains":
        return has_perm(current_user, "domains.add")
    return has_perm(current_user, "accounts.add") or has_perm(current_user, "aliases.add")


def _page(kind, form, status=200, **context):
    return render_template(
        "imports/index.html", kind=kind, title=TITLES[kind], form=form, **context
    ), status


def _run(kind: str, token: str, path: str, meta: dict, dry_run: bool):
    options = Options(**meta["options"], dry_run=dry_run, max_lines=5000)
    with open(path, "rb") as stream:
        report = run_import(current_user, [(meta.get("name") or "file", stream)], options)
    return report


@bp.route("/<any(domains, identities):kind>", methods=["GET", "POST"])
@require()
def upload(kind):
    """Upload a CSV file and preview every line (nothing is written)."""
    if not _may_import(kind):
        abort(403)
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(kind, form, 400 if request.method == "POST" else 200)
    options = {
        "sepchar": form.sepchar.data or ";",
        "continue_on_error": form.continue_on_error.data,
        "crypt_password": form.crypt_password.data,
    }
    try:
        check_sepchar(options["sepchar"])
        token = uploads.save(form.sourcefile.data.stream, current_user.id, kind, options)
    except FileProblem as exc:
        return _page(kind, form, 400, problem=str(exc))
    path, meta = uploads.load(token, current_user.id, kind)
    meta["name"] = form.sourcefile.data.filename
    report = _run(kind, token, path, meta, dry_run=True)
    if report.file_errors:
        uploads.discard(token)
        return _page(kind, form, 400, problem=report.file_errors[0][1])
    return _page(kind, form, report=report, commit=CommitForm(token=token))


@bp.post("/<any(domains, identities):kind>/commit")
@require()
def commit(kind):
    """Import the previewed file for real, from the server-side copy."""
    if not _may_import(kind):
        abort(403)
    form = CommitForm()
    token = form.token.data if form.validate_on_submit() else ""
    found = uploads.load(token, current_user.id, kind)
    if found is None:
        problem = "This upload is no longer available (it expired or was used): upload it again."
        return _page(kind, UploadForm(formdata=None), 400, problem=problem)
    path, meta = found
    try:
        report = _run(kind, token, path, meta, dry_run=False)
    finally:
        uploads.discard(token)
    return _page(kind, UploadForm(formdata=None), report=report, committed=True)


@bp.get("/export/<any(domains, identities):kind>")
@require()
def export(kind):
    """Download what the list's current filters select, as CSV (hashes: `?with_passwords=1`)."""
    if not _may_import(kind):
        abort(403)
    sepchar = request.args.get("sepchar", ";")
    user = current_user._get_current_object()
    try:
        check_sepchar(sepchar)
        asked = parse_bool(request.args.get("with_passwords"), default=False)
        asked = asked and kind == "identities"
        with_passwords = check_with_passwords(user, asked)
    except FileProblem as exc:
        abort(400, str(exc))
    except PermissionDenied:
        abort(403)
    record_export(kind, with_passwords)
    if kind == "domains":
        rows = domain_rows(user, filters.domains_statement(user, request.args))
    else:
        statements = filters.identities_statements(user, request.args)
        rows = identity_rows(user, *statements, with_passwords=with_passwords)
    response = Response(stream_with_context(csv_lines(rows, sepchar)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename(kind)}"'
    return response
