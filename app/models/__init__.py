"""The portal's data, one module per aggregate."""

from app.models.license import Certificate, License
from app.models.order import Order, StripeEvent
from app.models.outbox import OutboxMessage
from app.models.sign_in import SignInSession
from app.models.support import AuditEntry, TrialRequest
from app.models.user import User

__all__ = [
    "AuditEntry",
    "Certificate",
    "License",
    "Order",
    "OutboxMessage",
    "SignInSession",
    "StripeEvent",
    "TrialRequest",
    "User",
]
