"""`fetch`: the control panel's client of the portal's machine API (docs/certificate-format.md, §13).

It activates this server with the license code or checks in, and installs the certificate
the portal answers with, after verifying it against keys pinned at first use.
"""

from __future__ import annotations

import json
import secrets
import sys
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .certificate_format import UTC, CertificateError, Claims, verify_certificate
from .public_keys import KeySetError, endorsed_keys, key_set_from_records, public_key_record
from .report import (
    Exit,
    Failure,
    expiry_failure,
    line,
    reason,
    render_text,
)
from .state import load_state, save_state, write_private


def normalize_code(code: str) -> str:
    return "".join(code.split()).upper()


def _call(portal: str, method: str, path: str, *, body=None, token=None, timeout=30.0):
    """(status, JSON document or {}) of one request to the portal."""
    if not portal.lower().startswith(("https://", "http://")):
        raise Failure(Exit.UNREADABLE, f"usage error: --portal must be an http(s) URL, not {portal!r}")
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(portal.rstrip("/") + path, data=data, method=method)  # noqa: S310
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        why = getattr(exc, "reason", None) or exc
        raise Failure(Exit.UNREADABLE, f"error: cannot reach the portal {portal}: {why}") from None
    try:
        return status, json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, ValueError):
        return status, {}


def _portal_refusal(status: int, document) -> Failure:
    error = document.get("error") if isinstance(document, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    text = f"refused by the portal ({code or status}): {message or 'no reason given'}"
    return Failure(Exit.REVOKED if code == "license_revoked" else Exit.UNREADABLE, text)


def _trusted_keys(args, state: dict) -> dict[str, Ed25519PublicKey]:
    """The portal's keys: pinned in the state file at first use, later ones only if endorsed."""
    status, published = _call(args.portal, "GET", "/.well-known/license-keys", timeout=args.timeout)
    if status != 200:
        raise Failure(Exit.UNREADABLE, f"error: the portal's key set answered HTTP {status}")
    try:
        if state.get("keys"):
            keys = endorsed_keys(key_set_from_records(state["keys"]), published)
        else:
            keys = key_set_from_records(published)
    except KeySetError as exc:
        raise Failure(Exit.INVALID, f"invalid key set: {exc}") from None
    state["keys"] = [public_key_record(key) for key in keys.values()]
    return keys


def _activate(args, state: dict, state_path: Path) -> dict:
    state.setdefault("install_id", secrets.token_hex(16))
    body = {"license_code": args.code, "install_id": state["install_id"], "hostname": args.hostname}
    status, document = _call(args.portal, "POST", "/api/v1/activations", body=body, timeout=args.timeout)
    if status != 201:
        raise _portal_refusal(status, document)
    state.update(license_code=args.code, installation_token=document["installation_token"])
    save_state(state_path, state)  # the token is shown once: keep it before anything else can fail
    return document


def _check_in(args, state: dict) -> dict:
    status, document = _call(
        args.portal,
        "POST",
        "/api/v1/check-ins",
        body={"created_accounts": args.accounts},
        token=state["installation_token"],
        timeout=args.timeout,
    )
    if status == 401:
        raise Failure(
            Exit.UNREADABLE,
            f"{_portal_refusal(status, document)}. This server's installation was released or "
            f"replaced: remove {args.state} to activate it again.",
        )
    if status != 200:
        raise _portal_refusal(status, document)
    return document


def _install(args, state: dict, keys, document: dict) -> tuple[Claims, str | None]:
    """Verify the portal's certificate, refuse an older serial, write it; return claims and any refusal."""
    try:
        claims = verify_certificate(document.get("certificate") or "", keys)
    except CertificateError as exc:
        raise Failure(Exit.INVALID, f"invalid certificate from the portal: {exc}") from None
    if normalize_code(claims.license_code) != normalize_code(args.code):
        raise Failure(Exit.INVALID, f"the portal sent a certificate of another license {claims.license_code}")
    highest = state.get("highest_serial") or 0
    if claims.serial < highest:
        raise Failure(
            Exit.OLDER,
            f"refused: certificate serial {claims.serial} is older than serial {highest} seen before",
        )
    try:
        write_private(Path(args.out), document["certificate"])
    except OSError as exc:
        raise Failure(Exit.UNREADABLE, f"error: cannot write {args.out}: {reason(exc)}") from None
    state["highest_serial"] = claims.serial
    refusal = None
    if claims.revoked:
        refusal = f"revoked: license {claims.license_code} is revoked; the control panel must block it"
    elif claims.serial < (document.get("min_serial") or 0):
        refusal = (
            f"superseded: serial {claims.serial} is below the lowest valid serial {document['min_serial']}"
        )
    return claims, refusal


def _release(args, state: dict, state_path: Path) -> int:
    token = state.get("installation_token")
    if not token:
        raise Failure(Exit.UNREADABLE, f"error: {args.state} holds no installation to release")
    status, document = _call(
        args.portal, "DELETE", "/api/v1/activations/current", token=token, timeout=args.timeout
    )
    if status not in (204, 401):
        raise _portal_refusal(status, document)
    state.pop("installation_token", None)
    save_state(state_path, state)
    print(
        f"Released: license {state.get('license_code', args.code)} is no longer installed on {args.hostname}."
    )
    return Exit.VALID


def run(args) -> int:
    """Run `fetch` with its parsed arguments; return the exit code or raise Failure."""
    state_path = Path(args.state)
    state = load_state(state_path)
    if state.get("license_code") and normalize_code(state["license_code"]) != normalize_code(args.code):
        raise Failure(
            Exit.UNREADABLE,
            f"usage error: {args.state} belongs to license {state['license_code']}; "
            "release it first or use another --state file",
        )
    if args.release:
        return _release(args, state, state_path)
    if not args.out:
        raise Failure(Exit.UNREADABLE, "usage error: --out FILE is needed to write the certificate")
    keys = _trusted_keys(args, state)
    document = None
    if not state.get("installation_token"):
        document = _activate(args, state, state_path)
    if args.accounts is not None:
        document = _check_in(args, state)
    elif document is None:
        raise Failure(Exit.UNREADABLE, "usage error: --accounts N is needed to check in")
    claims, refusal = _install(args, state, keys, document)
    save_state(state_path, state)
    now = datetime.now(UTC)
    sys.stdout.write(render_text(claims, now, args.accounts))
    if "verdict" in document:
        print(line("Portal verdict", f"{document['verdict']} ({document['packs_needed']} packs needed)"))
    if refusal:
        raise Failure(Exit.REVOKED, refusal)
    if claims.is_expired(now):
        raise expiry_failure(claims)
    return Exit.VALID
