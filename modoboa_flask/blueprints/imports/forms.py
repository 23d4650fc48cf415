"""Upload and commit forms of the import pages."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional


class UploadForm(FlaskForm):
    """A CSV file and how to read it; the upload only previews."""

    sourcefile = FileField("CSV file", validators=[FileRequired("Choose a file to import.")])
    sepchar = StringField(
        "Separator", default=";", validators=[Optional(), Length(max=1)],
        description="One character; empty means ';'.",
    )  # fmt: skip
    continue_on_error = BooleanField(
        "Continue on error",
        description="Import every valid line and report the others (existing objects are "
        "skipped). Without it, the file is imported entirely or not at all.",
    )
    crypt_password = BooleanField(
        "Crypt passwords",
        description="Passwords in the file are plain text: hash them with the current scheme. "
        "Values with a {SCHEME} prefix are kept as they are.",
    )


class CommitForm(FlaskForm):
    """Commit the previewed upload (the file stays on the server, named by its token)."""

    token = HiddenField(validators=[DataRequired()])
