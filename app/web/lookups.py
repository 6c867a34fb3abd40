"""The current customer's own records (anyone else's are not found: 404, never 403) and their downloads."""

from flask import Response, abort
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.licensing.codes import normalize_license_code
from app.models import Certificate, License, Order, SupportMessage, TrialRequest


def own_license(code):
    """The current customer's license with this code, however it was typed."""
    code = normalize_license_code(code)
    return _one_or_404(select(License).where(License.code == code, License.owner_id == current_user.id))


def own_order(order_id):
    """The current customer's order."""
    return _one_or_404(select(Order).where(Order.id == order_id, Order.user_id == current_user.id))


def own_trial_request(request_id):
    """The current customer's trial request."""
    return _one_or_404(
        select(TrialRequest).where(TrialRequest.id == request_id, TrialRequest.user_id == current_user.id)
    )


def own_support_message(message_id):
    """The current customer's message to support, which opens their conversation with support."""
    return _one_or_404(
        select(SupportMessage).where(
            SupportMessage.id == message_id, SupportMessage.user_id == current_user.id
        )
    )


def license_certificate(license, serial):
    """The certificate of ``license`` with this serial."""
    return _one_or_404(
        select(Certificate).where(Certificate.license_id == license.id, Certificate.serial == serial)
    )


def _one_or_404(statement):
    found = db.session.scalar(statement)
    if found is None:
        abort(404)
    return found


def certificate_response(certificate):
    """A certificate as the .lic file a browser saves."""
    return Response(
        certificate.text,
        mimetype="text/plain",
        headers={
            "Content-Disposition": f'attachment; filename="{certificate.filename}"',
            "Cache-Control": "no-store",
        },
    )
