"""The outbox's sender: a worker renders each queued message and sends it after commit.

Messages are queued by ``app.outbox.add`` in the caller's transaction, as a template and its
values; the bodies are drawn here, when the message is sent.

The outbox row is the source of truth. The task queue only says "look at these ids"; a lost task
is made good by the sweep every minute, and a message is claimed before it is sent so that two
workers never send it twice. The claim's lease is measured on the database's clock, so a worker
whose own clock runs ahead never takes over a message another worker holds.

A worker killed in the middle of sending leaves the message claimed: after the lease another
worker sends it again, with the Message-ID fixed when it was queued. A receiving server may
then hold two copies with one Message-ID, which mail clients show once.
"""

import base64
import logging
import smtplib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from flask import current_app, has_app_context, render_template
from sqlalchemy import event, or_, select, text, update

from app.extensions import db
from app.models import OutboxMessage
from app.models.outbox import new_message_id
from app.retries import doubling_backoff
from app.web.links import portal_links

log = logging.getLogger(__name__)


def bodies(message):
    """The message's text and HTML as the customer reads them, drawn from templates/email/<template>.

    A message queued with its bodies already written (before templates were stored) has them.
    """
    if message.text_body is not None:
        return message.text_body, message.html_body
    values = message.template_values or {}
    with portal_links():
        return (
            render_template(f"email/{message.template}.txt", **values),
            render_template(f"email/{message.template}.html", subject=message.subject, **values),
        )


def render(message):
    """Give the message its bodies before it is sent; the row keeps them, as sent."""
    message.text_body, message.html_body = bodies(message)
    return message


def attachment_bytes(item):
    """An outbox attachment's file: text as UTF-8, a binary file kept in base64, or one drawn when sent.

    ``{"render": name, "id": ...}`` is drawn by the renderer the app registered under
    ``name`` in ``app.extensions["attachment_renderers"]`` (an invoice's PDF): the
    worker draws it, not the transaction that queued the message.
    """
    if "render" in item:
        return current_app.extensions["attachment_renderers"][item["render"]](item["id"])
    if item.get("encoding") == "base64":
        return base64.b64decode(item["content"])
    return item["content"].encode()


def _build(message, config):
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email["Message-ID"] = message.message_id
    email.set_content(message.text_body)
    email.add_alternative(message.html_body, subtype="html")
    for item in message.attachments or []:
        maintype, subtype = item["content_type"].split("/", 1)
        email.add_attachment(
            attachment_bytes(item), maintype=maintype, subtype=subtype, filename=item["filename"]
        )
    return email


class SMTPTransport:
    def __init__(self, config):
        self.config = config

    def send(self, message):
        cfg = self.config
        try:
            email = _build(message, cfg)
        except Exception as exc:  # e.g. a CR/LF in a header: it will never build
            raise PermanentFailure(f"cannot be built: {exc}") from exc
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=15) as smtp:
            if cfg["MAIL_USE_TLS"]:
                smtp.starttls()
            if cfg["MAIL_USERNAME"]:
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            smtp.send_message(email)


class ConsoleTransport:
    """Development without MAIL_SERVER: print the message where the operator can read it."""

    def send(self, message):
        if "\r" in message.subject or "\n" in message.subject:
            raise PermanentFailure("cannot be built: the subject has a line break")
        print(
            f"\n----- email to {message.recipient}: {message.subject} -----\n"
            f"{message.text_body}\n----- end of email -----\n",
            flush=True,
        )


def transport_for(config):
    return SMTPTransport(config) if config.get("MAIL_SERVER") else ConsoleTransport()


class PermanentFailure(Exception):
    """The message can never go out as it is (it cannot be built, or the server refuses it for good)."""


