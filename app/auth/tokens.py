"""Signed, expiring, single-use links for email confirmation and password reset.

Single use without a table: each token carries a fingerprint of the state it
changes (the unconfirmed address, or the current password), so using it once
makes it invalid.
"""

import hashlib

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class TokenInvalid(Exception):
    """The link is malformed, tampered with, or already used."""


class TokenExpired(TokenInvalid):
    """The link was valid but is too old."""


def _fingerprint(*parts):
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


class TokenService:
    def __init__(self, secret_key, purpose, max_age):
        self.serializer = URLSafeTimedSerializer(secret_key, salt=f"license-portal.{purpose}")
        self.max_age = max_age

    def make(self, user_id, state):
        return self.serializer.dumps({"u": user_id, "f": _fingerprint(state)})

    def load(self, token):
        """The user id in the token; the caller checks the state with matches()."""
        try:
            data = self.serializer.loads(token, max_age=self.max_age)
        except SignatureExpired as exc:
            raise TokenExpired("This link has expired.") from exc
        except BadSignature as exc:
            raise TokenInvalid("This link is not valid.") from exc
        return data["u"], data["f"]

    @staticmethod
    def matches(fingerprint, state):
        return fingerprint == _fingerprint(state)


def confirmation_state(user):
    return f"confirm:{user.email}:{user.confirmed_at is None}"


def reset_state(user):
    return f"reset:{user.email}:{user.password_hash}"


def confirmation_tokens(config):
    """The one token service for email-confirmation links, from SECRET_KEY and CONFIRM_TOKEN_MAX_AGE."""
    return TokenService(config["SECRET_KEY"], "confirm-email", config["CONFIRM_TOKEN_MAX_AGE"])


def reset_tokens(config):
    """The one token service for password-reset (and staff invitation) links."""
    return TokenService(config["SECRET_KEY"], "reset-password", config["RESET_TOKEN_MAX_AGE"])
