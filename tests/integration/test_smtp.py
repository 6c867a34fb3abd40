"""Email goes out over real SMTP (aiosmtpd) and its link works."""

import email
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, User
from tests.conftest import PASSWORD, sent_mail

pytestmark = pytest.mark.integration


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def settings(smtp_server):
    controller, _ = smtp_server
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port}


def test_confirmation_email_arrives_and_its_link_confirms(browser, runner, smtp_server):
    _, inbox = smtp_server
    browser.submit("/register", {"email": "smtp@example.com", "password": PASSWORD, "confirm": PASSWORD})
    assert inbox.messages == []  # the request only queued it
    assert runner.invoke(args=["outbox", "send"]).exit_code == 0
    [received] = inbox.messages
    assert received["To"] == "smtp@example.com"
    assert received["Subject"] == "Confirm your email address"
    parsed = email.message_from_string(received.as_string())
    text = next(p for p in parsed.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    html = next(p for p in parsed.walk() if p.get_content_type() == "text/html").get_payload(decode=True)
    assert b"Confirm my email address" in html
    link = next(line for line in text.decode().splitlines() if "/confirm/" in line).strip()
    browser.get(link)
    assert db.session.query(User).one().is_confirmed
    assert sent_mail()[0].status == "sent"


def test_failed_send_stays_queued_and_outbox_send_retries(app, browser, runner, smtp_server):
    controller, inbox = smtp_server
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    browser.submit("/register", {"email": "later@example.com", "password": PASSWORD, "confirm": PASSWORD})
    failed = runner.invoke(args=["outbox", "send"])
    assert failed.exit_code == 1 and "1 will be retried" in failed.output
    [queued] = sent_mail()
    assert queued.status == "queued" and queued.attempts == 1
    assert "ConnectionRefusedError" in queued.last_error
    assert inbox.messages == []

    app.config["MAIL_PORT"] = controller.port
    result = runner.invoke(args=["outbox", "send"])
    assert "Sent 1 message(s)" in result.output
    assert [m["To"] for m in inbox.messages] == ["later@example.com"]
    db.session.refresh(queued)
    assert queued.status == "sent" and queued.last_error is None


def parts(received):
    parsed = email.message_from_string(received.as_string())
    return {
        p.get_content_type(): p.get_payload(decode=True).decode()
        for p in parsed.walk()
        if not p.is_multipart()
    }


def test_the_message_is_drawn_when_sent_and_the_row_keeps_what_went_out(browser, runner, smtp_server):
    _, inbox = smtp_server
    browser.submit("/register", {"email": "drawn@example.com", "password": PASSWORD, "confirm": PASSWORD})
    queued = db.session.scalars(select(OutboxMessage)).one()
    assert (queued.template, list(queued.template_values), queued.text_body) == ("confirm", ["link"], None)

    assert runner.invoke(args=["outbox", "send"]).exit_code == 0
    [received] = inbox.messages
    db.session.refresh(queued)
    assert queued.status == "sent"
    assert parts(received)["text/plain"].splitlines() == queued.text_body.splitlines()
    assert queued.template_values["link"] in queued.text_body


def test_a_message_queued_with_its_bodies_written_is_sent_as_written(runner, smtp_server):
    _, inbox = smtp_server
    db.session.add(
        OutboxMessage(
            recipient="before@example.com",
            subject="Written before",
            text_body="Queued with its text.",
            html_body="<p>Queued with its HTML.</p>",
        )
    )
    db.session.commit()

    assert runner.invoke(args=["outbox", "send"]).exit_code == 0
    [received] = inbox.messages
    assert received["Subject"] == "Written before"
    body = parts(received)
    assert body["text/plain"].strip() == "Queued with its text."
    assert body["text/html"].strip() == "<p>Queued with its HTML.</p>"
