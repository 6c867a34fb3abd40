"""Staff sign in with a second factor; customers may turn it on; sessions end on the server."""

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, SignInSession, User
from config import ProductionConfig
from tests.conftest import PASSWORD, TOTP_SECRET, Browser

SIGN_IN_FIRST = "/login?next=%2Fsupport%2F"


def sent_to_sign_in(response):
    """The console answered by sending the browser to the login page, to come back afterwards."""
    return (response.status_code, response.headers.get("Location")) == (302, SIGN_IN_FIRST)


def test_staff_sign_in_asks_for_the_authentication_code(browser, staff):
    response = browser.submit("/login", {"email": staff.email, "password": PASSWORD})
    assert response.headers["Location"] == "/login/code"
    assert sent_to_sign_in(browser.get("/support/"))  # the password alone signs no one in
    page = browser.get("/login/code").get_data(as_text=True)
    assert "Authentication code" in page
    wrong = browser.submit("/login/code", {"code": "000000"})
    assert "This code is not correct" in wrong.get_data(as_text=True)
    right = browser.submit("/login/code", {"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert right.headers["Location"] == "/support/"
    assert browser.get("/support/").status_code == 200


def test_an_authentication_code_works_once(app, staff):
    first, second = Browser(app.test_client()), Browser(app.test_client())
    code = pyotp.TOTP(TOTP_SECRET).now()
    for b in (first, second):
        b.submit("/login", {"email": staff.email, "password": PASSWORD})
    assert first.submit("/login/code", {"code": code}).headers["Location"] == "/support/"
    assert "not correct" in second.submit("/login/code", {"code": code}).get_data(as_text=True)


def test_codes_are_rate_limited_like_passwords(browser, staff):
    browser.submit("/login", {"email": staff.email, "password": PASSWORD})
    statuses = [browser.submit("/login/code", {"code": "123456"}).status_code for _ in range(6)]
    assert statuses[:5] == [200] * 5 and statuses[5] == 429


def test_staff_without_a_second_factor_set_it_up_at_first_sign_in(browser, make_user):
    user = make_user(email="new.agent@example.com", role="support", totp_secret=None)
    assert browser.login(user.email).headers["Location"] == "/login/two-factor/setup"
    page = browser.get("/login/two-factor/setup").get_data(as_text=True)
    assert "<svg" in page and "Authentication code" in page
    codes = browser.set_up_two_factor()
    assert len(set(codes)) == 10
    assert browser.get("/support/").status_code == 200
    # a recovery code signs in once
    browser.logout()
    again = Browser(browser.client)
    again.submit("/login", {"email": user.email, "password": PASSWORD})
    assert again.submit("/login/code", {"code": codes[0]}).headers["Location"] == "/support/"
    again.logout()
    again.submit("/login", {"email": user.email, "password": PASSWORD})
    assert "not correct" in again.submit("/login/code", {"code": codes[0]}).get_data(as_text=True)


def test_a_wrong_setup_code_turns_nothing_on(browser, make_user):
    user = make_user(email="new.agent@example.com", role="support", totp_secret=None)
    browser.login(user.email)
    page = browser.submit("/login/two-factor/setup", {"code": "000000"}).get_data(as_text=True)
    assert "This code is not correct" in page
    db.session.rollback()
    assert db.session.get(User, user.id).totp_confirmed_at is None
    assert sent_to_sign_in(browser.get("/support/"))


def test_customers_may_turn_two_factor_on_and_off(customer_browser, customer):
    page = customer_browser.get("/account/security").get_data(as_text=True)
    assert "Turn on two-factor authentication" in page
    assert len(customer_browser.set_up_two_factor()) == 10
    customer_browser.logout()
    response = customer_browser.submit("/login", {"email": customer.email, "password": PASSWORD})
    assert response.headers["Location"] == "/login/code"
    code = pyotp.TOTP(db.session.get(User, customer.id).totp_secret).at(time.time() + 30)
    assert customer_browser.submit("/login/code", {"code": code}).headers["Location"] == "/licenses"
    customer_browser.submit(
        "/account/security/two-factor/off", {"code": "111111"}, form_url="/account/security"
    )
    db.session.rollback()
    assert db.session.get(User, customer.id).has_two_factor


def test_admin_resets_a_staff_members_second_factor_with_an_audit_entry(browser, make_user, staff):
    admin = make_user(email="admin@example.com", role="admin")
    browser.login(admin.email)
    response = browser.submit(f"/support/users/{staff.id}/two-factor/reset", form_url="/support/staff")
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(User, staff.id).totp_secret is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.two_factor_reset"))
    assert Browser(browser.client.application.test_client()).login(staff.email).headers["Location"] == (
        "/login/two-factor/setup"
    )


def test_the_demo_support_user_sets_up_two_factor_with_the_printed_secret(runner, client):
    result = runner.invoke(args=["demo"])
    secret = re.search(r"authenticator secret \(two-factor\): ([A-Z2-7]+)", result.output).group(1)
    browser = Browser(client)
    assert browser.login("support@example.com", "demo-support-pass").headers["Location"] == (
        "/login/two-factor/setup"
    )
    assert secret in browser.get("/login/two-factor/setup").get_data(as_text=True)
    browser.submit("/login/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    assert browser.get("/support/").status_code == 200


@pytest.mark.parametrize("env", ["production"])
def test_demo_refuses_outside_development(app, env, monkeypatch):
    app.config["ENV_NAME"] = env
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "only runs with PORTAL_ENV=development" in result.output
    assert db.session.scalars(select(User)).all() == []
    assert env == ProductionConfig.ENV_NAME


# --- sessions -------------------------------------------------------------------------------


def _cookies(client):
    return {c.key: c.value for c in client._cookies.values()}


def test_logout_ends_the_session_and_its_remember_cookie(app, customer):
    browser = Browser(app.test_client())
    browser.login(customer.email, remember="y")
    copied = _cookies(browser.client)
    browser.logout()
    thief = app.test_client()
    for name, value in copied.items():
        thief.set_cookie(name, value, domain="portal.test")
    assert thief.get("/licenses").status_code == 302  # to the login page
    only_remember = app.test_client()
    only_remember.set_cookie("remember_token", copied["remember_token"], domain="portal.test")
    assert only_remember.get("/licenses").status_code == 302


def test_security_lists_sessions_and_signs_out_everywhere(app, customer):
    laptop, phone = Browser(app.test_client()), Browser(app.test_client())
    laptop.login(customer.email)
    phone.login(customer.email, remember="y")
    page = laptop.get("/account/security").get_data(as_text=True)
    assert page.count("<tr>") == 3  # the header and two sessions
    assert "Sign out everywhere" in page and "this browser" in page
    response = laptop.submit("/account/security/sign-out-everywhere", form_url="/account/security")
    assert response.headers["Location"] == "/login"
    assert phone.get("/licenses").status_code == 302
    assert laptop.get("/licenses").status_code == 302
    assert db.session.scalars(select(SignInSession).where(SignInSession.ended_at.is_(None))).all() == []


def test_a_role_change_or_disabling_ends_every_session(app, make_user, staff):
    admin = make_user(email="admin@example.com", role="admin")
    agent = Browser(app.test_client())
    agent.login(staff.email)
    boss = Browser(app.test_client())
    boss.login(admin.email)
    boss.submit(f"/support/users/{staff.id}/role", {"role": "admin"}, form_url="/support/staff")
    assert sent_to_sign_in(agent.get("/support/"))


FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


def signed_in_with(app, email, user_agent):
    browser = Browser(app.test_client())
    browser.client.environ_base["HTTP_USER_AGENT"] = user_agent
    browser.login(email)
    return browser


def test_security_names_each_device_readably(app, customer):
    laptop = signed_in_with(app, customer.email, FIREFOX_ON_WINDOWS)
    signed_in_with(app, customer.email, SAFARI_ON_IPHONE)

    page = laptop.get("/account/security").get_data(as_text=True)

    assert ">Firefox 121 on Windows</span>" in page and ">Mobile Safari 17 on iOS (iPhone)</span>" in page


def test_one_session_is_signed_out_and_the_others_stay(app, customer):
    laptop = signed_in_with(app, customer.email, FIREFOX_ON_WINDOWS)
    phone = signed_in_with(app, customer.email, SAFARI_ON_IPHONE)
    phone_session = db.session.scalar(select(SignInSession).where(SignInSession.device == SAFARI_ON_IPHONE))

    response = laptop.submit(
        f"/account/security/sessions/{phone_session.id}/sign-out", form_url="/account/security"
    )

    assert response.headers["Location"] == "/account/security"
    assert "Mobile Safari 17 on iOS (iPhone) is signed out." in laptop.get("/account/security").get_data(
        as_text=True
    )
    assert phone.get("/licenses").status_code == 302
    assert laptop.get("/licenses").status_code == 200


def test_signing_out_this_browser_from_its_row_signs_it_out(app, customer):
    laptop = signed_in_with(app, customer.email, FIREFOX_ON_WINDOWS)
    own = db.session.scalar(select(SignInSession))

    response = laptop.submit(f"/account/security/sessions/{own.id}/sign-out", form_url="/account/security")

    assert response.headers["Location"] == "/login"
    assert laptop.get("/licenses").status_code == 302


def test_another_users_session_cannot_be_signed_out(app, customer, make_user):
    other = make_user(email="other@example.com")
    theirs = signed_in_with(app, other.email, SAFARI_ON_IPHONE)
    their_session = db.session.scalar(select(SignInSession).where(SignInSession.user_id == other.id))
    mine = signed_in_with(app, customer.email, FIREFOX_ON_WINDOWS)

    response = mine.submit(
        f"/account/security/sessions/{their_session.id}/sign-out", form_url="/account/security"
    )

    assert response.status_code == 404
    assert theirs.get("/licenses").status_code == 200


def test_recovery_codes_can_be_copied_and_downloaded(customer_browser):
    page = customer_browser.client.get("/login/two-factor/setup").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    shown = customer_browser.submit("/login/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    html = shown.get_data(as_text=True)
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", html)
    assert 'data-copy-target="#recovery-codes-text"' in html and "\n".join(codes) in html
    assert "<script>" not in html  # the copy button is static/js/app.js's

    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    download = customer_browser.client.post(
        "/account/security/recovery-codes.txt", data={"csrf_token": token, "code": codes}
    )

    assert download.headers["Content-Disposition"] == 'attachment; filename="recovery-codes.txt"'
    assert download.mimetype == "text/plain" and all(
        code in download.get_data(as_text=True) for code in codes
    )
    made_up = customer_browser.client.post(
        "/account/security/recovery-codes.txt", data={"csrf_token": token, "code": ["0123ab-cdef01"]}
    )
    assert made_up.status_code == 404
