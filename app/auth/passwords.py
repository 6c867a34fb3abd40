"""Passwords: argon2-cffi's PasswordHasher with the configured parameters, one per app.

A hash records its own parameters, so a password hashed with other ones (older settings, more
lanes) still verifies; it is hashed again with the app's parameters when it is next given right.
"""

import secrets
from contextlib import suppress

from argon2 import PasswordHasher
from argon2.exceptions import HashingError, InvalidHashError, VerificationError
from flask import current_app

ARGON2_SETTINGS = ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM")


class Passwords:
    """Hashes and checks users' passwords with ``hasher`` (argon2-cffi's PasswordHasher)."""

    def __init__(self, hasher: PasswordHasher):
        self.hasher = hasher
        # What an unknown address is checked against: made once, so that every check takes as long.
        self._unknown_user_hash = hasher.hash(secrets.token_hex(16))

    @classmethod
    def from_config(cls, config):
        """Argon2id with ARGON2_TIME_COST passes over ARGON2_MEMORY_COST KiB in ARGON2_PARALLELISM lanes."""
        return cls(
            PasswordHasher(
                time_cost=config["ARGON2_TIME_COST"],
                memory_cost=config["ARGON2_MEMORY_COST"],
                parallelism=config["ARGON2_PARALLELISM"],
            )
        )

    def set(self, user, password):
        """Give ``user`` this password; signing in elsewhere and links issued before stop working."""
        user.password_hash = self.hasher.hash(password)
        user.end_all_sessions()

    def check(self, user, password):
        """Whether ``password`` is ``user``'s; a right one hashed with other parameters is hashed again.

        The caller commits the new hash.
        """
        try:
            self.hasher.verify(user.password_hash or "", password)
        except VerificationError:
            return False
        except InvalidHashError:  # no password set yet (an invited agent): as slow as a real check
            return self.pretend_check(password)
        if self.hasher.check_needs_rehash(user.password_hash):
            user.password_hash = self.hasher.hash(password)
        return True

    def pretend_check(self, password):
        """False, as slowly as a real check: answers must not tell whether an address is known."""
        with suppress(VerificationError):
            self.hasher.verify(self._unknown_user_hash, password)
        return False


def init_app(app):
    """Build the app's hasher, refusing to start with parameters Argon2 cannot hash with."""
    try:
        app.extensions["password_hasher"] = Passwords.from_config(app.config)
    except (HashingError, OverflowError) as error:
        settings = ", ".join(f"{name}={app.config[name]}" for name in ARGON2_SETTINGS)
        raise SystemExit(
            f"Argon2 cannot hash with {settings} ({error}): the portal refuses to start."
        ) from None


def current_passwords() -> Passwords:
    """The app's password hashing (ARGON2_* settings)."""
    return current_app.extensions["password_hasher"]
