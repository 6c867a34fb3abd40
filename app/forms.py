"""The base of every form: text without control characters, and never longer than a column holds."""

import re

from flask_wtf import FlaskForm as _FlaskForm
from markupsafe import Markup
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.widgets import HiddenInput

# C0 and C1 controls, DEL, and the line and paragraph separators: every character that
# str.splitlines() (and so an email header) takes for a line break. A multi-line field may hold
# line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# No text column is longer than this; a field's own Length validator is usually stricter.
MAX_TEXT = 5000


def text_problem(field):
    value = field.data
    if not isinstance(value, str) or not isinstance(field, StringField):
        return None
    if len(value) > MAX_TEXT:
        return f"This is too long: at most {MAX_TEXT} characters."
    if isinstance(field, PasswordField):
        return "This contains control characters, which are not allowed." if "\x00" in value else None
    pattern = _CONTROL_MULTILINE if isinstance(field, TextAreaField) else _CONTROL
    if pattern.search(value):
        what = (
            "control characters" if isinstance(field, TextAreaField) else "line breaks or control characters"
        )
        return f"This contains {what}, which are not allowed here."
    return None


class FlaskForm(_FlaskForm):
    """``id_prefix`` names the form's field ids (``refund-reason``), not their names: forms share a page."""

    id_prefix = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.id_prefix:
            for field in self:
                field.id = field.label.field_id = f"{self.id_prefix}-{field.name}"

    def hidden_tag(self, *fields):
        """The hidden inputs (the CSRF token) without ids, which several forms on a page would repeat."""
        chosen = [getattr(self, f) if isinstance(f, str) else f for f in fields] if fields else self
        return Markup("\n").join(f(id=False) for f in chosen if isinstance(f.widget, HiddenInput))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in self:
            problem = text_problem(field)
            if problem:
                field.errors = [*field.errors, problem] if isinstance(field.errors, list) else [problem]
                valid = False
        return valid