def _classify(exc):
    """True when trying again later may succeed: the server is down, busy or says 4xx."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    return isinstance(exc, (OSError, smtplib.SMTPException))


@dataclass(frozen=True)
class DeliveryPolicy:
    """How long a worker holds a message while sending it, and how retries back off."""

    lease: timedelta = timedelta(minutes=5)
    retry_base: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(hours=1)
    max_attempts: int = 20

    @classmethod
    def from_config(cls, config):
        return cls(
            lease=timedelta(seconds=config["OUTBOX_LEASE_SECONDS"]),
            retry_base=timedelta(seconds=config["OUTBOX_RETRY_BASE_SECONDS"]),
            retry_max=timedelta(seconds=config["OUTBOX_RETRY_MAX_SECONDS"]),
            max_attempts=config["OUTBOX_MAX_ATTEMPTS"],
        )

    def backoff(self, attempts):
        return doubling_backoff(self.retry_base, self.retry_max, attempts)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retrying: list = field(default_factory=list)  # (message id, seconds until its next attempt)


def due_messages(session, now, ids=None, ignore_backoff=False):
    """Ids of queued messages nobody holds and whose backoff has passed."""
    query = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == "queued",
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .order_by(OutboxMessage.id)
    )
    if not ignore_backoff:
        query = query.where(
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)
        )
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    return list(session.scalars(query))


def claim(session, message_id, now, lease):
    """Take the message for this worker until now + lease; False when another worker has it or it is done.

    A compare-and-set UPDATE: of two workers asking at once, exactly one sees its row changed.
    A worker that dies while sending lets the lease run out, and the message is taken again.
    """
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == "queued",
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .values(claimed_until=now + lease, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _record(session, message_id, now, policy, exc):
    message = session.get(OutboxMessage, message_id)
    message.claimed_until = None
    if exc is None:
        message.status, message.sent_at, message.last_error = "sent", now, None
        return None
    message.last_error = f"{type(exc).__name__}: {exc}"[:1000]
    if isinstance(exc, PermanentFailure) or not _classify(exc) or message.attempts >= policy.max_attempts:
        message.status = "failed"
        log.error("email %s to %s failed for good: %s", message.id, message.recipient, exc)
        return None
    delay = policy.backoff(message.attempts)
    message.next_attempt_at = now + delay
    log.warning("email %s to %s not sent, retried in %s: %s", message.id, message.recipient, delay, exc)
    return delay.total_seconds()


def database_now(session):
    """The database's clock: every worker measures leases on this one, whatever its own says."""
    if session.get_bind().dialect.name == "postgresql":
        return session.scalar(text("SELECT clock_timestamp()")).astimezone(UTC)
    value = session.scalar(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"))
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def send_messages(session, transport, policy=DeliveryPolicy(), ids=None, clock=None, ignore_backoff=False):
    """Send each due message this worker can claim. One bad message never stops the others.

    ``clock`` reads the time (the database's by default).
    """
    clock = clock or (lambda: database_now(session))
    report = DeliveryReport()
    for message_id in due_messages(session, clock(), ids, ignore_backoff):
        if not claim(session, message_id, clock(), policy.lease):
            continue
        message = session.get(OutboxMessage, message_id)
        session.refresh(message)
        if message.message_id is None:  # queued before messages had their Message-ID from the start
            message.message_id = new_message_id()
        try:
            render(message)
            # Committed before the server is called: no write lock is held while it answers (SQLite
            # has one writer; a slow SMTP server must not keep the webhook from storing events).
            session.commit()
            transport.send(message)
            error = None
        except Exception as exc:  # every failure is recorded on the message
            session.rollback()
            error = exc
        retry_in = _record(session, message_id, clock(), policy, error)
        session.commit()
        if error is None:
            report.sent += 1
        elif retry_in is None:
            report.failed += 1
        else:
            report.retrying.append((message_id, retry_in))
    return report


def _note_flushed(session, flush_context):
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if ids:
        session.info.setdefault("outbox_flushed", []).extend(ids)


def _enqueue_committed(session):
    """Hand the messages this transaction committed to the task queue; no request sends mail itself."""
    ids = session.info.pop("outbox_flushed", [])
    # The task queue registers itself here (app/queue.py), so the outbox does not import the queue back.
    dispatch = current_app.extensions.get("outbox_dispatch") if has_app_context() else None
    if ids and dispatch is not None:
        dispatch(ids)


def _forget_rolled_back(session):
    session.info.pop("outbox_flushed", None)


def init_app(app):
    event.listen(db.session, "after_flush", _note_flushed)
    event.listen(db.session, "after_commit", _enqueue_committed)
    event.listen(db.session, "after_rollback", _forget_rolled_back)
