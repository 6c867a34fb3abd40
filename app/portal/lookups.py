"""The current customer's own records (anyone else's are not found: 404, never 403) and their downloads."""

from flask import Response, abort
from flask_login import current_user

from app.extensions import db
from app.licensing.issuing import license_by_code


def own_license(code):
    license = license_by_code(db.session, code)
    if license is None or license.owner_id != current_user.id:
        abort(404)
    return license


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
