"""The Contact support form."""

from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.forms import FlaskForm


class ContactForm(FlaskForm):
    subject = StringField(
        "Subject",
        validators=[
            DataRequired("Enter a subject, e.g. “Certificate will not install”."),
            Length(max=200, message="Keep the subject under 200 characters."),
        ],
    )
    license = SelectField("License", coerce=str, validate_choice=False)
    message = TextAreaField(
        "Message",
        validators=[
            DataRequired("Write your question or describe the problem."),
            Length(max=10_000, message="Keep the message under 10,000 characters."),
        ],
    )
    submit = SubmitField("Send to support")


class SalesForm(FlaskForm):
    """Contact sales: for anyone, with no account, before they buy or ask for a trial."""

    name = StringField(
        "Your name",
        validators=[
            DataRequired("Enter your name."),
            Length(max=200, message="Keep the name under 200 characters."),
        ],
    )
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Enter your email address: sales answers there."),
            Email("Enter a valid email address, like name@example.com."),
            Length(max=254, message="Keep the email address under 254 characters."),
        ],
    )
    company = StringField(
        "Company", validators=[Optional(), Length(max=200, message="Keep the company under 200 characters.")]
    )
    message = TextAreaField(
        "Message",
        validators=[
            DataRequired("Write your question, e.g. how many accounts you host."),
            Length(max=5_000, message="Keep the message under 5,000 characters."),
        ],
    )
    submit = SubmitField("Send to sales")


class ReplyForm(FlaskForm):
    """One more message in a support conversation: the customer's follow-up or support's answer."""

    body = TextAreaField(
        "Reply",
        validators=[
            DataRequired("Write the reply first."),
            Length(max=10_000, message="Keep the reply under 10,000 characters."),
        ],
    )
    submit = SubmitField("Send reply")
