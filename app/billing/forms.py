from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField, ValidationError
from wtforms.validators import InputRequired, Length, Optional

from app.billing.countries import countries
from app.billing.pricing import PricingError, parse_accounts
from app.billing.vat import TaxIdError, check_tax_id
from app.forms import FlaskForm
from app.security import local_path


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


class BillingDetailsForm(FlaskForm):
    """The buyer's legal name and address for invoices; an EU VAT ID is checked against its country."""

    legal_name = StringField(
        "Legal name", validators=[InputRequired("Enter the company's legal name."), Length(max=200)]
    )
    address = TextAreaField(
        "Address",
        validators=[InputRequired("Enter the street address."), Length(max=400)],
        render_kw={"rows": 3},
    )
    postcode = StringField("Postcode", validators=[Optional(), Length(max=20)])
    city = StringField("City", validators=[InputRequired("Enter the city."), Length(max=100)])
    country = SelectField("Country", validators=[InputRequired("Choose the country.")])
    tax_id = StringField("VAT or tax ID", validators=[Optional(), Length(max=40)])
    next = HiddenField(filters=[local_path])
    submit = SubmitField("Save billing details")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [("", "Choose a country")] + countries()
        self.tax_id_value = ""

    def validate_address(self, field):
        if len([line for line in field.data.splitlines() if line.strip()]) > 4:
            raise ValidationError("Use at most 4 lines for the address.")

    def validate_country(self, field):
        if field.data not in dict(countries()):
            raise ValidationError("Choose the country from the list.")

    def validate_tax_id(self, field):
        try:
            self.tax_id_value = check_tax_id(self.country.data, field.data)
        except TaxIdError as error:
            raise ValidationError(error.message) from None
