"""The customer's trial request form, and fields the support console shares with it."""

import re

from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.forms import FlaskForm

MAX_EXPECTED_ACCOUNTS = 1_000_000

_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


def is_hostname(text):
    """A fully qualified DNS host name such as cp.example.com (not an IP address, not a bare name)."""
    if not text or len(text) > 253:
        return False
    labels = text.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return False
    return not labels[-1].isdigit()


def _hostname_text(value):
    return (value or "").strip().lower().rstrip(".")


def hostname(form, field):
    if not is_hostname(field.data):
        raise ValidationError("Enter the full host name of the server, like cp.example.com.")


class WholeNumberField(StringField):
    """A positive whole number as people type it ("1,000" and " 50 " are fine; 0, -5, 2.5 are not).

    ``data`` becomes the int when valid; otherwise it keeps the text, so the form shows what was typed.
    """

    def __init__(self, label=None, validators=None, *, maximum, message, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.maximum = maximum
        self.message = message

    def pre_validate(self, form):
        text = "".join(str(self.data or "").replace(",", "").split())
        if not _WHOLE_NUMBER.fullmatch(text) or not 0 < int(text) <= self.maximum:
            raise ValidationError(self.message)
        self.data = int(text)


class TrialRequestForm(FlaskForm):
    company = StringField(
        "Company",
        filters=[lambda value: (value or "").strip()],
        validators=[DataRequired("Enter the name of your company."), Length(max=200)],
    )
    hostname = StringField(
        "Control panel server hostname",
        filters=[_hostname_text],
        validators=[DataRequired("Enter the host name of the server for the control panel."), hostname],
    )
    expected_accounts = WholeNumberField(
        "Expected number of accounts",
        maximum=MAX_EXPECTED_ACCOUNTS,
        message="Enter the number of accounts you expect as a whole number greater than 0, like 50.",
    )
    note = TextAreaField(
        "Note",
        filters=[lambda value: (value or "").strip()],
        validators=[Optional(), Length(max=2000, message="Keep the note under 2,000 characters.")],
    )
    submit = SubmitField("Request trial")


class WithdrawTrialForm(FlaskForm):
    submit = SubmitField("Withdraw request")
