"""The console's everyday tools: one search box, notes, Resend confirmation, Send password reset."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, BillingDocument, CustomerNote
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


def order_documents(order):
    return [
        d.number
        for d in db.session.scalars(select(BillingDocument).where(BillingDocument.order_id == order.id))
    ]


def search(agent, query):
    return text(agent.get("/support/customers", query_string={"q": query}))


@pytest.mark.parametrize("query", ["customer@exa", "example hosting", "{code_part}", "4321"])
def test_the_search_box_finds_the_customer_by_each_key(agent, customer, found, query):
    query = query.format(code_part=found["license"].code[4:9].lower())
    page = search(agent, query)
    assert f"/support/customers/{customer.id}" in page
    assert "someone@else.test" not in page


def test_staff_are_not_listed_among_the_customers(agent, customer, staff):
    page = search(agent, "example.com")
    assert f"/support/customers/{customer.id}" in page
    assert f"/support/customers/{staff.id}" not in page and staff.email not in page


@pytest.mark.parametrize(
    "query",
    [
        "#{order_id}",
        "# {order_id}",
        "{order_id}",
        "pi_3Findme",
        "ch_{order_id}",
        "{invoice}",
        "{invoice_lower}",
    ],
)
def test_an_exact_order_key_opens_the_order(agent, found, query):
    order = found["order"]
    [invoice] = order_documents(order)
    query = query.format(order_id=order.id, invoice=invoice, invoice_lower=invoice.lower())

    response = agent.get("/support/customers", query_string={"q": query})

    assert response.status_code == 302 and response.location == f"/support/orders/{order.id}"


def test_the_last_4_digits_of_a_card_list_the_orders_paid_with_it(agent, customer, found, pay_order):
    other_card = add_order(
        customer, license=found["license"], accounts=25, stripe_payment_intent_id="pi_3Other"
    )
    pay_order(other_card, succeeded_payment(other_card, card_last4="9999"))
    unpaid = add_order(customer, license=found["license"], accounts=25)

    page = search(agent, "4321")

    orders = page[page.index('id="matching-orders"') :]
    assert f'href="/support/orders/{found["order"].id}"' in orders and "Visa ending 4321" in orders
    assert f'href="/support/orders/{other_card.id}"' not in orders
    assert f'href="/support/orders/{unpaid.id}"' not in orders


def test_order_digits_that_are_also_a_card_list_both(agent, customer, found):
    order_number = found["order"].id
    same_as_number = add_order(customer, accounts=25, card_last4=f"{order_number:04d}")

    page = search(agent, f"{order_number:04d}")

    orders = page[page.index('id="matching-orders"') :]
    assert f'href="/support/orders/{order_number}"' in orders
    assert f'href="/support/orders/{same_as_number.id}"' in orders


@pytest.mark.parametrize("part", ["pi_3Find", "3findm", "{invoice_start}"])
def test_part_of_a_payment_or_invoice_number_lists_the_orders(agent, customer, found, part):
    [invoice] = order_documents(found["order"])
    unpaid = add_order(customer, accounts=25, stripe_payment_intent_id="pi_9Waiting")

    page = search(agent, part.format(invoice_start=invoice[:-2]))

    orders = page[page.index('id="matching-orders"') :]
    assert f'href="/support/orders/{found["order"].id}"' in orders
    assert f'href="/support/orders/{unpaid.id}"' not in orders


def test_an_order_number_that_does_not_exist_opens_nothing(agent, found):
    response = agent.get("/support/customers", query_string={"q": "#999999"})
    assert response.status_code == 200 and "No customer matches" in text(response)


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
