"""The license page and the console show the servers holding a license, their usage and what to buy."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Installation
from tests.functional.test_api import activate, check_in


@pytest.fixture
def settings():
    return {"RATELIMIT_ENABLED": False}


@pytest.fixture
def held(client, make_license):
    """A 100-account license activated on cp1.example.com; returns (license, token)."""
    license = make_license(accounts=100)
    return license, activate(client, license.code).json["installation_token"]


def test_license_page_shows_the_server_and_its_last_check_in(customer_browser, client, held):
    license, token = held
    start = datetime.now(UTC)
    with time_machine.travel(start - timedelta(hours=3)):
        check_in(client, token, 40)
    page = customer_browser.get(f"/licenses/{license.code}").get_data(as_text=True)
    assert "cp1.example.com" in page
    assert "3 hours ago" in page
    assert "Release this server" in page
    assert "stale" not in page


@pytest.mark.parametrize("settings", [{"RATELIMIT_ENABLED": False, "CHECKIN_STALE_DAYS": 2}])
def test_a_server_silent_for_longer_than_stale_days_is_marked_stale(customer_browser, client, held):
    license, token = held
    with time_machine.travel(datetime.now(UTC) - timedelta(days=3)):
        check_in(client, token, 40)
    page = customer_browser.get(f"/licenses/{license.code}").get_data(as_text=True)
    assert "3 days ago" in page and ">stale<" in page


def test_over_the_limit_the_page_offers_exactly_the_packs_needed(customer_browser, client, held):
    license, token = held
    check_in(client, token, 130)  # 30 over: 2 packs of 25
    page = customer_browser.get(f"/licenses/{license.code}").get_data(as_text=True)
    assert "Buy 2 packs" in page
    assert f'href="/licenses/{license.code}/upgrade?accounts=50"' in page
    form = customer_browser.get(f"/licenses/{license.code}/upgrade?accounts=50").get_data(as_text=True)
    assert 'value="50"' in form


def test_one_pack_reads_buy_1_pack(customer_browser, client, held):
    license, token = held
    check_in(client, token, 105)
    page = customer_browser.get(f"/licenses/{license.code}").get_data(as_text=True)
    assert "Buy 1 pack<" in page


def test_chart_and_table_show_every_check_in_and_the_forecast(customer_browser, client, held):
    license, token = held
    start = datetime.now(UTC) - timedelta(days=3)
    for day, created in enumerate((60, 70, 80)):
        with time_machine.travel(start + timedelta(days=day)):
            check_in(client, token, created)
    page = customer_browser.get(f"/licenses/{license.code}").get_data(as_text=True)
    assert '<svg viewBox="0 0 640 240" role="img"' in page
    assert page.count('class="dot-created"') == 3
    assert "Usage as a table" in page
    assert page.count('<td data-label="Licensed accounts" class="num">100</td>') == 3
    expected = (start + timedelta(days=5)).strftime("%d %b %Y")
    assert f"At this rate you will need another pack around <strong>{expected}</strong>" in page
    assert "Buy " not in page


def test_customer_releases_the_server_and_another_can_activate(customer_browser, client, held):
    license, token = held
    installation = db.session.scalar(select(Installation))

    response = customer_browser.submit(
        f"/licenses/{license.code}/installations/{installation.id}/release",
        form_url=f"/licenses/{license.code}",
    )

    assert response.status_code == 302
    page = customer_browser.get(f"/licenses/{license.code}").get_data(as_text=True)
    assert "cp1.example.com is released" in page
    assert check_in(client, token, 1).status_code == 401
    assert activate(client, license.code, install_id="another-server").status_code == 201


def test_another_customers_server_cannot_be_released(browser, client, make_user, make_license):
    other = make_license(owner=make_user(email="other@example.com"))
    activate(client, other.code)
    installation = db.session.scalar(select(Installation))
    mine = make_license()
    browser.login("customer@example.com")
    for code in (other.code, mine.code):
        response = browser.submit(
            f"/licenses/{code}/installations/{installation.id}/release", form_url="/licenses"
        )
        assert response.status_code == 404
    assert db.session.scalar(select(Installation)).released_at is None


def test_console_shows_servers_lists_licenses_over_limit_and_releases_with_audit(agent, client, held):
    license, token = held
    check_in(client, token, 130)
    overview = agent.get("/support/").get_data(as_text=True)
    assert (
        "Licenses over their limit" in overview and license.code in overview and "cp1.example.com" in overview
    )
    page = agent.get(f"/support/licenses/{license.code}").get_data(as_text=True)
    assert "cp1.example.com" in page and "Release this server" in page and "Buy 2 packs" not in page
    installation = db.session.scalar(select(Installation))

    agent.submit(
        f"/support/licenses/{license.code}/installations/{installation.id}/release",
        form_url=f"/support/licenses/{license.code}",
    )

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "installation.release"))
    assert entry.license_id == license.id and entry.details["hostname"] == "cp1.example.com"
    assert db.session.get(Installation, installation.id).released_at is not None
    assert "No control panel reports more accounts" in agent.get("/support/").get_data(as_text=True)


@pytest.mark.parametrize("settings", [{"RATELIMIT_ENABLED": False, "GRACE_PERCENT": 5}])
def test_the_grace_line_and_the_forecast_use_the_configured_grace_percent(customer_browser, client, held):
    license, token = held
    start = (datetime.now(UTC) - timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
    for day, created in enumerate((60, 70, 80)):
        with time_machine.travel(start + timedelta(days=day)):
            check_in(client, token, created)
    page = customer_browser.get(f"/licenses/{license.code}").get_data(as_text=True)
    # 10 more accounts a day from 60 reach 105 (5% over 100: BLOCKED) after 4.5 days, not 110 after 5.
    expected = (start + timedelta(days=4, hours=12)).strftime("%d %b %Y")
    assert f"At this rate you will need another pack around <strong>{expected}</strong>" in page
    # The chart's top is 200 accounts over 200 pixels from y=12: the grace line at 105 is drawn at y=107.
    grace_line = re.search(r'class="line-grace" points="([^"]*)"', page).group(1)
    assert {point.split(",")[1] for point in grace_line.split()} == {"107.0"}
