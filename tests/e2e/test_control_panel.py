"""A control panel checks in, the customer sees the usage chart, buys exactly the packs needed, and the
next check-in brings the new certificate."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.licensing.extractor import verify_certificate
from app.models import UsageReport
from tests.e2e.conftest import log_in
from tests.e2e.test_purchase import pay_by_card, wait_until_paid
from tests.support.localstripe import localstripe  # noqa: F401  (the fixture)
from tests.support.payments import VISA, stripe_settings


@pytest.fixture
def settings(localstripe):  # noqa: F811
    return {"SERVER_NAME": None, "RATELIMIT_ENABLED": False, **stripe_settings(localstripe)}


def check_in(page, token, created):
    response = page.request.post(
        "/api/v1/check-ins", data={"created_accounts": created}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    return response.json()


def test_chart_buy_the_needed_packs_and_the_next_check_in_brings_the_certificate(
    page,
    customer,
    make_license,
    keyring,
    live_server,
    localstripe,  # noqa: F811
    app,
    output_dir,
):
    localstripe.register_webhook(
        f"{live_server.url}/webhooks/stripe", secret=app.config["STRIPE_WEBHOOK_SECRET"]
    )
    license = make_license(accounts=50)
    activation = page.request.post(
        "/api/v1/activations",
        data={"license_code": license.code, "install_id": "cp1-install-id", "hostname": "cp1.example.com"},
    )
    assert activation.status == 201
    token = activation.json()["installation_token"]
    for created in (30, 38, 44, 52, 80):
        check_in(page, token, created)
    start = datetime.now(UTC) - timedelta(days=20)
    for day, report in enumerate(db.session.scalars(select(UsageReport).order_by(UsageReport.id))):
        report.reported_at = start + timedelta(days=4 * day)
    db.session.commit()

    log_in(page, customer.email)
    page.goto(f"/licenses/{license.code}")
    expect(page.locator("#server-list")).to_contain_text("cp1.example.com")
    expect(page.get_by_role("img", name="Accounts over time")).to_be_visible()
    expect(page.locator("#usage-chart circle")).to_have_count(5)
    page.get_by_text("Usage as a table").click()
    expect(page.locator("#usage-table tbody tr")).to_have_count(5)
    page.screenshot(path=output_dir / "license-usage.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=output_dir / "license-usage-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Buy 2 packs").click()
    expect(page.get_by_label("License amount you want to buy")).to_have_value("50")
    page.get_by_role("button", name="Review the order").click()
    expect(page.locator("#accounts-after")).to_have_text("100")
    page.get_by_role("button", name="Place the order and enter your card").click()
    pay_by_card(page, VISA, output_dir, "packs")
    wait_until_paid(page, output_dir, "packs")

    answer = check_in(page, token, 80)

    claims = verify_certificate(answer["certificate"], keyring.public_keys())
    assert (claims.serial, claims.accounts, answer["verdict"], answer["packs_needed"]) == (2, 100, "OK", 0)
    page.goto(f"/licenses/{license.code}")
    expect(page.get_by_role("link", name=re.compile(r"^Buy \d+ pack"))).to_have_count(0)
    expect(page.locator("#server-list")).to_contain_text("OK")
    page.screenshot(path=output_dir / "license-after-upgrade.png", full_page=True)
    assert page.js_errors == []
