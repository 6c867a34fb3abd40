"""The outbox: messages are queued in the current transaction and sent after commit."""

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import render_template
from sqlalchemy import event, select

from app.extensions import db
from app.models import OutboxMessage
from app.models.base import utcnow

log = logging.getLogger(__name__)


def queue_email(recipient, subject, template, attachments=(), reply_to=None, **context):
    """Add a message rendered from templates/email/<template>.{txt,html} to the session."""
    message = OutboxMessage(
        recipient=recipient,
        subject=subject,
        reply_to=reply_to,
        text_body=render_template(f"email/{template}.txt", **context),
        html_body=render_template(f"email/{template}.html", subject=subject, **context),
        attachments=list(attachments),
    )
    db.session.add(message)
    return message


def _build(message, config):
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email["Message-ID"] = make_msgid(domain="license-portal")
    email.set_content(message.text_body)
    email.add_alternative(message.html_body, subtype="html")
    for item in message.attachments or []:
        maintype, subtype = item["content_type"].split("/", 1)
        email.add_attachment(
            item["content"].encode(), maintype=maintype, subtype=subtype, filename=item["filename"]
        )
    return email


class SMTPTransport:
    def __init__(self, config):
        self.config = config

    def send(self, message):
        cfg = self.config
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=15) as smtp:
            if cfg["MAIL_USE_TLS"]:
                smtp.starttls()
            if cfg["MAIL_USERNAME"]:
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            smtp.send_message(_build(message, cfg))


class ConsoleTransport:
    """Development without MAIL_SERVER: print the message where the operator can read it."""

    def send(self, message):
        print(
            f"\n----- email to {message.recipient}: {message.subject} -----\n"
            f"{message.text_body}\n----- end of email -----\n",
            flush=True,
        )


def transport_for(config):
    return SMTPTransport(config) if config.get("MAIL_SERVER") else ConsoleTransport()


def send_messages(session, transport, ids=None):
    """Try each queued message once; a failure stays queued with its error. Returns (sent, failed)."""
    query = select(OutboxMessage).where(OutboxMessage.status == "queued").order_by(OutboxMessage.id)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    sent = failed = 0
    for message in session.scalars(query).all():
        message.attempts += 1
        try:
            transport.send(message)
        except (OSError, smtplib.SMTPException) as exc:
            message.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            failed += 1
            log.warning("email %s to %s not sent: %s", message.id, message.recipient, exc)
        else:
            message.status = "sent"
            message.sent_at = utcnow()
            message.last_error = None
            sent += 1
        session.commit()
    return sent, failed


def _note_flushed(session, flush_context):
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if ids:
        session.info.setdefault("outbox_flushed", []).extend(ids)


def _note_committed(session):
    flushed = session.info.pop("outbox_flushed", [])
    session.info.setdefault("outbox_committed", []).extend(flushed)


def _forget_rolled_back(session):
    session.info.pop("outbox_flushed", None)


def init_app(app):
    event.listen(db.session, "after_flush", _note_flushed)
    event.listen(db.session, "after_commit", _note_committed)
    event.listen(db.session, "after_rollback", _forget_rolled_back)

    @app.after_request
    def deliver_committed_mail(response):
        deliver_after_commit(app.config)
        return response


def deliver_after_commit(config):
    """Send the messages this request or command committed."""
    ids = db.session.info.pop("outbox_committed", [])
    if ids:
        send_messages(db.session, transport_for(config), ids)
