"""What handling a payment event did: a short stable code, and a sentence for people.

The code is for machines (the webhook's answer, the stored event, metric
labels): one of a few words that never carry an id. The sentence says the
same to a person and may name the payment, the order or the reason.
"""

from dataclasses import dataclass
from enum import StrEnum


class OutcomeCode(StrEnum):
    FULFILLED = "fulfilled"
    ALREADY_FULFILLED = "already_fulfilled"
    FLAGGED = "flagged"  # left for support to decide (a wrong amount, a payment on a revoked license, …)
    EXTRA_REFUNDED = "extra_refunded"  # a payment the order did not need, refunded (and flagged)
    ORDER_FAILED = "order_failed"
    REFUNDED = "refunded"
    PARTIAL_REFUND = "partial_refund"
    OWN_REFUND = "own_refund"  # Stripe reports a refund the portal made: matched to its attempt
    KEPT = "kept"  # a refund of a payment whose order is not known yet, applied when it is
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_WON = "dispute_won"
    DISPUTE_LOST = "dispute_lost"
    WAITING = "waiting"  # Stripe has not settled the payment yet
    UNCHANGED = "unchanged"
    IGNORED = "ignored"  # nothing of this portal's, or nothing new
    RECEIVED = "received"  # stored and queued: a worker applies it
    ALREADY_PROCESSED = "already_processed"
    MALFORMED = "malformed"
    NOT_AN_EVENT = "not_an_event"
    ERROR = "error"


@dataclass(frozen=True)
class Outcome:
    code: OutcomeCode
    sentence: str

    def __str__(self):
        return self.sentence


def ignored(why):
    """Nothing was changed, and why: "ignored: the order is refunded"."""
    return Outcome(OutcomeCode.IGNORED, f"ignored: {why}")
