"""Tax on an order and the buyer's VAT ID: one test per branch, rounding at the cent."""

import pytest

from app.billing.tax import Charge, TaxTreatment, charge_for, format_rate, tax_on
from app.billing.vat import TaxIdError, check_tax_id
from app.terms import parse_tax_rates

RATES = parse_tax_rates("DE:19,FR:20,NL:21")


def charge(net=22500, *, country="DE", vat_id="", seller="DE", rates=RATES):
    return charge_for(net, buyer_country=country, buyer_vat_id=vat_id, seller_country=seller, rates=rates)


# VAT IDs


@pytest.mark.parametrize(
    ("country", "typed", "kept"),
    [
        ("DE", "DE136695976", "DE136695976"),
        ("DE", " de 136 695 976 ", "DE136695976"),
        ("DE", "136695976", "DE136695976"),  # the country's prefix is added
        ("NL", "NL004495445B01", "NL004495445B01"),
        ("GR", "EL094259216", "EL094259216"),  # Greece's VAT prefix is EL
        ("US", "12-3456789", "12-3456789"),  # outside the EU: kept as given
        ("DE", "", ""),
    ],
)
def test_a_valid_tax_id_is_kept_normalised(country, typed, kept):
    assert check_tax_id(country, typed) == kept


def test_a_bad_check_digit_is_refused():
    with pytest.raises(TaxIdError, match="DE136695977 is not a valid VAT ID"):
        check_tax_id("DE", "DE136695977")


def test_a_vat_id_of_another_country_is_refused():
    with pytest.raises(TaxIdError, match="starts with FR, not DE"):
        check_tax_id("FR", "DE136695976")


def test_a_tax_id_outside_the_eu_with_odd_characters_is_refused():
    with pytest.raises(TaxIdError, match="letters, digits"):
        check_tax_id("US", "<script>")


# tax, branch by branch


def test_without_tax_rates_prices_are_net():
    assert charge(rates=()) == Charge(22500, 0, 0, TaxTreatment.NONE)


def test_a_buyer_in_a_listed_country_pays_its_rate_on_top():
    assert charge(country="FR") == Charge(22500, 2000, 4500, TaxTreatment.STANDARD)
    assert charge(country="FR").total_cents == 27000


def test_a_business_in_the_sellers_own_country_pays_vat():
    assert charge(country="DE", vat_id="DE136695976").treatment == TaxTreatment.STANDARD


def test_an_eu_business_in_another_eu_country_is_reverse_charged():
    result = charge(country="NL", vat_id="NL004495445B01")
    assert result == Charge(22500, 0, 0, TaxTreatment.REVERSE_CHARGE)
    assert result.total_cents == 22500


def test_an_eu_consumer_in_another_eu_country_pays_its_rate():
    assert charge(country="NL", vat_id="").tax_cents == 4725


def test_a_buyer_in_a_country_without_a_rate_pays_net():
    assert charge(country="US", vat_id="12-3456789") == Charge(22500, 0, 0, TaxTreatment.NONE)


def test_a_seller_outside_the_eu_never_reverse_charges():
    assert charge(country="NL", vat_id="NL004495445B01", seller="US").treatment == TaxTreatment.STANDARD


# rounding


@pytest.mark.parametrize(
    ("net", "rate", "tax"),
    [
        (11250, 1900, 2138),  # 2137.5: half rounds up
        (11249, 1900, 2137),  # 2137.31
        (50, 1900, 10),  # 9.5
        (1, 1900, 0),  # 0.19
        (3, 2000, 1),  # 0.6
        (11250, 550, 619),  # 618.75 at 5.5 %
    ],
)
def test_tax_is_rounded_half_up_to_the_cent(net, rate, tax):
    assert tax_on(net, rate) == tax


def test_the_order_is_rounded_once_not_per_pack():
    # Three packs of $112.50 at 19 %: per pack 21.375 rounds to 21.38 (× 3 = 64.14); once, 64.125 is 64.13.
    assert charge(33750, country="DE").tax_cents == 6413


# configuration


def test_tax_rates_are_read_in_basis_points():
    assert parse_tax_rates(" de:19, FR:5.5 ,") == (("DE", 1900), ("FR", 550))
    assert parse_tax_rates("") == ()


@pytest.mark.parametrize("text", ["DE", "DE:x", "Germany:19", "DE:101", "DE:19.555"])
def test_a_malformed_tax_rate_is_refused(text):
    with pytest.raises(ValueError, match="TAX_RATES"):
        parse_tax_rates(text)


def test_rates_are_shown_as_percent():
    assert (format_rate(1900), format_rate(550), format_rate(2000)) == ("19%", "5.5%", "20%")
