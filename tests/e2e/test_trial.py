"""A customer asks for a trial, support approves it in another browser, the certificate verifies."""

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.conftest import download_certificate, extract_certificate, log_in
from tests.factories import add_order

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def screenshots(page, output_dir, name):
    """The page as it is now, on a desktop and on a phone."""
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=output_dir / f"{name}.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=output_dir / f"{name}-phone.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def test_customer_gets_a_trial_approved_by_support(new_page, customer, staff, output_dir):
    buyer = new_page()
    log_in(buyer, customer.email)
    buyer.get_by_role("link", name="Request a 30-day trial").click()
    buyer.get_by_label("Control panel server hostname").fill("cp.example-hosting.com")
    buyer.get_by_label("Expected number of accounts").fill("40")
    buyer.get_by_label("Note").fill("We move 40 sites from another panel in March.")
    expect(buyer.get_by_label("Company")).to_have_value("Example Hosting")
    buyer.get_by_role("button", name="Request trial").click()
    expect(buyer.get_by_text("Your trial request is waiting for support.")).to_be_visible()
    screenshots(buyer, output_dir, "customer-pending")

    agent = new_page()
    log_in(agent, staff.email)
    agent.get_by_role("link", name="Trial requests").click()
    request_card = agent.locator("article.request-card", has_text=customer.email)
    expect(request_card).to_contain_text("cp.example-hosting.com")
    expect(request_card).to_contain_text("We move 40 sites")
    screenshots(agent, output_dir, "support-queue")
    request_card.get_by_label("Note to the customer (optional)").fill("Welcome aboard!")
    approved_at = datetime.now(UTC)
    request_card.get_by_role("button", name="Approve").click()
    expect(agent.get_by_text("Trial approved")).to_be_visible()
    expect(agent.locator("#queue-empty")).to_be_visible()

    buyer.reload()
    trial_row = buyer.locator("#licenses tbody tr").first
    expect(trial_row).to_contain_text("trial")
    expect(trial_row).to_contain_text("25")
    expect(buyer.locator("#trial-panel")).to_contain_text("30 days left")
    screenshots(buyer, output_dir, "customer-trial")
    code = trial_row.locator(".license-code").inner_text()
    buyer.get_by_role("link", name=code).click()
    expect(buyer.get_by_role("heading", name=f"License {code}")).to_be_visible()
    screenshots(buyer, output_dir, "customer-license")
    certificate = download_certificate(buyer, output_dir)
    assert certificate.name == f"{code}-1.lic"

    report = extract_certificate(buyer, certificate, output_dir)
    claims = report["claims"]
    assert (report["signature"], report["expired"]) == ("valid", False)
    assert (claims["license_code"], claims["kind"], claims["accounts"]) == (code, "trial", 25)
    expires_at = datetime.fromisoformat(claims["expires_at"].replace("Z", "+00:00"))
    assert abs(expires_at - (approved_at + timedelta(days=30))) < timedelta(minutes=2)
    assert claims["support_until"] == claims["expires_at"]
    assert buyer.js_errors == [] and agent.js_errors == []


def test_console_pages_on_desktop_and_phone(
    new_page, make_user, make_license, pay_order, customer, staff, output_dir
):
    from app.extensions import db
    from app.models import TrialRequest

    admin = make_user(email="admin@example.com", role="admin")
    waiting = make_user(email="waiting@example.com", company="Waiting Hosting")
    db.session.add(
        TrialRequest(
            user_id=waiting.id,
            company="Waiting Hosting",
            hostname="panel.waiting-hosting.net",
            expected_accounts=120,
            note="Evaluating before we migrate 120 accounts.",
        )
    )
    make_license(kind="trial", accounts=25)
    paid = make_license(accounts=50)
    order = pay_order(add_order(customer, license=paid, accounts=25, stripe_payment_intent_id="pi_console"))

    console = new_page()
    log_in(console, admin.email)
    console.goto(f"/support/licenses/{paid.code}")
    console.get_by_role("group").filter(has_text="Revoke this license").locator("summary").click()
    console.get_by_label("Reason").fill("Chargeback reported by the bank")
    console.once("dialog", lambda dialog: dialog.accept())
    console.get_by_role("button", name="Revoke license").click()
    expect(console.get_by_text("is revoked")).to_be_visible()
    screenshots(console, output_dir, "console-license")

    pages = {
        "console-overview": ("/support/", "Support console"),
        "console-customer": (f"/support/customers/{customer.id}", customer.email),
        "console-customers": ("/support/customers?q=example", "Customers"),
        "console-orders": ("/support/orders", "Orders"),
        "console-order": (f"/support/orders/{order.id}", f"Order #{order.id}"),
        "console-audit": ("/support/audit", "Audit log"),
        "console-staff": ("/support/staff", "Staff"),
    }
    for name, (url, heading) in pages.items():
        console.goto(url)
        expect(console.get_by_role("heading", name=heading, exact=False).first).to_be_visible()
        screenshots(console, output_dir, name)

    asker = new_page()
    log_in(asker, make_user(email="new-customer@example.com", company="New Hosting").email)
    asker.goto("/trial")
    asker.get_by_role("button", name="Request trial").click()
    expect(asker.get_by_text("Enter the host name of the server")).to_be_visible()
    screenshots(asker, output_dir, "trial-form-errors")
    assert console.js_errors == [] and asker.js_errors == []
