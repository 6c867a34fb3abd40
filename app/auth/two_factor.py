"""The second factor: TOTP codes (RFC 6238) and single-use recovery codes. No Flask in here."""

import hashlib
import hmac
import io
import secrets
import time

import pyotp
import segno

ISSUER = "License Portal"
RECOVERY_CODES = 10
STEP = 30


def new_secret():
    return pyotp.random_base32()


def provisioning_uri(secret, email):
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri):
    """The set-up QR code as inline SVG, drawn on the server (no script, no outside service)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True)
    return out.getvalue().decode()


def _digits(code):
    return "".join((code or "").split())


def matching_step(secret, code, last_step=None, now=None):
    """The time step ``code`` belongs to (one step of clock drift either way), or None.

    A step at or before ``last_step`` was used already: a code works once.
    """
    code = _digits(code)
    if not secret or len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((now if now is not None else time.time()) // STEP)
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _normalize_recovery(code):
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _hash_recovery(code):
    return hashlib.sha256(_normalize_recovery(code).encode()).hexdigest()


def new_recovery_codes():
    """Ten codes to show once, and the hashes to keep."""
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    return codes, "\n".join(_hash_recovery(code) for code in codes)


def is_recovery_code(hashes, code):
    """``code`` is one of the unused recovery codes behind ``hashes``."""
    return use_recovery_code(hashes, code) is not None


def use_recovery_code(hashes, code):
    """The hashes left after using ``code``, or None when it is not one of them."""
    normalized = _normalize_recovery(code)
    if len(normalized) != 12:
        return None
    wanted = _hash_recovery(normalized)
    kept = (hashes or "").split()
    for stored in kept:
        if hmac.compare_digest(stored, wanted):
            kept.remove(stored)
            return "\n".join(kept)
    return None
