"""The pages of Contact sales, conversations, cancelling and Security, in the every-page walk's checks:
axe-core, tables that fit, at 1280 px and 390 px."""

from sqlalchemy import select

from app.contact.conversations import reply_from_support
from app.contact.service import send_support_message
from app.demo import CUSTOMER, SUPPORT
from app.extensions import db
from app.models import User
from tests.e2e.conftest import log_in
from tests.e2e.test_every_page import check_pages, demo  # noqa: F401  (demo: a fixture)


def conversation(demo):  # noqa: F811
    customer = db.session.get(User, demo["customer_id"])
    agent = db.session.scalar(select(User).where(User.email == SUPPORT[0]))
    message = send_support_message(
        db.session, customer, demo["license"], "Certificate will not install", "It says invalid.", "s@x.test"
    )
    reply_from_support(db.session, agent, message, "Paste the whole certificate, with its BEGIN line.")
    db.session.commit()
    return message.id


def test_contact_sales_for_a_visitor(page, output_dir, app):
    check_pages(page, ["/contact/sales"], output_dir, "visitor")


def test_the_customers_new_pages(page, demo, output_dir):  # noqa: F811
    message_id = conversation(demo)
    log_in(page, CUSTOMER[0], CUSTOMER[3])
    paths = ["/account/security", f"/orders/{demo['failed'].id}/cancel", f"/contact/messages/{message_id}"]
    check_pages(page, paths, output_dir, "customer")


def test_the_console_conversations(page, demo, output_dir):  # noqa: F811
    message_id = conversation(demo)
    log_in(page, SUPPORT[0], SUPPORT[3])
    check_pages(
        page, ["/support/conversations", f"/support/conversations/{message_id}"], output_dir, "support"
    )
