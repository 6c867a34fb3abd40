"""Forms of the support console. Each action posts its own small form."""

from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp

from app.forms import FlaskForm
from app.models.user import ROLES, STAFF_ROLES
from app.trials.forms import WholeNumberField
from app.trials.service import MAX_EXTENSION_DAYS


def _strip(value):
    return (value or "").strip()


def _reason(label, required_message=None, max_length=2000):
    validators = [DataRequired(required_message)] if required_message else [Optional()]
    return TextAreaField(
        label, filters=[_strip], validators=[*validators, Length(max=max_length)], render_kw={"rows": 2}
    )


def _customer_email(label="Customer email"):
    return EmailField(
        label,
        filters=[_strip],
        validators=[
            DataRequired("Enter the customer's email address."),
            Email("Enter a valid email address, like name@example.com."),
            Length(max=254),
        ],
    )


class ApproveTrialForm(FlaskForm):
    """``accounts.maximum`` is the terms' ``trial_max_accounts``, set by the view."""

    accounts = WholeNumberField("Accounts of the trial", maximum=1, message="")
    note = _reason("Note to the customer (optional)")
    submit = SubmitField("Approve")


class DenyTrialForm(FlaskForm):
    reason = _reason("Reason", "Give a reason for the denial: the customer receives it by email.")
    submit = SubmitField("Deny")


class IssueTrialForm(FlaskForm):
    id_prefix = "issue"
    email = _customer_email()
    note = _reason("Note to the customer (optional)")
    submit = SubmitField("Issue trial")


class ExtendTrialForm(FlaskForm):
    id_prefix = "extend"
    days = WholeNumberField(
        "Extend by (days)",
        maximum=MAX_EXTENSION_DAYS,
        message=f"Enter a number of days from 1 to {MAX_EXTENSION_DAYS}.",
        default=MAX_EXTENSION_DAYS,
        render_kw={"inputmode": "numeric"},
    )
    reason = _reason("Why", "Say why the trial is extended: it goes into the audit log.")
    submit = SubmitField("Extend trial")


class RevokeForm(FlaskForm):
    id_prefix = "revoke"
    reason = _reason("Reason", "Give a reason for revoking the license: the customer receives it.")
    submit = SubmitField("Revoke license")


class ReinstateForm(FlaskForm):
    id_prefix = "reinstate"
    reason = _reason("Note (optional)")
    submit = SubmitField("Reinstate license")


def _refunded_before():
    """What the order had refunded when the page was shown (a hidden input): the refund is claimed for it."""
    out_of_date = "This page is out of date: open the order again."
    return StringField(validators=[InputRequired(out_of_date), Regexp(r"^[0-9]{1,12}$", message=out_of_date)])


class RefundForm(FlaskForm):
    id_prefix = "refund"
    reason = _reason("Reason (for staff only)", "Give a reason for the refund, for the audit log.")
    refunded_before = _refunded_before()
    submit = SubmitField("Refund in full")


class CancelOrderForm(FlaskForm):
    id_prefix = "cancel"
    reason = _reason("Reason", "Give a reason for cancelling: the customer sees it on the order.", 500)
    submit = SubmitField("Cancel order")


class RefundExtraForm(FlaskForm):
    """Refund one extra payment of an order; prefixed with the payment's id, one form per payment."""

    reason = _reason("Reason (for staff only)", "Give a reason for the refund, for the audit log.")
    submit = SubmitField("Refund this payment")


class PartialRefundForm(FlaskForm):
    id_prefix = "partial"
    packs = WholeNumberField(
        "Packs to refund", maximum=1_000_000, message="Enter how many whole packs to refund, like 1 or 2."
    )
    reason = _reason("Reason (for staff only)", "Give a reason for the refund, for the audit log.")
    refunded_before = _refunded_before()
    submit = SubmitField("Refund these packs")


class InviteStaffForm(FlaskForm):
    id_prefix = "invite"
    email = _customer_email("Email")
    role = SelectField("Role", choices=list(STAFF_ROLES), default="support")
    submit = SubmitField("Send invitation")


class RoleForm(FlaskForm):
    id_prefix = "role"
    role = SelectField("Role", choices=list(ROLES))
    submit = SubmitField("Change role")


class DisableForm(FlaskForm):
    submit = SubmitField("Disable")


class ResetTwoFactorForm(FlaskForm):
    submit = SubmitField("Reset two-factor")


class EnableForm(FlaskForm):
    submit = SubmitField("Enable")


class NoteForm(FlaskForm):
    id_prefix = "note"
    body = TextAreaField("Note", filters=[_strip], render_kw={"rows": 3})
    submit = SubmitField("Add note")


class SimpleActionForm(FlaskForm):
    """A button that only needs the CSRF token."""
