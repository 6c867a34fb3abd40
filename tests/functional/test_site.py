"""Security headers, error pages and the staff-only console."""

import pytest

from tests.conftest import PASSWORD


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_and_secure_cookies_in_production(app_settings, monkeypatch):
    from app import create_app
    from config import ProductionConfig

    app = create_app(ProductionConfig(), SECRET_KEY="x" * 32, **app_settings)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    import pytest

    from config import load_config

    monkeypatch.setattr("config.ProductionConfig.SECRET_KEY", None)
    with pytest.raises(SystemExit, match="SECRET_KEY is not set"):
        load_config("production")


def test_not_found_page_uses_the_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page and "License Portal" in page


def test_not_found_offers_licenses_only_to_signed_in_customers(client, browser, customer, staff):
    visitor = client.get("/no-such-page").get_data(as_text=True)
    assert "Go to the start page" in visitor and "your licenses" not in visitor

    browser.login(customer.email)
    assert 'href="/licenses">Go to your licenses' in browser.get("/no-such-page").get_data(as_text=True)
    browser.logout()

    browser.login(staff.email)
    page = browser.get("/no-such-page").get_data(as_text=True)
    assert 'href="/support/">Go to the console' in page and "your licenses" not in page


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype in ("image/x-icon", "image/vnd.microsoft.icon")
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_terms_name_the_seller_the_law_and_the_data_protection_contact(client, app):
    page = client.get("/terms").get_data(as_text=True)

    assert "Example Control Panel Software GmbH" in page and "Beispielstraße 1, 10115 Berlin" in page
    assert "VAT ID DE136695976" in page and "governed by the law of Germany" in page
    assert f'href="mailto:{app.config["PRIVACY_EMAIL"]}"' in page
    refund = client.get("/refund-policy").get_data(as_text=True)
    assert "Refunds are made by Example Control Panel Software GmbH" in refund


def test_staff_console_is_not_found_for_customers(browser, customer):
    browser.login(customer.email)
    assert browser.get("/support/").status_code == 404
    assert "Support console" not in browser.get("/licenses").get_data(as_text=True)


def test_staff_console_for_staff(browser, staff):
    response = browser.login(staff.email, PASSWORD)
    assert response.headers["Location"] == "/support/"
    assert "Support console" in browser.get("/support/").get_data(as_text=True)


@pytest.mark.parametrize("settings", [{"PROPAGATE_EXCEPTIONS": False}])  # an app of its own: it adds a route
def test_server_error_page_rolls_back(app, client):
    from app.extensions import db
    from app.models import User

    @app.route("/boom")
    def boom():
        db.session.add(User(email="half@example.com", password_hash="x"))
        db.session.flush()
        raise RuntimeError("boom")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert db.session.query(User).count() == 0
