"""Contact support, and the terms and refund policy pages."""

from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.billing.countries import country_name
from app.contact.conversations import follow_up
from app.contact.forms import ContactForm, ReplyForm, SalesForm
from app.contact.service import messages_from, send_sales_message, send_support_message, support_standing
from app.extensions import db, limiter
from app.licensing.issuing import licenses_of
from app.security import signed_in_user
from app.web.lookups import own_support_message
from app.web.services import current_terms

bp = Blueprint("contact", __name__)

# Messages one customer may send to support: a conversation's pace, not a flood of the support inbox.
CONTACT_LIMIT = "5 per minute; 30 per day"


@bp.route("/contact", methods=["GET", "POST"])
@login_required
@limiter.limit(CONTACT_LIMIT, methods=["POST"], key_func=signed_in_user)
def contact():
    now = datetime.now(UTC)
    standing = support_standing(db.session, current_user, now)
    licenses = [lic for lic in licenses_of(db.session, current_user)]
    form = ContactForm()
    form.license.choices = [("", "Not about one license")] + [
        (lic.code, f"{lic.code} ({lic.kind}, {lic.accounts} accounts)") for lic in licenses
    ]
    if standing.eligible and form.validate_on_submit():
        chosen = next((lic for lic in licenses if lic.code == form.license.data), None)
        if form.license.data and chosen is None:
            form.license.errors.append("Choose one of your licenses, or “Not about one license”.")
        else:
            message = send_support_message(
                db.session,
                current_user,
                chosen,
                form.subject.data.strip(),
                form.message.data.strip(),
                current_app.config["SUPPORT_EMAIL"],
            )
            db.session.commit()
            flash("Your message was sent to support. Their answer appears here, and by email.", "success")
            return redirect(url_for("contact.conversation", message_id=message.id))
    return render_template(
        "contact/contact.html",
        form=form,
        standing=standing,
        sent=messages_from(db.session, current_user),
        now=now,
    )


@bp.route("/contact/messages/<int:message_id>", methods=["GET", "POST"])
@login_required
@limiter.limit(CONTACT_LIMIT, methods=["POST"], key_func=signed_in_user)
def conversation(message_id):
    """One conversation with support: the first message, every reply, and a form to answer."""
    message = own_support_message(message_id)
    standing = support_standing(db.session, current_user, datetime.now(UTC))
    form = ReplyForm()
    if standing.eligible and form.validate_on_submit():
        follow_up(db.session, current_user, message, form.body.data, current_app.config["SUPPORT_EMAIL"])
        db.session.commit()
        flash("Your reply was sent to support.", "success")
        return redirect(url_for("contact.conversation", message_id=message.id) + "#reply")
    return render_template("contact/conversation.html", message=message, form=form, standing=standing)


# Questions from one client to sales, with no account to tie them to: a few an hour.
SALES_LIMIT = "3 per hour; 10 per day"


@bp.route("/contact/sales", methods=["GET", "POST"])
@limiter.limit(SALES_LIMIT, methods=["POST"])
def sales():
    form = SalesForm()
    if not form.is_submitted() and current_user.is_authenticated:
        form.email.data = current_user.email
        form.company.data = current_user.company
    if form.validate_on_submit():
        send_sales_message(
            db.session,
            form.name.data.strip(),
            form.email.data.strip(),
            (form.company.data or "").strip(),
            form.message.data.strip(),
            current_app.config["SALES_EMAIL"],
        )
        db.session.commit()
        flash("Your message was sent to sales. They will answer by email.", "success")
        return redirect(url_for("contact.sales"))
    return render_template("contact/sales.html", form=form)


@bp.route("/terms")
def terms():
    return render_template("contact/terms.html", seller_country=country_name(current_terms().seller.country))


@bp.route("/refund-policy")
def refund_policy():
    return render_template("contact/refund_policy.html")
