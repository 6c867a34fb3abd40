"""Support conversations: a Contact support message, support's reply in the console, the customer's thread."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import SupportReply
from tests.conftest import Browser, link_in, sent_mail


def text(response):
    return response.get_data(as_text=True)


def write_to_support(customer_browser, license, subject="Certificate will not install"):
    response = customer_browser.submit(
        "/contact", {"subject": subject, "license": license.code, "message": "It says invalid."}
    )
    return int(re.fullmatch(r"/contact/messages/(\d+)", response.headers["Location"]).group(1))


def support_agent(app, staff):
    agent = Browser(app.test_client())
    agent.login(staff.email)
    return agent


def test_a_message_opens_a_conversation_that_support_answers_in_the_console(
    app, customer_browser, customer, staff, make_license
):
    license = make_license()
    message_id = write_to_support(customer_browser, license)
    agent = support_agent(app, staff)

    listed = text(agent.get("/support/conversations"))
    assert "Certificate will not install" in listed and customer.email in listed
    assert "waiting for support" in listed
    answer = agent.submit(f"/support/conversations/{message_id}", {"body": "Paste it again, header too."})
    assert answer.headers["Location"] == f"/support/conversations/{message_id}"

    thread = text(customer_browser.get(f"/contact/messages/{message_id}"))
    assert "It says invalid." in thread and "Paste it again, header too." in thread
    assert "Support replied" in text(customer_browser.get("/contact"))
    [mail] = sent_mail(customer.email)
    assert "Certificate will not install" in mail.subject and "Paste it again, header too." in mail.text_body
    assert link_in(mail) == f"http://portal.test/contact/messages/{message_id}"
    assert "answered" in text(agent.get("/support/conversations"))


def test_the_customer_follows_up_and_support_hears_of_it(app, customer_browser, staff, make_license):
    message_id = write_to_support(customer_browser, make_license())

    customer_browser.submit(f"/contact/messages/{message_id}", {"body": "It still fails."})

    [reply] = db.session.scalars(select(SupportReply)).all()
    assert reply.body == "It still fails." and reply.from_staff is False
    follow_ups = [mail for mail in sent_mail(app.config["SUPPORT_EMAIL"]) if mail.subject.startswith("Re:")]
    assert len(follow_ups) == 1 and "It still fails." in follow_ups[0].text_body
    assert f"/support/conversations/{message_id}" in follow_ups[0].text_body
    assert "waiting for support" in text(support_agent(app, staff).get("/support/conversations"))


def test_an_empty_reply_is_refused_and_nothing_is_sent(app, customer_browser, customer, staff, make_license):
    message_id = write_to_support(customer_browser, make_license())
    agent = support_agent(app, staff)

    page = text(agent.submit(f"/support/conversations/{message_id}", {"body": "   "}))

    assert "Write the reply first." in page
    assert db.session.scalars(select(SupportReply)).all() == [] and sent_mail(customer.email) == []


def test_another_customers_conversation_is_not_found(app, customer_browser, make_user, make_license):
    message_id = write_to_support(customer_browser, make_license())
    other = Browser(app.test_client())
    other.login(make_user(email="other@example.com").email)

    assert other.get(f"/contact/messages/{message_id}").status_code == 404
    assert customer_browser.get(f"/support/conversations/{message_id}").status_code == 404
