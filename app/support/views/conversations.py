"""Support conversations: the messages customers send with Contact support, and support's replies."""

from flask import redirect, render_template, url_for
from flask_login import current_user

from app.contact.conversations import conversations as all_conversations
from app.contact.conversations import reply_from_support, waiting_for_support
from app.contact.forms import ReplyForm
from app.extensions import db
from app.models import SupportMessage
from app.support.views import bounded_page, bp, console_action

CONVERSATIONS_PER_PAGE = 50


@bp.route("/conversations")
def conversations():
    page = bounded_page(all_conversations(), CONVERSATIONS_PER_PAGE)
    return render_template(
        "support/conversations.html", page=page, waiting={m.id for m in page.items if waiting_for_support(m)}
    )


@bp.route("/conversations/<int:message_id>", methods=["GET", "POST"])
def conversation(message_id):
    message = db.get_or_404(SupportMessage, message_id)
    form = ReplyForm()
    if form.validate_on_submit():
        return console_action(
            lambda: reply_from_support(db.session, current_user, message, form.body.data),
            lambda reply: f"Reply sent to {message.user.email}.",
            back=redirect(url_for("support.conversation", message_id=message.id)),
        )
    return render_template("support/conversation.html", message=message, form=form)
