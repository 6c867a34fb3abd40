"""How work that failed is tried again: the same doubling backoff for email and for Stripe's events."""

from datetime import timedelta


def doubling_backoff(first: timedelta, longest: timedelta, failures: int) -> timedelta:
    """The wait after ``failures`` failures: ``first``, then twice as long each time, at most ``longest``."""
    return min(first * 2 ** max(failures - 1, 0), longest)
