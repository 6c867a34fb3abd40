"""Registering, confirming, logging in and out, and the password flows."""

import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD, link_in, sent_mail
from tests.support.tasks import run_queued


def register(browser, email="new@example.com", password=PASSWORD, confirm=None, **extra):
    data = {"email": email, "password": password, "confirm": confirm or password, **extra}
    return browser.submit("/register", data)


def user_count():
    return db.session.scalar(select(func.count()).select_from(User))


def test_register_creates_unconfirmed_customer_and_emails_a_link(browser):
    page = register(browser, email="New@Example.com", company="Acme Hosting")
    assert page.status_code == 200
    assert "Check your email" in page.get_data(as_text=True)
    user = db.session.scalar(select(User))
    assert (user.email, user.role, user.company) == ("new@example.com", "customer", "Acme Hosting")
    assert not user.is_confirmed
    assert user.password_hash.startswith("$argon2id$")
    [message] = sent_mail("new@example.com")
    assert message.subject == "Confirm your email address"
    assert "/confirm/" in link_in(message) and "<a href" in message.html_body
    assert (message.status, message.attempts) == ("queued", 0)  # a worker sends it, not the request


def test_confirmation_link_confirms_once(browser):
    register(browser)
    link = link_in(sent_mail()[0])
    page = browser.get(link, follow_redirects=True)
    assert "your email address is confirmed" in page.get_data(as_text=True)
    assert db.session.scalar(select(User)).is_confirmed
    again = browser.get(link, follow_redirects=True).get_data(as_text=True)
    # The address is confirmed: a second click says so, not an error.
    assert "Your email address is already confirmed." in again
    assert "flash-error" not in again


def test_expired_confirmation_link_is_refused(browser):
    with time_machine.travel("2026-01-01 00:00 +0000", tick=False):
        register(browser)
    link = link_in(sent_mail()[0])
    with time_machine.travel("2026-01-05 00:00 +0000", tick=False):
        page = browser.get(link, follow_redirects=True)
    assert "This link has expired" in page.get_data(as_text=True)
    assert not db.session.scalar(select(User)).is_confirmed


def test_tampered_confirmation_link_is_refused(browser):
    register(browser)
    link = link_in(sent_mail()[0])
    page = browser.get(link[:-3] + "abc", follow_redirects=True)
    assert "This link is not valid" in page.get_data(as_text=True)
    assert not db.session.scalar(select(User)).is_confirmed


def test_duplicate_email_in_other_case_creates_nothing_and_reveals_nothing(browser, customer):
    page = register(browser, email="CUSTOMER@example.COM")
    assert "Check your email" in page.get_data(as_text=True)
    assert user_count() == 1
    [message] = sent_mail(customer.email)
    assert message.subject == "Someone tried to register with your address"


def test_weak_password_is_refused(browser):
    page = register(browser, password="short")
    assert "Use at least 10 characters." in page.get_data(as_text=True)
    page = register(browser, password="password123")
    assert "too easy to guess" in page.get_data(as_text=True)
    assert user_count() == 0


def test_mismatched_passwords_are_refused(browser):
    page = register(browser, password=PASSWORD, confirm=PASSWORD + "x")
    assert "The two passwords do not match." in page.get_data(as_text=True)
    assert user_count() == 0


def test_invalid_email_is_refused(browser):
    page = register(browser, email="not-an-email")
    assert "Enter a valid email address" in page.get_data(as_text=True)
    assert user_count() == 0


