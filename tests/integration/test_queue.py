"""Email goes out from the worker, never from a request: slow, down or refusing SMTP servers."""

import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Order, OutboxMessage
from tests.conftest import PASSWORD, sent_mail
from tests.integration.queue_helpers import (
    free_port,
    queue_settings,
    running_worker,
    smtp_server,
    wait_for,
)
from tests.support.localstripe import sign_webhook
from tests.support.payments import post_webhook, succeeded_payload


def queue_message(recipient, subject):
    db.session.add(
        OutboxMessage(recipient=recipient, subject=subject, text_body="Hello.", html_body="<p>Hello.</p>")
    )


@pytest.fixture(params=["sqlite", "redis"])
def queue_kind(request):
    return request.param


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def settings(request, queue_kind, tmp_path, smtp_port):
    redis_url = request.getfixturevalue("redis_url") if queue_kind == "redis" else None
    return {
        **queue_settings(tmp_path, redis_url),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "OUTBOX_RETRY_BASE_SECONDS": 1,
    }


def test_webhook_answers_at_once_with_a_2_second_smtp_server_and_the_receipt_follows(
    app, make_stripe_order, smtp_port
):
    order = make_stripe_order(accounts=50)
    payload = succeeded_payload(order)
    with smtp_server(smtp_port, delay=2.0) as (_, inbox), running_worker(app):
        started = time.perf_counter()
        response = post_webhook(
            app.test_client(), payload, sign_webhook(payload, app.config["STRIPE_WEBHOOK_SECRET"])
        )
        elapsed = time.perf_counter() - started

        assert (response.status_code, response.json["code"]) == (200, "received")
        # Well under the 2 s one message takes (30 ms typical); the bound leaves room for a busy CI machine.
        assert elapsed < 1.5, f"the webhook took {elapsed:.2f} s"
        assert inbox.messages == []
        # The worker fulfils the order, then sends its receipt.
        wait_for(lambda: db.session.rollback() or db.session.get(Order, order.id).status == "paid")
        wait_for(lambda: inbox.messages)
    [receipt] = inbox.messages
    assert f"To: {order.user.email}" in receipt and "Content-Disposition: attachment" in receipt
    [message] = sent_mail()
    assert message.status == "sent"


def test_with_the_smtp_server_down_nothing_is_lost_and_it_goes_out_when_it_is_back(app, browser, smtp_port):
    with running_worker(app):
        browser.submit("/register", {"email": "later@example.com", "password": PASSWORD, "confirm": PASSWORD})

        def tried():
            db.session.rollback()
            return [m for m in sent_mail() if m.last_error]

        [waiting] = wait_for(tried)
        assert waiting.status == "queued" and "ConnectionRefusedError" in waiting.last_error
        with smtp_server(smtp_port) as (_, inbox):
            wait_for(lambda: inbox.messages)
    assert inbox.recipients() == ["later@example.com"]
    db.session.rollback()
    [message] = sent_mail()
    assert (message.status, message.last_error) == ("sent", None) and message.attempts >= 2


def test_a_message_that_cannot_be_built_or_is_refused_fails_alone_and_the_rest_go_out(app, runner, smtp_port):
    company = "Evil Hosting\r\nBcc: everyone@example.com"
    queue_message("first@example.com", "Your receipt")
    db.session.commit()
    queue_message("support@example.com", f"Trial request from {company}")
    queue_message("nobody@refused.example.com", "Your receipt")
    db.session.commit()
    queue_message("after@example.com", "Queued after them")
    db.session.commit()

    with smtp_server(smtp_port) as (_, inbox), running_worker(app):

        def settled():
            db.session.rollback()
            return not db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "queued")).all()

        wait_for(settled)
    assert sorted(inbox.recipients()) == ["after@example.com", "first@example.com"]
    assert "everyone@example.com" not in "".join(inbox.messages)
    by_recipient = {m.recipient: m for m in sent_mail()}
    assert by_recipient["support@example.com"].status == "failed"
    assert "linefeed or carriage return" in by_recipient["support@example.com"].last_error
    assert by_recipient["nobody@refused.example.com"].status == "failed"
    assert "No such mailbox" in by_recipient["nobody@refused.example.com"].last_error
    status = runner.invoke(args=["outbox", "status"]).output
    assert "failed: 2" in status and "sent: 2" in status
    assert (
        f"#{by_recipient['support@example.com'].id} failed to support@example.com: PermanentFailure" in status
    )
