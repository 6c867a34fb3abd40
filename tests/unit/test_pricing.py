from dataclasses import replace

import pytest

from app.billing.pricing import PricingError, Quote, format_money, parse_accounts, quote
from tests.factories import STANDARD_TERMS as TERMS


def test_one_pack_costs_112_50():
    assert quote(25, TERMS) == Quote(
        accounts=25, packs=1, pack_size=25, unit_cents=450, amount_cents=11250, currency="usd"
    )


def test_two_packs_cost_225_00():
    assert quote(50, TERMS).amount_cents == 22500
    assert quote(50, TERMS).packs == 2


def test_largest_order_costs_45_000():
    assert quote(10_000, TERMS).amount_cents == 4_500_000


def test_describe_shows_the_sum():
    assert quote(50, TERMS).describe() == "2 packs × 25 accounts × $4.50 = $225.00"


def test_describe_says_pack_for_one():
    assert quote(25, TERMS).describe() == "1 pack × 25 accounts × $4.50 = $112.50"


def test_quote_uses_the_configured_price_and_pack():
    q = quote(30, replace(TERMS, account_price_cents=500, pack_size=10, currency="eur"))
    assert (q.packs, q.amount_cents, q.describe()) == (3, 15000, "3 packs × 10 accounts × €5.00 = €150.00")


def test_quote_refuses_part_of_a_pack():
    with pytest.raises(PricingError, match="buy 25 or 50"):
        quote(30, TERMS)


def test_quote_refuses_a_number_that_is_not_an_int():
    with pytest.raises(TypeError):
        quote("25", TERMS)


def test_quote_is_immutable():
    with pytest.raises(AttributeError):
        quote(25, TERMS).amount_cents = 1


@pytest.mark.parametrize("raw", ["25", " 25 ", "+25", "0025", "25\n"])
def test_parse_reads_a_whole_number(raw):
    assert parse_accounts(raw, TERMS) == 25


def test_parse_reads_thousands_commas():
    assert parse_accounts("1,000", TERMS) == 1000


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_parse_asks_for_a_number_when_empty(raw):
    with pytest.raises(PricingError) as caught:
        parse_accounts(raw, TERMS)
    assert caught.value.message == "Enter the number of accounts you want to buy."


@pytest.mark.parametrize("raw", ["abc", "25.5", "25.0", "2 5", "1e3", "1,00", "٢٥", "0x19", "25 accounts"])
def test_parse_refuses_what_is_not_a_whole_number(raw):
    with pytest.raises(PricingError) as caught:
        parse_accounts(raw, TERMS)
    assert caught.value.message == (
        f"“{raw}” is not a whole number: enter the number of accounts, such as 25 or 50."
    )


def test_parse_does_not_echo_a_long_input():
    with pytest.raises(PricingError, match=r"^That is not a whole number"):
        parse_accounts("x" * 500, TERMS)


@pytest.mark.parametrize("raw", ["0", "-0", "000"])
def test_parse_refuses_zero(raw):
    with pytest.raises(PricingError) as caught:
        parse_accounts(raw, TERMS)
    assert caught.value.message == "Enter at least 25 accounts: accounts come in packs of 25."


@pytest.mark.parametrize("raw", ["-25", "-1", "-" + "9" * 40])
def test_parse_refuses_a_negative_number(raw):
    with pytest.raises(PricingError) as caught:
        parse_accounts(raw, TERMS)
    assert caught.value.message == "The number of accounts can't be negative: enter 25 or more."


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("30", "30 is not a whole number of packs: buy 25 or 50."),
        ("49", "49 is not a whole number of packs: buy 25 or 50."),
        ("10", "10 is not a whole number of packs: buy 25."),
        ("1030", "1,030 is not a whole number of packs: buy 1,025 or 1,050."),
        ("9990", "9,990 is not a whole number of packs: buy 9,975 or 10,000."),
    ],
)
def test_parse_refuses_part_of_a_pack_and_names_the_nearest_packs(raw, message):
    with pytest.raises(PricingError) as caught:
        parse_accounts(raw, TERMS)
    assert caught.value.message == message


def test_parse_suggests_only_amounts_within_the_maximum():
    with pytest.raises(PricingError) as caught:
        parse_accounts("55", replace(TERMS, max_accounts_per_order=60))
    assert caught.value.message == "55 is not a whole number of packs: buy 50."


def test_parse_accepts_the_maximum():
    assert parse_accounts("10000", TERMS) == 10_000


@pytest.mark.parametrize("raw", ["10025", "10001", "9" * 40])
def test_parse_refuses_more_than_the_maximum(raw):
    with pytest.raises(PricingError) as caught:
        parse_accounts(raw, TERMS)
    assert caught.value.message == "You can buy at most 10,000 accounts in one order."


def test_parse_uses_the_configured_pack_size_and_maximum():
    small = replace(TERMS, pack_size=10, max_accounts_per_order=20)
    assert parse_accounts("20", small) == 20
    with pytest.raises(PricingError, match="at most 20 accounts"):
        parse_accounts("30", small)


def test_pricing_error_is_a_value_error():
    assert issubclass(PricingError, ValueError)


@pytest.mark.parametrize(
    ("cents", "currency", "text"),
    [
        (22500, "usd", "$225.00"),
        (11250, "USD", "$112.50"),
        (450, "usd", "$4.50"),
        (5, "usd", "$0.05"),
        (0, "usd", "$0.00"),
        (4_500_000, "usd", "$45,000.00"),
        (-11250, "usd", "-$112.50"),
        (1999, "eur", "€19.99"),
        (1999, "cad", "19.99 CAD"),
    ],
)
def test_format_money(cents, currency, text):
    assert format_money(cents, currency) == text
