"""A customer reads a license page, checks the control panel and downloads the certificate."""

from playwright.sync_api import expect

from app.licensing.extractor import verify_certificate
from tests.e2e.conftest import download_certificate, log_in


def test_license_page_check_and_download(page, customer, make_license, keyring, output_dir):
    license = make_license(accounts=100)
    log_in(page, customer.email)
    page.get_by_role("link", name=license.code).click()
    expect(page.get_by_role("heading", name=f"License {license.code}")).to_be_visible()
    expect(page.locator("#certificate-text")).to_contain_text("-----BEGIN LICENSE CERTIFICATE-----")
    expect(page.get_by_role("button", name="Copy certificate")).to_be_visible()

    page.get_by_label("Accounts created in your control panel").fill("109")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#policy-result")).to_contain_text("GRACE")
    expect(page.locator("#policy-result")).to_contain_text("1 pack of 25 accounts")
    page.screenshot(path=output_dir / "license-page.png", full_page=True)

    path = download_certificate(page, output_dir)
    assert path.name == f"{license.code}-1.lic"
    assert verify_certificate(path.read_text(), keyring.public_keys()).accounts == 100

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/licenses")
    expect(page.get_by_role("link", name=license.code)).to_be_visible()
    page.screenshot(path=output_dir / "my-licenses-phone.png", full_page=True)
    assert page.js_errors == []
