"""The console's everyday tools: one search box, notes, Resend confirmation, Send password reset."""

import pytest

from app.extensions import db
from app.models import AuditEntry, CustomerNote
from tests.conftest import PASSWORD, Browser, link_in, sent_mail
from tests.factories import add_order
from tests.support.payments import succeeded_payment


def text(response):
    return response.get_data(as_text=True)


@pytest.fixture
def found(agent, customer, make_user, make_license, pay_order):
    """The customer with a license and a paid order, and another customer who must not match."""
    other = make_user(email="someone@else.test", company="Other Co")
    license = make_license(accounts=50)
    order = add_order(customer, license=license, accounts=25, stripe_payment_intent_id="pi_3Findme")
    pay_order(order, succeeded_payment(order, card_last4="4321"))
    return {"license": license, "order": order, "other": other}


def search(agent, query):
    return text(agent.get("/support/customers", query_string={"q": query}))


@pytest.mark.parametrize(
    "query",
    ["customer@exa", "example hosting", "{code_part}", "#{order_id}", "pi_3Findme", "4321"],
)
def test_the_search_box_finds_the_customer_by_each_key(agent, customer, found, query):
    query = query.format(code_part=found["license"].code[4:9].lower(), order_id=found["order"].id)
    page = search(agent, query)
    assert f"/support/customers/{customer.id}" in page
    assert "someone@else.test" not in page


def test_a_full_license_code_opens_the_license(agent, found):
    response = agent.get("/support/customers", query_string={"q": found["license"].code})
    assert response.status_code == 302 and found["license"].code in response.location


def test_a_search_that_matches_nothing_says_how_to_search(agent, found):
    page = search(agent, "pi_nothing")
    assert (
        "No customer matches" in page and "customer@example.com" not in page.split("No customer")[0][-2000:]
    )


def test_a_note_is_kept_with_its_author_and_audited(agent, customer, staff):
    response = agent.submit(
        f"/support/customers/{customer.id}/notes",
        {"body": "Called about the invoice; wants a PO number."},
        form_url=f"/support/customers/{customer.id}",
        follow_redirects=True,
    )
    page = text(response)
    assert "Note saved." in page
    assert "Called about the invoice; wants a PO number." in page and staff.email in page
    [note] = db.session.query(CustomerNote).all()
    assert note.author_id == staff.id
    assert db.session.query(AuditEntry).filter_by(action="customer.note").count() == 1
    assert "Added a note" in text(agent.get("/support/audit"))


def test_an_empty_note_is_refused(agent, customer):
    response = agent.submit(
        f"/support/customers/{customer.id}/notes",
        {"body": "   "},
        form_url=f"/support/customers/{customer.id}",
        follow_redirects=True,
    )
    assert "nothing was saved" in text(response)
    assert db.session.query(CustomerNote).count() == 0
    assert db.session.query(AuditEntry).count() == 0


def test_resend_confirmation_mails_a_link_that_confirms(app, agent, make_user):
    newcomer = make_user(email="new@example.com", confirmed=False)
    page = text(agent.get(f"/support/customers/{newcomer.id}"))
    assert "Resend confirmation" in page
    response = agent.submit(
        f"/support/customers/{newcomer.id}/resend-confirmation",
        form_url=f"/support/customers/{newcomer.id}",
        follow_redirects=True,
    )
    assert "A new confirmation link was sent to new@example.com" in text(response)
    [mail] = sent_mail("new@example.com")
    Browser(app.test_client()).get(link_in(mail))
    db.session.refresh(newcomer)
    assert newcomer.is_confirmed
    assert db.session.query(AuditEntry).filter_by(action="customer.resend_confirmation").count() == 1


def test_resend_confirmation_to_a_confirmed_customer_sends_nothing(agent, customer):
    assert "Resend confirmation" not in text(agent.get(f"/support/customers/{customer.id}"))
    response = agent.submit(
        f"/support/customers/{customer.id}/resend-confirmation",
        form_url=f"/support/customers/{customer.id}",
        follow_redirects=True,
    )
    assert "already confirmed; no email was sent" in text(response)
    assert sent_mail() == []


def test_send_password_reset_mails_a_working_reset_link(app, agent, customer):
    response = agent.submit(
        f"/support/customers/{customer.id}/send-reset",
        form_url=f"/support/customers/{customer.id}",
        follow_redirects=True,
    )
    assert f"A password reset link was sent to {customer.email}" in text(response)
    [mail] = sent_mail(customer.email)
    person = Browser(app.test_client())
    link = link_in(mail)
    person.submit(link, {"password": "a-new-password-1", "confirm": "a-new-password-1"})
    assert "Log in with the new one" in text(person.get("/login"))
    assert person.login(customer.email, "a-new-password-1").status_code == 302
    assert Browser(app.test_client()).login(customer.email, PASSWORD).status_code == 200


def test_a_customer_cannot_use_the_console_tools(customer_browser, customer):
    response = customer_browser.submit(f"/support/customers/{customer.id}/send-reset", form_url="/account")
    assert response.status_code == 404
    assert sent_mail() == []
