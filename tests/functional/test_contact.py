"""Contact support: who may write, until when, where the message goes; the policy pages."""

from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.models import SupportMessage
from tests.conftest import sent_mail


def text(response):
    return response.get_data(as_text=True)


def test_a_paid_customer_sees_the_support_date_and_the_message_reaches_support(
    customer_browser, customer, make_license, staff, app
):
    license = make_license(accounts=50)
    page = text(customer_browser.get("/contact"))
    assert f"includes support until <strong>{license.support_until:%-d %b %Y}" in page or (
        license.support_until.strftime("%Y") in page and "includes support until" in page
    )

    response = customer_browser.submit(
        "/contact",
        {"subject": "Certificate will not install", "license": license.code, "message": "It says invalid."},
        follow_redirects=True,
    )
    assert "Your message was sent to support" in text(response)
    [mail] = sent_mail(app.config["SUPPORT_EMAIL"])
    assert mail.reply_to == customer.email
    assert "Certificate will not install" in mail.subject
    assert license.code in mail.text_body and "It says invalid." in mail.text_body

    customer_browser.logout()
    customer_browser.login(staff.email)
    console = text(customer_browser.get(f"/support/customers/{customer.id}"))
    assert "Certificate will not install" in console and "It says invalid." in console


def test_the_reply_to_header_is_the_customer(app, customer, make_license):
    from app.contact.service import send_support_message
    from app.mail import _build

    license = make_license()
    message = send_support_message(db.session, customer, license, "Hello", "Body", "support@example.com")
    db.session.commit()
    [mail] = sent_mail("support@example.com")
    built = _build(mail, app.config)
    assert built["Reply-To"] == customer.email
    assert message.id


def test_a_customer_without_a_license_is_told_to_buy_or_ask_for_a_trial(customer_browser):
    page = text(customer_browser.get("/contact"))
    assert "Support comes with a license" in page
    assert 'href="/orders/new"' in page and 'href="/trial"' in page
    assert 'name="message"' not in page

    response = customer_browser.submit("/contact", {"subject": "Hi", "message": "Help"}, form_url="/account")
    assert response.status_code == 200
    assert db.session.query(SupportMessage).count() == 0
    assert sent_mail() == []


def test_trial_support_ends_with_the_trial(customer_browser, make_license, app):
    trial = make_license(kind="trial", accounts=25)
    page = text(customer_browser.get("/contact"))
    assert "until the trial ends on" in page and trial.code in page

    trial.trial_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    page = text(customer_browser.get("/contact"))
    assert "Your trial has ended" in page
    assert 'name="message"' not in page


def test_support_that_has_ended_on_a_paid_license_says_so(customer_browser, make_license):
    license = make_license()
    license.support_until = datetime.now(UTC) - timedelta(days=1)
    db.session.commit()
    page = text(customer_browser.get("/contact"))
    assert "support period of your licenses has ended" in page


def test_an_empty_message_is_refused_and_nothing_is_sent(customer_browser, make_license):
    make_license()
    response = customer_browser.submit("/contact", {"subject": "", "license": "", "message": ""})
    page = text(response)
    assert "Enter a subject" in page and "Write your question" in page
    assert sent_mail() == []


def test_someone_elses_license_is_refused(customer_browser, make_license, make_user):
    make_license()
    other = make_license(owner=make_user(email="other@example.com"))
    response = customer_browser.submit("/contact", {"subject": "S", "license": other.code, "message": "M"})
    assert "Choose one of your licenses" in text(response)
    assert sent_mail() == []


def test_contact_support_terms_and_refund_policy_are_linked_on_every_page(customer_browser):
    page = text(customer_browser.get("/licenses"))
    assert 'href="/contact"' in page and 'href="/terms"' in page and 'href="/refund-policy"' in page
    assert "Refunds are made in whole packs" in text(customer_browser.get("/refund-policy"))
    assert "A paid license includes support" in text(customer_browser.get("/terms"))


def test_form_fields_carry_no_none_attributes(customer_browser, make_license):
    make_license()
    page = text(customer_browser.get("/contact"))
    assert '"None"' not in page
    page = text(customer_browser.submit("/contact", {"subject": "", "message": ""}))
    assert 'aria-invalid="true"' in page and '"None"' not in page


def test_a_revoked_license_still_reaches_support_about_it(customer_browser, make_license, app):
    license = make_license()
    license.status = "revoked"
    db.session.commit()

    page = text(customer_browser.get("/contact"))

    assert "support period of your licenses has ended" not in page and 'name="message"' in page
    assert f"{license.support_until:%d %b %Y}" in page
    customer_browser.submit("/contact", {"subject": "Why revoked?", "license": license.code, "message": "Hi"})
    [mail] = sent_mail(app.config["SUPPORT_EMAIL"])
    assert license.code in mail.text_body and "Why revoked?" in mail.subject


def test_a_customer_whose_trial_request_is_pending_is_told_so(customer_browser, customer):
    from app.models import TrialRequest

    db.session.add(
        TrialRequest(user_id=customer.id, company="Acme", hostname="cp.acme.example", expected_accounts=40)
    )
    db.session.commit()

    page = text(customer_browser.get("/contact"))

    assert "Your trial request is waiting for a decision" in page
    assert "ask for a 30-day trial" not in page and 'href="/contact/sales"' in page
    assert 'name="message"' not in page


def test_a_prospect_reaches_sales_without_an_account(client, app):
    from tests.conftest import Browser

    visitor = Browser(client)
    assert 'href="/contact/sales"' in text(visitor.get("/"))

    response = visitor.submit(
        "/contact/sales",
        {
            "name": "Pat Prospect",
            "email": "pat@hosting.example",
            "company": "Hosting Ltd",
            "message": "500 accounts?",
        },
        follow_redirects=True,
    )

    assert "Your message was sent to sales" in text(response)
    [mail] = sent_mail(app.config["SALES_EMAIL"])
    assert mail.reply_to == "pat@hosting.example" and "Hosting Ltd" in mail.subject
    assert "Pat Prospect" in mail.text_body and "500 accounts?" in mail.text_body


def test_a_sales_message_without_an_address_is_refused_and_nothing_is_sent(client):
    from tests.conftest import Browser

    response = Browser(client).submit(
        "/contact/sales", {"name": "Pat", "email": "not-an-address", "message": "Hi"}
    )

    assert "Enter a valid email address" in text(response)
    assert sent_mail() == []


def test_contact_sales_is_rate_limited(client):
    from tests.conftest import Browser

    visitor = Browser(client)
    form = {"name": "Pat", "email": "pat@hosting.example", "message": "Hi"}
    answers = [visitor.submit("/contact/sales", form).status_code for _ in range(4)]

    assert answers == [302, 302, 302, 429]
    assert len(sent_mail()) == 3
