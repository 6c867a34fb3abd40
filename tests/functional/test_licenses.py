"""My licenses, the license page, certificate downloads and the published keys."""

import json
from datetime import UTC, datetime, timedelta

from app.licensing.extractor import key_set_from_records, verify_certificate


def test_my_licenses_lists_each_license(browser, customer, make_license):
    paid = make_license(accounts=75)
    trial = make_license(kind="trial", accounts=25)
    browser.login(customer.email)
    page = browser.get("/licenses").get_data(as_text=True)
    assert paid.code in page and trial.code in page
    assert ">75<" in page and ">trial<" in page
    assert ">30<" in page  # trial days left
    assert "#1 · " in page


def test_license_page_shows_certificate_history_and_install_steps(browser, customer, make_license, keyring):
    from app.extensions import db
    from app.licensing.issuing import issue_next_certificate
    from tests.factories import STANDARD_TERMS

    license = make_license(accounts=50)
    license.accounts = 75
    issue_next_certificate(
        db.session, license, keyring, STANDARD_TERMS, reason="upgrade", now=datetime.now(UTC)
    )
    db.session.commit()
    browser.login(customer.email)
    page = browser.get(f"/licenses/{license.code}").get_data(as_text=True)
    assert "-----BEGIN LICENSE CERTIFICATE-----" in page
    assert "Serial 2" in page and "superseded" in page and "current" in page
    assert "License Info" in page and "Info" in page and "Save" in page
    assert "Copy certificate" in page and "Download certificate" in page


def test_download_is_a_plain_text_attachment_that_verifies(browser, customer, make_license, keyring):
    license = make_license(accounts=50)
    browser.login(customer.email)
    response = browser.get(f"/licenses/{license.code}/certificates/1.lic")
    assert response.mimetype == "text/plain"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{license.code}-1.lic"'
    claims = verify_certificate(response.get_data(as_text=True), keyring.public_keys())
    assert (claims.license_code, claims.accounts, claims.serial) == (license.code, 50, 1)


def test_another_customers_license_is_not_found(browser, make_user, make_license):
    other = make_user(email="other@example.com")
    license = make_license(owner=other)
    browser.login("customer@example.com")
    assert browser.get(f"/licenses/{license.code}").status_code == 404
    assert browser.get(f"/licenses/{license.code}/certificates/1.lic").status_code == 404
    assert browser.get("/licenses/HSL-XXXX-XXXX-XXXX").status_code == 404
    assert browser.get(f"/licenses/{make_license().code}/certificates/9.lic").status_code == 404


def test_license_pages_need_login(client, make_license):
    license = make_license()
    assert client.get(f"/licenses/{license.code}").headers["Location"].startswith("/login?next=")


def test_check_my_control_panel(browser, customer, make_license):
    license = make_license(accounts=100)
    browser.login(customer.email)

    def check(created):
        return browser.get(f"/licenses/{license.code}?created={created}").get_data(as_text=True)

    assert "OK</span>" in check(100)
    grace = check(109)
    assert "GRACE</span>" in grace and "new accounts go to moderation" in grace
    assert "1 pack of 25 accounts" in grace
    blocked = check(160)
    assert "BLOCKED</span>" in blocked and "3 packs of 25 accounts" in blocked
    assert "Enter the number of accounts created" in check("lots")


def test_expired_trial_is_shown_expired_and_blocked(browser, customer, make_license):
    license = make_license(kind="trial", accounts=25, now=datetime.now(UTC) - timedelta(days=31))
    browser.login(customer.email)
    assert "expired</span>" in browser.get("/licenses").get_data(as_text=True)
    page = browser.get(f"/licenses/{license.code}?created=1").get_data(as_text=True)
    assert "BLOCKED</span>" in page and "This license is expired" in page


def test_published_keys_verify_issued_certificates(client, make_license):
    license = make_license()
    response = client.get("/.well-known/license-keys")
    assert response.status_code == 200
    keys = key_set_from_records(json.loads(response.get_data())["keys"])
    claims = verify_certificate(license.current_certificate.text, keys)
    assert claims.license_code == license.code


def test_new_license_codes_never_repeat(app, customer, monkeypatch):
    from app.extensions import db
    from app.licensing import issuing

    codes = iter(["HSL-AAAA-AAAA-AAAA", "HSL-AAAA-AAAA-AAAA", "HSL-BBBB-BBBB-BBBB"])
    monkeypatch.setattr(issuing, "generate_license_code", lambda: next(codes))
    now = datetime.now(UTC)
    first = issuing.new_license(db.session, customer, kind="paid", accounts=25, now=now)
    second = issuing.new_license(db.session, customer, kind="paid", accounts=25, now=now)
    assert (first.code, second.code) == ("HSL-AAAA-AAAA-AAAA", "HSL-BBBB-BBBB-BBBB")


def test_my_licenses_takes_at_most_four_statements_for_one_license_or_many(browser, customer, make_license):
    from tests.conftest import statements_for

    browser.login(customer.email)
    make_license()
    one = statements_for(browser, "/licenses")
    for _ in range(4):
        make_license()
    assert statements_for(browser, "/licenses") == one <= 4
