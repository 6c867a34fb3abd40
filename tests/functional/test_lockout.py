"""Wrong passwords from many machines slow the guessers down, never the account's owner."""

from urllib.parse import unquote

import pytest

from tests.conftest import PASSWORD, Browser, link_in, sent_mail
from tests.support.tasks import run_queued

NEW_PASSWORD = "a-fresh-agent-passphrase"


def client_at(app, address):
    browser = Browser(app.test_client())
    browser.client.environ_base["REMOTE_ADDR"] = address
    return browser


def guess_from_many_addresses(app, email, times, network="10.0"):
    answers = []
    for i in range(times):
        stranger = client_at(app, f"{network}.{i // 250}.{i % 250 + 1}")
        answers.append(stranger.login(email, password=f"wrong-guess-{i}").status_code)
    return answers


@pytest.mark.parametrize("failures", [20, 100])
def test_the_owner_signs_in_after_many_wrong_passwords_from_other_addresses(app, customer, failures):
    assert set(guess_from_many_addresses(app, customer.email, failures)) == {200}

    owner = client_at(app, "192.0.2.10")
    response = owner.login(customer.email)

    assert (response.status_code, response.headers["Location"]) == (302, "/licenses")
    assert owner.get("/account").status_code == 200


def test_each_new_guesser_is_still_told_only_that_the_password_is_wrong(app, customer):
    guess_from_many_addresses(app, customer.email, 20)
    response = client_at(app, "10.9.9.9").login(customer.email, password="another-guess")
    assert response.status_code == 200
    assert "The email or password is not correct." in response.get_data(as_text=True)


def test_a_client_that_failed_needs_the_emailed_link_until_the_password_is_reset(app, customer):
    typist = client_at(app, "192.0.2.20")
    assert typist.login(customer.email, password="a-typo").status_code == 200
    guess_from_many_addresses(app, customer.email, 20)

    refused = typist.login(customer.email)
    assert refused.status_code == 429
    assert "Forgot your password?" in refused.get_data(as_text=True)
    assert typist.get("/account").headers["Location"].startswith("/login")

    typist.submit("/forgot-password", {"email": customer.email})
    run_queued(app)
    [message] = sent_mail(customer.email)
    typist.submit(link_in(message), {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert typist.login(customer.email, password=NEW_PASSWORD).headers["Location"] == "/licenses"


@pytest.mark.parametrize("next_page", ["%0A", "%0D%0Ahttps://evil.example", "//evil.example/x", "%E2%80%A8"])
def test_an_unsafe_next_is_dropped_and_the_login_goes_to_the_default_page(app, customer, next_page):
    """The login page keeps ``next`` in a hidden field, which the browser sends back as it was decoded."""
    browser = client_at(app, "192.0.2.30")
    fields = {"email": customer.email, "password": PASSWORD, "next": unquote(next_page)}
    response = browser.submit(f"/login?next={next_page}", fields)
    assert (response.status_code, response.headers["Location"]) == (302, "/licenses")


def test_a_safe_next_is_followed(app, customer):
    browser = client_at(app, "192.0.2.31")
    response = browser.submit("/login?next=/account", {"email": customer.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account"


def test_logins_with_an_unsafe_next_are_not_counted_as_failures(app, customer):
    for i in range(25):
        response = client_at(app, f"10.2.0.{i + 1}").submit(
            "/login?next=%0A", {"email": customer.email, "password": PASSWORD, "next": "\n"}
        )
        assert response.status_code == 302
    typist = client_at(app, "192.0.2.40")
    typist.login(customer.email, password="a-typo")
    assert typist.login(customer.email).headers["Location"] == "/licenses"