def test_form_without_csrf_token_is_refused(client):
    page = client.post(
        "/register", data={"email": "x@example.com", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert page.status_code == 400
    assert "This form has expired" in page.get_data(as_text=True)
    assert user_count() == 0


def test_login_and_logout(browser, customer):
    page = browser.login(customer.email)
    assert page.status_code == 302 and page.headers["Location"] == "/licenses"
    assert "My licenses" in browser.get("/licenses").get_data(as_text=True)
    browser.logout()
    assert browser.get("/licenses").headers["Location"].startswith("/login")


def test_wrong_password_and_unknown_email_get_the_same_answer(browser, customer):
    wrong = browser.login(customer.email, "not-the-password").get_data(as_text=True)
    unknown = browser.login("nobody@example.com").get_data(as_text=True)
    assert "The email or password is not correct." in wrong
    assert "The email or password is not correct." in unknown
    assert browser.get("/licenses").status_code == 302


def test_remember_me_sets_a_lasting_cookie(browser, customer):
    response = browser.login(customer.email, remember="y")
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_login_follows_a_local_next(browser, customer):
    page = browser.submit(
        "/login?next=/account", {"email": customer.email, "password": PASSWORD, "next": "/account"}
    )
    assert page.headers["Location"] == "/account"


def test_login_ignores_an_open_redirect(browser, customer):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        page = browser.submit("/login", {"email": customer.email, "password": PASSWORD, "next": target})
        assert page.headers["Location"] == "/licenses", target
        browser.logout()


def test_disabled_user_cannot_log_in(browser, make_user):
    from app.models.base import utcnow

    user = make_user(disabled_at=utcnow())
    page = browser.login(user.email)
    assert "This account is disabled" in page.get_data(as_text=True)


def test_login_is_rate_limited(browser, customer):
    for _ in range(10):
        browser.login(customer.email, "wrong-password-here")
    page = browser.login(customer.email)
    assert page.status_code == 429
    assert "Too many attempts" in page.get_data(as_text=True)
    assert browser.get("/licenses").status_code == 302


def test_one_accounts_limit_does_not_lock_out_another(browser, customer, make_user):
    other = make_user(email="other@example.com")
    for _ in range(10):
        browser.login(customer.email, "wrong-password-here")
    assert browser.login(customer.email).status_code == 429
    assert browser.login(other.email).headers["Location"] == "/licenses"


def test_many_accounts_from_one_client_are_limited_too(browser, customer):
    codes = [browser.login(f"guess{i}@example.com", "wrong-password-here").status_code for i in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429


def test_forgot_password_does_not_reveal_accounts(app, browser, customer):
    known = browser.submit("/forgot-password", {"email": customer.email}).get_data(as_text=True)
    unknown = browser.submit("/forgot-password", {"email": "nobody@example.com"}).get_data(as_text=True)
    assert sent_mail() == []  # the worker looks the addresses up, after the answers
    assert run_queued(app) == 2
    assert "If an account exists" in known and "If an account exists" in unknown
    assert [m.recipient for m in sent_mail()] == [customer.email]


def test_password_reset_link_works_once(app, browser, customer):
    browser.submit("/forgot-password", {"email": customer.email})
    run_queued(app)
    link = link_in(sent_mail(customer.email)[0])
    new = "a-brand-new-passphrase"
    page = browser.submit(link, {"password": new, "confirm": new})
    assert page.headers["Location"] == "/login"
    assert browser.login(customer.email, new).headers["Location"] == "/licenses"
    browser.logout()
    reused = browser.get(link, follow_redirects=True)
    assert "already been used" in reused.get_data(as_text=True)


def test_expired_reset_link_is_refused(app, browser, customer):
    with time_machine.travel("2026-01-01 00:00 +0000", tick=False):
        browser.submit("/forgot-password", {"email": customer.email})
        run_queued(app)
    link = link_in(sent_mail(customer.email)[0])
    with time_machine.travel("2026-01-01 01:01 +0000", tick=False):
        page = browser.get(link, follow_redirects=True)
    assert "This link has expired" in page.get_data(as_text=True)


def test_reset_with_weak_password_changes_nothing(app, browser, customer):
    browser.submit("/forgot-password", {"email": customer.email})
    run_queued(app)
    link = link_in(sent_mail(customer.email)[0])
    before = customer.password_hash
    page = browser.submit(link, {"password": "short", "confirm": "short"})
    assert "Use at least 10 characters." in page.get_data(as_text=True)
    db.session.refresh(customer)
    assert customer.password_hash == before


def test_change_password(browser, customer):
    browser.login(customer.email)
    wrong = browser.submit(
        "/account/password",
        {"current": "nope-nope-nope", "password": "another-passphrase", "confirm": "another-passphrase"},
    )
    assert "Your current password is not correct." in wrong.get_data(as_text=True)
    page = browser.submit(
        "/account/password",
        {"current": PASSWORD, "password": "another-passphrase", "confirm": "another-passphrase"},
    )
    assert page.headers["Location"] == "/account"
    assert "Your password has been changed." in browser.get("/account").get_data(as_text=True)
    browser.logout()
    assert "not correct" in browser.login(customer.email).get_data(as_text=True)
    assert browser.login(customer.email, "another-passphrase").headers["Location"] == "/licenses"


def test_changing_password_signs_out_other_sessions(app, browser, customer):
    other = app.test_client()
    from tests.conftest import Browser

    Browser(other).login(customer.email)
    browser.login(customer.email)
    assert other.get("/licenses").status_code == 200
    browser.submit(
        "/account/password",
        {"current": PASSWORD, "password": "another-passphrase", "confirm": "another-passphrase"},
    )
    page = other.get("/licenses")
    assert page.status_code == 302 and page.headers["Location"] == "/login?next=%2Flicenses"
    assert browser.get("/licenses").status_code == 200  # the session that changed it stays in


def test_unconfirmed_customer_is_told_and_can_resend(browser, make_user):
    user = make_user(confirmed=False)
    browser.login(user.email)
    page = browser.get("/licenses").get_data(as_text=True)
    assert "Confirm your email address." in page
    response = browser.submit("/confirm/resend", form_url="/licenses", follow_redirects=True)
    assert f"We sent a new confirmation link to {user.email}" in response.get_data(as_text=True)
    [message] = sent_mail(user.email)
    browser.get(link_in(message))
    db.session.refresh(user)
    assert user.is_confirmed


def test_account_page_shows_the_account(browser, customer):
    browser.login(customer.email)
    page = browser.get("/account").get_data(as_text=True)
    assert customer.email in page and "Example Hosting" in page and "confirmed" in page
