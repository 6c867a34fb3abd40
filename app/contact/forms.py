"""The Contact support form."""

from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

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
