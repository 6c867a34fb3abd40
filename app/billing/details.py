"""Account → Billing details, and the invoices and credit notes a customer downloads."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.billing.forms import BillingDetailsForm
from app.billing.invoice_pdf import render_pdf
from app.billing.invoices import billing_details_of
from app.extensions import db
from app.models import BillingDetails, BillingDocument
from app.security import safe_next
from app.web.lookups import own_order

bp = Blueprint("details", __name__)

FIELDS = ("legal_name", "address", "postcode", "city", "country")


@bp.route("/account/billing", methods=["GET", "POST"])
@login_required
def billing_details():
    """The details the next invoice names; ``next`` brings the buyer back to the order they were placing."""
    details = billing_details_of(db.session, current_user)
    form = BillingDetailsForm(obj=details)
    back = safe_next(form.next.data or request.args.get("next"), None)
    if request.method == "GET":
        form.next.data = back or ""
        if details is None:
            form.legal_name.data = current_user.company  # as given at registration
    if not form.validate_on_submit():
        return render_template(
            "billing/details.html", form=form, back=back
        ), 200 if request.method == "GET" else 400
    if details is None:
        details = BillingDetails(user_id=current_user.id)
        db.session.add(details)
    for name in FIELDS:
        setattr(details, name, getattr(form, name).data.strip())
    details.tax_id = form.tax_id_value
    db.session.commit()
    flash(
        "Your billing details are saved: invoices from now on name them. Issued invoices stay as they are.",
        "success",
    )
    return redirect(back or url_for("billing.details.billing_details"))


@bp.get("/orders/<int:order_id>/documents/<number>.pdf")
@login_required
def download_document(order_id, number):
    order = own_order(order_id)
    document = db.first_or_404(
        select(BillingDocument).where(BillingDocument.order_id == order.id, BillingDocument.number == number)
    )
    return pdf_response(document)


def pdf_response(document):
    """The document's PDF as a download named by its number."""
    return Response(
        render_pdf(document),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{document.filename}"',
            "Cache-Control": "private, no-store",
        },
    )
