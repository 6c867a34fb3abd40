"""One longest password for the form and the strength check: a longer one gets a message, not a 500."""

import pytest

from tests.conftest import PASSWORD, link_in, sent_mail
from tests.support.tasks import run_queued

TOO_LONG = "Violet ferries hum under quartz lanterns while otters juggle basalt pebbles"
LONGEST = TOO_LONG[:72]


def test_the_longest_password_is_still_accepted(browser):
    response = browser.submit(
        "/register", {"email": "new@example.com", "password": LONGEST, "confirm": LONGEST}
    )
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)


@pytest.mark.parametrize("length", [73, 100, 200])
def test_registering_with_a_longer_password_says_how_long_it_may_be(browser, length):
    password = (TOO_LONG * 3)[:length]
    response = browser.submit(
        "/register", {"email": "new@example.com", "password": password, "confirm": password}
    )
    assert response.status_code == 200
    assert "Use at most 72 characters" in response.get_data(as_text=True)
    assert sent_mail("new@example.com") == []


def test_a_reset_to_a_longer_password_says_how_long_it_may_be(app, browser, customer):
    browser.submit("/forgot-password", {"email": customer.email})
    run_queued(app)
    [message] = sent_mail(customer.email)
    response = browser.submit(link_in(message), {"password": TOO_LONG, "confirm": TOO_LONG})
    assert response.status_code == 200
    assert "Use at most 72 characters" in response.get_data(as_text=True)


def test_a_change_to_a_longer_password_says_how_long_it_may_be(customer_browser):
    response = customer_browser.submit(
        "/account/password", {"current": PASSWORD, "password": TOO_LONG, "confirm": TOO_LONG}
    )
    assert response.status_code == 200
    assert "Use at most 72 characters" in response.get_data(as_text=True)
