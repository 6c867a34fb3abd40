from wtforms import HiddenField, StringField, SubmitField, ValidationError

from app.billing.pricing import PricingError, parse_accounts
from app.forms import FlaskForm


class OrderForm(FlaskForm):
    """How many accounts to buy; sent a second time with ``confirmed`` once the price was shown."""

    accounts = StringField(
        "License amount you want to buy",
        render_kw={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"},
    )
    confirmed = HiddenField()
    submit = SubmitField("Continue")

    def __init__(self, *args, terms, **kwargs):
        super().__init__(*args, **kwargs)
        self.terms = terms
        self.accounts_value = None

    def validate_accounts(self, field):
        try:
            self.accounts_value = parse_accounts(field.data, self.terms)
        except PricingError as error:
            raise ValidationError(error.message) from None
