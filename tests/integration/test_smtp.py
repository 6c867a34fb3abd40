"""Email goes out over real SMTP (aiosmtpd) and its link works."""

import email
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, User
from tests.conftest import PASSWORD, sent_mail


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


def queue_receipt_like_message():
    from app import outbox

    message = outbox.add(
        db.session,
        outbox.Email("buyer@example.com", "Receipt", "confirm", {"link": "http://portal.test/confirm/x"}),
    )
    db.session.commit()
    return message.id


def test_a_message_whose_worker_died_mid_send_goes_out_again_with_the_same_message_id(app, smtp_server):
    from datetime import timedelta

    from app.mail import DeliveryPolicy, SMTPTransport, claim, database_now, render, send_messages

    _, inbox = smtp_server
    message_id = queue_receipt_like_message()
    policy = DeliveryPolicy(lease=timedelta(seconds=1))
    # The first worker claims the message and hands it to the server, then dies before it records that.
    assert claim(db.session, message_id, database_now(db.session), policy.lease)
    SMTPTransport(app.config).send(render(db.session.get(OutboxMessage, message_id)))
    db.session.rollback()

    time.sleep(1.2)  # the lease runs out
    report = send_messages(db.session, SMTPTransport(app.config), policy)

    assert report.sent == 1
    first, second = inbox.messages
    stored = db.session.get(OutboxMessage, message_id)
    assert first["Message-ID"] == second["Message-ID"] == stored.message_id
    assert stored.status == "sent"


def test_a_worker_whose_clock_runs_ahead_never_takes_over_a_held_message(app, smtp_server):
    from datetime import UTC, datetime, timedelta

    import time_machine

    from app.mail import DeliveryPolicy, SMTPTransport, claim, database_now, send_messages

    _, inbox = smtp_server
    message_id = queue_receipt_like_message()
    policy = DeliveryPolicy(lease=timedelta(minutes=5))
    assert claim(db.session, message_id, database_now(db.session), policy.lease)  # a worker is sending it
    held_until = db.session.get(OutboxMessage, message_id).claimed_until

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=6), tick=True):
        report = send_messages(db.session, SMTPTransport(app.config), policy)

    assert (report.sent, inbox.messages) == (0, [])
    db.session.rollback()
    stored = db.session.get(OutboxMessage, message_id)
    assert (stored.status, stored.claimed_until, stored.attempts) == ("queued", held_until, 1)
