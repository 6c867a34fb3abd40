"""The machine API's endpoints: parse, call app.api.installations, map the result to HTTP."""

import hashlib
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_limiter.util import get_remote_address

from app.api.installations import (
    Refusal,
    activate,
    check_in,
    installation_for_token,
    release,
)
from app.api.openapi import openapi_document
from app.api.requests import InvalidRequest, activation_request, check_in_request, json_body
from app.billing.fulfilment import commit_exactly_once
from app.extensions import csrf, db, limiter
from app.licensing.revocations import issue_revocation_list, revocation_entries, revocation_sequence
from app.web.services import current_keyring, current_terms

bp = Blueprint("api", __name__, url_prefix="/api/v1")
revocations_bp = Blueprint("revocations", __name__)
csrf.exempt(bp)

STATUS = {
    "license_not_found": 404,
    "license_in_use": 409,
    "license_revoked": 403,
    "validation_error": 422,
    "invalid_token": 401,
}
PER_CLIENT = "120 per minute"
PER_TOKEN = "30 per minute"  # noqa: S105 (a rate limit)
# Wrong codes count apart from the rest, so license codes cannot be guessed by trying them.
UNKNOWN_CODES_PER_CLIENT = "10 per hour"


def api_error(code, message, status=None):
    response = jsonify(error={"code": code, "message": message})
    response.status_code = status or STATUS[code]
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="license-portal"'
    return response


def _refused(refusal):
    return api_error(refusal.code, refusal.message)


def bearer_token():
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def token_or_client():
    """Rate-limit key: the installation token (hashed), else the client's address."""
    token = bearer_token()
    return "token:" + hashlib.sha256(token.encode()).hexdigest() if token else get_remote_address()


def _now():
    return datetime.now(UTC)


def _body():
    return json_body(request.get_data())


def _upgrade_url(license):
    pack_size = current_terms().pack_size
    return lambda packs: url_for(
        "billing.upgrade", code=license.code, accounts=packs * pack_size, _external=True
    )


def _authenticated():
    installation = installation_for_token(db.session, bearer_token())
    if installation is None:
        return None, api_error(
            "invalid_token",
            "The installation token is unknown, was replaced by a newer activation, or was released. "
            "Activate this server again with the license code.",
        )
    return installation, None


@bp.post("/activations")
@limiter.limit(PER_CLIENT)
@limiter.limit(UNKNOWN_CODES_PER_CLIENT, deduct_when=lambda response: response.status_code == 404)
def activations():
    try:
        license_code, install_id, hostname = activation_request(_body())
    except InvalidRequest as exc:
        return api_error("validation_error", exc.message)
    result = commit_exactly_once(
        db.session,
        lambda: activate(
            db.session,
            license_code=license_code,
            install_id=install_id,
            hostname=hostname,
            now=_now(),
            max_installations=current_app.config["MAX_INSTALLATIONS"],
        ),
    )
    if isinstance(result, Refusal):
        return _refused(result)
    license = result.installation.license
    response = jsonify(
        install_id=result.installation.install_id,
        installation_token=result.token,
        certificate=result.certificate,
        license_code=license.code,
        licensed_accounts=license.accounts,
        serial=license.current_certificate.serial,
        min_serial=result.min_serial,
    )
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/check-ins")
@limiter.limit(PER_CLIENT)
@limiter.limit(PER_TOKEN, key_func=token_or_client)
def check_ins():
    installation, refused = _authenticated()
    if refused:
        return refused
    try:
        created = check_in_request(_body())
    except InvalidRequest as exc:
        return api_error("validation_error", exc.message)
    result = check_in(
        db.session,
        installation,
        created_accounts=created,
        now=_now(),
        terms=current_terms(),
        upgrade_url=_upgrade_url(installation.license),
    )
    db.session.commit()
    return jsonify(
        verdict=result.verdict,
        packs_needed=result.packs_needed,
        licensed_accounts=result.licensed_accounts,
        certificate=result.certificate,
        min_serial=result.min_serial,
    )


@bp.delete("/activations/current")
@limiter.limit(PER_CLIENT)
@limiter.limit(PER_TOKEN, key_func=token_or_client)
def release_current():
    installation, refused = _authenticated()
    if refused:
        return refused
    release(db.session, installation, now=_now(), by="server")
    db.session.commit()
    return Response(status=204)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@revocations_bp.get("/.well-known/license-revocations")
def license_revocations():
    text = issue_revocation_list(
        revocation_entries(db.session),
        current_keyring(),
        sequence=revocation_sequence(db.session),
        now=_now(),
    )
    response = Response(text, mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
