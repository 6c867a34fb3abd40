"""Wrong passwords for one account from every client together: guessing from many machines.

Refusing the account itself would let anyone lock its owner out by typing wrong passwords. So
when an account has had too many failures, only the clients that have failed for it themselves
are turned away, and they sign in through the link we email to the account's address; a client
that has not failed for it (the owner's own) is checked as usual. Setting a new password through
that link clears the account's count.

The counts live in the rate limiter's storage (Redis in production), so every worker and host
sees the same ones. Should that storage fail, nobody is locked out: the per-client limits remain.
"""

import logging

from limits import parse, parse_many

from app.extensions import limiter
from app.models.user import normalize_email

log = logging.getLogger(__name__)

# Failures for one account, from all clients, after which its failed clients need the emailed link.
ACCOUNT_FAILURES = parse_many("20 per 10 minutes; 100 per day")
# How long a client that failed for an account counts as one (as long as the longest account count).
CLIENT_FAILED = parse("1 per day")

MESSAGE = (
    "Too many wrong passwords were tried for this account. To sign in from here, use "
    "“Forgot your password?”: we will email a link to the account's address."
)


def _account(email):
    return "login-failures/" + normalize_email(email or "")


def _strategy():
    return limiter.limiter if limiter.enabled else None


def needs_emailed_link(email, client):
    """Whether ``client`` must sign in to this account through the emailed reset link."""
    try:
        strategy = _strategy()
        if strategy is None:
            return False
        account = _account(email)
        under_attack = any(not strategy.test(limit, account) for limit in ACCOUNT_FAILURES)
        return under_attack and not strategy.test(CLIENT_FAILED, account, client)
    except Exception:  # the counts' storage is down: the per-client limits still hold
        log.exception("login failures could not be read")
        return False


def record_failure(email, client):
    try:
        strategy = _strategy()
        if strategy is None:
            return
        account = _account(email)
        for limit in ACCOUNT_FAILURES:
            strategy.hit(limit, account)
        strategy.hit(CLIENT_FAILED, account, client)
    except Exception:
        log.exception("a login failure could not be counted")


def clear_failures(email):
    """The owner proved the address (a new password by the emailed link): the account is theirs again."""
    try:
        strategy = _strategy()
        if strategy is None:
            return
        for limit in ACCOUNT_FAILURES:
            strategy.clear(limit, _account(email))
    except Exception:
        log.exception("login failures could not be cleared")
