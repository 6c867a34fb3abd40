import re

from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError
from zxcvbn import zxcvbn

from app.forms import FlaskForm
from app.security import local_path

MIN_PASSWORD = 10
# The longest password the strength check reads (zxcvbn's own default, which keeps it fast).
MAX_PASSWORD = 72
# zxcvbn's scale: 3 is "safely unguessable" for an online attacker and slows an offline one.
MIN_STRENGTH = 3


def strong_password(form, field):
    password = field.data or ""
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"Use at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise ValidationError(f"Use at most {MAX_PASSWORD} characters: a few uncommon words are enough.")
    email = getattr(form, "email", None)
    if email is not None and email.data and email.data.split("@")[0].lower() in password.lower():
        raise ValidationError("Your password must not contain your email address.")
    known = [part for part in re.split(r"[@.+_-]", (email.data or "") if email else "") if part]
    if zxcvbn(password, user_inputs=known, max_length=MAX_PASSWORD)["score"] < MIN_STRENGTH:
        raise ValidationError(
            "This password is too easy to guess. Add a few uncommon words, or choose a less common one."
        )


def _email_field():
    return EmailField(
        "Email",
        validators=[
            InputRequired("Enter your email address."),
            Email("Enter a valid email address, like name@example.com."),
            Length(max=254),
        ],
    )


def _new_password_fields(label="Password"):
    password = PasswordField(label, validators=[InputRequired("Choose a password."), strong_password])
    confirm = PasswordField(
        f"Repeat {label.lower()}",
        validators=[
            InputRequired("Repeat the password."),
            EqualTo("password", "The two passwords do not match."),
        ],
    )
    return password, confirm


class RegisterForm(FlaskForm):
    email = _email_field()
    company = StringField("Company (optional)", validators=[Length(max=200)])
    password, confirm = _new_password_fields()
    submit = SubmitField("Create account")


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])
    remember = BooleanField("Remember me")
    next = HiddenField(filters=[local_path])
    submit = SubmitField("Log in")


class ForgotPasswordForm(FlaskForm):
    email = _email_field()
    submit = SubmitField("Send reset link")


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields("New password")
    submit = SubmitField("Set new password")


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[InputRequired("Enter your current password.")])
    password, confirm = _new_password_fields("New password")
    submit = SubmitField("Change password")


class ResendConfirmationForm(FlaskForm):
    submit = SubmitField("Send the link again")


class AuthenticationCodeForm(FlaskForm):
    code = StringField(
        "Authentication code",
        validators=[InputRequired("Enter the code from your authenticator app."), Length(max=32)],
    )
    submit = SubmitField("Continue")


class TwoFactorSetupForm(FlaskForm):
    code = StringField(
        "Authentication code",
        validators=[InputRequired("Enter the 6-digit code your app shows."), Length(max=32)],
    )
    submit = SubmitField("Turn on two-factor authentication")


class TurnOffTwoFactorForm(FlaskForm):
    code = StringField(
        "Authentication code",
        validators=[InputRequired("Enter a code from your authenticator app."), Length(max=32)],
    )
    submit = SubmitField("Turn off two-factor authentication")


class SignOutEverywhereForm(FlaskForm):
    submit = SubmitField("Sign out everywhere")
