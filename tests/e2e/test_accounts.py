"""A new customer registers, confirms by email, logs out and back in, in Chromium."""

import re

from playwright.sync_api import expect

from tests.conftest import link_in, sent_mail
from tests.e2e.conftest import log_in, submit_login

PASSWORD = "a-long-enough-passphrase"


def test_register_confirm_logout_login(page, output_dir):
    page.goto("/")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Company (optional)").fill("Alice Hosting")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    [message] = sent_mail("alice@example.com")
    page.goto(link_in(message))
    expect(page.get_by_text("your email address is confirmed")).to_be_visible()

    submit_login(page, "alice@example.com", PASSWORD)
    expect(page.get_by_role("heading", name="My licenses")).to_be_visible()
    expect(page.get_by_text("Confirm your email address.")).to_have_count(0)
    page.screenshot(path=output_dir / "my-licenses.png", full_page=True)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    submit_login(page, "alice@example.com", PASSWORD)
    expect(page).to_have_url(re.compile(r"/licenses$"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=output_dir / "my-licenses-phone.png", full_page=True)
    assert page.js_errors == []


def test_wrong_password_shows_the_message(page, customer):
    log_in(page, customer.email, "not-the-password")
    expect(page.get_by_text("The email or password is not correct.")).to_be_visible()
