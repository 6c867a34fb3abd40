"""The current customer's own records (anyone else's are not found: 404, never 403) and their downloads."""

from flask import Response, abort
from flask_login import current_user
from sqlalchemy import bindparam, select

from app.extensions import db
from app.licensing.codes import normalize_license_code
from app.models import Certificate, License, Order, TrialRequest

# The customer's own records, each found by one statement built once (every license page,
# certificate download and order status poll runs one of them).
OWN_LICENSE = select(License).where(
    License.code == bindparam("code"), License.owner_id == bindparam("owner_id")
)
OWN_ORDER = select(Order).where(Order.id == bindparam("order_id"), Order.user_id == bindparam("user_id"))
OWN_TRIAL_REQUEST = select(TrialRequest).where(
    TrialRequest.id == bindparam("request_id"), TrialRequest.user_id == bindparam("user_id")
)
CERTIFICATE = select(Certificate).where(
    Certificate.license_id == bindparam("license_id"), Certificate.serial == bindparam("serial")
)


def own_license(code):
    """The current customer's license with this code, however it was typed."""
    return _one_or_404(OWN_LICENSE, code=normalize_license_code(code), owner_id=current_user.id)


def own_order(order_id):
    """The current customer's order."""
    return _one_or_404(OWN_ORDER, order_id=order_id, user_id=current_user.id)


def own_trial_request(request_id):
    """The current customer's trial request."""
    return _one_or_404(OWN_TRIAL_REQUEST, request_id=request_id, user_id=current_user.id)


def license_certificate(license, serial):
    """The certificate of ``license`` with this serial."""
    return _one_or_404(CERTIFICATE, license_id=license.id, serial=serial)


def _one_or_404(statement, **params):
    found = db.session.scalar(statement, params)
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
