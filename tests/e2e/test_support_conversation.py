"""A customer writes to support, support replies in the console, and the customer reads the reply twice:
in the thread under Contact support and in their inbox, whose link leads back to the thread."""

from playwright.sync_api import expect

from tests.conftest import link_in, sent_mail
from tests.e2e.conftest import log_in


def test_a_support_reply_reaches_thread_and_inbox(new_page, customer, staff, make_license, output_dir):
    license = make_license(accounts=50)
    shopper = new_page()
    log_in(shopper, customer.email)
    shopper.goto("/contact")
    shopper.get_by_label("Subject").fill("Certificate will not install")
    shopper.get_by_label("License").select_option(license.code)
    shopper.get_by_label("Message").fill("The panel says the signature is invalid.")
    shopper.get_by_role("button", name="Send to support").click()
    expect(shopper.get_by_role("heading", name="Certificate will not install")).to_be_visible()

    agent = new_page()
    log_in(agent, staff.email)
    agent.get_by_role("link", name="Conversations").click()
    expect(agent.locator("#conversations")).to_contain_text("waiting for support")
    agent.screenshot(path=output_dir / "console-conversations.png", full_page=True)
    agent.get_by_role("link", name="Certificate will not install").click()
    agent.get_by_label("Reply").fill("Paste the whole certificate, with its BEGIN and END lines.")
    agent.get_by_role("button", name="Send reply").click()
    expect(agent.get_by_text(f"Reply sent to {customer.email}.")).to_be_visible()
    agent.screenshot(path=output_dir / "console-conversation.png", full_page=True)

    shopper.reload()
    thread = shopper.get_by_role("list", name="Conversation")
    expect(thread).to_contain_text("Paste the whole certificate, with its BEGIN and END lines.")
    shopper.screenshot(path=output_dir / "thread.png", full_page=True)

    [email] = sent_mail(customer.email)
    assert "Paste the whole certificate" in email.text_body
    shopper.goto(link_in(email))
    expect(shopper.get_by_role("list", name="Conversation")).to_contain_text("Paste the whole certificate")
    shopper.set_viewport_size({"width": 390, "height": 844})
    shopper.screenshot(path=output_dir / "thread-phone.png", full_page=True)
    assert shopper.js_errors == [] and agent.js_errors == []
